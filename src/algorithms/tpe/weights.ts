/**
 * Mixture weights of the observations in each set, before the prior kernel
 * is added. "ei": w = y* − y with y* the best loss of the bad set (the split
 * threshold), so the best trials dominate l(x); "uniform"; "old_decay":
 * hyperopt's linear forgetting of all but the newest 25.
 */
import type { Observation } from "../types.js";

export type WeightStrategy = "ei" | "uniform" | "old_decay";

const EI_FLOOR = 1e-12;
const DECAY_KEEP = 25;

/** Raw weights for `members` (in trial-number order) under `strategy`. */
export function observationWeights(
  members: readonly Observation[],
  strategy: WeightStrategy,
  threshold: number,
): Float64Array {
  const n = members.length;
  const w = new Float64Array(n).fill(1);
  if (strategy === "ei") {
    if (!Number.isFinite(threshold)) return w;
    for (let i = 0; i < n; i++) {
      const o = members[i]!;
      // PRUNED members (only in the good set when few trials completed) have no comparable loss.
      const y = o.state === "complete" && o.loss !== undefined && Number.isFinite(o.loss) ? o.loss : threshold;
      w[i] = Math.max(EI_FLOOR, threshold - y);
    }
  } else if (strategy === "old_decay" && n >= DECAY_KEEP) {
    const m = n - DECAY_KEEP;
    // linspace(1/n, 1, m) over the oldest m members.
    for (let i = 0; i < m; i++) w[i] = m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1);
  }
  return w;
}

/** The best COMPLETE loss in a set (+∞ when it has none): EI's threshold y*. */
export function bestLoss(set: readonly Observation[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const o of set) if (o.state === "complete" && o.loss !== undefined && o.loss < best) best = o.loss;
  return best;
}

/** Raw weight of the prior kernel: prior_weight, times the mean observation weight under EI. */
export function priorRawWeight(weights: Float64Array, strategy: WeightStrategy, priorWeight: number): number {
  if (strategy !== "ei" || weights.length === 0) return priorWeight;
  let s = 0;
  for (let i = 0; i < weights.length; i++) s += weights[i]!;
  return (priorWeight * s) / weights.length;
}

function sum(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]!;
  return s;
}

/**
 * g's prior weight, raised where needed so that far from every trial (where
 * only the two prior kernels are left, with the same density) l/g, the ratio
 * of the priors' shares, is at most `bound` (far_field_bound).
 */
export function farFieldPrior(
  lPrior: number,
  lw: Float64Array,
  gPrior: number,
  gw: Float64Array,
  bound: number,
): number {
  const lShare = lPrior / (lPrior + sum(lw));
  const gw1 = sum(gw);
  if (lShare <= (bound * gPrior) / (gPrior + gw1)) return gPrior;
  // The share r = lShare/bound (< 1 as bound >= 1 and lShare < 1 with any member) needs weight gw1·r/(1 − r).
  const r = lShare / bound;
  return r >= 1 ? gPrior : (gw1 * r) / (1 - r);
}
