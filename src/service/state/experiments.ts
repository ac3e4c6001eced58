/**
 * The experiments in memory, and the one path that changes them. Every use
 * case finds its experiment here and changes it only through here:
 *
 *   look up (loading it if need be) ─▶ experiment queue ─▶ store unit (atomic) ─▶ in-memory image
 *   ─▶ answer once committed
 *
 * Looking up: `experimentNamed` and `ownerOfTrial` give the experiment a
 * request names (INVALID_ARGUMENT for a malformed name or id, NOT_FOUND for
 * one that does not exist), from the ExperimentCache below: the set of
 * experiments whose history is in memory, bounded by a trial budget.
 * Experiments load from the store on first use (one image per experiment,
 * however many calls ask at once) and the least recently used idle ones are
 * dropped when the budget is exceeded (the store holds everything, so a
 * dropped experiment simply reloads on its next use). Loading reads the
 * store; it is not a change.
 *
 * Changing: `Changes.on(exp, task)` runs `task` in the experiment's queue, so
 * the changes of one experiment never interleave (trial numbers, seeds and
 * state checks stay consistent), and resolves with its value only once
 * everything the task wrote, and everything it read, is committed. Inside,
 * `change.write(...)` writes one store unit and, once the store has applied
 * it, puts its trials into the experiment's image (experiment-state.ts). The
 * queue is released when the task ends, before the commit, so the units of
 * many calls share one commit (store/sqlite/group-commit.ts). No other code
 * writes to the store or changes a loaded experiment's image.
 *
 * The cache also bounds what the algorithms keep per experiment: the view of
 * the history (an object per trial, several times the compact history's
 * size) and the algorithm's session (TPE's estimators: a few MB per 10,000
 * trials). Only the experiments most recently suggested from keep them; the
 * others rebuild them on their next Suggest (a view in 1–2 ms per 10,000
 * trials; a session suggests exactly as the dropped one would have). An
 * experiment dropped from the cache takes both with it.
 *
 * Nothing here knows protos or transports.
 */
import { ABORTED_STALE, invalidArgument, LOCK_TIMED_OUT, notFound, ParzenError } from "../../errors.js";
import type { Observation } from "../../algorithms/types.js";
import type { ExperimentRow, StoredParams, TrialRow } from "../../store/rows.js";
import type { Store, Unit, Written } from "../../store/store.js";
import type { TrialState } from "../../domain/trial-state.js";
import { checkExperimentName, compileStored, STORED_SPACE_LIMITS } from "../use-cases/definition.js";
import { ExperimentState } from "./experiment-state.js";
import { type Lifecycle, lifecycleJson } from "./lifecycle.js";
import { FeedSync, OutOfStep, type PullReason } from "./feed-sync.js";

// ---- looking up ------------------------------------------------------------

/** The experiment named `name`, loaded if need be. */
export async function experimentNamed(cache: ExperimentCache, name: string): Promise<ExperimentState> {
  checkExperimentName(name, "experiment");
  const exp = await cache.byNameOrLoad(name);
  if (exp === undefined) throw notFound(`experiment "${name}" does not exist`);
  return exp;
}

/** Checks a trial id's form; call before any lookup, so a malformed id is INVALID_ARGUMENT whatever else is wrong. */
export function checkTrialId(trialId: number): void {
  if (!Number.isSafeInteger(trialId) || trialId <= 0)
    throw invalidArgument(`trial_id: must be a positive integer, got ${trialId}`);
}

/** The experiment that owns trial `trialId`, loaded if need be. */
export async function ownerOfTrial(cache: ExperimentCache, trialId: number): Promise<ExperimentState> {
  checkTrialId(trialId);
  const exp = await cache.ownerOfTrial(trialId);
  if (exp === undefined) throw notFound(`trial ${trialId} does not exist`);
  return exp;
}

/** Trial `trialId` of `exp` (inside a change: its current row). */
export async function trialOf(exp: ExperimentState, trialId: number): Promise<TrialRow> {
  const trial = await exp.trialById(trialId);
  if (trial === undefined) throw notFound(`trial ${trialId} does not exist`);
  return trial;
}

// ---- changing: the mutation path ----------------------------------------------

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
  /** The experiment's new lifecycle (UpdateExperiment), in the same unit. */
  readonly lifecycle?: Lifecycle;
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

/** Runs of one change that another server's writes may make stale (feed-sync.ts) before it gives up. */
const MAX_RUNS = 25;

/**
 * A write refused because its request id was already logged (the store's ALREADY_EXISTS for a logged id) by a task
 * that had not looked the id up first: the task runs again, looking it up (`Change.lookUpRequestFirst`).
 */
class RequestLogged extends Error {}

/** One task's writes to one experiment, and what must be committed before it answers. */
export class Change {
  private durable: Promise<void> | undefined;
  private earlier: Promise<void>[] | undefined;
  /**
   * Whether a call with a request id looks it up (`replayed`) before computing its answer. Not at first with
   * other servers on the database (PostgreSQL), where the lookup is a round trip on every call: there a unit
   * whose request id is already logged is refused and writes nothing (store.ts), and the task runs again with
   * this set, to answer the replay. A task that answers without writing must look the id up itself then.
   */
  lookUpRequestFirst: boolean;

  constructor(
    readonly exp: ExperimentState,
    private readonly store: Store,
    private readonly now: () => number,
    private readonly observe?: TrialObserver,
    /** With several servers on the database: the image's version, which every unit must still find. */
    private readonly sync?: FeedSync,
    /** With several servers: pulls what they committed into the image. */
    private readonly pull?: () => Promise<void>,
  ) {
    this.lookUpRequestFirst = sync === undefined;
  }

  /**
   * With several servers, brings the image up to what is committed now (one read), unless this server holds
   * the experiment's lock (its image is then current). For answers that write nothing, which no version check
   * guards: another server's change (a resume, a raised budget) may not have been announced here yet.
   */
  async current(): Promise<void> {
    if (this.sync !== undefined && this.pull !== undefined && !this.sync.holds(this.exp)) await this.pull();
  }

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
      lifecycle: w.lifecycle === undefined ? undefined : lifecycleJson(w.lifecycle),
      // The request log names the new trials without a callback: a store may then write the unit in one statement.
      request: request && { ...request, withInserted: true, createTime: this.now() },
      withIds:
        link === undefined
          ? undefined
          : (ids) => {
              linked = link(ids);
              return { update: linked };
            },
      expectVersion: this.sync?.versionOf(exp),
    };
    let written: Written<readonly number[]>;
    try {
      written = await this.store.write(exp.row.id, unit);
    } catch (err) {
      // Its id may be logged (or a trial number taken, which the run that looks the id up meets again and answers).
      if (request === undefined || this.lookUpRequestFirst || !isAlreadyExists(err)) throw err;
      this.lookUpRequestFirst = true;
      throw new RequestLogged(request.requestId);
    }
    this.sync?.wrote(exp, written.version);
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
    if (w.lifecycle !== undefined) exp.lifecycle = w.lifecycle;
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
  private readonly sync: FeedSync | undefined;
  /** Images with a background pull queued (one at a time is enough). */
  private readonly refreshing = new WeakSet<ExperimentState>();
  /** Per image, the read pull waiting in its queue, which later reads join. */
  private readonly readPulls = new WeakMap<ExperimentState, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly cache: ExperimentCache,
    private readonly now: () => number,
    private readonly observe?: TrialObserver,
  ) {
    this.sync = cache.sync;
    this.sync?.listen((id) => this.refreshSoon(id));
  }

  /**
   * Runs `task` in `exp`'s queue and resolves with its value once what it
   * wrote and read is committed. Throws `Changes.stale` errors (see
   * `isStale`) if `exp` is no longer the cached image of its experiment.
   * With other servers on the database, `task` first sees what they wrote,
   * and runs again if they wrote before its own write (feed-sync.ts): it must
   * decide everything from the image, as every use case does.
   */
  async on<T>(exp: ExperimentState, task: (change: Change) => Promise<T> | T): Promise<T> {
    const sync = this.sync;
    const change = new Change(
      exp,
      this.store,
      this.now,
      this.observe,
      sync,
      sync && (() => this.pull(sync, exp, "read")),
    );
    const value = await exp.queue.run(() => {
      if (!this.cache.holds(exp)) throw STALE;
      if (this.sync !== undefined) return this.fresh(this.sync, change, (c) => replaying(c, task));
      return task(change);
    });
    // Also what the task read: answers never show writes that may still be rolled back.
    change.after(this.store.durable());
    await change.committed();
    return value;
  }

  /**
   * Runs `task` on a current image. While no other server has announced a change, it runs as is (one server, or
   * experiments that servers do not share, pay nothing); its writes still find the experiment at the image's
   * version or are refused. If another server wrote (announced, or found by a refused write or by a trial the
   * image lacks), it runs again holding the experiment's lock on the database, after pulling what they wrote.
   * While this server holds the lock its image is current (no one else writes): a change then runs as is.
   */
  private async fresh<T>(sync: FeedSync, change: Change, task: (change: Change) => Promise<T> | T): Promise<T> {
    const exp = change.exp;
    sync.resubscribe();
    try {
      if (sync.holds(exp)) {
        try {
          return await task(change);
        } catch (err) {
          // The lock went with its connection: take it again below.
          if (!isStaleWrite(err)) throw err;
          sync.unlock(exp);
        }
      } else if (!sync.behind(exp) && !sync.contended(exp)) {
        sync.stats.unlockedChanges++;
        try {
          return await task(change);
        } catch (err) {
          if (!(isStaleWrite(err) || (err instanceof ParzenError && err.code === "NOT_FOUND"))) throw err;
          if (isStaleWrite(err)) sync.stats.staleWrites++;
        }
      }
      await this.lockAndPull(sync, exp);
      return await this.runFresh(sync, change, task);
    } catch (err) {
      // The store knows the experiment by id only: the caller reads its name.
      if (err instanceof ParzenError && err.message.startsWith(LOCK_TIMED_OUT)) {
        throw new ParzenError("UNAVAILABLE", `experiment "${exp.row.name}": ${err.message}`, { cause: err });
      }
      throw err;
    } finally {
      sync.afterChange(exp);
    }
  }

  private async runFresh<T>(sync: FeedSync, change: Change, task: (change: Change) => Promise<T> | T): Promise<T> {
    const exp = change.exp;
    for (let run = 1; ; run++) {
      // Taking the lock pulled: a run refused after that (the lock lost with its connection) pulls again.
      if (run > 1) await this.pull(sync, exp, "turn");
      try {
        return await task(change);
      } catch (err) {
        if (!isStaleWrite(err)) throw err;
        sync.stats.staleWrites++;
        if (run === MAX_RUNS) {
          throw new ParzenError(
            "UNAVAILABLE",
            `experiment "${exp.row.name}" kept changing on other servers while this one computed (${run} tries); retry`,
          );
        }
      }
    }
  }

  /** Takes the lock, pulling under it. */
  private async lockAndPull(sync: FeedSync, exp: ExperimentState): Promise<void> {
    await sync.lock(exp).catch((err: unknown) => this.pullFailed(exp, err));
  }

  private async pull(sync: FeedSync, exp: ExperimentState, reason: PullReason): Promise<void> {
    await sync.pull(exp, reason).catch((err: unknown) => this.pullFailed(exp, err));
  }

  /** A pull that finds the image out of step drops it (the caller retries on a fresh one), as a deleted one is. */
  private pullFailed(exp: ExperimentState, err: unknown): never {
    if (err instanceof OutOfStep) {
      this.cache.remove(exp);
      throw STALE;
    }
    if (exp.deleted) this.cache.remove(exp);
    throw err;
  }

  /** Another server announced a change: pull it soon (a read: no lock), so reads and the prefetch see it. */
  private refreshSoon(experimentId: number): void {
    const sync = this.sync!;
    const exp = this.cache.cached(experimentId);
    if (exp === undefined || this.refreshing.has(exp) || !sync.behind(exp)) return;
    this.refreshing.add(exp);
    void exp.queue
      .run(() => (this.cache.holds(exp) && sync.behind(exp) ? this.pull(sync, exp, "refresh") : undefined))
      .then(
        () => true,
        () => false,
      )
      .then((pulled) => {
        this.refreshing.delete(exp);
        // A notice that came while the pull ran was skipped above, and the pull may have read before its commit:
        // pull again. Only after a pull that went through, and only for announced versions (not merely for
        // notices being down), so a failing database or a cut LISTEN never turns this into a loop.
        if (pulled && sync.announcedPast(exp)) this.refreshSoon(experimentId);
      });
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

  /**
   * `lookup`'s image, brought up to what is committed now when other servers share the database: a read then shows
   * every change acknowledged before it, whichever server took it (notices only say when to pull; they may not have
   * arrived). One read of the database, in the experiment's queue so no change sees its image move. `version`: the
   * experiment's version as the caller just read it from the store (a listing), if known: no pull when the image
   * has it already.
   */
  async current(lookup: () => Promise<ExperimentState>, version?: number): Promise<ExperimentState> {
    const sync = this.sync;
    for (let attempt = 1; ; attempt++) {
      const exp = await lookup();
      if (sync === undefined || (version !== undefined && version <= sync.versionOf(exp))) return exp;
      try {
        await this.readPull(sync, exp);
        return exp;
      } catch (err) {
        if (!(err instanceof Stale)) throw err;
        if (attempt === MAX_LOOKUPS)
          throw new ParzenError("UNAVAILABLE", "the experiment is being reloaded under memory pressure; retry");
      }
    }
  }

  /** A listed experiment's image, made current as `current` does; undefined if it was deleted meanwhile. */
  async listed(row: ExperimentRow): Promise<ExperimentState | undefined> {
    try {
      return await this.current(async () => {
        const exp = await this.cache.load(row);
        if (exp === undefined) throw notFound(`experiment "${row.name}" does not exist`);
        return exp;
      }, row.version);
    } catch (err) {
      if (err instanceof ParzenError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  }

  /** A pull for reads; reads that arrive while one waits in the queue share it (it starts after them). */
  private readPull(sync: FeedSync, exp: ExperimentState): Promise<void> {
    let pending = this.readPulls.get(exp);
    if (pending === undefined) {
      pending = exp.queue.run(() => {
        this.readPulls.delete(exp);
        if (!this.cache.holds(exp)) throw STALE;
        // Under this server's lock the image is current: no one else writes.
        return sync.holds(exp) ? undefined : this.pull(sync, exp, "read");
      });
      this.readPulls.set(exp, pending);
    }
    return pending;
  }

  /** Resolves once everything applied so far is committed: a read answers after it (no dirty reads). */
  async settled<T>(value: T): Promise<T> {
    await this.store.durable();
    return value;
  }
}

/** Runs `task`, and once more if its write was refused for a logged request id (then looking the id up first). */
async function replaying<T>(change: Change, task: (change: Change) => Promise<T> | T): Promise<T> {
  try {
    return await task(change);
  } catch (err) {
    if (!(err instanceof RequestLogged)) throw err;
    return await task(change);
  }
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof ParzenError && err.code === "ALREADY_EXISTS";
}

/** A write refused because another server changed the experiment since the image's version. */
function isStaleWrite(err: unknown): boolean {
  return err instanceof ParzenError && err.code === "ABORTED" && err.message.startsWith(ABORTED_STALE);
}

/** Whether `err` says the experiment was no longer cached (background tasks then simply skip it). */
export function isStale(err: unknown): boolean {
  return err instanceof Stale;
}

// ---- the experiments in memory -------------------------------------------------

// One bound for views and sessions (a session's memos hold its view's observations), each a few MB per 10k trials.
const VIEWED_EXPERIMENTS = 4;

/** Trials read from the store per page while loading a history. */
const LOAD_PAGE = 2000;

export class ExperimentCache {
  /** Insertion order is the LRU order: `touch` moves an experiment to the end. */
  private readonly byName = new Map<string, ExperimentState>();
  private readonly byId = new Map<number, ExperimentState>();
  /** Loads under way, by experiment id: concurrent calls share one (one image per experiment). */
  private readonly loading = new Map<number, Promise<ExperimentState | undefined>>();
  /** Experiments holding their observation view and algorithm session, least recently suggested from first. */
  private readonly viewed = new Set<ExperimentState>();
  /** Bumped by `clear`: a load that began before it read what may have been rolled back, and reads again. */
  private generation = 0;
  /** With a change feed (several servers on the database): what keeps the images current. */
  readonly sync: FeedSync | undefined;

  constructor(
    private readonly store: Store,
    private readonly budgetTrials: number,
    /** Called once for each experiment loaded from the store, before any call sees it. */
    private readonly onLoad: (exp: ExperimentState) => void,
  ) {
    this.sync = store.feed && new FeedSync(store.feed);
  }

  /** The cached image of experiment `id`, if any (without touching its place in the LRU order). */
  cached(id: number): ExperimentState | undefined {
    return this.byId.get(id);
  }

  /** The experiment by name, loading it if needed; undefined if it does not exist. */
  async byNameOrLoad(name: string): Promise<ExperimentState | undefined> {
    const cached = this.byName.get(name);
    if (cached !== undefined) return this.touch(cached);
    const row = await this.store.experimentByName(name);
    return row && this.load(row);
  }

  /** The experiment that owns a trial, loading it if needed. */
  async ownerOfTrial(trialId: number): Promise<ExperimentState | undefined> {
    // A Report usually follows a Suggest from the same experiment: look there first (a trial id is only ever
    // its experiment's), which spares a database round trip on PostgreSQL.
    for (const exp of this.viewed) if (exp.hasTrial(trialId) && this.holds(exp)) return this.touch(exp);
    // Else one primary-key lookup finds the owner: a map of every trial id in memory would cost more than it saves.
    const experimentId = await this.store.experimentOfTrial(trialId);
    if (experimentId === undefined) return undefined;
    const cached = this.byId.get(experimentId);
    if (cached !== undefined) return this.touch(cached);
    const row = await this.store.experimentById(experimentId);
    return row && this.load(row);
  }

  /** The image of a stored experiment, loading its history if needed; undefined if it was deleted meanwhile. */
  load(row: ExperimentRow): Promise<ExperimentState | undefined> {
    const cached = this.byId.get(row.id);
    if (cached !== undefined) return Promise.resolve(this.touch(cached));
    let loading = this.loading.get(row.id);
    if (loading === undefined) {
      loading = this.read(row).finally(() => this.loading.delete(row.id));
      this.loading.set(row.id, loading);
    }
    return loading;
  }

  private async read(row: ExperimentRow): Promise<ExperimentState | undefined> {
    for (;;) {
      const generation = this.generation;
      // Read before the trials: whatever is written while they page in, the first change pulls.
      const version = this.sync && (await this.sync.head(row.id));
      if (this.sync !== undefined && version === undefined) return undefined;
      const exp = new ExperimentState(row, compileStored(row.definition, STORED_SPACE_LIMITS), this.store);
      const toConfig = (params: StoredParams) => exp.configFromStored(params);
      for (let from = 0; ; ) {
        const page = await this.store.loadTrials(row.id, from, LOAD_PAGE, toConfig);
        for (const t of page) exp.put(t);
        if (page.length < LOAD_PAGE) break;
        from = page[page.length - 1]!.number + 1;
      }
      // Deleted while it was read (its trials went with it): there is nothing to hold.
      if ((await this.store.experimentById(row.id)) === undefined) return undefined;
      if (generation !== this.generation) continue;
      if (version !== undefined) this.sync!.loaded(exp, version);
      const held = this.adopt(exp);
      if (held === exp) this.onLoad(exp);
      return held;
    }
  }

  /**
   * Adds a new or freshly loaded experiment, then keeps within the budget;
   * if another image of it got there first, that one stays and is returned.
   */
  adopt(exp: ExperimentState): ExperimentState {
    const other = this.byId.get(exp.row.id);
    if (other !== undefined) return this.touch(other);
    this.byName.set(exp.row.name, exp);
    this.byId.set(exp.row.id, exp);
    this.evictIdle(exp);
    return exp;
  }

  remove(exp: ExperimentState): void {
    this.byName.delete(exp.row.name);
    this.byId.delete(exp.row.id);
    this.viewed.delete(exp);
    exp.dropAlgorithmState();
  }

  /**
   * The history as `exp`'s algorithm sees it (see ExperimentState.observationHistory), within the bound on
   * views and sessions: call it before each suggestion, so that `exp` counts as recently suggested from.
   */
  observationHistory(exp: ExperimentState): readonly Observation[] {
    // A call still running on an experiment dropped meanwhile: its view goes with it.
    if (!this.holds(exp)) return exp.observationHistory();
    this.viewed.delete(exp);
    this.viewed.add(exp);
    for (const e of this.viewed) {
      if (this.viewed.size <= VIEWED_EXPERIMENTS) break;
      this.viewed.delete(e);
      e.dropAlgorithmState();
    }
    return exp.observationHistory();
  }

  /** Forgets every experiment: they reload from the store when next used. */
  clear(): void {
    this.generation++;
    for (const e of this.byName.values()) e.dropAlgorithmState();
    this.byName.clear();
    this.byId.clear();
    this.viewed.clear();
  }

  /** Whether `exp` is the cached image of its experiment (not a dropped or deleted one). */
  holds(exp: ExperimentState): boolean {
    return this.byId.get(exp.row.id) === exp;
  }

  loaded(): IterableIterator<ExperimentState> {
    return this.byName.values();
  }

  /** `sessions`: cached experiments holding an algorithm session. */
  stats(): { experiments: number; trials: number; viewed: number; sessions: number } {
    let trials = 0;
    let sessions = 0;
    for (const e of this.byName.values()) {
      trials += e.nextNumber;
      if (e.algorithmSession !== undefined || e.threadSession !== undefined) sessions++;
    }
    return { experiments: this.byName.size, trials, viewed: this.viewed.size, sessions };
  }

  private touch(exp: ExperimentState): ExperimentState {
    this.byName.delete(exp.row.name);
    this.byName.set(exp.row.name, exp);
    return exp;
  }

  /**
   * Drops least recently used experiments until the cached trials fit the
   * budget. Only idle ones go — an experiment with a call in its queue keeps
   * its state — and never `keep`.
   */
  private evictIdle(keep: ExperimentState): void {
    let total = this.stats().trials;
    for (const e of this.byName.values()) {
      if (total <= this.budgetTrials) break;
      if (e === keep || !e.queue.idle) continue;
      this.remove(e);
      total -= e.nextNumber;
    }
  }
}
