/**
 * Parameter importance by PED-ANOVA (Watanabe, Bansal and Hutter, IJCAI
 * 2023; Optuna's default evaluator since 4.x): a parameter matters as much
 * as the distribution of its values among the best trials (the top
 * `quantile` by loss) differs from its distribution among all of them,
 * measured by the Pearson divergence of the two one-dimensional densities
 * on a grid. No model is fitted, so it costs O(n log n + n·grid) and stays
 * cheap at 100,000 trials.
 *
 * The good trials are those whose loss is within the best `quantile` of
 * all; a conditional parameter is judged only on the trials where it is
 * active. Pure: no I/O, no state.
 */
import type { ParamSpec, Space } from "../space/types.js";

export interface ImportanceOptions {
  /** Fraction of the trials counted as "good" (Optuna: target_quantile 0.1). */
  readonly quantile: number;
  /** Grid points per numeric parameter. */
  readonly gridSize: number;
}

export const DEFAULT_IMPORTANCE: ImportanceOptions = { quantile: 0.1, gridSize: 50 };

/** One finished trial: its configuration (internal values, NaN where inactive) and minimised loss. */
export interface Scored {
  readonly config: Float64Array;
  readonly loss: number;
}

/** Fewer active trials than this (or fewer than 2 good ones) give a parameter importance 0. */
const MIN_TRIALS = 4;

/**
 * Importance of every parameter, normalised to sum to 1 (all 0 when no
 * parameter can be judged yet), in the order of `space.params`.
 */
export function pedAnova(space: Space, trials: readonly Scored[], options = DEFAULT_IMPORTANCE): number[] {
  // The loss that separates the good trials: a native numeric sort of a typed array, far cheaper than sorting trials.
  const losses = Float64Array.from(trials, (t) => t.loss).sort();
  const threshold = losses[Math.max(0, Math.ceil(options.quantile * losses.length) - 1)] ?? Number.NEGATIVE_INFINITY;
  const raw = space.params.map((p) => divergence(p, trials, threshold, options));
  const total = raw.reduce((a, b) => a + b, 0);
  return total > 0 ? raw.map((v) => v / total) : raw.map(() => 0);
}

/** The divergence between the parameter's values in the good trials (loss ≤ `threshold`) and in all of them. */
function divergence(
  param: ParamSpec,
  trials: readonly Scored[],
  threshold: number,
  options: ImportanceOptions,
): number {
  const all: number[] = [];
  const good: number[] = [];
  for (const t of trials) {
    const v = t.config[param.index]!;
    if (Number.isNaN(v)) continue;
    all.push(v);
    if (t.loss <= threshold) good.push(v);
  }
  if (all.length < MIN_TRIALS || good.length < 2 || good.length >= all.length) return 0;
  const d = param.domain;
  let pAll: Float64Array;
  let pGood: Float64Array;
  if (d.type === "choice") {
    pAll = categorical(all, d.options.length);
    pGood = categorical(good, d.options.length);
  } else {
    const f = d.log ? Math.log : (x: number) => x;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const x of all) {
      lo = Math.min(lo, f(x));
      hi = Math.max(hi, f(x));
    }
    if (!(hi > lo)) return 0;
    const grid = new Float64Array(options.gridSize);
    for (let i = 0; i < grid.length; i++) grid[i] = lo + ((hi - lo) * i) / (grid.length - 1);
    pAll = kde(all.map(f), grid, hi - lo);
    pGood = kde(good.map(f), grid, hi - lo);
  }
  // Pearson divergence of the good density from the overall one, both normalised on the grid.
  let div = 0;
  for (let i = 0; i < pAll.length; i++) {
    const r = pAll[i]!;
    if (r > 0) div += r * (pGood[i]! / r - 1) ** 2;
  }
  return div;
}

/** Option frequencies with one pseudo-count each (a prior, as Optuna's estimator has), normalised. */
function categorical(values: readonly number[], k: number): Float64Array {
  const p = new Float64Array(k).fill(1);
  for (const v of values) p[v]! += 1;
  const total = values.length + k;
  for (let i = 0; i < k; i++) p[i]! /= total;
  return p;
}

/**
 * A Gaussian kernel density (Scott's bandwidth) on `grid`, normalised to sum
 * to 1 there. Values are first binned to their nearest grid point, so the
 * cost is O(n + grid²) whatever the number of trials.
 */
function kde(xs: readonly number[], grid: Float64Array, range: number): Float64Array {
  const n = xs.length;
  const m = grid.length;
  const lo = grid[0]!;
  const cell = range / (m - 1);
  const counts = new Float64Array(m);
  let mean = 0;
  for (const x of xs) {
    mean += x;
    counts[Math.min(m - 1, Math.max(0, Math.round((x - lo) / cell)))]! += 1;
  }
  mean /= n;
  let v = 0;
  for (const x of xs) v += (x - mean) ** 2;
  const sd = Math.sqrt(v / Math.max(1, n - 1));
  // Never narrower than a grid cell, so the density is seen by the grid.
  const h = Math.max(1.06 * sd * n ** -0.2, cell);
  const p = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    if (counts[j] === 0) continue;
    for (let i = 0; i < m; i++) {
      const z = (grid[i]! - grid[j]!) / h;
      p[i]! += counts[j]! * Math.exp(-0.5 * z * z);
    }
  }
  let total = 0;
  for (const q of p) total += q;
  if (total > 0) for (let i = 0; i < m; i++) p[i]! /= total;
  return p;
}
