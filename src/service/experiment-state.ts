/**
 * The in-memory image of one experiment: its compiled definition and every
 * trial, kept in step with SQLite by the service (rows are changed in memory
 * only after their transaction commits). Suggest reads history from here and
 * never re-reads the database.
 */
import type { Observation, ObservationState } from "../algorithms/types.js";
import type { CompiledDefinition } from "./definition.js";
import type { ExperimentRow, StoredParams, TrialRow } from "../store/rows.js";
import { StoredState } from "../store/rows.js";
import type { Config, Space } from "../space/types.js";
import { SerialQueue } from "./serial-queue.js";
import type { CurveState, TrialCurve } from "../pruners/types.js";

export class ExperimentState {
  /** Trials indexed by number. */
  readonly trials: TrialRow[] = [];
  /**
   * Lookup by trial id. Ids grow with trial numbers within an experiment
   * (both are assigned at insert, in order), so a binary search over
   * `trials` replaces a per-trial map.
   */
  readonly byId = { get: (id: number): TrialRow | undefined => this.findById(id) };
  /** Numbers of WAITING trials, oldest first. */
  readonly waiting: number[] = [];
  /** Ids of RUNNING trials (lease bookkeeping). */
  readonly running = new Set<number>();
  /** Serialises the operations that create trials, so numbers and seeds stay consistent. */
  readonly queue = new SerialQueue();
  /**
   * Every non-WAITING trial as the algorithms see it, in number order,
   * maintained in place: a new trial is appended, a changed one replaced
   * (found by binary search), so Suggest never rebuilds it.
   */
  private readonly history: Observation[] = [];
  private readonly curveOf: TrialCurve[] = [];

  constructor(
    readonly row: ExperimentRow,
    readonly def: CompiledDefinition,
  ) {}

  get space(): Space {
    return this.def.space;
  }

  get nextNumber(): number {
    return this.trials.length;
  }

  /** Adds or replaces a trial after its write committed. */
  put(t: TrialRow): void {
    const old = this.trials[t.number];
    if (old !== undefined && old.state === StoredState.Waiting && t.state !== StoredState.Waiting) {
      const i = this.waiting.indexOf(t.number);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    this.trials[t.number] = t;
    if (t.state === StoredState.Waiting && old === undefined) this.waiting.push(t.number);
    if (t.state === StoredState.Running) this.running.add(t.id);
    else this.running.delete(t.id);
    const o = this.observe(t);
    if (o !== undefined) this.placeInHistory(o);
    // Learning curves are only kept for experiments with a pruner to read them.
    if (this.def.pruner === "none") return;
    const sign = this.def.maximize ? -1 : 1;
    this.curveOf[t.number] = {
      number: t.number,
      state: CURVE_STATE[t.state],
      curve: sign === 1 ? t.intermediate : t.intermediate.map(([s, v]) => [s, -v] as const),
    };
  }

  /** Learning curves of every trial, indexed by number, minimisation-oriented (for pruners). */
  curves(): readonly TrialCurve[] {
    return this.curveOf;
  }

  private findById(id: number): TrialRow | undefined {
    const ts = this.trials;
    let lo = 0;
    let hi = ts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = ts[mid]!;
      if (t.id === id) return t;
      if (t.id < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /**
   * What the algorithms see: every non-WAITING trial in number order. The
   * array is updated in place by later writes; callers that await between
   * reading and using it must copy it.
   */
  observationHistory(): readonly Observation[] {
    return this.history;
  }

  private placeInHistory(o: Observation): void {
    const h = this.history;
    const lastNumber = h.length === 0 ? -1 : h[h.length - 1]!.number;
    if (o.number > lastNumber) {
      h.push(o);
      return;
    }
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h[mid]!.number < o.number) lo = mid + 1;
      else hi = mid;
    }
    if (h[lo]?.number === o.number) h[lo] = o;
    // An enqueued trial that started after later trials: rare, so a splice is fine.
    else h.splice(lo, 0, o);
  }

  /** Stored parameters (name -> internal value) as a configuration. */
  configFromStored(params: StoredParams): Config {
    const config = new Float64Array(this.space.params.length).fill(Number.NaN);
    for (const [name, v] of Object.entries(params)) {
      const p = this.space.byName.get(name);
      if (p !== undefined) config[p.index] = v;
    }
    return config;
  }

  /** A configuration in its stored form (name -> internal value of each active parameter). */
  storedParams(config: Config): StoredParams {
    const params: StoredParams = {};
    for (const p of this.space.params) {
      const v = config[p.index]!;
      if (!Number.isNaN(v)) params[p.name] = v;
    }
    return params;
  }

  private observe(t: TrialRow): Observation | undefined {
    const state = OBSERVED[t.state];
    if (state === undefined) return undefined;
    const sign = this.def.maximize ? -1 : 1;
    const last = t.intermediate.length > 0 ? t.intermediate[t.intermediate.length - 1] : undefined;
    let loss: number | undefined;
    if (t.state === StoredState.Complete && t.loss !== null) loss = sign * t.loss;
    if (t.state === StoredState.Pruned) {
      const v = t.loss ?? last?.[1];
      loss = v === undefined || Number.isNaN(v) ? undefined : sign * v;
    }
    return { number: t.number, config: t.config, state, loss, lastStep: last?.[0] };
  }
}

const CURVE_STATE: Record<StoredState, CurveState> = {
  [StoredState.Waiting]: "waiting",
  [StoredState.Running]: "running",
  [StoredState.Complete]: "complete",
  [StoredState.Pruned]: "pruned",
  [StoredState.Fail]: "fail",
  [StoredState.Lost]: "lost",
};

const OBSERVED: Partial<Record<StoredState, ObservationState>> = {
  [StoredState.Running]: "running",
  [StoredState.Complete]: "complete",
  [StoredState.Pruned]: "pruned",
  [StoredState.Fail]: "fail",
  [StoredState.Lost]: "lost",
};
