/**
 * The Store (../store.ts) over SQLite, with better-sqlite3's synchronous
 * calls and prepared statements: each method runs its statements at once
 * and returns a settled promise. Each unit is a savepoint inside the current
 * group transaction (group-commit.ts), so `write` resolves as soon as the
 * unit is applied and `durable` once the turn's group commits. This is the
 * only module that knows the schema's encodings (state and source integers,
 * JSON columns, NULL for NaN); it knows rows, not algorithms or protos.
 */
import type { Statement } from "better-sqlite3";
import { alreadyExists, notFound } from "../../errors.js";
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
import type { CurvePointRecord, LoggedRequest, NewTrial, RequestRecord, Store, Unit, Written } from "../store.js";
import type { Db } from "./database.js";
import { GroupCommit } from "./group-commit.js";
import { storageError } from "./storage-errors.js";
import { WriteHealth } from "./write-health.js";

interface RawTrial {
  id: number;
  experiment_id: number;
  number: number;
  state: number;
  source: number;
  params: string;
  loss: number | null;
  metrics: string;
  user_attrs: string;
  worker_id: string;
  fail_reason: string;
  create_time: number;
  start_time: number | null;
  end_time: number | null;
  lease_deadline: number | null;
  objective_values: string;
  constraint_values: string;
  proposed_by: string;
}

interface RawExperiment {
  id: number;
  name: string;
  definition: string;
  create_time: number;
  lifecycle: string | null;
}

type Curves = Map<number, [number, number][]>;

/** Columns of a trial but its parameters, which readTrials' caller already holds. */
const TRIAL_COLUMNS = `id, experiment_id, number, state, source, loss, metrics, user_attrs, worker_id, fail_reason,
  create_time, start_time, end_time, lease_deadline, objective_values, constraint_values, proposed_by`;

export class SqliteStore implements Store {
  private readonly s: Record<string, Statement>;
  private readonly group: GroupCommit;
  /** Whether writes succeed now (the readiness health check follows it). */
  readonly writes: WriteHealth;

  constructor(
    /** The open, migrated database (database.ts); the store closes it. */
    readonly db: Db,
    /** Closed with the store: the checkpointer before the database, the lock after it. */
    private readonly owned: { checkpointer?: { close(): Promise<void> }; lock?: { release(): void } } = {},
  ) {
    this.group = new GroupCommit(db);
    // A committed no-op: rewriting the schema version with its own value puts one page in the WAL.
    this.writes = new WriteHealth(async () => {
      this.group.run(() => db.pragma(`user_version = ${db.pragma("user_version", { simple: true }) as number}`));
      await this.group.committed();
    });
    this.group.onStorage((ok) => (ok ? this.writes.succeeded() : this.writes.failed()));
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertExperiment: p("INSERT INTO experiments (name, definition, create_time) VALUES (?, ?, ?)"),
      experimentByName: p("SELECT * FROM experiments WHERE name = ?"),
      experimentById: p("SELECT * FROM experiments WHERE id = ?"),
      listExperiments: p("SELECT * FROM experiments WHERE name > ? ORDER BY name LIMIT ?"),
      deleteExperiment: p("DELETE FROM experiments WHERE id = ?"),
      setLifecycle: p("UPDATE experiments SET lifecycle = ? WHERE id = ?"),
      trialsFrom: p("SELECT * FROM trials WHERE experiment_id = ? AND number >= ? ORDER BY number LIMIT ?"),
      trialsInRange: p(
        `SELECT ${TRIAL_COLUMNS} FROM trials WHERE experiment_id = ? AND number BETWEEN ? AND ? ORDER BY number`,
      ),
      curvesInRange: p(`SELECT iv.trial_id, iv.step, iv.value FROM intermediate_values iv
        JOIN trials t ON t.id = iv.trial_id
        WHERE t.experiment_id = ? AND t.number BETWEEN ? AND ? ORDER BY iv.trial_id, iv.step`),
      experimentOfTrial: p("SELECT experiment_id FROM trials WHERE id = ?"),
      trialOfExperiment: p("SELECT 1 FROM trials WHERE id = ? AND experiment_id = ?"),
      insertTrial: p(`INSERT INTO trials (experiment_id, number, state, source, params, loss, metrics, user_attrs,
        worker_id, fail_reason, create_time, start_time, end_time, lease_deadline, objective_values, constraint_values,
        proposed_by)
        VALUES (@experimentId, @number, @state, @source, @params, @loss, @metrics, @userAttrs, @workerId,
        @failReason, @createTime, @startTime, @endTime, @leaseDeadline, @values, @constraints, @proposedBy)`),
      updateTrial: p(`UPDATE trials SET state = @state, loss = @loss, metrics = @metrics, user_attrs = @userAttrs,
        worker_id = @workerId, fail_reason = @failReason, start_time = @startTime, end_time = @endTime,
        lease_deadline = @leaseDeadline, objective_values = @values, constraint_values = @constraints
        WHERE id = @id AND experiment_id = @experimentId`),
      insertPoint: p(`INSERT OR IGNORE INTO intermediate_values (trial_id, step, value)
        SELECT id, ?, ? FROM trials WHERE id = ? AND experiment_id = ?`),
      insertNewPoint: p("INSERT OR IGNORE INTO intermediate_values (trial_id, step, value) VALUES (?, ?, ?)"),
      findRequest: p("SELECT experiment_id, trial_ids FROM request_log WHERE method = ? AND request_id = ?"),
      insertRequest: p(
        "INSERT INTO request_log (experiment_id, method, request_id, trial_ids, create_time) VALUES (?, ?, ?, ?, ?)",
      ),
    };
  }

  /** Successful commits so far (the checkpointer polls it). */
  commits(): number {
    return this.group.commits;
  }

  durable(): Promise<void> {
    return this.group.committed();
  }

  onRollback(listener: () => void): void {
    this.group.onRollback(listener);
  }

  onCommit(listener: (seconds: number, units: number) => void): void {
    this.group.onCommit(listener);
  }

  async close(): Promise<void> {
    this.writes.stop();
    this.group.flush();
    // The checkpointer's connection goes first, so that closing this last one checkpoints the whole WAL.
    await this.owned.checkpointer?.close();
    this.db.close();
    this.owned.lock?.release();
  }

  // ---- experiments ----------------------------------------------------------

  async createExperiment(name: string, definition: string, createTime: number): Promise<Written<ExperimentRow>> {
    const id = this.group.run(() => {
      try {
        return Number(this.s.insertExperiment!.run(name, definition, createTime).lastInsertRowid);
      } catch (err) {
        throw constraint(err) === "unique" ? alreadyExists(`experiment "${name}" already exists`) : err;
      }
    });
    return { value: { id, name, definition, createTime, lifecycle: null }, durable: this.group.committed() };
  }

  /**
   * Runs a read. Reads hit the disk too (an I/O error, a file gone): they fail UNAVAILABLE with the file named,
   * like writes (storage-errors.ts); other errors pass through.
   */
  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(storageError(err, this.db.name, false));
    }
  }

  experimentByName(name: string): Promise<ExperimentRow | undefined> {
    return this.read(() => {
      const r = this.s.experimentByName!.get(name) as RawExperiment | undefined;
      return r && toExperiment(r);
    });
  }

  experimentById(id: number): Promise<ExperimentRow | undefined> {
    return this.read(() => {
      const r = this.s.experimentById!.get(id) as RawExperiment | undefined;
      return r && toExperiment(r);
    });
  }

  listExperiments(afterName: string, limit: number): Promise<ExperimentRow[]> {
    return this.read(() => (this.s.listExperiments!.all(afterName, limit) as RawExperiment[]).map(toExperiment));
  }

  async deleteExperiment(id: number): Promise<Written<boolean>> {
    const deleted = this.group.run(() => this.s.deleteExperiment!.run(id).changes > 0);
    return { value: deleted, durable: this.group.committed() };
  }

  // ---- trials -----------------------------------------------------------------

  experimentOfTrial(trialId: number): Promise<number | undefined> {
    return this.read(
      () => (this.s.experimentOfTrial!.get(trialId) as { experiment_id: number } | undefined)?.experiment_id,
    );
  }

  loadTrials(
    experimentId: number,
    from: number,
    limit: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<TrialRow[]> {
    return this.read(() => {
      const raw = this.s.trialsFrom!.all(experimentId, from, limit) as RawTrial[];
      if (raw.length === 0) return [];
      const curves = this.curves(experimentId, raw[0]!.number, raw[raw.length - 1]!.number);
      return raw.map((r) => toTrial(r, toConfig(JSON.parse(r.params) as StoredParams), curves.get(r.id)));
    });
  }

  readTrials(
    experimentId: number,
    from: number,
    to: number,
    withCurves: boolean,
    configOf: (number: number) => Float64Array,
  ): Promise<TrialRow[]> {
    return this.read(() => {
      const curves = withCurves ? this.curves(experimentId, from, to) : undefined;
      return (this.s.trialsInRange!.all(experimentId, from, to) as Omit<RawTrial, "params">[]).map((r) =>
        toTrial(r, configOf(r.number), curves?.get(r.id)),
      );
    });
  }

  findRequest(method: string, requestId: string): Promise<LoggedRequest | undefined> {
    return this.read(() => {
      const r = this.s.findRequest!.get(method, requestId) as { experiment_id: number; trial_ids: string } | undefined;
      return r && { experimentId: r.experiment_id, trialIds: JSON.parse(r.trial_ids) as number[] };
    });
  }

  /** Learning curves of trials `from`..`to` by trial id, each in step order. */
  private curves(experimentId: number, from: number, to: number): Curves {
    const byId: Curves = new Map();
    const rows = this.s.curvesInRange!.all(experimentId, from, to) as {
      trial_id: number;
      step: number;
      value: number | null;
    }[];
    for (const iv of rows) {
      let curve = byId.get(iv.trial_id);
      if (curve === undefined) {
        curve = [];
        byId.set(iv.trial_id, curve);
      }
      curve.push([iv.step, iv.value ?? Number.NaN]);
    }
    return byId;
  }

  // ---- writing -------------------------------------------------------------------

  async write(experimentId: number, unit: Unit): Promise<Written<readonly number[]>> {
    const ids = this.group.run(() => {
      const inserted = unit.insert === undefined ? [] : unit.insert.map((t) => this.insert(experimentId, t));
      const request = unit.request?.withInserted
        ? { ...unit.request, trialIds: [...unit.request.trialIds, ...inserted] }
        : unit.request;
      this.apply(experimentId, unit.update, unit.points, request);
      if (unit.withIds !== undefined) {
        const more = unit.withIds(inserted);
        this.apply(experimentId, more.update, more.points, more.request);
      }
      if (unit.lifecycle !== undefined && this.s.setLifecycle!.run(unit.lifecycle, experimentId).changes === 0)
        throw notFound(`experiment ${experimentId} does not exist`);
      return inserted;
    });
    return { value: ids, durable: this.group.committed() };
  }

  private insert(experimentId: number, { trial: t, params }: NewTrial): number {
    let id: number;
    try {
      id = Number(
        this.s.insertTrial!.run({ ...trialFields(experimentId, t), params: JSON.stringify(params) }).lastInsertRowid,
      );
    } catch (err) {
      const kind = constraint(err);
      if (kind === "unique") throw alreadyExists(`experiment ${experimentId} already has a trial number ${t.number}`);
      if (kind === "foreign key") throw notFound(`experiment ${experimentId} does not exist`);
      throw err;
    }
    for (const [step, value] of t.intermediate)
      this.s.insertNewPoint!.run(id, step, Number.isNaN(value) ? null : value);
    return id;
  }

  private apply(
    experimentId: number,
    update: readonly TrialRow[] | undefined,
    points: readonly CurvePointRecord[] | undefined,
    request: RequestRecord | undefined,
  ): void {
    if (update !== undefined) {
      for (const t of update) {
        if (this.s.updateTrial!.run({ ...trialFields(experimentId, t), id: t.id }).changes === 0)
          throw notFound(`trial ${t.id} of experiment ${experimentId} does not exist`);
      }
    }
    if (points !== undefined) {
      for (const p of points) {
        const value = Number.isNaN(p.value) ? null : p.value;
        // Nothing inserted: the step was recorded already (kept), or the trial is not this experiment's.
        if (
          this.s.insertPoint!.run(p.step, value, p.trialId, experimentId).changes === 0 &&
          this.s.trialOfExperiment!.get(p.trialId, experimentId) === undefined
        )
          throw notFound(`trial ${p.trialId} of experiment ${experimentId} does not exist`);
      }
    }
    if (request !== undefined) {
      try {
        this.s.insertRequest!.run(
          experimentId,
          request.method,
          request.requestId,
          JSON.stringify(request.trialIds),
          request.createTime,
        );
      } catch (err) {
        const kind = constraint(err);
        if (kind === "unique") throw alreadyExists(`request_id "${request.requestId}" was already used`);
        if (kind === "foreign key") throw notFound(`experiment ${experimentId} does not exist`);
        throw err;
      }
    }
  }
}

/** Which constraint a SQLite error broke, if it is a constraint error. */
function constraint(err: unknown): "unique" | "foreign key" | undefined {
  const code = (err as { code?: unknown }).code;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") return "unique";
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") return "foreign key";
  return undefined;
}

// ---- the schema's encodings (migrations/0001_init.sql, ../encoding.ts) ------------------------------

function trialFields(experimentId: number, t: TrialRow) {
  return {
    experimentId,
    number: t.number,
    state: STATE_NUMBER[t.state],
    source: SOURCE_NUMBER[t.source],
    loss: t.loss,
    metrics: JSON.stringify(t.metrics),
    userAttrs: JSON.stringify(t.userAttrs),
    workerId: t.workerId,
    failReason: t.failReason,
    createTime: t.createTime,
    startTime: t.startTime,
    endTime: t.endTime,
    leaseDeadline: t.leaseDeadline,
    values: encodeValues(t.values),
    constraints: encodeValues(t.constraints),
    proposedBy: t.proposedBy ?? "",
  };
}

function toExperiment(r: RawExperiment): ExperimentRow {
  return { id: r.id, name: r.name, definition: r.definition, createTime: r.create_time, lifecycle: r.lifecycle };
}

function toTrial(
  r: Omit<RawTrial, "params">,
  config: Float64Array,
  intermediate: [number, number][] | undefined,
): TrialRow {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    number: r.number,
    state: decoded(STATE_OF, r.state, "state"),
    source: decoded(SOURCE_OF, r.source, "source"),
    config,
    loss: r.loss,
    metrics: parseNumbers(r.metrics),
    userAttrs: parseStrings(r.user_attrs),
    workerId: r.worker_id,
    failReason: r.fail_reason,
    createTime: r.create_time,
    startTime: r.start_time,
    endTime: r.end_time,
    leaseDeadline: r.lease_deadline,
    intermediate: intermediate ?? NO_POINTS,
    ...outcomeOf(r.objective_values, r.constraint_values),
    ...(r.proposed_by === "" ? {} : { proposedBy: r.proposed_by }),
  };
}
