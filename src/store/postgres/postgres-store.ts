/**
 * The Store (../store.ts) over PostgreSQL, for one server or several on one
 * database. Each unit is one transaction, committed before `write`
 * resolves (so `durable` is always settled). Its first statement bumps the
 * experiment's version, which row-locks the experiment until the commit:
 * units of one experiment are serialised across every server on the
 * database, units of different experiments run side by side on the pool.
 * BEGIN and the unit's statements are pipelined (sent without waiting for
 * each answer), COMMIT follows their answers (a statement that touched no
 * row must undo the unit): two round trips, three with `withIds` or new
 * curves.
 *
 * Within this process, units of one experiment also start in the order they
 * were issued, as the service issues them (a row lock alone would let two
 * pool connections race).
 *
 * The change feed (`changesSince`, `onChange`): every trial row carries the
 * experiment version of its last write, so a server that last saw version v
 * pulls exactly the trials written since; each commit NOTIFYs
 * `parzen_changes` with "<experiment id>:<version>".
 */
import postgres from "postgres";
import { ABORTED_STALE, ParzenError, alreadyExists, notFound } from "../../errors.js";
import { SOURCE_NUMBER, SOURCE_OF, STATE_NUMBER, STATE_OF, decoded, parseNumbers, parseStrings } from "../encoding.js";
import { NO_POINTS, type ExperimentRow, type StoredParams, type TrialRow } from "../rows.js";
import type {
  ChangeFeed,
  Changes,
  CurvePointRecord,
  LoggedRequest,
  NewTrial,
  RequestRecord,
  Store,
  Unit,
  Written,
} from "../store.js";
import type { Sql } from "./connect.js";

type Tx = postgres.ReservedSql<Record<string, never>>;
type Row = Record<string, unknown>;

const DONE: Promise<void> = Promise.resolve();
const CHANNEL = "parzen_changes";

/** The current version of the unit's experiment, inside the unit's transaction (after the bump). */
const VERSION = "(SELECT version FROM experiments WHERE id = $1)";

const SQL = {
  bump: "UPDATE experiments SET version = version + 1 WHERE id = $1 RETURNING version",
  notify: `SELECT pg_notify('${CHANNEL}', $1::bigint || ':' || ${VERSION})`,
  insert: `INSERT INTO trials (experiment_id, number, state, source, params, loss, metrics, user_attrs, worker_id,
    fail_reason, create_time, start_time, end_time, lease_deadline, version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, ${VERSION}) RETURNING id`,
  update: `UPDATE trials SET state = $3, loss = $4, metrics = $5, user_attrs = $6, worker_id = $7, fail_reason = $8,
    start_time = $9, end_time = $10, lease_deadline = $11, version = ${VERSION}
    WHERE id = $2 AND experiment_id = $1`,
  touch: `UPDATE trials SET version = ${VERSION} WHERE id = $2 AND experiment_id = $1`,
  point: `INSERT INTO intermediate_values (trial_id, step, value) VALUES ($1, $2, $3)
    ON CONFLICT (trial_id, step) DO NOTHING`,
  request: `INSERT INTO request_log (experiment_id, method, request_id, trial_ids, create_time)
    VALUES ($1, $2, $3, $4, $5)`,
};

/** A trial's columns, with its curve as two arrays (one statement, one snapshot). */
const WITH_CURVE = `t.*,
  ARRAY(SELECT step::float8 FROM intermediate_values iv WHERE iv.trial_id = t.id ORDER BY step) AS steps,
  ARRAY(SELECT value FROM intermediate_values iv WHERE iv.trial_id = t.id ORDER BY step) AS vals`;

interface Step {
  readonly query: postgres.PendingQuery<Row[]>;
  /** What a failure of this statement means for the unit (undefined: the error as it is). */
  readonly onError?: (err: PgError) => ParzenError | undefined;
  /** Rows the statement must have touched, else this error. */
  readonly mustTouch?: () => ParzenError;
}

interface PgError {
  code?: string;
  constraint_name?: string;
  message: string;
}

export class PostgresStore implements Store, ChangeFeed {
  private readonly queues = new Map<number, Promise<void>>();
  private readonly rollbackListeners: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  readonly feed: ChangeFeed = this;

  /** @param lock the one-server lock (server-lock.ts), released on close. */
  constructor(
    readonly sql: Sql,
    private readonly lock?: { release(): Promise<void> },
  ) {}

  durable(): Promise<void> {
    return DONE;
  }

  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await this.lock?.release().catch(() => {});
    await this.sql.end({ timeout: 5 });
  }

  // ---- experiments ----------------------------------------------------------

  async createExperiment(name: string, definition: string, createTime: number): Promise<Written<ExperimentRow>> {
    const rows = await this.run(
      () => this.sql`INSERT INTO experiments (name, definition, create_time)
        VALUES (${name}, ${definition}, ${createTime}) RETURNING id`,
      (e) => (e.code === "23505" ? alreadyExists(`experiment "${name}" already exists`) : undefined),
    );
    return { value: { id: rows[0]!.id as number, name, definition, createTime }, durable: DONE };
  }

  async experimentByName(name: string): Promise<ExperimentRow | undefined> {
    const [r] = await this.run(() => this.sql`SELECT * FROM experiments WHERE name = ${name}`);
    return r && toExperiment(r);
  }

  async experimentById(id: number): Promise<ExperimentRow | undefined> {
    const [r] = await this.run(() => this.sql`SELECT * FROM experiments WHERE id = ${id}`);
    return r && toExperiment(r);
  }

  async listExperiments(afterName: string, limit: number): Promise<ExperimentRow[]> {
    const rows = await this.run(
      () => this.sql`SELECT * FROM experiments WHERE name > ${afterName} ORDER BY name LIMIT ${limit}`,
    );
    return rows.map(toExperiment);
  }

  async deleteExperiment(id: number): Promise<Written<boolean>> {
    const deleted = await this.serial(id, async () => {
      const r = await this.run(() => this.sql`DELETE FROM experiments WHERE id = ${id}`);
      return r.count > 0;
    });
    return { value: deleted, durable: DONE };
  }

  // ---- trials -----------------------------------------------------------------

  async experimentOfTrial(trialId: number): Promise<number | undefined> {
    const [r] = await this.run(() => this.sql`SELECT experiment_id FROM trials WHERE id = ${trialId}`);
    return r?.experiment_id as number | undefined;
  }

  async loadTrials(
    experimentId: number,
    from: number,
    limit: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<TrialRow[]> {
    const rows = await this.run(() =>
      this.sql.unsafe(
        `SELECT ${WITH_CURVE} FROM trials t WHERE experiment_id = $1 AND number >= $2 ORDER BY number LIMIT $3`,
        [experimentId, from, limit],
        { prepare: true },
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
    const columns = withCurves ? WITH_CURVE : "t.*";
    const rows = await this.run(() =>
      this.sql.unsafe(
        `SELECT ${columns} FROM trials t WHERE experiment_id = $1 AND number BETWEEN $2 AND $3 ORDER BY number`,
        [experimentId, from, to],
        { prepare: true },
      ),
    );
    return rows.map((r) => toTrial(r, configOf(r.number as number), withCurves));
  }

  async findRequest(method: string, requestId: string): Promise<LoggedRequest | undefined> {
    const [r] = await this.run(
      () => this.sql`SELECT experiment_id, trial_ids FROM request_log
        WHERE method = ${method} AND request_id = ${requestId}`,
    );
    return r && { experimentId: r.experiment_id as number, trialIds: JSON.parse(r.trial_ids as string) as number[] };
  }

  // ---- the change feed ----------------------------------------------------------

  async changesSince(
    experimentId: number,
    version: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<Changes | undefined> {
    // One statement: the head version and the trials written up to it come from one snapshot.
    const rows = await this.run(() =>
      this.sql.unsafe(
        `SELECT e.version AS head, ${WITH_CURVE} FROM experiments e
          LEFT JOIN trials t ON t.experiment_id = e.id AND t.version > $2
          WHERE e.id = $1 ORDER BY t.number`,
        [experimentId, version],
        { prepare: true },
      ),
    );
    if (rows.length === 0) return undefined;
    const head = rows[0]!.head as number;
    const trials =
      rows[0]!.id === null ? [] : rows.map((r) => toTrial(r, toConfig(JSON.parse(r.params as string)), true));
    return { version: head, trials };
  }

  async onChange(listener: (experimentId: number, version: number) => void): Promise<() => Promise<void>> {
    const { unlisten } = await this.sql.listen(CHANNEL, (payload) => {
      const [id, version] = payload.split(":").map(Number);
      if (Number.isSafeInteger(id) && Number.isSafeInteger(version)) listener(id!, version!);
    });
    return unlisten;
  }

  // ---- writing -------------------------------------------------------------------

  async write(experimentId: number, unit: Unit): Promise<Written<readonly number[]>> {
    const { ids, version } = await this.serial(experimentId, () => this.unit(experimentId, unit));
    return { value: ids, durable: DONE, version };
  }

  private async unit(experimentId: number, unit: Unit): Promise<{ ids: number[]; version: number }> {
    // A reserved connection rather than sql.begin: BEGIN then goes out in the
    // same pipeline as the unit's statements instead of a round trip of its own.
    let tx: Tx;
    try {
      tx = await this.sql.reserve();
    } catch (err) {
      throw this.mapped(err);
    }
    let open = false;
    try {
      const id = experimentId;
      const begin: Step = { query: tx.unsafe("BEGIN") };
      open = true;
      const bump: Step = { query: tx.unsafe(SQL.bump, [id], { prepare: true }) };
      const inserts = (unit.insert ?? []).map((t) => insertStep(tx, id, t));
      const steps = [begin, bump, ...inserts, ...applySteps(tx, id, unit.update, unit.points, unit.request)];
      steps.push({ query: tx.unsafe(SQL.notify, [id], { prepare: true }) });
      const results = await settle(steps, 1, (head) => {
        if (head.count === 0) throw notFound(`experiment ${id} does not exist`);
        const at = (head[0]!.version as number) - 1;
        if (unit.expectVersion !== undefined && at !== unit.expectVersion)
          throw new ParzenError(
            "ABORTED",
            `${ABORTED_STALE}: experiment ${id} is at version ${at}, not ${unit.expectVersion}`,
          );
      });
      const version = results[1]![0]!.version as number;
      const ids = results.slice(2, 2 + inserts.length).map((r) => r[0]!.id as number);
      // Second round trip: what needs the new ids (the new trials' curves, withIds' writes), then COMMIT.
      const next: Step[] = [];
      (unit.insert ?? []).forEach(({ trial }, i) => {
        for (const [step, value] of trial.intermediate)
          next.push({ query: tx.unsafe(SQL.point, [ids[i]!, step, value], { prepare: true }) });
      });
      if (unit.withIds !== undefined) {
        const more = unit.withIds(ids);
        next.push(...applySteps(tx, id, more.update, more.points, more.request));
      }
      if (next.length > 0) await settle(next);
      open = false;
      await tx.unsafe("COMMIT");
      return { ids, version };
    } catch (err) {
      if (open) await tx.unsafe("ROLLBACK").catch(() => {});
      throw this.mapped(err);
    } finally {
      tx.release();
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

  /** Runs one statement, mapping its failure. */
  private async run<T>(q: () => Promise<T>, onError?: (e: PgError) => ParzenError | undefined): Promise<T> {
    try {
      return await q();
    } catch (err) {
      throw this.mapped((isPgError(err) && onError?.(err)) || err);
    }
  }

  /**
   * Driver errors as ParzenErrors; anything else (a unit's own callback
   * throwing) unchanged. A lost connection may have lost a commit's answer,
   * not the commit: the rollback listeners drop what the service mirrors,
   * so it reloads from what the database holds.
   */
  private mapped(err: unknown): unknown {
    if (err instanceof ParzenError || !isPgError(err)) return err;
    if (isConnectionError(err)) {
      for (const listener of this.rollbackListeners) listener();
      return new ParzenError(
        "UNAVAILABLE",
        `the database could not be reached, so this call may not have been stored (${err.message}); ` +
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

function insertStep(tx: Tx, experimentId: number, { trial: t, params }: NewTrial): Step {
  return {
    query: tx.unsafe(
      SQL.insert,
      [
        experimentId,
        t.number,
        STATE_NUMBER[t.state],
        SOURCE_NUMBER[t.source],
        JSON.stringify(params),
        t.loss,
        JSON.stringify(t.metrics),
        JSON.stringify(t.userAttrs),
        t.workerId,
        t.failReason,
        t.createTime,
        t.startTime,
        t.endTime,
        t.leaseDeadline,
      ],
      { prepare: true },
    ),
    onError: (e) =>
      e.code === "23505"
        ? alreadyExists(`experiment ${experimentId} already has a trial number ${t.number}`)
        : undefined,
  };
}

/** A new trial's curve is written after the trial (by `applySteps`' points): its id is known only then. */
function applySteps(
  tx: Tx,
  experimentId: number,
  update: readonly TrialRow[] | undefined,
  points: readonly CurvePointRecord[] | undefined,
  request: RequestRecord | undefined,
): Step[] {
  const steps: Step[] = [];
  const missing = (trialId: number) => () => notFound(`trial ${trialId} of experiment ${experimentId} does not exist`);
  for (const t of update ?? []) {
    steps.push({
      query: tx.unsafe(
        SQL.update,
        [
          experimentId,
          t.id,
          STATE_NUMBER[t.state],
          t.loss,
          JSON.stringify(t.metrics),
          JSON.stringify(t.userAttrs),
          t.workerId,
          t.failReason,
          t.startTime,
          t.endTime,
          t.leaseDeadline,
        ],
        { prepare: true },
      ),
      mustTouch: missing(t.id),
    });
  }
  const touched = new Set<number>();
  for (const p of points ?? []) {
    // The trial's version moves with its curve, so the change feed carries new points.
    if (!touched.has(p.trialId)) {
      touched.add(p.trialId);
      steps.push({
        query: tx.unsafe(SQL.touch, [experimentId, p.trialId], { prepare: true }),
        mustTouch: missing(p.trialId),
      });
    }
    steps.push({ query: tx.unsafe(SQL.point, [p.trialId, p.step, p.value], { prepare: true }) });
  }
  if (request !== undefined) {
    steps.push({
      query: tx.unsafe(
        SQL.request,
        [experimentId, request.method, request.requestId, JSON.stringify(request.trialIds), request.createTime],
        { prepare: true },
      ),
      onError: (e) =>
        e.code === "23505" ? alreadyExists(`request_id "${request.requestId}" was already used`) : undefined,
    });
  }
  return steps;
}

/**
 * Waits for pipelined statements and throws what the first failure means.
 * Statements after a failed one fail too (the transaction is aborted), so
 * only the first failure, in order, is meaningful. `checkHead` judges the
 * rows of statement `headIndex` (the version bump) before any later failure.
 */
async function settle(
  steps: readonly Step[],
  headIndex = 0,
  checkHead?: (rows: postgres.RowList<Row[]>) => void,
): Promise<postgres.RowList<Row[]>[]> {
  const results = await Promise.allSettled(steps.map((s) => s.query));
  const out: postgres.RowList<Row[]>[] = [];
  for (let i = 0; i < steps.length; i++) {
    const r = results[i]!;
    const step = steps[i]!;
    if (r.status === "rejected") {
      const err = r.reason as unknown;
      throw (isPgError(err) && step.onError?.(err)) || err;
    }
    if (i === headIndex) checkHead?.(r.value);
    if (step.mustTouch !== undefined && r.value.count === 0) throw step.mustTouch();
    out.push(r.value);
  }
  return out;
}

function isPgError(err: unknown): err is PgError {
  return err instanceof postgres.PostgresError || (err instanceof Error && typeof (err as PgError).code === "string");
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

function isConnectionError(err: PgError): boolean {
  return CONNECTION_CODES.has(err.code ?? "") || (err.code ?? "").startsWith("08");
}

function toExperiment(r: Row): ExperimentRow {
  return {
    id: r.id as number,
    name: r.name as string,
    definition: r.definition as string,
    createTime: r.create_time as number,
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
  };
}
