/**
 * The storage interface: everything the service needs from a database, in
 * domain records (rows.ts), and nothing about algorithms, protos or
 * transports. SQLite implements it (sqlite/); a backend that talks to a
 * server (PostgreSQL, issue 19) can implement it as is, because every method
 * is async. test/store/contract.ts is the one suite every implementation must
 * pass: it is the executable form of the promises written here.
 *
 * Writes. Every change is one `Unit` for one experiment, applied atomically:
 * all of it or, when any part fails, none of it. `write` resolves once the
 * unit is *applied* (every later read sees it) and hands back `durable`,
 * which resolves once it is *committed*. The two differ in a backend that
 * groups commits (SQLite commits the units of one event-loop turn together):
 * a caller that serialises an experiment's changes can go on with the next
 * one as soon as `write` resolves, and answer its own caller after
 * `durable`. A backend that commits each unit before `write` resolves simply
 * returns a settled `durable`.
 *
 * Failures. A unit that fails rejects `write` with a ParzenError and leaves
 * nothing behind: ALREADY_EXISTS for a taken experiment name, trial number
 * or request id; NOT_FOUND for an experiment that does not exist or a trial
 * that is not the unit's experiment's. A commit that fails after units were
 * applied loses all of them: every `onRollback` listener runs (a cache that
 * mirrors applied writes must drop them), then each of their `durable`s
 * rejects with UNAVAILABLE.
 *
 * Identity. Trial numbers are the caller's (unique per experiment); trial
 * ids are the store's, assigned at insert: positive, and greater than the id
 * of every trial of the same experiment inserted before. The store applies
 * each unit in isolation: a backend shared by several servers must lock the
 * unit's experiment for its transaction, so that units of one experiment are
 * serialised across servers as the service serialises them within one.
 *
 * A unit's trials belong to the unit's experiment: the `experimentId` of
 * the rows it carries is not consulted. Implementations must not interpret
 * definitions, parameters or states beyond storing them, and must not call
 * back into the service.
 */
import type { ExperimentRow, StoredParams, TrialRow } from "./rows.js";

export interface Store {
  // ---- experiments ----------------------------------------------------------

  /** Creates an experiment. ALREADY_EXISTS if the name is taken. */
  createExperiment(name: string, definition: string, createTime: number): Promise<Written<ExperimentRow>>;

  experimentByName(name: string): Promise<ExperimentRow | undefined>;

  experimentById(id: number): Promise<ExperimentRow | undefined>;

  /** At most `limit` experiments whose names sort strictly after `afterName`, by name in code-point order. */
  listExperiments(afterName: string, limit: number): Promise<ExperimentRow[]>;

  /** Deletes an experiment with its trials, learning curves and request log; false if there was none. */
  deleteExperiment(id: number): Promise<Written<boolean>>;

  // ---- trials -----------------------------------------------------------------

  /** The experiment that owns a trial, if the trial exists. */
  experimentOfTrial(trialId: number): Promise<number | undefined>;

  /**
   * At most `limit` trials numbered `from` or more, in number order, whole:
   * with learning curves and with their parameters turned into the caller's
   * configuration by `toConfig`. Loading a history pages through this.
   */
  loadTrials(
    experimentId: number,
    from: number,
    limit: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<TrialRow[]>;

  /**
   * The trials numbered `from`..`to` (inclusive), in number order, without
   * reading their parameters back: `configOf` supplies each one's
   * configuration (the caller already holds it). `withCurves` false returns
   * every curve empty (the caller knows there are none).
   */
  readTrials(
    experimentId: number,
    from: number,
    to: number,
    withCurves: boolean,
    configOf: (number: number) => Float64Array,
  ): Promise<TrialRow[]>;

  /** The call logged under (method, request id), if any: see `Unit.request`. */
  findRequest(method: string, requestId: string): Promise<LoggedRequest | undefined>;

  // ---- writing -------------------------------------------------------------------

  /** Applies `unit` to experiment `experimentId` atomically; `value` is the ids of `unit.insert`, in order. */
  write(experimentId: number, unit: Unit): Promise<Written<readonly number[]>>;

  /**
   * Resolves once everything applied so far is committed; rejects with
   * UNAVAILABLE if that commit failed. A read answers after it, so a caller
   * never sees a write that may still be rolled back.
   */
  durable(): Promise<void>;

  /** `listener` runs when a failed commit lost units that had been applied (see the header). */
  onRollback(listener: () => void): void;

  /** `listener` runs after each commit with its duration and how many units it held (optional: for metrics). */
  onCommit?(listener: (seconds: number, units: number) => void): void;

  /**
   * Whether writes can succeed now, for backends that can tell (SQLite: a full disk, a read-only file); the
   * readiness health check follows it. Optional: a backend without it is taken as always writable.
   */
  readonly writes?: { readonly writable: boolean; onChange(listener: (writable: boolean) => void): void };

  /** Commits what was applied (as a commit would: it may still fail and roll back), then releases everything. */
  close(): Promise<void>;

  /**
   * Present when several servers may write the same database (PostgreSQL):
   * then another server's units change what this one holds in memory. A
   * store without it is its database's only writer (SQLite: one server per
   * file, enforced by a lock), so what the service wrote is all there is.
   */
  readonly feed?: ChangeFeed;
}

/**
 * What a server needs to keep its in-memory history current when others
 * write the same experiments. Every unit bumps its experiment's version by
 * one (a new experiment is at 0) and stamps the trials it inserts, updates
 * or adds curve points to with the new version.
 */
export interface ChangeFeed {
  /**
   * The experiment's version and its trials whose last write is newer than
   * `version`, whole, in number order, from one snapshot; undefined if the
   * experiment does not exist (any more).
   */
  changesSince(
    experimentId: number,
    version: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<Changes | undefined>;

  /**
   * Takes experiment `experimentId`'s lock on the database, which every server's `lock` for that experiment waits
   * for, and every unit written without it waits for too: one server at a time pulls, computes and writes.
   * With `since`, also reads what changed since that version under the lock (as `changesSince`, in the same
   * round trip). This process's reads and writes of the experiment while it is held use the lock's connection
   * (so a full pool cannot stall a holder), and are one turn: the units written under the lock may be committed
   * together when it is released (their `durable` says when), and a failed one may lose the others (as a failed
   * group commit: rollback listeners, then UNAVAILABLE). The release is idempotent.
   */
  lock(experimentId: number, since?: PullFrom): Promise<HeldLock>;

  /**
   * Calls `listener` (best effort, after commit) when a unit of any server changed an experiment, with whether
   * this store wrote it; returns unsubscribe. `onLost` runs once if the notices stop arriving (the listening
   * connection broke).
   */
  onChange(
    listener: (experimentId: number, version: number, mine: boolean) => void,
    onLost?: () => void,
  ): Promise<() => Promise<void>>;

  /** Round trips to the database so far, by what they were for (optional: for metrics). */
  readonly roundTrips?: Readonly<Record<string, number>>;
}

/** `ChangeFeed.lock`'s pull: what changed since `version`, with the caller's configurations. */
export interface PullFrom {
  readonly version: number;
  readonly toConfig: (params: StoredParams) => Float64Array;
  /**
   * Asks for a pipelined turn, reserving ids for about this many new trials (its waiting changes) in the same
   * round trip. The store may then answer a unit of the turn at once, before the database has it (with its
   * version and its trials' ids: the next version, reserved ids), so the caller computes the next unit while it is
   * on its way. A pipelined unit the database refuses or fails (a logged request id, a trial that is gone) loses
   * the turn: rollback listeners, then UNAVAILABLE from every unit's `durable`, its own included. Without it, a
   * turn's unit is answered once the database has it, and is refused (ALREADY_EXISTS, NOT_FOUND) on its own.
   */
  readonly reserve?: number;
}

/** A lock taken by `ChangeFeed.lock`: its release, and with `since`, what changed (undefined: no such experiment). */
export interface HeldLock {
  readonly release: () => void;
  readonly changes: Changes | undefined;
}

export interface Changes {
  readonly version: number;
  readonly trials: TrialRow[];
  /** The experiment's stored lifecycle at `version` (a user's pause or stop, stop conditions as last set). */
  readonly lifecycle: string | null;
}

/** The result of a write, and when it is durable. */
export interface Written<T> {
  readonly value: T;
  /** Resolves once the write is committed; rejects with UNAVAILABLE if that commit failed. */
  readonly durable: Promise<void>;
  /** With a change feed: the experiment's version after this write. */
  readonly version?: number;
}

/**
 * One atomic change to one experiment's trials (and its lifecycle), applied
 * in this order: `insert`, `update`, `points`, `request`, `withIds`, then
 * `lifecycle`.
 */
export interface Unit {
  /**
   * New trials; the store assigns their ids (the `id` given is ignored) and
   * stores each one's learning curve (a repeated step keeps its first value).
   */
  readonly insert?: readonly NewTrial[];
  /**
   * Trials whose mutable fields are rewritten: state, loss, metrics,
   * attributes, worker, fail reason, start and end times, lease deadline.
   * Parameters, number, source, creation time and the curve never change.
   */
  readonly update?: readonly TrialRow[];
  /** Learning-curve points; a step already recorded keeps its first value. */
  readonly points?: readonly CurvePointRecord[];
  /**
   * Logs the call that made this unit under its request id, for idempotent retries. An id already logged for
   * the method refuses the unit (ALREADY_EXISTS, nothing written; in a lock turn, the turn's other units stand),
   * so a caller may write first and read `findRequest` only when refused.
   */
  readonly request?: RequestRecord;
  /**
   * Writes that need the ids just assigned to `insert` (a link to a new
   * trial, a request log naming it). Called inside the unit with those ids;
   * must be pure and quick. What it returns is part of the same unit.
   */
  readonly withIds?: (ids: readonly number[]) => Omit<Unit, "insert" | "withIds" | "expectVersion" | "lifecycle">;
  /** Replaces the experiment's `ExperimentRow.lifecycle` (opaque text). */
  readonly lifecycle?: string;
  /**
   * With a change feed: apply the unit only if the experiment is still at
   * this version when the unit takes its lock, else reject with ABORTED
   * (errors.ts ABORTED_STALE) and write nothing. A server that computed the
   * unit from a history it pulled at this version thereby never commits
   * something computed from a stale one: it pulls the changes and retries.
   */
  readonly expectVersion?: number;
}

export interface NewTrial {
  readonly trial: TrialRow;
  /** Its parameters as stored (active parameter name -> internal value). */
  readonly params: StoredParams;
}

export interface CurvePointRecord {
  readonly trialId: number;
  readonly step: number;
  /** NaN is stored and read back as NaN. */
  readonly value: number;
}

export interface RequestRecord {
  readonly method: string;
  readonly requestId: string;
  /** The trials the call answered with. */
  readonly trialIds: readonly number[];
  /**
   * Unit.request only: `trialIds` are followed by the ids assigned to the
   * unit's `insert`, in its order (the common case without a `withIds`
   * callback, so a store may write the unit in one statement).
   */
  readonly withInserted?: boolean;
  readonly createTime: number;
}

export interface LoggedRequest {
  readonly experimentId: number;
  readonly trialIds: readonly number[];
}
