/**
 * Repository over the SQLite schema. Synchronous (better-sqlite3), with
 * prepared statements; it knows rows, not algorithms or protos. Callers group
 * writes with `transaction` so each mutating RPC is one atomic unit; units
 * share a commit per event-loop turn (group-commit.ts), and callers answer
 * only after `committed()`.
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "./database.js";
import { GroupCommit } from "./group-commit.js";
import { NO_NUMBERS, NO_STRINGS, NO_POINTS, type ExperimentRow, type StoredParams, type TrialRow } from "./rows.js";
import type { TrialState } from "../domain/trial-state.js";

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
}

interface RawExperiment {
  id: number;
  name: string;
  definition: string;
  create_time: number;
}

export type NewTrial = Omit<TrialRow, "id">;

export class Store {
  private readonly s: Record<string, Statement>;
  private readonly group: GroupCommit;

  constructor(readonly db: Db) {
    this.group = new GroupCommit(db);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertExperiment: p("INSERT INTO experiments (name, definition, create_time) VALUES (?, ?, ?)"),
      experimentByName: p("SELECT * FROM experiments WHERE name = ?"),
      experimentById: p("SELECT * FROM experiments WHERE id = ?"),
      listExperiments: p("SELECT * FROM experiments WHERE name > ? ORDER BY name LIMIT ?"),
      deleteExperiment: p("DELETE FROM experiments WHERE id = ?"),
      trialsOf: p("SELECT * FROM trials WHERE experiment_id = ? ORDER BY number"),
      intermediatesOf: p(
        "SELECT iv.trial_id, iv.step, iv.value FROM intermediate_values iv JOIN trials t ON t.id = iv.trial_id WHERE t.experiment_id = ? ORDER BY iv.trial_id, iv.step",
      ),
      // Everything but the parameters, which the caller already holds in memory.
      trialsInRange:
        p(`SELECT id, experiment_id, number, state, source, loss, metrics, user_attrs, worker_id, fail_reason,
        create_time, start_time, end_time, lease_deadline FROM trials WHERE experiment_id = ? AND number BETWEEN ? AND ? ORDER BY number`),
      intermediatesInRange: p(
        "SELECT iv.trial_id, iv.step, iv.value FROM intermediate_values iv JOIN trials t ON t.id = iv.trial_id WHERE t.experiment_id = ? AND t.number BETWEEN ? AND ? ORDER BY iv.trial_id, iv.step",
      ),
      experimentIdOfTrial: p("SELECT experiment_id FROM trials WHERE id = ?"),
      insertTrial:
        p(`INSERT INTO trials (experiment_id, number, state, source, params, loss, metrics, user_attrs, worker_id,
        fail_reason, create_time, start_time, end_time, lease_deadline)
        VALUES (@experimentId, @number, @state, @source, @params, @loss, @metrics, @userAttrs, @workerId,
        @failReason, @createTime, @startTime, @endTime, @leaseDeadline)`),
      updateTrial: p(`UPDATE trials SET state = @state, loss = @loss, metrics = @metrics, user_attrs = @userAttrs,
        worker_id = @workerId, fail_reason = @failReason, start_time = @startTime, end_time = @endTime,
        lease_deadline = @leaseDeadline WHERE id = @id`),
      insertIntermediate: p("INSERT OR IGNORE INTO intermediate_values (trial_id, step, value) VALUES (?, ?, ?)"),
      findRequest: p("SELECT trial_ids FROM request_log WHERE method = ? AND request_id = ?"),
      insertRequest: p(
        "INSERT INTO request_log (experiment_id, method, request_id, trial_ids, create_time) VALUES (?, ?, ?, ?, ?)",
      ),
    };
  }

  /** Runs `fn`'s writes as one atomic unit; they are durable once `committed()` resolves. */
  transaction<T>(fn: () => T): T {
    return this.group.run(fn);
  }

  /** Resolves when every write made so far is committed. */
  committed(): Promise<void> {
    return this.group.committed();
  }

  /** Commits made so far. */
  commits(): number {
    return this.group.commits;
  }

  /** `listener` runs when a failed commit lost the writes of every unit in its group. */
  onRollback(listener: () => void): void {
    this.group.onRollback(listener);
  }

  /** Commits pending writes now; call before closing the database. */
  flush(): void {
    this.group.flush();
  }

  insertExperiment(name: string, definition: string, createTime: number): ExperimentRow {
    const info = this.s.insertExperiment!.run(name, definition, createTime);
    return { id: Number(info.lastInsertRowid), name, definition, createTime };
  }

  experimentByName(name: string): ExperimentRow | undefined {
    const r = this.s.experimentByName!.get(name) as RawExperiment | undefined;
    return r && toExperiment(r);
  }

  experimentById(id: number): ExperimentRow | undefined {
    const r = this.s.experimentById!.get(id) as RawExperiment | undefined;
    return r && toExperiment(r);
  }

  /** Experiments ordered by name, strictly after `afterName`. */
  listExperiments(afterName: string, limit: number): ExperimentRow[] {
    return (this.s.listExperiments!.all(afterName, limit) as RawExperiment[]).map(toExperiment);
  }

  deleteExperiment(id: number): void {
    this.s.deleteExperiment!.run(id);
  }

  /**
   * Every trial of an experiment in number order, with learning curves;
   * `toConfig` turns stored parameters into the in-memory configuration.
   * Rows are produced one at a time, so a caller that keeps only part of
   * each never holds the whole history as objects. The caller must not use
   * the database until the iteration ends.
   */
  *trialsOf(experimentId: number, toConfig: (params: StoredParams) => Float64Array): Generator<TrialRow> {
    const curves = this.curvesOf(this.s.intermediatesOf!.iterate(experimentId));
    for (const r of this.s.trialsOf!.iterate(experimentId) as Iterable<RawTrial>) {
      yield toTrial(r, toConfig(JSON.parse(r.params) as StoredParams), curves.get(r.id));
    }
  }

  /**
   * Trials `from`..`to` (numbers) of an experiment, in number order, without
   * reading their parameters back: `configOf` supplies each configuration.
   * `withCurves` false skips the learning-curve query (the caller knows none
   * of these trials has one).
   */
  trialsInRange(
    experimentId: number,
    from: number,
    to: number,
    withCurves: boolean,
    configOf: (number: number) => Float64Array,
  ): TrialRow[] {
    const curves = withCurves ? this.curvesOf(this.s.intermediatesInRange!.iterate(experimentId, from, to)) : undefined;
    return (this.s.trialsInRange!.all(experimentId, from, to) as Omit<RawTrial, "params">[]).map((r) =>
      toTrial(r, configOf(r.number), curves?.get(r.id)),
    );
  }

  /** Learning curves by trial id, from rows ordered by (trial_id, step). */
  private curvesOf(rows: Iterable<unknown>): Map<number, [number, number][]> {
    const byId = new Map<number, [number, number][]>();
    for (const iv of rows as Iterable<{ trial_id: number; step: number; value: number | null }>) {
      let curve = byId.get(iv.trial_id);
      if (curve === undefined) {
        curve = [];
        byId.set(iv.trial_id, curve);
      }
      curve.push([iv.step, iv.value ?? Number.NaN]);
    }
    return byId;
  }

  experimentIdOfTrial(trialId: number): number | undefined {
    const r = this.s.experimentIdOfTrial!.get(trialId) as { experiment_id: number } | undefined;
    return r?.experiment_id;
  }

  /** Parameters are written once, here: they never change afterwards. */
  insertTrial(t: NewTrial, params: StoredParams): number {
    const info = this.s.insertTrial!.run({ ...trialFields(t), params: JSON.stringify(params) });
    return Number(info.lastInsertRowid);
  }

  /** Writes a trial's mutable fields (state, results, lease). */
  updateTrial(t: TrialRow): void {
    this.s.updateTrial!.run({ ...trialFields(t), id: t.id });
  }

  /** Records one learning-curve point; returns false when the step already existed. */
  insertIntermediate(trialId: number, step: number, value: number): boolean {
    return this.s.insertIntermediate!.run(trialId, step, Number.isNaN(value) ? null : value).changes > 0;
  }

  findRequest(method: string, requestId: string): number[] | undefined {
    const r = this.s.findRequest!.get(method, requestId) as { trial_ids: string } | undefined;
    return r && (JSON.parse(r.trial_ids) as number[]);
  }

  insertRequest(experimentId: number, method: string, requestId: string, trialIds: number[], now: number): void {
    this.s.insertRequest!.run(experimentId, method, requestId, JSON.stringify(trialIds), now);
  }
}

function trialFields(t: NewTrial) {
  return {
    experimentId: t.experimentId,
    number: t.number,
    state: STATE_NUMBER[t.state],
    source: t.source,
    loss: t.loss,
    metrics: JSON.stringify(t.metrics),
    userAttrs: JSON.stringify(t.userAttrs),
    workerId: t.workerId,
    failReason: t.failReason,
    createTime: t.createTime,
    startTime: t.startTime,
    endTime: t.endTime,
    leaseDeadline: t.leaseDeadline,
  };
}

function toExperiment(r: RawExperiment): ExperimentRow {
  return { id: r.id, name: r.name, definition: r.definition, createTime: r.create_time };
}

const parseNumbers = (json: string): Readonly<Record<string, number>> =>
  json === "{}" ? NO_NUMBERS : (JSON.parse(json) as Record<string, number>);
const parseStrings = (json: string): Readonly<Record<string, string>> =>
  json === "{}" ? NO_STRINGS : (JSON.parse(json) as Record<string, string>);

function toTrial(
  r: Omit<RawTrial, "params">,
  config: Float64Array,
  intermediate: [number, number][] | undefined,
): TrialRow {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    number: r.number,
    state: stateOfNumber(r.state),
    source: r.source,
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
  };
}

/** The schema's state integers (migrations/0001_init.sql: the parzen.v1.TrialState numbers). */
const STATE_NUMBER: Record<TrialState, number> = { waiting: 1, running: 2, complete: 3, pruned: 4, fail: 5, lost: 6 };
const STATE_OF_NUMBER: readonly (TrialState | undefined)[] = [
  undefined,
  "waiting",
  "running",
  "complete",
  "pruned",
  "fail",
  "lost",
];

function stateOfNumber(n: number): TrialState {
  const s = STATE_OF_NUMBER[n];
  if (s === undefined) throw new Error(`trials: unknown stored state ${n}`);
  return s;
}
