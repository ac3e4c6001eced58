/**
 * The in-memory image of one experiment: its compiled definition and every
 * trial, kept in step with the store by the one mutation path (experiments.ts:
 * a trial is put here once its unit is applied). Suggest, Report, Heartbeat
 * and the pruners read from here and never re-read the database.
 *
 * To keep a million trials in memory cheaply, only unfinished trials
 * (WAITING, RUNNING) are kept as whole rows; every trial is in compact
 * columns (trial-columns.ts) holding what the algorithms and GetBest need.
 * The rest of a finished trial — metrics, attributes, times, worker, curve —
 * is read back from the store when an RPC shows it (`trial`, `rows`), which
 * is the same data: memory never holds a change the store does not.
 * Nothing here writes to the store.
 */
import { notFound } from "../../errors.js";
import { algorithmNamed } from "../../algorithms/registry.js";
import type { AlgorithmSession, Exhaustible, Observation, ObservationState } from "../../algorithms/types.js";
import type { TrialState } from "../../domain/trial-state.js";
import type { CompiledDefinition, StopConditions } from "../use-cases/definition.js";
import type { ExperimentRow, StoredParams, TrialRow } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import type { Config, Space } from "../../space/types.js";
import { dropSession, type RemoteSession } from "../runners/algorithm-runner.js";
import { SerialQueue } from "./serial-queue.js";
import type { TrialCurve } from "../../pruners/types.js";
import { TrialColumns } from "./trial-columns.js";
import { type Lifecycle, parseLifecycle } from "./lifecycle.js";
import { paretoFront } from "../../math/pareto.js";

/** Requested numbers closer than this are read back with one range query rather than several. */
const READ_GAP = 32;

/** Why an experiment is COMPLETED (the proto's CompletionReason, in domain terms). */
export type CompletionReason = "budget" | "goal" | "failures" | "deadline" | "stopped" | "space_exhausted";

export class ExperimentState {
  /** Numbers of WAITING trials, oldest first. */
  readonly waiting: number[] = [];
  /** Ids of RUNNING trials (lease bookkeeping). */
  readonly running = new Set<number>();
  /**
   * No RUNNING trial's lease ends before this: every call checks leases,
   * and this spares it the scan of all running trials until one may have
   * lapsed. Lowered by every put of a RUNNING trial, made exact by a scan.
   */
  earliestLease = Number.POSITIVE_INFINITY;
  /**
   * retry_lost: ids of LOST trials whose configuration is still to be
   * re-enqueued (leases.ts). Dropped with the image: a load finds them
   * again among the LOST trials.
   */
  readonly retriesPending = new Set<number>();
  /**
   * Bumped by every change to the trials: what an algorithm would be given
   * is the same for as long as this is (the prefetch in use-cases/suggest.ts relies on it).
   */
  version = 0;
  /** Serialises every change to this experiment (experiments.ts), so numbers, seeds and state checks stay consistent. */
  readonly queue = new SerialQueue();
  /** Set once the experiment is deleted: reads of its history are NOT_FOUND from then on. */
  deleted = false;
  /**
   * The best COMPLETE loss as the algorithms see it (minimised): the goal is
   * reached when it is at or below the goal. A COMPLETE trial never changes,
   * so this only falls; kept so that UpdateExperiment can move the goal.
   */
  private bestComplete = Number.POSITIVE_INFINITY;
  /**
   * A user's pause or stop and the stop conditions in force (lifecycle.ts):
   * replaced by the mutation path only (experiments.ts), once written.
   */
  lifecycle: Lifecycle;
  /** Latest create, start or end time (ms) of any trial put: the dashboard's "last activity". */
  lastActivity = 0;
  /** Trials per state. */
  private readonly counts: Record<TrialState, number> = {
    waiting: 0,
    running: 0,
    complete: 0,
    pruned: 0,
    fail: 0,
    lost: 0,
  };
  private readonly columns: TrialColumns;
  /** Whole rows of the WAITING and RUNNING trials, by number: the ones Suggest, Report and Heartbeat change. */
  private readonly live = new Map<number, TrialRow>();
  /**
   * Every non-WAITING trial as the algorithms see it, in number order, built
   * on first use and then maintained in place (a new trial is appended, a
   * changed one replaced, keeping its configuration object, which TPE's
   * estimator memos match fastest), so Suggest never rebuilds it. The cache drops
   * it for experiments no longer suggested from (see ExperimentCache in experiments.ts).
   */
  private history: Observation[] | undefined;
  /**
   * Objective values (multi-objective experiments, minimisation-oriented) and
   * constraint values of the trials that have them, by number: the compact
   * columns hold one loss, and most experiments have neither.
   */
  private readonly outcomes = new Map<number, TrialOutcome>();
  /** How many constraint values this experiment's trials carry: fixed by the first that carried any (0: none yet). */
  constraintCount = 0;
  private readonly curveOf: TrialCurve[] = [];
  /**
   * What the algorithm keeps between this experiment's suggestions (in
   * process, or a handle on it on the session thread): opened by the runner
   * on the first one (SessionHolder), dropped with the view of the history
   * and with this state.
   */
  algorithmSession: AlgorithmSession | undefined = undefined;
  /** Its session on the session thread, if a suggestion ran there (runners/session-thread.ts). */
  threadSession: RemoteSession | undefined = undefined;
  /** The algorithm those sessions are for (an `auto` experiment's changes with its phase). */
  sessionAlgorithm: string | undefined = undefined;
  /** The points of a finite algorithm's design (grid) the trials took; undefined for the others. */
  private readonly design: Exhaustible | undefined;

  constructor(
    readonly row: ExperimentRow,
    readonly def: CompiledDefinition,
    /** Where finished trials are read back from. */
    private readonly store: Store,
  ) {
    this.columns = new TrialColumns(def.space.params.length);
    this.lifecycle = parseLifecycle(row.lifecycle, def.stop, row.name);
    this.design = algorithmNamed(def.algorithm).exhaustible?.(def.space, def.algorithmOptions);
  }

  /** The stop conditions in force: the definition's, or UpdateExperiment's since. */
  get stop(): StopConditions {
    return this.lifecycle.stop;
  }

  get space(): Space {
    return this.def.space;
  }

  get nextNumber(): number {
    return this.columns.count;
  }

  /** Adds or replaces a trial once its write is applied (experiments.ts, or a load). A new trial takes the next number. */
  put(t: TrialRow): void {
    const n = t.number;
    const isNew = n === this.columns.count;
    if (!isNew && !(n >= 0 && n < this.columns.count))
      throw new Error(`experiment ${this.row.name}: trial number ${n} out of sequence`);
    const old: TrialState | undefined = isNew ? undefined : this.columns.state(n);
    this.version++;
    this.lastActivity = Math.max(this.lastActivity, t.endTime ?? t.startTime ?? t.createTime);
    if (isNew) {
      this.columns.append(t.id, t.config);
      this.design?.add(t.config);
    } else this.counts[old!]--;
    this.counts[t.state]++;
    if (old === "waiting" && t.state !== "waiting") {
      const i = this.waiting.indexOf(n);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    if (t.state === "waiting" && isNew) this.waiting.push(n);
    // A released trial (use-cases/release.ts) queues again in number order: it is handed out before later ones.
    else if (t.state === "waiting" && old !== "waiting") this.waiting.splice(this.waitingIndex(n), 0, n);
    if (t.state === "running") {
      this.running.add(t.id);
      if (t.leaseDeadline !== null && t.leaseDeadline < this.earliestLease) this.earliestLease = t.leaseDeadline;
    } else this.running.delete(t.id);
    if (t.state === "waiting" || t.state === "running") this.live.set(n, t);
    else this.live.delete(n);

    const sign = this.def.maximize ? -1 : 1;
    this.putOutcome(t);
    // The best feasible COMPLETE loss (what GetBest and the goal look at).
    if (
      t.state === "complete" &&
      t.loss !== null &&
      sign * t.loss < this.bestComplete &&
      feasibleRow(t, this.constraintCount)
    )
      this.bestComplete = sign * t.loss;
    const last = t.intermediate.length > 0 ? t.intermediate[t.intermediate.length - 1] : undefined;
    const loss = observedLoss(t, sign, last?.[1]);
    this.columns.set(n, t.state, loss, last?.[0]);
    if (this.history !== undefined && t.state !== "waiting") this.placeInHistory(n, t.state, loss, last?.[0]);
    else if (this.history !== undefined && old !== undefined && old !== "waiting") this.removeFromHistory(n);

    // Learning curves are only kept for experiments with a pruner to read them.
    if (this.def.pruner === "none") return;
    this.curveOf[n] = {
      number: n,
      state: t.state,
      curve: sign === 1 ? t.intermediate : t.intermediate.map(([s, v]) => [s, -v] as const),
    };
  }

  /** Learning curves of every trial, indexed by number, minimisation-oriented (for pruners). */
  curves(): readonly TrialCurve[] {
    return this.curveOf;
  }

  /** Whether a RUNNING trial's lease may have lapsed at `now`: only then does expiring leases write anything. */
  mayHaveLapsed(now: number): boolean {
    return this.running.size > 0 && now > this.earliestLease;
  }

  /**
   * Why the experiment is COMPLETED at `now` (ms), or undefined while it is
   * ACTIVE or PAUSED. A function of the stored lifecycle (a user's stop, the
   * stop conditions in force) and trials, so it survives restarts (the load
   * puts every trial), and a raised or cleared limit re-opens the experiment
   * with no state to undo. Only a user's stop takes a user's RESUME.
   */
  completion(now: number): CompletionReason | undefined {
    if (this.lifecycle.stopped) return "stopped";
    const { maxTrials, maxFailedTrials, goal, deadline } = this.stop;
    if (goal !== undefined && this.bestComplete <= (this.def.maximize ? -goal : goal)) return "goal";
    if (maxTrials !== undefined && this.counts.complete + this.counts.pruned >= maxTrials) return "budget";
    if (maxFailedTrials !== undefined && this.counts.fail >= maxFailedTrials) return "failures";
    if (deadline !== undefined && now >= deadline) return "deadline";
    if (this.design?.remaining() === 0 && this.counts.running === 0 && this.counts.waiting === 0)
      return "space_exhausted";
    return undefined;
  }

  /** The lifecycle state at `now`: COMPLETED wins over PAUSED (a paused experiment may still run out). */
  status(now: number): "active" | "paused" | "completed" {
    if (this.completion(now) !== undefined) return "completed";
    return this.lifecycle.paused ? "paused" : "active";
  }

  /**
   * How many more trials may start now: max_trials less the COMPLETE,
   * PRUNED and RUNNING ones (a RUNNING trial holds its place until it fails
   * or lapses). Infinite without max_trials.
   */
  startable(): number {
    const { maxTrials } = this.stop;
    // A finite design (grid) has no more to give than its untaken points and the WAITING trials.
    const left = this.design === undefined ? Number.POSITIVE_INFINITY : this.design.remaining() + this.counts.waiting;
    if (maxTrials === undefined) return left;
    return Math.min(left, Math.max(0, maxTrials - this.counts.complete - this.counts.pruned - this.counts.running));
  }

  /**
   * `fn`'s answer as if `t` (a trial of this experiment, changed) were put:
   * Report-and-next decides on the next trial from the counts and best loss
   * the report will make, before the one unit holding both is written. `fn`
   * must be synchronous and read only; nothing changes for anyone else.
   */
  asIfPut<T>(t: TrialRow, fn: () => T): T {
    const old = this.columns.state(t.number);
    const best = this.bestComplete;
    this.counts[old]--;
    this.counts[t.state]++;
    const sign = this.def.maximize ? -1 : 1;
    if (t.state === "complete" && t.loss !== null && sign * t.loss < best && feasibleRow(t, this.constraintCount))
      this.bestComplete = sign * t.loss;
    try {
      return fn();
    } finally {
      this.counts[t.state]--;
      this.counts[old]++;
      this.bestComplete = best;
    }
  }

  /**
   * `history` (this experiment's observation view) with `t` as it will be
   * once put: a copy, since the live view must not show an unwritten change.
   * O(n) pointers, against a suggestion's own O(n) or more.
   */
  observationsWith(history: readonly Observation[], t: TrialRow): readonly Observation[] {
    const sign = this.def.maximize ? -1 : 1;
    const last = t.intermediate.length > 0 ? t.intermediate[t.intermediate.length - 1] : undefined;
    const lo = positionOf(history, t.number);
    const present = history[lo]?.number === t.number ? history[lo] : undefined;
    const observation: Observation = {
      number: t.number,
      // The same configuration object as the live view's, which the algorithms' memos match fastest.
      config: present?.config ?? this.columns.configView(t.number),
      state: t.state as ObservationState,
      loss: observedLoss(t, sign, last?.[1]),
      lastStep: last?.[0],
    };
    const out = history.slice();
    if (present !== undefined) out[lo] = observation;
    else out.splice(lo, 0, observation);
    return out;
  }

  /**
   * `history` with trial `number` (RUNNING) as a COMPLETE trial worse than
   * any other: the likeliest way its report changes what TPE reads (it joins
   * the bad set), for computing the next suggestion ahead (use-cases/suggest.ts).
   * A copy; undefined if the trial is not in `history`.
   */
  observationsAsWorst(history: readonly Observation[], number: number): readonly Observation[] | undefined {
    const lo = positionOf(history, number);
    const present = history[lo];
    if (present?.number !== number) return undefined;
    const out = history.slice();
    out[lo] = { ...present, state: "complete", loss: Number.POSITIVE_INFINITY, lastStep: undefined };
    return out;
  }

  /** Trials in `state`. */
  countOf(state: TrialState): number {
    return this.counts[state];
  }

  stateOf(number: number): TrialState {
    return this.columns.state(number);
  }

  /** Trial `number`'s objective as the algorithms see it (minimised), or undefined (see observedLoss). */
  lossOf(number: number): number | undefined {
    return this.columns.loss(number);
  }

  /** A read-only view of trial `number`'s configuration (internal values, NaN where inactive). */
  configOf(number: number): Config {
    return this.columns.configView(number);
  }

  /** Trial `number`'s last intermediate step, or undefined when it reported none. */
  lastStepOf(number: number): number | undefined {
    return this.columns.lastStep(number);
  }

  /** The trial with this id, or undefined if it is not this experiment's. Reads the store unless it is unfinished. */
  /** Whether trial `id` is one of this experiment's (as far as the image knows). */
  hasTrial(id: number): boolean {
    return this.columns.numberOf(id) !== undefined;
  }

  async trialById(id: number): Promise<TrialRow | undefined> {
    const n = this.columns.numberOf(id);
    return n === undefined ? undefined : this.trial(n);
  }

  /** Trial `number` as a whole row. Reads the store unless it is unfinished. */
  async trial(number: number): Promise<TrialRow> {
    return this.live.get(number) ?? (await this.rows([number]))[0]!;
  }

  /** The whole row of a WAITING or RUNNING trial (held in memory), else undefined. */
  liveTrial(number: number): TrialRow | undefined {
    return this.live.get(number);
  }

  /** The whole row of the WAITING or RUNNING trial with this id, else undefined. */
  liveTrialById(id: number): TrialRow | undefined {
    const n = this.columns.numberOf(id);
    return n === undefined ? undefined : this.live.get(n);
  }

  /** Whole rows of the given trials (ascending numbers), reading back the finished ones in few range queries. */
  async rows(numbers: readonly number[]): Promise<TrialRow[]> {
    const out: TrialRow[] = [];
    for (let i = 0; i < numbers.length; ) {
      let j = i;
      let stored = false;
      for (; ; j++) {
        if (!this.live.has(numbers[j]!)) stored = true;
        if (j + 1 >= numbers.length || numbers[j + 1]! - numbers[j]! > READ_GAP) break;
      }
      const from = numbers[i]!;
      const to = numbers[j]!;
      let curves = false;
      for (let n = from; n <= to && !curves; n++) curves = this.columns.lastStep(n) !== undefined;
      const read = stored
        ? await this.store.readTrials(this.row.id, from, to, curves, (n) => this.columns.config(n))
        : [];
      for (; i <= j; i++) {
        const n = numbers[i]!;
        const t = this.live.get(n) ?? read[n - from];
        if (t === undefined || t.number !== n) {
          if (this.deleted) throw notFound(`experiment "${this.row.name}" does not exist`);
          throw new Error(`experiment ${this.row.name}: trial ${n} missing from the database`);
        }
        out.push(t);
      }
    }
    return out;
  }

  /** Numbers of the trials whose state is in `states` (all trials when empty), from `from` on, at most `limit`. */
  numbersWhere(states: ReadonlySet<TrialState>, from: number, limit: number): number[] {
    const out: number[] = [];
    for (let n = Math.max(0, from); n < this.columns.count && out.length < limit; n++) {
      if (states.size === 0 || states.has(this.columns.state(n))) out.push(n);
    }
    return out;
  }

  /**
   * Number of the feasible COMPLETE trial with the least loss as the
   * algorithms see it (the first on ties).
   */
  bestNumber(): number | undefined {
    let best: number | undefined;
    let bestLoss = Number.POSITIVE_INFINITY;
    for (let n = 0; n < this.columns.count; n++) {
      if (this.columns.state(n) !== "complete" || !this.feasible(n)) continue;
      const loss = this.columns.loss(n);
      if (loss !== undefined && (best === undefined || loss < bestLoss)) {
        best = n;
        bestLoss = loss;
      }
    }
    return best;
  }

  /**
   * Whether trial `number` meets the constraints: every value <= 0. Once the
   * experiment's trials carry constraints, a trial without any (reported
   * before the first constrained one) is not known to be feasible, so it is not.
   */
  feasible(number: number): boolean {
    if (this.constraintCount === 0) return true;
    const c = this.outcomes.get(number)?.constraints;
    return c?.every((v) => v <= 0) === true;
  }

  /** A COMPLETE multi-objective trial's objective values as the algorithms see them (minimised), or undefined. */
  valuesOf(number: number): ArrayLike<number> | undefined {
    return this.outcomes.get(number)?.values;
  }

  /**
   * Numbers of the Pareto front: the feasible COMPLETE trials whose
   * objective values no other one dominates, ascending. With one objective,
   * the trials tied for the best loss.
   */
  paretoNumbers(): number[] {
    const numbers: number[] = [];
    const points: ArrayLike<number>[] = [];
    const multi = this.def.objectives.length > 1;
    for (let n = 0; n < this.columns.count; n++) {
      if (this.columns.state(n) !== "complete" || !this.feasible(n)) continue;
      const point = multi ? this.outcomes.get(n)?.values : [this.columns.loss(n) ?? Number.NaN];
      if (point === undefined || Number.isNaN(point[0]!)) continue;
      numbers.push(n);
      points.push(point);
    }
    return paretoFront(points).map((i) => numbers[i]!);
  }

  /** Whether some trial already has this configuration. */
  hasConfig(config: Config): boolean {
    for (let n = 0; n < this.columns.count; n++) if (this.columns.sameConfig(n, config)) return true;
    return false;
  }

  /**
   * What the algorithms see: every non-WAITING trial in number order. The
   * array is updated in place by later writes; callers that await between
   * reading and using it must copy it.
   */
  observationHistory(): readonly Observation[] {
    if (this.history === undefined) {
      const h: Observation[] = [];
      for (let n = 0; n < this.columns.count; n++) {
        const state = this.columns.state(n);
        if (state === "waiting") continue;
        h.push({
          number: n,
          config: this.columns.configView(n),
          state,
          loss: this.columns.loss(n),
          lastStep: this.columns.lastStep(n),
          ...this.outcomes.get(n),
        });
      }
      this.history = h;
    }
    return this.history;
  }

  /**
   * Frees what the algorithm keeps for this experiment: its view of the
   * history (the next observationHistory() rebuilds it) and its session
   * (the next suggestion opens a new one, which suggests the same).
   */
  dropAlgorithmState(): void {
    this.history = undefined;
    dropSession(this);
  }

  /** Where trial `n` goes in the sorted waiting list. */
  private waitingIndex(n: number): number {
    let i = this.waiting.length;
    while (i > 0 && this.waiting[i - 1]! > n) i--;
    return i;
  }

  /** A trial back to WAITING (released): the algorithms no longer see it. */
  private removeFromHistory(number: number): void {
    const h = this.history!;
    const lo = positionOf(h, number);
    if (h[lo]?.number === number) h.splice(lo, 1);
  }

  private placeInHistory(
    number: number,
    state: ObservationState,
    loss: number | undefined,
    lastStep: number | undefined,
  ): void {
    const h = this.history!;
    const lastNumber = h.length === 0 ? -1 : h[h.length - 1]!.number;
    const outcome = this.outcomes.get(number);
    if (number > lastNumber) {
      h.push({ number, config: this.columns.configView(number), state, loss, lastStep, ...outcome });
      return;
    }
    const lo = positionOf(h, number);
    if (h[lo]?.number === number) h[lo] = { number, config: h[lo]!.config, state, loss, lastStep, ...outcome };
    // An enqueued trial that started after later trials: rare, so a splice is fine.
    else h.splice(lo, 0, { number, config: this.columns.configView(number), state, loss, lastStep, ...outcome });
  }

  /** Keeps trial `t`'s objective values (as the algorithms see them) and constraints, if it has any. */
  private putOutcome(t: TrialRow): void {
    const values = t.values !== undefined && t.values.length > 0 ? t.values : undefined;
    const constraints = t.constraints !== undefined && t.constraints.length > 0 ? t.constraints : undefined;
    if (constraints !== undefined && this.constraintCount === 0) this.constraintCount = constraints.length;
    if (values === undefined && constraints === undefined) {
      this.outcomes.delete(t.number);
      return;
    }
    const outcome: TrialOutcome = {};
    if (values !== undefined && t.state === "complete")
      outcome.values = Float64Array.from(values, (v, k) => (this.def.objectives[k]?.maximize ? -v : v));
    if (constraints !== undefined) outcome.constraints = Float64Array.from(constraints);
    this.outcomes.set(t.number, outcome);
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
}

/** What the algorithms see of a trial's objective values and constraints (Observation's fields). */
interface TrialOutcome {
  values?: Float64Array;
  constraints?: Float64Array;
}

/** Whether a row's own constraints are met (a row without any is, unless the experiment's trials carry some). */
function feasibleRow(t: TrialRow, constraintCount: number): boolean {
  if (t.constraints === undefined || t.constraints.length === 0) return constraintCount === 0;
  return t.constraints.every((v) => v <= 0);
}

/**
 * The objective as the algorithms see it (minimised). COMPLETE: the loss.
 * PRUNED: the loss, else the last intermediate value. Otherwise undefined.
 */
function observedLoss(t: TrialRow, sign: number, lastValue: number | undefined): number | undefined {
  if (t.state === "complete") return t.loss === null ? undefined : sign * t.loss;
  if (t.state === "pruned") {
    const v = t.loss ?? lastValue;
    return v === undefined || Number.isNaN(v) ? undefined : sign * v;
  }
  return undefined;
}

/** Where trial `number` is, or would go, in `history` (sorted by trial number): a binary search. */
function positionOf(history: readonly Observation[], number: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (history[mid]!.number < number) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
