/**
 * TPE's good/bad split and good-set weights when trials carry several
 * objectives or constraints, after Optuna's TPE sampler:
 *
 * - Feasible trials come first: the good set is filled from the feasible
 *   COMPLETE trials, then the feasible PRUNED ones (as split.ts ranks them;
 *   before definition version 9 the last places went by trial number),
 *   then the infeasible trials by their total violation (sum of the positive
 *   constraint values; a trial without constraints in an experiment whose
 *   trials carry them counts as infinitely violating), least first. With
 *   constraints, the search thus learns where feasible configurations are
 *   before it learns which of them are good.
 * - Several objectives (MOTPE, Ozaki et al. 2020/2022): COMPLETE trials are
 *   ranked by non-domination; whole fronts join the good set while they fit,
 *   and the front that does not fit is cut by greedy hypervolume subset
 *   selection (the members adding the most hypervolume). The good set is
 *   ⌈β·N⌉ (β = gamma_beta) without the single-objective cap, as in Optuna.
 * - Good-set weights ("ei", the default): each member's exclusive
 *   hypervolume contribution to the good set, relative to the largest
 *   (MOTPE's weighting; a member without objective values gets the floor);
 *   for one objective with constraints, EI over the best feasible loss of the
 *   bad set. "uniform" and "old_decay" behave as for one objective.
 */
import { hypervolumeContributions, greedySubset, referencePoint } from "../../math/hypervolume.js";
import { nonDominationRanks } from "../../math/pareto.js";
import type { Observation } from "../types.js";
import type { TpeOptions } from "./options.js";
import { goodSetSize, splitHistory } from "./split.js";
import { observationWeights } from "./weights.js";

const FLOOR = 1e-12;

export interface WeightedSplit {
  readonly good: Observation[];
  readonly goodWeights: Float64Array;
  readonly bad: Observation[];
  readonly badWeights: Float64Array;
  /** COMPLETE + PRUNED trials: N for γ(N) and for the startup phase. */
  readonly finished: number;
}

/** Whether any trial carries objective values or constraints: then this module splits, else split.ts. */
export function hasOutcomes(history: readonly Observation[]): boolean {
  for (const o of history) if (o.values !== undefined || o.constraints !== undefined) return true;
  return false;
}

/** Sum of the positive constraint values; +∞ for a trial without any when others have them. */
function violation(o: Observation, constrained: boolean): number {
  if (!constrained) return 0;
  const c = o.constraints;
  if (c === undefined) return Number.POSITIVE_INFINITY;
  let v = 0;
  for (let k = 0; k < c.length; k++) if (c[k]! > 0) v += c[k]!;
  return v;
}

export function splitWithOutcomes(history: readonly Observation[], options: TpeOptions): WeightedSplit {
  const ordered = [...history].sort((a, b) => a.number - b.number);
  const multi = ordered.some((o) => o.values !== undefined);
  const constrained = ordered.some((o) => o.constraints !== undefined);
  const complete: Observation[] = [];
  const pruned: Observation[] = [];
  const infeasible: { o: Observation; v: number }[] = [];
  let finished = 0;
  for (const o of ordered) {
    if (o.state !== "complete" && o.state !== "pruned") continue;
    finished++;
    const v = violation(o, constrained);
    if (v > 0) infeasible.push({ o, v });
    else if (o.state === "complete" && (multi ? o.values !== undefined : o.loss !== undefined)) complete.push(o);
    else pruned.push(o);
  }
  const nGood = multi
    ? goodSetSize(finished, { ...options, gamma_cap: Number.MAX_SAFE_INTEGER })
    : goodSetSize(finished, options);

  const chosen = new Set<Observation>();
  const take = (os: readonly Observation[]) => {
    for (const o of os) if (chosen.size < nGood) chosen.add(o);
  };
  take(multi ? bestByDomination(complete, nGood) : [...complete].sort((a, b) => a.loss! - b.loss!));
  // PRUNED trials ranked as split.ts ranks them (further first, then the last value). Its good set comes back in
  // number order, so it is asked for exactly the places left (pruned_fill "by_number": for all nGood).
  if (chosen.size < nGood) {
    const places = options.pruned_fill === "ranked" ? nGood - chosen.size : nGood;
    take(splitHistory(pruned, { ...options, gamma_cap: places, gamma_cap_growth: 0, gamma_beta: 1 }).good);
  }
  if (chosen.size < nGood) take(infeasible.sort((a, b) => a.v - b.v).map((x) => x.o));

  const good: Observation[] = [];
  const bad: Observation[] = [];
  for (const o of ordered) {
    if (chosen.has(o)) good.push(o);
    else if (o.state === "complete" || o.state === "pruned" || (o.state === "running" && options.constant_liar))
      bad.push(o);
  }
  return {
    good,
    goodWeights: goodWeights(good, bad, options, multi, constrained),
    bad,
    badWeights: observationWeights(bad, options.weights_bad, Number.POSITIVE_INFINITY),
    finished,
  };
}

/**
 * The `n` best of `trials` by non-domination rank (all when they fit), the
 * last front that does not fit cut by greedy hypervolume subset selection.
 */
function bestByDomination(trials: readonly Observation[], n: number): Observation[] {
  if (n >= trials.length) return [...trials];
  const points = trials.map((o) => o.values!);
  const ranks = nonDominationRanks(points, n);
  const out: Observation[] = [];
  for (let r = 0; out.length < n; r++) {
    const front: number[] = [];
    for (let i = 0; i < trials.length; i++) if (ranks[i] === r) front.push(i);
    if (out.length + front.length <= n) {
      for (const i of front) out.push(trials[i]!);
      continue;
    }
    const frontPoints = front.map((i) => points[i]!);
    for (const j of greedySubset(frontPoints, n - out.length, referencePoint(frontPoints)))
      out.push(trials[front[j]!]!);
  }
  return out;
}

function goodWeights(
  good: readonly Observation[],
  bad: readonly Observation[],
  options: TpeOptions,
  multi: boolean,
  constrained: boolean,
): Float64Array {
  if (options.weights !== "ei") return observationWeights(good, options.weights, Number.POSITIVE_INFINITY);
  const w = new Float64Array(good.length).fill(1);
  const feasible = (o: Observation) =>
    o.state === "complete" &&
    violation(o, constrained) === 0 &&
    (multi ? o.values !== undefined : o.loss !== undefined);
  if (multi) {
    const members: number[] = [];
    for (let i = 0; i < good.length; i++) if (feasible(good[i]!)) members.push(i);
    if (members.length === 0) return w;
    w.fill(FLOOR);
    if (members.length === 1) {
      w[members[0]!] = 1;
      return w;
    }
    const points = members.map((i) => good[i]!.values!);
    const contributions = hypervolumeContributions(points, referencePoint(points));
    let max = 0;
    for (const c of contributions) max = Math.max(max, c);
    for (let k = 0; k < members.length; k++)
      w[members[k]!] = Math.min(1, Math.max(FLOOR, contributions[k]! / Math.max(max, FLOOR)));
    return w;
  }
  // One objective: EI over the best feasible loss left in the bad set.
  let threshold = Number.POSITIVE_INFINITY;
  for (const o of bad) if (feasible(o) && o.loss! < threshold) threshold = o.loss!;
  if (!Number.isFinite(threshold)) return w;
  for (let i = 0; i < good.length; i++) {
    const o = good[i]!;
    w[i] = feasible(o) ? Math.max(FLOOR, threshold - o.loss!) : FLOOR;
  }
  return w;
}
