/**
 * The set of experiments whose history is in memory, bounded by a trial
 * budget. Experiments load from the store on first use (one image per
 * experiment, however many calls ask at once) and the least recently used
 * idle ones are dropped when the budget is exceeded (the store holds
 * everything, so a dropped experiment simply reloads on its next use). It
 * reads the store; it never writes to it.
 *
 * It also bounds what the algorithms keep per experiment: the view of the
 * history (an object per trial, several times the compact history's size)
 * and the algorithm's session (TPE's estimators: a few MB per 10,000
 * trials). Only the experiments most recently suggested from keep them; the
 * others rebuild them on their next Suggest (a view in 1–2 ms per 10,000
 * trials; a session suggests exactly as the dropped one would have). An
 * experiment dropped from the cache takes both with it.
 */
import type { ExperimentRow, StoredParams } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { compileStored, STORED_SPACE_LIMITS } from "../use-cases/definition.js";
import { ExperimentState } from "./experiment-state.js";
import type { Observation } from "../../algorithms/types.js";

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

  constructor(
    private readonly store: Store,
    private readonly budgetTrials: number,
    /** Called once for each experiment loaded from the store, before any call sees it. */
    private readonly onLoad: (exp: ExperimentState) => void,
  ) {}

  /** The experiment by name, loading it if needed; undefined if it does not exist. */
  async byNameOrLoad(name: string): Promise<ExperimentState | undefined> {
    const cached = this.byName.get(name);
    if (cached !== undefined) return this.touch(cached);
    const row = await this.store.experimentByName(name);
    return row && this.load(row);
  }

  /** The experiment that owns a trial, loading it if needed. */
  async ownerOfTrial(trialId: number): Promise<ExperimentState | undefined> {
    // One primary-key lookup finds the owner: a map of every trial id in memory would cost more than it saves.
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
      if (e.algorithmSession !== undefined) sessions++;
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
