/**
 * The Store (../store.ts) over PostgreSQL, through node-postgres, for one
 * server or several on one database. Each unit is one transaction,
 * committed before `write` resolves (so `durable` is always settled). Its
 * first statement bumps the experiment's version, which row-locks the
 * experiment until the commit: units of one experiment are serialised
 * across every server on the database, units of different experiments run
 * side by side on the pool. A unit is one statement (unit-statement.ts:
 * one round trip, its own transaction), each kind of write in it one CTE
 * whatever its size (arrays through unnest); only a unit whose `withIds`
 * needs the new ids in between costs BEGIN, a statement per kind, COMMIT.
 *
 * Within this process, units of one experiment also start in the order they
 * were issued, as the service issues them (a row lock alone would let two
 * pool connections race).
 *
 * Several servers: `lock` opens a turn on a connection of its own: one
 * transaction holding the experiment's advisory lock (transaction-level)
 * while the service pulls, computes and writes, so servers take turns on a
 * contended experiment instead of computing from a history another one is
 * about to change. Its first round trip begins the transaction, takes the
 * lock and pulls what changed since the caller's version; the units of the
 * turn are written in that transaction, uncommitted (their `durable` is the
 * turn's commit); its release commits them all at once (one flush) and so
 * frees the lock. A turn whose caller reserved ids pipelines its units
 * (`pipelined`): each is answered at once and its statement sent behind the
 * others on the turn's connection (node-postgres' pipeline mode), so the
 * lock's hold per unit is the service's computation, not a round trip. A
 * unit of a turn that fails loses the turn (its transaction is rolled back,
 * as a failed group commit: rollback listeners, then UNAVAILABLE for every
 * unit of it). Units written outside a turn
 * share the lock for their transaction, so they wait for a holder rather
 * than slip in under it. The holder's statements run on its connection, and
 * at most all but two of the pool's connections hold locks, so the others
 * always have a connection and a holder never waits for one.
 *
 * A unit whose request id is already logged writes nothing and is refused
 * with ALREADY_EXISTS without failing its statement, so a turn survives it
 * (unit-statement.ts), unless it was pipelined (it then fails the turn); one
 * logged by an open turn of this process, which other connections cannot
 * see yet, is refused before any statement. So the
 * service need not read the log before it computes a unit (state/experiments.ts).
 *
 * Every wait for an experiment's lock (`lock`, and a unit's shared lock) is
 * bounded by `lock_timeout` (`lockTimeoutMs`): a server that hangs while
 * holding a lock would otherwise stall every other server on that
 * experiment. The waiter gets UNAVAILABLE naming the lock; clients retry.
 *
 * The change feed (`changesSince`, `onChange`): every trial row carries the
 * experiment version of its last write, so a server that last saw version v
 * pulls exactly the trials written since; each commit NOTIFYs
 * `parzen_changes` with "<experiment id>:<version>:<origin>" (a turn's commit
 * once, with its last unit's version), the origin
 * being this store's random token (so a server tells its own writes from
 * others'; servers that know no origin read the first two fields only).
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { ABORTED_STALE, LOCK_TIMED_OUT, ParzenError, alreadyExists, notFound } from "../../errors.js";
import {
  SOURCE_NUMBER,
  SOURCE_OF,
  STATE_NUMBER,
  STATE_OF,
  decoded,
  encodeValues,
  outcomeOf,
  parseNumbers,
  parseStrings,
} from "../encoding.js";
import { NO_POINTS, type ExperimentRow, type StoredParams, type TrialRow } from "../rows.js";
import type {
  ChangeFeed,
  Changes,
  HeldLock,
  PullFrom,
  CurvePointRecord,
  LoggedRequest,
  NewTrial,
  RequestRecord,
  Store,
  Unit,
  Written,
} from "../store.js";
import { isConnectionError, PARZEN_LOCKS, type Pool } from "./connect.js";
import { missingTrial, ownedBy, refusedForRequest, unitStatement } from "./unit-statement.js";

type Row = Record<string, unknown>;
type Client = pg.PoolClient;

const DONE: Promise<void> = Promise.resolve();
const CHANNEL = "parzen_changes";
/** First key of the per-experiment advisory locks (the second is the experiment id); migrate.ts uses PARZEN_LOCKS. */
const EXPERIMENT_LOCKS = PARZEN_LOCKS + 1;

/** Shares experiment `id`'s advisory lock for the transaction (two integers inlined: one simple-protocol round trip). */
const sharedLock = (id: number): string => `SELECT pg_advisory_xact_lock_shared(${EXPERIMENT_LOCKS}, ${lockKey(id)})`;
const lockKey = (id: number): number => id % 2 ** 31;

/** How long a server waits for an experiment's lock before answering UNAVAILABLE (`--db-lock-timeout-seconds`). */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** Trial ids a turn reserves at most (a turn is at most 32 changes, most of them a trial or none). */
const MAX_RESERVED = 64;

/** Reserves `n` trial ids from the trials' sequence (an integer inlined: part of the lock's simple-protocol trip). */
const RESERVE_IDS = (n: number): string =>
  `SELECT nextval(pg_get_serial_sequence('trials', 'id')) AS id FROM generate_series(1, ${n})`;

/** Request ids a pipelined unit found logged, remembered (the newest this many) so their retries are not pipelined. */
const REFUSED_REQUESTS = 1024;

/** PostgreSQL's in_failed_sql_transaction: a statement after one that failed its transaction. */
const IN_FAILED_TRANSACTION = "25P02";

/** PostgreSQL's lock_not_available: `lock_timeout` expired. */
const LOCK_NOT_AVAILABLE = "55P03";

export interface PostgresStoreOptions {
  /** Bound on waiting for an experiment's lock (default DEFAULT_LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
}

/** The current version of the unit's experiment ($1), inside the unit's transaction (after the bump). */
const VERSION = "(SELECT version FROM experiments WHERE id = $1)";

const SQL = {
  bump: `UPDATE experiments SET version = version + 1 WHERE id = $1
    RETURNING version, pg_notify('${CHANNEL}', id || ':' || version || ':' || $2::text) AS notified`,
  insert: `INSERT INTO trials (experiment_id, number, state, source, params, loss, metrics, user_attrs, worker_id,
    fail_reason, create_time, start_time, end_time, lease_deadline, objective_values, constraint_values, proposed_by,
    version)
    SELECT $1, u.number, u.state, u.source, u.params, u.loss, u.metrics, u.user_attrs, u.worker_id, u.fail_reason,
      u.create_time, u.start_time, u.end_time, u.lease_deadline, u.objective_values, u.constraint_values,
      u.proposed_by, ${VERSION}
      FROM unnest($2::int[], $3::smallint[], $4::smallint[], $5::text[], $6::float8[],
      $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],
      $15::text[], $16::text[], $17::text[])
      WITH ORDINALITY AS u(number, state, source, params, loss, metrics, user_attrs, worker_id, fail_reason,
        create_time, start_time, end_time, lease_deadline, objective_values, constraint_values, proposed_by, ord)
    ORDER BY u.ord RETURNING id, number`,
  update: `UPDATE trials t SET state = u.state, loss = u.loss, metrics = u.metrics, user_attrs = u.user_attrs,
    worker_id = u.worker_id, fail_reason = u.fail_reason, start_time = u.start_time, end_time = u.end_time,
    lease_deadline = u.lease_deadline, objective_values = u.objective_values,
    constraint_values = u.constraint_values, version = ${VERSION}
    FROM unnest($2::bigint[], $3::smallint[], $4::float8[], $5::text[], $6::text[], $7::text[], $8::text[],
      $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::text[])
      AS u(id, state, loss, metrics, user_attrs, worker_id, fail_reason, start_time, end_time, lease_deadline,
        objective_values, constraint_values)
    WHERE t.id = u.id AND ${ownedBy("t", "$1")} RETURNING t.id`,
  touch: `UPDATE trials t SET version = ${VERSION} WHERE ${ownedBy("t", "$1")} AND t.id = ANY($2::bigint[]) RETURNING t.id`,
  points: `INSERT INTO intermediate_values (trial_id, step, value)
    SELECT p.trial_id, p.step, p.value
    FROM unnest($1::bigint[], $2::bigint[], $3::float8[]) WITH ORDINALITY AS p(trial_id, step, value, ord)
    ORDER BY ord ON CONFLICT (trial_id, step) DO NOTHING`,
  request: `INSERT INTO request_log (experiment_id, method, request_id, trial_ids, create_time)
    VALUES ($1, $2, $3, $4, $5)`,
};

/** A trial's columns, with its curve as two arrays (one statement, one snapshot). */
const WITH_CURVE = `t.*,
  ARRAY(SELECT step::float8 FROM intermediate_values iv WHERE iv.trial_id = t.id ORDER BY step) AS steps,
  ARRAY(SELECT value FROM intermediate_values iv WHERE iv.trial_id = t.id ORDER BY step) AS vals`;

/** A statement with a name: node-postgres prepares it once per connection. */
const q = (name: string, text: string, values: unknown[]): pg.QueryConfig => ({ name, text, values });

export class PostgresStore implements Store, ChangeFeed {
  private readonly queues = new Map<number, Promise<void>>();
  private readonly rollbackListeners: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly listeners: Client[] = [];
  private closed = false;
  readonly feed: ChangeFeed = this;
  /** Turns holding their experiment's lock (`lock`), by experiment id. */
  private readonly held = new Map<number, Turn>();
  /** Turns not yet committed or rolled back (released ones included): `durable` waits for them. */
  private readonly open = new Set<Turn>();
  /** Tells this store's notices from other servers' (see the header). */
  readonly origin = randomBytes(6).toString("hex");
  /** Holders allowed at once, and callers waiting for a turn. */
  private readonly maxHeld: number;
  private readonly turns: (() => void)[] = [];
  private holders = 0;
  private readonly lockTimeoutMs: number;
  /** Request keys a pipelined unit found logged (see `pipelines`), oldest first. */
  private readonly refusedRequests = new BoundedSet(REFUSED_REQUESTS);
  /**
   * Round trips to the database since the start, by what they were for, and notices received (for metrics:
   * `ChangeFeed.roundTrips`). A unit written in steps counts its BEGIN, bump and COMMIT only.
   */
  readonly roundTrips: Record<RoundTrip, number> = {
    unit: 0,
    pipelined: 0,
    steps: 0,
    lock: 0,
    commit: 0,
    pull: 0,
    read: 0,
    notices: 0,
  };

  constructor(
    readonly pool: Pool,
    options: PostgresStoreOptions = {},
  ) {
    this.maxHeld = Math.max(1, (pool.options.max ?? 10) - 2);
    this.lockTimeoutMs = Math.max(1, Math.round(options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS));
  }

  /** The UNAVAILABLE for a lock wait past the bound, with the query that finds the holder. */
  private lockTimedOut(experimentId: number, cause: unknown): ParzenError {
    return new ParzenError(
      "UNAVAILABLE",
      `${LOCK_TIMED_OUT} for over ${this.lockTimeoutMs / 1000} s (experiment id ${experimentId}); retry. ` +
        "If it persists, a server may be hung holding it: SELECT pid, client_addr, backend_start, state, query " +
        "FROM pg_locks JOIN pg_stat_activity USING (pid) WHERE locktype = 'advisory' AND granted " +
        `AND classid = ${EXPERIMENT_LOCKS} AND objid = ${lockKey(experimentId)} shows it`,
      { cause },
    );
  }

  /** Settled unless turns are under way: then once they commit (their units are applied, not yet committed). */
  durable(): Promise<void> {
    if (this.open.size === 0) return DONE;
    return Promise.all([...this.open].map((t) => t.committed)).then(() => undefined);
  }

  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    for (const c of this.listeners.splice(0)) c.release();
    await this.pool.end();
  }

  // ---- experiments ----------------------------------------------------------

  async createExperiment(name: string, definition: string, createTime: number): Promise<Written<ExperimentRow>> {
    const rows = await this.rows(
      q("create", "INSERT INTO experiments (name, definition, create_time) VALUES ($1, $2, $3) RETURNING id", [
        name,
        definition,
        createTime,
      ]),
      (e) => (e.code === "23505" ? alreadyExists(`experiment "${name}" already exists`) : undefined),
    );
    return { value: { id: rows[0]!.id as number, name, definition, createTime, lifecycle: null }, durable: DONE };
  }

  async experimentByName(name: string): Promise<ExperimentRow | undefined> {
    const [r] = await this.rows(q("byName", "SELECT * FROM experiments WHERE name = $1", [name]));
    return r && toExperiment(r);
  }

  async experimentById(id: number): Promise<ExperimentRow | undefined> {
    const [r] = await this.rows(q("byId", "SELECT * FROM experiments WHERE id = $1", [id]));
    return r && toExperiment(r);
  }

  async listExperiments(afterName: string, limit: number): Promise<ExperimentRow[]> {
    const rows = await this.rows(
      q("list", "SELECT * FROM experiments WHERE name > $1 ORDER BY name LIMIT $2", [afterName, limit]),
    );
    return rows.map((r) => ({ ...toExperiment(r), version: r.version as number }));
  }

  async deleteExperiment(id: number): Promise<Written<boolean>> {
    // In a turn, in its transaction: the turn holds the experiment's row until it commits.
    const turn = this.held.get(id);
    const deleted = await this.serial(id, async () => {
      const del = q("delete", "DELETE FROM experiments WHERE id = $1", [id]);
      if (turn === undefined) return ((await this.run(del)).rowCount ?? 0) > 0;
      try {
        return ((await turn.c.query(del)).rowCount ?? 0) > 0;
      } catch (err) {
        this.lose(turn, err);
        throw this.mapped(err);
      }
    });
    return { value: deleted, durable: turn?.committed ?? DONE };
  }

  // ---- trials -----------------------------------------------------------------

  async experimentOfTrial(trialId: number): Promise<number | undefined> {
    const [r] = await this.rows(q("ofTrial", "SELECT experiment_id FROM trials WHERE id = $1", [trialId]));
    return r?.experiment_id as number | undefined;
  }

  async loadTrials(
    experimentId: number,
    from: number,
    limit: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<TrialRow[]> {
    const rows = await this.rowsOf(
      experimentId,
      q(
        "load",
        `SELECT ${WITH_CURVE} FROM trials t WHERE experiment_id = $1 AND number >= $2 ORDER BY number LIMIT $3`,
        [experimentId, from, limit],
      ),
    );
    return rows.map((r) => toTrial(r, toConfig(JSON.parse(r.params as string) as StoredParams), true));
  }

  async readTrials(
    experimentId: number,
    from: number,
    to: number,
    withCurves: boolean,
    configOf: (number: number) => Float64Array,
  ): Promise<TrialRow[]> {
    const rows = await this.rowsOf(
      experimentId,
      q(
        withCurves ? "readCurves" : "read",
        `SELECT ${withCurves ? WITH_CURVE : "t.*"} FROM trials t
          WHERE experiment_id = $1 AND number BETWEEN $2 AND $3 ORDER BY number`,
        [experimentId, from, to],
      ),
    );
    return rows.map((r) => toTrial(r, configOf(r.number as number), withCurves));
  }

  async findRequest(method: string, requestId: string): Promise<LoggedRequest | undefined> {
    const logged = this.loggedInTurn(method, requestId);
    if (logged !== undefined) return logged;
    const [r] = await this.rows(
      q("findRequest", "SELECT experiment_id, trial_ids FROM request_log WHERE method = $1 AND request_id = $2", [
        method,
        requestId,
      ]),
    );
    return r && { experimentId: r.experiment_id as number, trialIds: JSON.parse(r.trial_ids as string) as number[] };
  }

  /** A request logged by a unit of a turn of this process that is not committed yet (nor lost). */
  private loggedInTurn(method: string, requestId: string): LoggedRequest | undefined {
    for (const turn of this.open) {
      const logged = turn.lost === undefined ? turn.requests.get(requestKey(method, requestId)) : undefined;
      if (logged !== undefined) return logged;
    }
    return undefined;
  }

  // ---- the change feed ----------------------------------------------------------

  async changesSince(
    experimentId: number,
    version: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<Changes | undefined> {
    // One statement: the head version and the trials written up to it come from one snapshot.
    const rows = await this.rowsOf(
      experimentId,
      q("changes", CHANGES_SINCE("$1", "$2"), [experimentId, version]),
      "pull",
    );
    return changesOf(rows, toConfig);
  }

  async lock(experimentId: number, since?: PullFrom): Promise<HeldLock> {
    if (this.held.has(experimentId)) throw new Error(`experiment ${experimentId}'s lock is already held here`);
    await this.takeTurn();
    let c: Client;
    try {
      c = await this.pool.connect();
    } catch (err) {
      this.nextTurn();
      throw this.mapped(err);
    }
    const turn = new Turn(experimentId, c);
    const onError = (err: Error) => {
      // The lock went with the connection, and the turn's units with its transaction.
      turn.broken = err;
      this.lose(turn, err);
    };
    c.on("error", onError);
    let changes: Changes | undefined;
    try {
      // One round trip: begin, take the lock (the wait bounded, then the bound back to the session's), and pull
      // what changed since `since` under it (two integers inlined: the simple protocol takes no parameters).
      this.roundTrips.lock++;
      // With `since`, also the trial ids the turn's pipelined units will insert (see `write`).
      const reserve = since === undefined ? 0 : Math.min(MAX_RESERVED, Math.max(0, Math.floor(since.reserve ?? 0)));
      const results = (await c.query(
        `BEGIN; SET LOCAL lock_timeout = ${this.lockTimeoutMs}; ` +
          `SELECT pg_advisory_xact_lock(${EXPERIMENT_LOCKS}, ${lockKey(experimentId)}); ` +
          `SET LOCAL lock_timeout TO DEFAULT${since === undefined ? "" : `; ${CHANGES_SINCE(String(experimentId), String(since.version))}`}` +
          (reserve === 0 ? "" : `; ${RESERVE_IDS(reserve)}`),
      )) as unknown as pg.QueryResult[];
      if (since !== undefined) {
        const pulled = results.at(reserve === 0 ? -1 : -2)!;
        changes = changesOf(pulled.rows as Row[], since.toConfig);
        // Under the lock no one else writes the experiment: its versions from here on are this turn's.
        turn.head = changes?.version;
        if (reserve > 0) turn.reserved = results.at(-1)!.rows.map((r) => r.id as number);
        turn.pipelining = since.reserve !== undefined;
      }
    } catch (err) {
      c.off("error", onError);
      const timedOut = (err as PgError).code === LOCK_NOT_AVAILABLE;
      if (isConnectionError(err)) c.release(err as Error);
      else
        await c.query("ROLLBACK").then(
          () => c.release(),
          (e: Error) => c.release(e),
        );
      this.nextTurn();
      throw timedOut ? this.lockTimedOut(experimentId, err) : this.mapped(err);
    }
    this.held.set(experimentId, turn);
    this.open.add(turn);
    void turn.committed.then(
      () => this.open.delete(turn),
      () => this.open.delete(turn),
    );
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (this.held.get(experimentId) === turn) this.held.delete(experimentId);
      const done = (err?: Error) => {
        c.off("error", onError);
        c.release(err ?? turn.broken);
        this.nextTurn();
      };
      if (turn.lost !== undefined) {
        void turn.rolledBack.then(() => done());
        return;
      }
      // Committed in the background: the turn's units answer once it is (their `durable`), nothing else waits.
      // One notice for the turn's units, sent with its commit (the same round trip); none if it wrote nothing.
      this.roundTrips.commit++;
      const notify =
        turn.version === undefined
          ? ""
          : `SELECT pg_notify('${CHANNEL}', '${experimentId}:${turn.version}:${this.origin}'); `;
      // Sent behind the turn's pipelined units: if one of them failed, PostgreSQL answers this COMMIT with a
      // ROLLBACK of the whole transaction, and the unit's own failure has lost the turn by the time it answers.
      const committing = c.query(`${notify}COMMIT`) as unknown as Promise<pg.QueryResult | pg.QueryResult[]>;
      Promise.all([committing, Promise.all(turn.pending)]).then(
        ([result]) => {
          // Every failure above has lost the turn already; the tag guards against one that did not say so.
          const tag = (Array.isArray(result) ? result.at(-1)! : result).command;
          if (turn.lost === undefined && tag !== "COMMIT")
            this.lose(turn, new Error(`the turn's transaction ended with ${tag}, not COMMIT`));
          if (turn.lost !== undefined) {
            void turn.rolledBack.then(() => done());
            return;
          }
          turn.commit();
          done();
        },
        (err: Error) => {
          this.lose(turn, err);
          done(isConnectionError(err) ? err : undefined);
        },
      );
    };
    return { release, changes };
  }

  /**
   * A turn whose transaction failed: it leaves the held set at once (the experiment's next units go through the
   * pool and wait for the rollback to free the lock), every listener drops what it mirrors, and every unit of the
   * turn rejects with UNAVAILABLE.
   */
  private lose(turn: Turn, err: unknown): void {
    if (turn.lost !== undefined || turn.settled) return;
    if (this.held.get(turn.experimentId) === turn) this.held.delete(turn.experimentId);
    const lost = new ParzenError(
      "UNAVAILABLE",
      `a write to experiment ${turn.experimentId} failed, and with it the changes written in the same turn ` +
        `(${(err as Error).message}); retry with the same request_id`,
      { cause: err },
    );
    turn.lost = lost;
    turn.rolledBack =
      turn.broken !== undefined
        ? DONE
        : turn.c.query("ROLLBACK").then(
            () => undefined,
            (e: Error) => {
              turn.broken = e;
            },
          );
    this.rolledBack();
    turn.fail(lost);
  }

  /** A holder's slot: at once while fewer than `maxHeld` hold one, else handed over by a releasing holder. */
  private async takeTurn(): Promise<void> {
    if (this.holders < this.maxHeld) this.holders++;
    else await new Promise<void>((ok) => this.turns.push(ok));
  }

  private nextTurn(): void {
    const next = this.turns.shift();
    if (next === undefined) this.holders--;
    else next();
  }

  async onChange(
    listener: (experimentId: number, version: number, mine: boolean) => void,
    onLost?: () => void,
  ): Promise<() => Promise<void>> {
    const c = await this.pool.connect();
    const onNotification = (m: pg.Notification) => {
      this.roundTrips.notices++;
      const [id, version, origin] = (m.payload ?? "").split(":");
      const e = Number(id);
      const v = Number(version);
      if (Number.isSafeInteger(e) && Number.isSafeInteger(v)) listener(e, v, origin === this.origin);
    };
    const onError = (err: Error) => {
      const i = this.listeners.indexOf(c);
      if (i < 0) return;
      this.listeners.splice(i, 1);
      c.release(err);
      onLost?.();
    };
    c.on("notification", onNotification);
    c.on("error", onError);
    try {
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      c.release(err as Error);
      throw err;
    }
    this.listeners.push(c);
    return async () => {
      const i = this.listeners.indexOf(c);
      if (i < 0) return;
      this.listeners.splice(i, 1);
      await c.query(`UNLISTEN ${CHANNEL}`).catch(() => {});
      // The connection goes back to the pool, and may listen again for another subscriber: not for this one.
      c.off("notification", onNotification);
      c.off("error", onError);
      c.release();
    };
  }

  // ---- writing -------------------------------------------------------------------

  async write(experimentId: number, unit: Unit): Promise<Written<readonly number[]>> {
    const turn = this.held.get(experimentId);
    const { ids, version } = await this.serial(experimentId, async () => {
      // Logged by an open turn of this process: other connections cannot see it yet, and would wait for that
      // turn's commit and then fail on the log's key (losing their own turn). The unit's own turn sees it anyway.
      const r = unit.request;
      if (r !== undefined && this.loggedInTurn(r.method, r.requestId) !== undefined) throw requestUsed(r.requestId);
      const written =
        turn !== undefined && this.pipelines(turn, unit)
          ? this.pipelined(experimentId, unit, turn)
          : await (unit.withIds === undefined
              ? this.unit(experimentId, unit, turn)
              : this.unitInSteps(experimentId, unit, turn));
      if (turn !== undefined) {
        turn.version = written.version;
        turn.head = written.version;
        // Ids the database assigned are past the reserved ones: later units must not take smaller ones.
        if (written.pipelined !== true && (unit.insert?.length ?? 0) > 0) turn.reserved = [];
      }
      // Other connections see the request log once the turn commits: until then, findRequest looks here.
      if (turn !== undefined && r !== undefined)
        turn.requests.set(requestKey(r.method, r.requestId), {
          experimentId,
          trialIds: r.withInserted ? [...r.trialIds, ...written.ids] : r.trialIds,
        });
      return written;
    });
    return { value: ids, durable: turn?.committed ?? DONE, version };
  }

  /**
   * Whether `unit` can be pipelined in `turn`: written without waiting for its answer, so the service computes the
   * next unit while this one is on its way (a turn's hold per change is then its computation, not a round trip).
   * It can when the turn knows its head version (so the unit's version is known) and holds reserved ids for its
   * new trials, and when the answer cannot be needed before the commit: not a unit in steps, nor one whose request
   * id a pipelined unit already found logged (that one is written and refused as usual, so its call is answered
   * as a replay instead of failing its turn again).
   */
  private pipelines(turn: Turn, unit: Unit): boolean {
    if (!turn.pipelining || turn.lost !== undefined || turn.head === undefined || unit.withIds !== undefined)
      return false;
    if (unit.expectVersion !== undefined && unit.expectVersion !== turn.head) return false;
    if ((unit.insert?.length ?? 0) > turn.reserved.length) return false;
    const r = unit.request;
    return r === undefined || !this.refusedRequests.has(requestKey(r.method, r.requestId));
  }

  /**
   * Sends `unit` down the turn's connection behind the ones before it and answers at once, with the version it
   * will write and the reserved ids its trials take. If the database then refuses it (a request id logged by
   * another server, a trial that is gone) or it fails, its statement fails the transaction and the turn is lost:
   * every unit of it rejects with UNAVAILABLE, as when a turn's statement fails. The clients retry with the same
   * request ids; the refused one is then written without pipelining and answered as a replay.
   */
  private pipelined(experimentId: number, unit: Unit, turn: Turn): { ids: number[]; version: number; pipelined: true } {
    const ids = turn.reserved.splice(0, unit.insert?.length ?? 0);
    const version = turn.head! + 1;
    this.roundTrips.pipelined++;
    const sent = turn.c.query(unitStatement(CHANNEL, this.origin, experimentId, unit, undefined, { ids })) as Promise<
      pg.QueryResult<Row>
    >;
    turn.pending.push(
      sent.then(
        ({ rows }) => {
          const row = rows[0]!;
          // Under the lock nothing else writes: anything else would mean the turn's image is not the database's.
          if (row.version !== version) this.lose(turn, new Error(`unit at version ${row.version}, not ${version}`));
        },
        (err: unknown) => {
          // Its request id logged (committed, or by a turn that committed while this one waited on the log's key).
          const e = err as PgError;
          const r = unit.request;
          if (r !== undefined && (refusedForRequest(e) || (e.code === "23505" && e.table === "request_log")))
            this.refusedRequests.add(requestKey(r.method, r.requestId));
          this.lose(turn, err);
        },
      ),
    );
    return { ids, version, pipelined: true };
  }

  /** Unit `unit` in one statement: its own transaction, or a part of `turn`'s. */
  private async unit(
    experimentId: number,
    unit: Unit,
    turn: Turn | undefined,
  ): Promise<{ ids: number[]; version: number; pipelined?: true }> {
    const id = experimentId;
    const holder = turn?.c;
    const lock =
      holder === undefined
        ? { keys: [EXPERIMENT_LOCKS, lockKey(id)] as const, timeoutMs: this.lockTimeoutMs }
        : undefined;
    let c: Client;
    try {
      if (turn?.lost !== undefined) throw turn.lost;
      c = holder ?? (await this.pool.connect());
    } catch (err) {
      throw this.mapped(err);
    }
    let row: Row;
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    c.on("error", onError);
    try {
      this.roundTrips.unit++;
      row = (await c.query(unitStatement(CHANNEL, this.origin, id, unit, lock))).rows[0] as Row;
    } catch (err) {
      // A statement outside BEGIN needs no ROLLBACK: it was its own transaction. In a turn, it failed the turn's.
      if (isConnectionError(err)) broken = err as Error;
      if (turn !== undefined) this.lose(turn, err);
      const e = err as PgError;
      if (e.code === LOCK_NOT_AVAILABLE) throw this.lockTimedOut(id, err);
      const missing = missingTrial(e);
      if (missing !== undefined) throw notFound(`trial ${missing} of experiment ${id} does not exist`);
      if (e.code === "23505" && e.table === "request_log") throw requestUsed(unit.request!.requestId);
      if (e.code === "23505" && e.table === "trials")
        throw alreadyExists(`experiment ${id} already has that trial number (${e.detail ?? e.message})`);
      if (e.code === "23503" && e.table === "intermediate_values")
        throw notFound(`a trial of experiment ${id} does not exist (${e.detail ?? e.message})`);
      throw this.mapped(err);
    } finally {
      c.off("error", onError);
      // The lock's connection goes back when the lock does.
      if (holder === undefined) c.release(broken);
    }
    const version = row.version as number | null;
    if (version === null) {
      if (row.logged === true) throw requestUsed(unit.request!.requestId);
      const head = row.head as number | null;
      if (head !== null && unit.expectVersion !== undefined)
        throw new ParzenError(
          "ABORTED",
          `${ABORTED_STALE}: experiment ${id} is at version ${head}, not ${unit.expectVersion}`,
        );
      throw notFound(`experiment ${id} does not exist`);
    }
    const inserted = unit.insert ?? [];
    if (inserted.length === 0) return { ids: [], version };
    // RETURNING's order is not promised: match the ids by number (unique in the experiment).
    const numbers = row.numbers as number[];
    const byNumber = new Map((row.ids as number[]).map((tid, i) => [numbers[i]!, tid]));
    return { ids: inserted.map((n) => byNumber.get(n.trial.number)!), version };
  }

  /**
   * A unit whose `withIds` needs the new ids: BEGIN, a statement per kind of write, COMMIT; in a turn, between a
   * savepoint and its release instead (so a failed one undoes itself, not the turn).
   */
  private async unitInSteps(
    experimentId: number,
    unit: Unit,
    turn: Turn | undefined,
  ): Promise<{ ids: number[]; version: number; pipelined?: true }> {
    const id = experimentId;
    const holder = turn?.c;
    let c: Client;
    try {
      if (turn?.lost !== undefined) throw turn.lost;
      c = holder ?? (await this.pool.connect());
    } catch (err) {
      throw this.mapped(err);
    }
    let broken: Error | undefined;
    // A connection that dies between two statements reports it here too; the next statement then fails.
    const onError = (err: Error) => {
      broken = err;
    };
    c.on("error", onError);
    try {
      // Outside `lock`, the unit waits for a holder of the experiment's lock (in the same round trip as BEGIN),
      // so a holder's write is never refused for a unit that slipped in while it computed.
      // SET LOCAL bounds that wait (and the transaction's other lock waits) and ends with the transaction.
      this.roundTrips.steps += 3;
      await c.query(
        holder === undefined
          ? `BEGIN; SET LOCAL lock_timeout = ${this.lockTimeoutMs}; ${sharedLock(id)}`
          : "SAVEPOINT unit",
      );
      // Its NOTIFY is sent at commit, in a turn with the turn's own: rare units, so a second notice is no cost.
      const head = await c.query(q("bump", SQL.bump, [id, this.origin]));
      if (head.rowCount === 0) throw notFound(`experiment ${id} does not exist`);
      const version = head.rows[0]!.version as number;
      if (unit.expectVersion !== undefined && version - 1 !== unit.expectVersion) {
        throw new ParzenError(
          "ABORTED",
          `${ABORTED_STALE}: experiment ${id} is at version ${version - 1}, not ${unit.expectVersion}`,
        );
      }
      const inserted = unit.insert ?? [];
      const ids = inserted.length === 0 ? [] : await insertTrials(c, id, inserted);
      const newPoints: CurvePointRecord[] = [];
      inserted.forEach(({ trial }, i) => {
        for (const [step, value] of trial.intermediate) newPoints.push({ trialId: ids[i]!, step, value });
      });
      if (newPoints.length > 0) await insertPoints(c, newPoints);
      const request = unit.request?.withInserted
        ? { ...unit.request, trialIds: [...unit.request.trialIds, ...ids] }
        : unit.request;
      await apply(c, id, unit.update, unit.points, request);
      if (unit.withIds !== undefined) {
        const more = unit.withIds(ids);
        await apply(c, id, more.update, more.points, more.request);
      }
      if (unit.lifecycle !== undefined)
        await c.query(q("lifecycle", "UPDATE experiments SET lifecycle = $2 WHERE id = $1", [id, unit.lifecycle]));
      await c.query(holder === undefined ? "COMMIT" : "RELEASE SAVEPOINT unit");
      return { ids, version };
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      else
        await c
          .query(holder === undefined ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT unit")
          .catch((e: unknown) => (broken = e as Error));
      if (turn !== undefined && broken !== undefined) this.lose(turn, broken);
      if ((err as PgError).code === LOCK_NOT_AVAILABLE) throw this.lockTimedOut(id, err);
      throw this.mapped(err);
    } finally {
      c.off("error", onError);
      // The lock's connection goes back when the lock does; a broken one fails the holder's next statement.
      if (holder === undefined) c.release(broken);
    }
  }

  // ---- plumbing ----------------------------------------------------------------

  /** Runs units of one experiment in issue order. */
  private serial<T>(experimentId: number, task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ParzenError("UNAVAILABLE", "the database is closed"));
    const before = this.queues.get(experimentId) ?? DONE;
    const result = before.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.queues.set(experimentId, tail);
    this.inFlight.add(tail);
    void tail.then(() => {
      this.inFlight.delete(tail);
      if (this.queues.get(experimentId) === tail) this.queues.delete(experimentId);
    });
    return result;
  }

  /** One statement on the pool, its failure mapped. */
  private async run(
    query: pg.QueryConfig,
    onError?: (e: PgError) => ParzenError | undefined,
    kind: RoundTrip = "read",
  ): Promise<pg.QueryResult> {
    this.roundTrips[kind]++;
    try {
      return await this.pool.query(query);
    } catch (err) {
      throw this.mapped(onError?.(err as PgError) ?? err);
    }
  }

  private async rows(
    query: pg.QueryConfig,
    onError?: (e: PgError) => ParzenError | undefined,
    kind: RoundTrip = "read",
  ): Promise<Row[]> {
    return (await this.run(query, onError, kind)).rows as Row[];
  }

  /** A read of one experiment: on its lock's connection while this process holds it (see `lock`). */
  private async rowsOf(experimentId: number, query: pg.QueryConfig, kind: RoundTrip = "read"): Promise<Row[]> {
    const turn = this.held.get(experimentId);
    if (turn === undefined) return this.rows(query, undefined, kind);
    this.roundTrips[kind]++;
    try {
      return (await turn.c.query(query)).rows as Row[];
    } catch (err) {
      this.lose(turn, err);
      throw this.mapped(err);
    }
  }

  private rolledBack(): void {
    for (const listener of this.rollbackListeners) listener();
  }

  /**
   * Driver errors as ParzenErrors; anything else (a unit's own callback
   * throwing) unchanged. A lost connection may have lost a commit's answer,
   * not the commit: the rollback listeners drop what the service mirrors,
   * so it reloads from what the database holds.
   */
  private mapped(err: unknown): unknown {
    if (err instanceof ParzenError || !isDriverError(err)) return err;
    if (isConnectionError(err)) {
      this.rolledBack();
      return new ParzenError(
        "UNAVAILABLE",
        `the database could not be reached, so this call may not have been stored (${err.message}); ` +
          "retry with the same request_id",
        { cause: err },
      );
    }
    // A statement behind a failed pipelined unit of its turn (which lost the turn): retried like the others.
    if (err.code === IN_FAILED_TRANSACTION) {
      return new ParzenError(
        "UNAVAILABLE",
        `a write before this one in the same turn failed, so this one was not stored (${err.message}); ` +
          "retry with the same request_id",
        { cause: err },
      );
    }
    if (err.code === "40001" || err.code === "40P01") {
      return new ParzenError("UNAVAILABLE", `the database aborted a conflicting write (${err.message}); retry`, {
        cause: err,
      });
    }
    return new ParzenError("INTERNAL", `database error: ${err.message}`, { cause: err });
  }
}

/** What a round trip to the database was for (`notices`: notifications received, not round trips). */
export type RoundTrip = "unit" | "pipelined" | "steps" | "lock" | "commit" | "pull" | "read" | "notices";

/** An experiment's lock held by this store: its transaction, and what its units wait for. */
class Turn {
  /** Set when its transaction failed (`lose`), with what every unit of it rejects with. */
  lost: ParzenError | undefined;
  /** Its connection broke. */
  broken: Error | undefined;
  /** The experiment version its last unit wrote (its commit's notice names it); undefined while it wrote none. */
  version: number | undefined;
  /** Resolves once a lost turn's ROLLBACK is done (the lock is free then). */
  rolledBack: Promise<void> = DONE;
  settled = false;
  /** Request ids logged by its units, not yet visible to other connections (`findRequest`). */
  readonly requests = new Map<string, LoggedRequest>();
  /** The experiment's version after its last unit (known from the lock's pull on): a pipelined unit's is the next. */
  head: number | undefined;
  /** Whether its units may be pipelined (the caller asked, by reserving ids: `PullFrom.reserve`). */
  pipelining = false;
  /** Trial ids reserved for its pipelined units' new trials, in increasing order. */
  reserved: number[] = [];
  /** Its pipelined units' answers, each settled once checked (a failure loses the turn). */
  readonly pending: Promise<void>[] = [];
  readonly committed: Promise<void>;
  private ok!: () => void;
  private no!: (err: Error) => void;

  constructor(
    readonly experimentId: number,
    readonly c: Client,
  ) {
    this.committed = new Promise<void>((ok, no) => {
      this.ok = ok;
      this.no = no;
    });
    // A turn nobody waits on (its units all failed) must not end as an unhandled rejection.
    this.committed.catch(() => {});
  }

  commit(): void {
    this.settled = true;
    this.ok();
  }

  fail(err: Error): void {
    this.settled = true;
    this.no(err);
  }
}

/** A set that forgets its oldest members past `max`. */
class BoundedSet {
  private readonly members = new Set<string>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    return this.members.has(key);
  }
  add(key: string): void {
    this.members.add(key);
    if (this.members.size > this.max) this.members.delete(this.members.values().next().value!);
  }
}

const requestKey = (method: string, requestId: string): string => `${method}\n${requestId}`;

const requestUsed = (requestId: string): ParzenError => alreadyExists(`request_id "${requestId}" was already used`);

/** The change feed's read of experiment `id` since `version` (SQL text or placeholders: integers only). */
const CHANGES_SINCE = (id: string, version: string): string =>
  `SELECT e.version AS head, e.lifecycle AS head_lifecycle, ${WITH_CURVE} FROM experiments e
    LEFT JOIN trials t ON t.experiment_id = e.id AND t.version > ${version}
    WHERE e.id = ${id} ORDER BY t.number`;

function changesOf(rows: Row[], toConfig: (params: StoredParams) => Float64Array): Changes | undefined {
  if (rows.length === 0) return undefined;
  const head = rows[0]!.head as number;
  const trials =
    rows[0]!.id === null
      ? []
      : rows.map((r) => toTrial(r, toConfig(JSON.parse(r.params as string) as StoredParams), true));
  return { version: head, trials, lifecycle: rows[0]!.head_lifecycle as string | null };
}

interface PgError {
  code?: string;
  table?: string;
  constraint?: string;
  detail?: string;
  message: string;
}

function isDriverError(err: unknown): err is PgError {
  return err instanceof Error && (typeof (err as PgError).code === "string" || isConnectionError(err));
}

async function insertTrials(c: Client, experimentId: number, trials: readonly NewTrial[]): Promise<number[]> {
  const col = <T>(f: (n: NewTrial) => T) => trials.map(f);
  try {
    const r = await c.query(
      q("insert", SQL.insert, [
        experimentId,
        col((n) => n.trial.number),
        col((n) => STATE_NUMBER[n.trial.state]),
        col((n) => SOURCE_NUMBER[n.trial.source]),
        col((n) => JSON.stringify(n.params)),
        col((n) => n.trial.loss),
        col((n) => JSON.stringify(n.trial.metrics)),
        col((n) => JSON.stringify(n.trial.userAttrs)),
        col((n) => n.trial.workerId),
        col((n) => n.trial.failReason),
        col((n) => n.trial.createTime),
        col((n) => n.trial.startTime),
        col((n) => n.trial.endTime),
        col((n) => n.trial.leaseDeadline),
        col((n) => encodeValues(n.trial.values)),
        col((n) => encodeValues(n.trial.constraints)),
        col((n) => n.trial.proposedBy ?? ""),
      ]),
    );
    // RETURNING's order is not promised: match the ids by number (unique in the experiment).
    const byNumber = new Map(r.rows.map((row) => [row.number as number, row.id as number]));
    return trials.map((n) => byNumber.get(n.trial.number)!);
  } catch (err) {
    const e = err as PgError;
    if (e.code === "23505") {
      throw alreadyExists(`experiment ${experimentId} already has that trial number (${e.detail ?? e.message})`);
    }
    if (e.code === "23503" || e.code === "23502") throw notFound(`experiment ${experimentId} does not exist`);
    throw err;
  }
}

async function insertPoints(c: Client, points: readonly CurvePointRecord[]): Promise<void> {
  await c.query(
    q("points", SQL.points, [points.map((p) => p.trialId), points.map((p) => p.step), points.map((p) => p.value)]),
  );
}

/** A unit's updates, curve points and request log entry, each one statement. */
async function apply(
  c: Client,
  experimentId: number,
  update: readonly TrialRow[] | undefined,
  points: readonly CurvePointRecord[] | undefined,
  request: RequestRecord | undefined,
): Promise<void> {
  const missing = (wanted: Iterable<number>, found: readonly Row[]) => {
    const got = new Set(found.map((r) => r.id as number));
    for (const id of wanted)
      if (!got.has(id)) throw notFound(`trial ${id} of experiment ${experimentId} does not exist`);
  };
  if (update !== undefined && update.length > 0) {
    // One trial updated twice in a unit: the last write wins, as rows written in order would.
    const last = new Map(update.map((t) => [t.id, t]));
    const ts = [...last.values()];
    const col = <T>(f: (t: TrialRow) => T) => ts.map(f);
    const r = await c.query(
      q("update", SQL.update, [
        experimentId,
        col((t) => t.id),
        col((t) => STATE_NUMBER[t.state]),
        col((t) => t.loss),
        col((t) => JSON.stringify(t.metrics)),
        col((t) => JSON.stringify(t.userAttrs)),
        col((t) => t.workerId),
        col((t) => t.failReason),
        col((t) => t.startTime),
        col((t) => t.endTime),
        col((t) => t.leaseDeadline),
        col((t) => encodeValues(t.values)),
        col((t) => encodeValues(t.constraints)),
      ]),
    );
    missing(last.keys(), r.rows);
  }
  if (points !== undefined && points.length > 0) {
    // The trials' versions move with their curves, so the change feed carries new points.
    const trials = new Set(points.map((p) => p.trialId));
    const r = await c.query(q("touch", SQL.touch, [experimentId, [...trials]]));
    missing(trials, r.rows);
    await insertPoints(c, points);
  }
  if (request !== undefined) {
    try {
      await c.query(
        q("request", SQL.request, [
          experimentId,
          request.method,
          request.requestId,
          JSON.stringify(request.trialIds),
          request.createTime,
        ]),
      );
    } catch (err) {
      if ((err as PgError).code === "23505") throw requestUsed(request.requestId);
      throw err;
    }
  }
}

function toExperiment(r: Row): ExperimentRow {
  return {
    id: r.id as number,
    name: r.name as string,
    definition: r.definition as string,
    createTime: r.create_time as number,
    lifecycle: r.lifecycle as string | null,
  };
}

function toTrial(r: Row, config: Float64Array, withCurve: boolean): TrialRow {
  let intermediate = NO_POINTS;
  if (withCurve) {
    const steps = r.steps as number[];
    if (steps.length > 0) {
      const vals = r.vals as number[];
      intermediate = steps.map((s, i) => [s, vals[i]!] as [number, number]);
    }
  }
  return {
    id: r.id as number,
    experimentId: r.experiment_id as number,
    number: r.number as number,
    state: decoded(STATE_OF, r.state as number, "state"),
    source: decoded(SOURCE_OF, r.source as number, "source"),
    config,
    loss: r.loss as number | null,
    metrics: parseNumbers(r.metrics as string),
    userAttrs: parseStrings(r.user_attrs as string),
    workerId: r.worker_id as string,
    failReason: r.fail_reason as string,
    createTime: r.create_time as number,
    startTime: r.start_time as number | null,
    endTime: r.end_time as number | null,
    leaseDeadline: r.lease_deadline as number | null,
    intermediate,
    ...outcomeOf(r.objective_values as string, r.constraint_values as string),
    ...(r.proposed_by === "" || r.proposed_by === undefined ? {} : { proposedBy: r.proposed_by as string }),
  };
}
