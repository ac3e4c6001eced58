/**
 * NSGA-II's selection: Deb's constrained domination, ranks by it, crowding
 * distance, elitist survival and the crowded binary tournament (Deb et al.
 * 2002). Every objective is minimised.
 */
import type { Rng } from "../../math/rng.js";
import { dominates, nonDominationRanks } from "../../math/pareto.js";

/** A finished trial as selection sees it. */
export interface Individual {
  /** The objective values (one entry for a single objective). */
  readonly values: ArrayLike<number>;
  /** Total constraint violation: the sum of the positive constraint values (0: feasible). */
  readonly violation: number;
}

/**
 * Sum of the positive constraint values; 0 for an experiment without
 * constraints, +∞ for a trial without them when others have them (it cannot
 * be shown feasible, as in Optuna).
 */
export function violationOf(constraints: ArrayLike<number> | undefined, constrained: boolean): number {
  if (!constrained) return 0;
  if (constraints === undefined) return Number.POSITIVE_INFINITY;
  let v = 0;
  for (let k = 0; k < constraints.length; k++) if (constraints[k]! > 0) v += constraints[k]!;
  return v;
}

/**
 * Deb's constrained domination: a feasible trial beats an infeasible one;
 * of two infeasible ones the smaller total violation wins; two feasible ones
 * compare by Pareto dominance.
 */
export function constrainedDominates(a: Individual, b: Individual): boolean {
  const fa = a.violation === 0;
  const fb = b.violation === 0;
  if (fa && fb) return dominates(a.values, b.values);
  if (fa !== fb) return fa;
  return a.violation < b.violation;
}

/**
 * Rank of every individual under constrained domination (0 = best front):
 * the feasible ones by non-domination, then each distinct violation a front
 * of its own, smallest first; the same ranks Deb's sort gives.
 */
export function constrainedRanks(pop: readonly Individual[]): Int32Array {
  const rank = new Int32Array(pop.length);
  const feasible: number[] = [];
  const infeasible: number[] = [];
  pop.forEach((p, i) => {
    (p.violation === 0 ? feasible : infeasible).push(i);
  });
  const feasibleRanks = nonDominationRanks(feasible.map((i) => pop[i]!.values));
  let next = 0;
  feasible.forEach((i, k) => {
    rank[i] = feasibleRanks[k]!;
    next = Math.max(next, feasibleRanks[k]! + 1);
  });
  infeasible.sort((i, j) => pop[i]!.violation - pop[j]!.violation || i - j);
  let last = Number.NaN;
  for (const i of infeasible) {
    const v = pop[i]!.violation;
    if (v !== last && !Number.isNaN(last)) next++;
    rank[i] = next;
    last = v;
  }
  return rank;
}

/**
 * Crowding distance of each point of one front: per objective, the two
 * extreme points get +∞ and every other the gap between its neighbours
 * divided by the objective's range, summed over objectives; an objective
 * with no range adds nothing. Ties keep their order (stable sort).
 */
export function crowdingDistance(values: readonly ArrayLike<number>[]): Float64Array {
  const n = values.length;
  const d = new Float64Array(n);
  if (n === 0) return d;
  const m = values[0]!.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < m; k++) {
    order.sort((a, b) => values[a]![k]! - values[b]![k]! || a - b);
    const lo = values[order[0]!]![k]!;
    const hi = values[order[n - 1]!]![k]!;
    const width = hi - lo;
    if (!(width > 0)) continue;
    d[order[0]!] = Number.POSITIVE_INFINITY;
    d[order[n - 1]!] = Number.POSITIVE_INFINITY;
    for (let j = 1; j < n - 1; j++) {
      d[order[j]!]! += (values[order[j + 1]!]![k]! - values[order[j - 1]!]![k]!) / width;
    }
  }
  return d;
}

/** Ranks and crowding distances (within each rank's front) of a population. */
export interface Ranked {
  readonly rank: Int32Array;
  readonly crowding: Float64Array;
}

export function rankAndCrowd(pop: readonly Individual[]): Ranked {
  const rank = constrainedRanks(pop);
  const crowding = new Float64Array(pop.length);
  const fronts = new Map<number, number[]>();
  rank.forEach((r, i) => {
    const f = fronts.get(r);
    if (f === undefined) fronts.set(r, [i]);
    else f.push(i);
  });
  for (const front of fronts.values()) {
    const d = crowdingDistance(front.map((i) => pop[i]!.values));
    front.forEach((i, k) => {
      crowding[i] = d[k]!;
    });
  }
  return { rank, crowding };
}

/**
 * Elitist survival: the `size` best of `pop` by rank, whole fronts while they
 * fit, the front that does not fit cut by crowding distance (largest first,
 * ties by position). Returns indices into `pop`, in its order.
 */
export function selectElite(pop: readonly Individual[], size: number): number[] {
  if (pop.length <= size) return pop.map((_, i) => i);
  const { rank, crowding } = rankAndCrowd(pop);
  const order = pop
    .map((_, i) => i)
    .sort((a, b) => rank[a]! - rank[b]! || crowding[b]! - crowding[a]! || a - b)
    .slice(0, size);
  return order.sort((a, b) => a - b);
}

/**
 * Crowded binary tournament: two entrants drawn at random (from those not
 * `taken`); the lower rank wins, then the larger crowding distance, else the
 * first drawn.
 */
export function tournament(ranked: Ranked, taken: ReadonlySet<number>, rng: Rng): number {
  const open: number[] = [];
  for (let i = 0; i < ranked.rank.length; i++) if (!taken.has(i)) open.push(i);
  const a = open[rng.int(open.length)]!;
  const b = open[rng.int(open.length)]!;
  const { rank, crowding } = ranked;
  if (rank[b]! < rank[a]! || (rank[b] === rank[a] && crowding[b]! > crowding[a]!)) return b;
  return a;
}
