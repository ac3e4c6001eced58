/**
 * The one path every change to an experiment takes:
 *
 *   experiment queue ─▶ store unit (atomic) ─▶ in-memory image ─▶ answer once committed
 *
 * `Changes.on(exp, task)` runs `task` in the experiment's queue, so the
 * changes of one experiment never interleave (trial numbers, seeds and
 * state checks stay consistent), and resolves with its value only once
 * everything the task wrote, and everything it read, is committed. Inside,
 * `change.write(...)` writes one store unit and, once the store has applied
 * it, puts its trials into the experiment's image. The queue is released
 * when the task ends, before the commit, so the units of many calls share
 * one commit (store/sqlite/group-commit.ts).
 *
 * No other code writes to the store or changes a loaded experiment's image
 * (loading one is not a change). Nothing here knows protos or transports.
 */
import { ParzenError } from "../../errors.js";
import type { Store, Unit } from "../../store/store.js";
import type { TrialRow } from "../../store/rows.js";
import type { ExperimentCache } from "./experiment-cache.js";
import type { ExperimentState } from "./experiment-state.js";
import type { TrialState } from "../../domain/trial-state.js";

/** What one write changes, in the service's terms. */
export interface TrialWrites {
  /** New trials (id 0): written, then given their ids in place, then put. */
  readonly insert?: readonly TrialRow[];
  readonly update?: readonly TrialRow[];
  /** New learning-curve points (the trials' rows in `update` carry their curves for memory). */
  readonly points?: Unit["points"];
  /** Logs the call under its request id: `trialIds` (existing trials), then the inserted ones. */
  readonly request?: { readonly method: string; readonly requestId: string; readonly trialIds: readonly number[] };
  /** Updates that need the ids of the inserted trials (a link to a new trial), in the same unit. */
  readonly link?: (ids: readonly number[]) => readonly TrialRow[];
}

/**
 * Told of every trial a write puts (for metrics): `from` is its state
 * before the write, undefined for a new trial. Must be cheap and not throw.
 */
export type TrialObserver = (exp: ExperimentState, t: TrialRow, from: TrialState | undefined) => void;

/** The experiment was dropped from memory (or deleted) while the task waited: look it up again. */
class Stale extends Error {}
const STALE = new Stale("experiment no longer cached");

const NONE: readonly TrialRow[] = [];

/** Attempts at finding a cached experiment before giving up (each is one lookup). */
const MAX_LOOKUPS = 5;

/** One task's writes to one experiment, and what must be committed before it answers. */
export class Change {
  private durable: Promise<void> | undefined;
  private earlier: Promise<void>[] | undefined;

  constructor(
    readonly exp: ExperimentState,
    private readonly store: Store,
    private readonly now: () => number,
    private readonly observe?: TrialObserver,
  ) {}

  /** Writes one atomic unit and, once it is applied, puts its trials into the image. */
  async write(w: TrialWrites): Promise<void> {
    const exp = this.exp;
    const insert = w.insert ?? NONE;
    let linked = NONE;
    const request = w.request;
    const link = w.link;
    const unit: Unit = {
      insert: insert.map((t) => ({ trial: t, params: exp.storedParams(t.config) })),
      update: w.update,
      points: w.points,
      withIds:
        request === undefined && link === undefined
          ? undefined
          : (ids) => {
              linked = link === undefined ? NONE : link(ids);
              return {
                update: linked,
                request: request && { ...request, trialIds: [...request.trialIds, ...ids], createTime: this.now() },
              };
            },
    };
    const written = await this.store.write(exp.row.id, unit);
    this.after(written.durable);
    const observe = this.observe;
    if (observe !== undefined) {
      for (const t of w.update ?? NONE) observe(exp, t, exp.stateOf(t.number));
      for (const t of insert) observe(exp, t, undefined);
      for (const t of linked) observe(exp, t, exp.stateOf(t.number));
    }
    for (const t of w.update ?? NONE) exp.put(t);
    insert.forEach((t, i) => {
      t.id = written.value[i]!;
      exp.put(t);
    });
    for (const t of linked) exp.put(t);
  }

  /** Deletes the experiment with its whole history. */
  async deleteExperiment(): Promise<void> {
    const written = await this.store.deleteExperiment(this.exp.row.id);
    this.after(written.durable);
  }

  /** Waits until `p` too has settled before answering. */
  after(p: Promise<void>): void {
    if (p === this.durable) return;
    if (this.durable !== undefined) {
      if (this.earlier === undefined) this.earlier = [this.durable];
      else this.earlier.push(this.durable);
    }
    this.durable = p;
  }

  /** Resolves once everything this change wrote is committed. */
  committed(): Promise<void> | undefined {
    if (this.earlier === undefined) return this.durable;
    return Promise.all([...this.earlier, this.durable]).then(() => undefined);
  }
}

export class Changes {
  constructor(
    private readonly store: Store,
    private readonly cache: ExperimentCache,
    private readonly now: () => number,
    private readonly observe?: TrialObserver,
  ) {}

  /**
   * Runs `task` in `exp`'s queue and resolves with its value once what it
   * wrote and read is committed. Throws `Changes.stale` errors (see
   * `isStale`) if `exp` is no longer the cached image of its experiment.
   */
  async on<T>(exp: ExperimentState, task: (change: Change) => Promise<T> | T): Promise<T> {
    const change = new Change(exp, this.store, this.now, this.observe);
    const value = await exp.queue.run(() => {
      if (!this.cache.holds(exp)) throw STALE;
      return task(change);
    });
    // Also what the task read: answers never show writes that may still be rolled back.
    change.after(this.store.durable());
    await change.committed();
    return value;
  }

  /** Looks the experiment up and runs `task` on it; again if it was dropped from memory in between. */
  async find<T>(lookup: () => Promise<ExperimentState>, task: (change: Change) => Promise<T> | T): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const exp = await lookup();
      try {
        return await this.on(exp, task);
      } catch (err) {
        if (!(err instanceof Stale)) throw err;
        if (attempt === MAX_LOOKUPS)
          throw new ParzenError("UNAVAILABLE", "the experiment is being reloaded under memory pressure; retry");
      }
    }
  }

  /** Resolves once everything applied so far is committed: a read answers after it (no dirty reads). */
  async settled<T>(value: T): Promise<T> {
    await this.store.durable();
    return value;
  }
}

/** Whether `err` says the experiment was no longer cached (background tasks then simply skip it). */
export function isStale(err: unknown): boolean {
  return err instanceof Stale;
}
