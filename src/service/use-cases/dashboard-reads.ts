/**
 * The read-only use-cases behind the dashboard (src/http), answering the
 * JSON records of dashboard-views.ts: experiment summaries, downsampled plot data, a sorted, filtered and paged trials
 * table, timelines, learning curves and parameter importance, as plain JSON
 * records. Everything is answered from the in-memory image where it can be
 * (states, losses, configurations of every trial are in columns there), and
 * only the rows a page shows are read back from the store, so a 100,000-trial
 * experiment costs a page's worth of reads, not a history's.
 *
 * It changes nothing: lapsed leases are expired first (as GetTrial does) and
 * every answer waits until what it read is committed.
 */
import { invalidArgument, notFound } from "../../errors.js";
import { TRIAL_STATES, type TrialState } from "../../domain/trial-state.js";
import { pedAnova, type Scored } from "../../importance/ped-anova.js";
import type { TrialRow } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { type Changes, type ExperimentCache, experimentNamed } from "../state/experiments.js";
import type { ExperimentState } from "../state/experiment-state.js";
import type { Leases } from "./leases.js";
import {
  type ExperimentDetail,
  type ExperimentSummary,
  objectivesOf,
  type ParetoPoints,
  type PlotPoints,
  paramInfo,
  summaryOf,
  type TimelineEntry,
  type TrialQuery,
  type TrialRecord,
  trialRecord,
} from "./dashboard-views.js";

export type { ExperimentDetail, ExperimentSummary, ParetoPoints, PlotPoints, TimelineEntry, TrialQuery, TrialRecord };

export const MAX_TABLE_PAGE = 1000;
const BEST_ALWAYS_SHOWN = 200;

/** What was last computed for an experiment, valid while its version is unchanged. */
interface Memo<T> {
  readonly version: number;
  readonly key: string;
  readonly value: T;
}

export class DashboardReads {
  /**
   * Per experiment, the last sorted table order and importance: paging
   * through a table, or several open pages polling one experiment, then
   * cost one sort or one PED-ANOVA per change of the experiment, not per call.
   */
  private readonly orders = new WeakMap<ExperimentState, Memo<number[]>>();
  private readonly importances = new WeakMap<ExperimentState, Memo<{ name: string; importance: number }[]>>();

  constructor(
    private readonly store: Store,
    private readonly cache: ExperimentCache,
    private readonly changes: Changes,
    private readonly leases: Leases,
    private readonly now: () => number,
  ) {}

  /** Every experiment's summary, by name (loading each one's history if it is not in memory). */
  async experiments(): Promise<ExperimentSummary[]> {
    const out: ExperimentSummary[] = [];
    for (let after = ""; ; ) {
      const rows = await this.store.listExperiments(after, 500);
      for (const r of rows) {
        const exp = await this.changes.listed(r);
        if (exp !== undefined) out.push(summaryOf(exp, this.now()));
      }
      if (rows.length < 500) break;
      after = rows[rows.length - 1]!.name;
    }
    return this.changes.settled(out);
  }

  async experiment(name: string): Promise<ExperimentDetail> {
    const exp = await this.fresh(name);
    return this.changes.settled({
      ...summaryOf(exp, this.now()),
      params: exp.space.params.map((p) => paramInfo(exp, p)),
    });
  }

  /** Plot data for at most `max` trials: all of them, or the best ones plus an even sample of the rest. */
  async points(name: string, max: number): Promise<PlotPoints> {
    const exp = await this.fresh(name);
    const { lossOf, sign } = primaryObjective(exp);
    const scored: number[] = [];
    const best = { numbers: [] as number[], losses: [] as number[] };
    let bestSoFar = Number.POSITIVE_INFINITY;
    for (let n = 0; n < exp.nextNumber; n++) {
      const loss = lossOf(n);
      if (loss === undefined) continue;
      scored.push(n);
      // Infeasible trials are never the best (as for GetBest).
      if (exp.stateOf(n) === "complete" && loss < bestSoFar && exp.feasible(n)) {
        bestSoFar = loss;
        best.numbers.push(n);
        best.losses.push(sign * loss);
      }
    }
    const chosen = sampleNumbers(lossOf, scored, max);
    const params: Record<string, (number | null)[]> = {};
    for (const p of exp.space.params) params[p.name] = [];
    const states: TrialState[] = [];
    const losses: number[] = [];
    for (const n of chosen) {
      states.push(exp.stateOf(n));
      losses.push(sign * lossOf(n)!);
      const config = exp.configOf(n);
      for (const p of exp.space.params) {
        const v = config[p.index]!;
        params[p.name]!.push(Number.isNaN(v) ? null : v);
      }
    }
    return this.changes.settled({
      total: scored.length,
      sampled: chosen.length < scored.length,
      numbers: chosen,
      states,
      losses,
      params,
      best,
    });
  }

  /**
   * A multi-objective experiment's COMPLETE trials for the Pareto plot: the
   * front always whole (it is what the plot is for), the other trials an even
   * sample when there are more than `max` in all. Values in each objective's own direction.
   */
  async pareto(name: string, max: number): Promise<ParetoPoints> {
    const exp = await this.fresh(name);
    const objectives = objectivesOf(exp);
    const signs = exp.def.objectives.map((o) => (o.maximize ? -1 : 1));
    const shown = (n: number): number[] => Array.from(exp.valuesOf(n)!, (v, k) => signs[k]! * v);
    const frontNumbers = objectives.length > 1 ? exp.paretoNumbers() : [];
    const onFront = new Set(frontNumbers);
    const rest: number[] = [];
    if (objectives.length > 1)
      for (let n = 0; n < exp.nextNumber; n++)
        if (exp.stateOf(n) === "complete" && exp.valuesOf(n) !== undefined && !onFront.has(n)) rest.push(n);
    const room = Math.max(0, max - frontNumbers.length);
    const others = rest.length <= room ? rest : evenSample(rest, room);
    return this.changes.settled({
      objectives,
      total: frontNumbers.length + rest.length,
      sampled: others.length < rest.length,
      front: { numbers: frontNumbers, values: frontNumbers.map(shown) },
      others: { numbers: others, values: others.map(shown), feasible: others.map((n) => exp.feasible(n)) },
    });
  }

  /** One page of the trials table: matching trial numbers sorted in memory, only the page's rows read back. */
  async trials(name: string, q: TrialQuery): Promise<{ total: number; offset: number; rows: TrialRecord[] }> {
    const exp = await this.fresh(name);
    const numbers = this.sortedNumbers(exp, q);
    const offset = Math.max(0, Math.floor(q.offset ?? 0));
    const limit = Math.min(MAX_TABLE_PAGE, Math.max(1, Math.floor(q.limit ?? 50)));
    const page = numbers.slice(offset, offset + limit);
    const rows = await readInOrder(exp, page);
    return this.changes.settled({ total: numbers.length, offset, rows: rows.map((t) => trialRecord(exp, t, false)) });
  }

  /** Every trial the table would show, in its order, read back in chunks (for downloads). */
  async *allTrials(name: string, q: TrialQuery): AsyncGenerator<TrialRecord> {
    const exp = await this.fresh(name);
    const numbers = this.sortedNumbers(exp, q);
    for (let i = 0; i < numbers.length; i += 1000) {
      const rows = await this.changes.settled(await readInOrder(exp, numbers.slice(i, i + 1000)));
      for (const t of rows) yield trialRecord(exp, t, false);
    }
  }

  async trial(name: string, number: number): Promise<TrialRecord> {
    const exp = await this.fresh(name);
    if (!Number.isSafeInteger(number) || number < 0 || number >= exp.nextNumber)
      throw notFound(`experiment "${name}" has no trial number ${number}`);
    return this.changes.settled(trialRecord(exp, await exp.trial(number), true));
  }

  /** The `max` most recent trials that started, for a timeline per worker. */
  async timeline(name: string, max: number): Promise<{ total: number; rows: TimelineEntry[] }> {
    const exp = await this.fresh(name);
    const started: number[] = [];
    for (let n = exp.nextNumber - 1; n >= 0 && started.length < max; n--)
      if (exp.stateOf(n) !== "waiting") started.push(n);
    started.reverse();
    const rows = await exp.rows(started);
    let total = 0;
    for (let n = 0; n < exp.nextNumber; n++) if (exp.stateOf(n) !== "waiting") total++;
    const entries = rows
      .filter((t) => t.startTime !== null)
      .map((t) => ({ number: t.number, workerId: t.workerId, state: t.state, start: t.startTime!, end: t.endTime }));
    return this.changes.settled({ total, rows: entries });
  }

  /** Learning curves of at most `max` trials: the best ones first, then the most recent. */
  async curves(
    name: string,
    max: number,
  ): Promise<{ total: number; rows: { number: number; state: TrialState; points: [number, number][] }[] }> {
    const exp = await this.fresh(name);
    const withCurve: number[] = [];
    for (let n = 0; n < exp.nextNumber; n++) if (exp.lastStepOf(n) !== undefined) withCurve.push(n);
    const chosen = new Set<number>();
    const byLoss = withCurve.filter((n) => exp.lossOf(n) !== undefined).sort((a, b) => exp.lossOf(a)! - exp.lossOf(b)!);
    for (const n of byLoss.slice(0, Math.ceil(max / 2))) chosen.add(n);
    for (let i = withCurve.length - 1; i >= 0 && chosen.size < max; i--) chosen.add(withCurve[i]!);
    const rows = await exp.rows([...chosen].sort((a, b) => a - b));
    return this.changes.settled({
      total: withCurve.length,
      rows: rows.map((t) => ({ number: t.number, state: t.state, points: t.intermediate.map(([s, v]) => [s, v]) })),
    });
  }

  /** PED-ANOVA importance of each parameter over the COMPLETE trials, most important first. */
  async importance(name: string): Promise<{ trials: number; params: { name: string; importance: number }[] }> {
    const exp = await this.fresh(name);
    const memo = this.importances.get(exp);
    const complete = exp.countOf("complete");
    if (memo !== undefined && memo.version === exp.version)
      return this.changes.settled({ trials: complete, params: memo.value });
    const trials: Scored[] = [];
    const { lossOf } = primaryObjective(exp);
    for (let n = 0; n < exp.nextNumber; n++) {
      const loss = lossOf(n);
      if (loss !== undefined && exp.stateOf(n) === "complete") trials.push({ config: exp.configOf(n), loss });
    }
    const values = pedAnova(exp.space, trials);
    const params = exp.space.params
      .map((p, i) => ({ name: p.name, importance: values[i]! }))
      .sort((a, b) => b.importance - a.importance);
    this.importances.set(exp, { version: exp.version, key: "", value: params });
    return this.changes.settled({ trials: trials.length, params });
  }

  private async fresh(name: string): Promise<ExperimentState> {
    const exp = await this.changes.current(() => experimentNamed(this.cache, name));
    await this.leases.expireNow(exp);
    return exp;
  }

  private sortedNumbers(exp: ExperimentState, q: TrialQuery): number[] {
    const memoKey = JSON.stringify([q.sort ?? "number", q.desc === true, [...(q.states ?? [])].sort()]);
    const memo = this.orders.get(exp);
    if (memo !== undefined && memo.version === exp.version && memo.key === memoKey) return memo.value;
    const states = new Set(q.states ?? []);
    const numbers: number[] = [];
    for (let n = 0; n < exp.nextNumber; n++) if (states.size === 0 || states.has(exp.stateOf(n))) numbers.push(n);
    const key = sortKey(exp, q.sort ?? "number");
    if (key !== undefined) {
      // Keys computed once into a typed array: the comparator then only indexes it.
      const keys = new Float64Array(exp.nextNumber);
      for (const n of numbers) keys[n] = key(n);
      // Trials without a value (no loss, inactive parameter) go last whatever the order.
      const dir = q.desc ? -1 : 1;
      numbers.sort((a, b) => {
        const ka = keys[a]!;
        const kb = keys[b]!;
        if (Number.isNaN(ka) || Number.isNaN(kb)) return Number.isNaN(ka) ? (Number.isNaN(kb) ? a - b : 1) : -1;
        return ka === kb ? a - b : (ka - kb) * dir;
      });
    } else if (q.desc) numbers.reverse();
    this.orders.set(exp, { version: exp.version, key: memoKey, value: numbers });
    return numbers;
  }
}

/** A sort key per trial number (NaN when it has none), or undefined for number order. */
function sortKey(exp: ExperimentState, sort: string): ((n: number) => number) | undefined {
  if (sort === "number") return undefined;
  const sign = exp.def.maximize ? -1 : 1;
  if (sort === "loss") return (n) => sign * (exp.lossOf(n) ?? Number.NaN);
  if (sort === "state") return (n) => TRIAL_STATES.indexOf(exp.stateOf(n));
  if (sort.startsWith("objective:")) {
    const k = exp.def.objectives.findIndex((o) => o.name === sort.slice("objective:".length));
    if (k >= 0 && exp.def.objectives.length > 1) {
      const ksign = exp.def.objectives[k]!.maximize ? -1 : 1;
      return (n) => ksign * (exp.valuesOf(n)?.[k] ?? Number.NaN);
    }
  }
  if (sort.startsWith("param:")) {
    const p = exp.space.byName.get(sort.slice("param:".length));
    if (p !== undefined) return (n) => exp.configOf(n)[p.index]!;
  }
  throw invalidArgument(
    `sort: expected number, loss, state, objective:<name> of an objective or param:<name> of a parameter, got "${sort}"`,
  );
}

/** All of `scored` when there are at most `max`; else the best trials plus an even sample of the others. */
function sampleNumbers(lossOf: (n: number) => number | undefined, scored: number[], max: number): number[] {
  if (scored.length <= max) return scored;
  const keep = new Set<number>();
  // The best trials by a loss threshold: a native typed-array sort, not a sort of trials by comparator.
  const nBest = Math.min(BEST_ALWAYS_SHOWN, Math.floor(max / 4));
  const losses = Float64Array.from(scored, (n) => lossOf(n)!).sort();
  const threshold = losses[nBest - 1]!;
  for (const n of scored) if (keep.size < nBest && lossOf(n)! <= threshold) keep.add(n);
  const stride = scored.length / (max - keep.size);
  for (let i = 0; keep.size < max && i < scored.length; i += stride) keep.add(scored[Math.floor(i)]!);
  return [...keep].sort((a, b) => a - b);
}

/**
 * The objective the single-objective plots and importance show, minimised,
 * and the sign that turns it back into the user's direction: the loss, or a
 * multi-objective experiment's first objective (it has no loss).
 */
function primaryObjective(exp: ExperimentState): { lossOf: (n: number) => number | undefined; sign: number } {
  if (exp.def.objectives.length > 1)
    return { lossOf: (n) => exp.valuesOf(n)?.[0], sign: exp.def.objectives[0]!.maximize ? -1 : 1 };
  return { lossOf: (n) => exp.lossOf(n), sign: exp.def.maximize ? -1 : 1 };
}

/** `k` of `numbers`, evenly spaced, in their order. */
function evenSample(numbers: readonly number[], k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(numbers[Math.floor((i * numbers.length) / k)]!);
  return out;
}

/** Rows of `numbers` in the given order (exp.rows reads ascending numbers). */
async function readInOrder(exp: ExperimentState, numbers: readonly number[]): Promise<TrialRow[]> {
  const ascending = [...numbers].sort((a, b) => a - b);
  const rows = await exp.rows(ascending);
  const byNumber = new Map(rows.map((t) => [t.number, t]));
  return numbers.map((n) => byNumber.get(n)!);
}
