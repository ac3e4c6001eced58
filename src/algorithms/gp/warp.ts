/**
 * Output warping before standardisation (values to be maximised): makes the
 * GP's stationary kernel see a better-behaved target when a few excellent
 * trials sit far above a long tail of poor ones.
 *
 * 1. Half-rank: values below the median m are replaced, by their dense rank
 *    r among the den distinct values below m, with
 *    m + σ_g·Φ⁻¹(½(r − ½)/den), where σ_g is the RMS distance from m of the
 *    distinct values at or above m. The bad half keeps only its order.
 * 2. Log: y ← ½ − ln(1 + ½(y_max − y)/(y_max − y_min)) / ln 1.5, a concave map
 *    onto [−½, ½] that stretches differences near the top.
 * Pure; returns a new array.
 */
import { ndtri } from "../../math/special.js";

export function warpOutputs(values: ArrayLike<number>): Float64Array {
  const y = Float64Array.from(values);
  const n = y.length;
  if (n < 3) return y;
  const sorted = Float64Array.from(y).sort();
  const m = n % 2 ? sorted[(n - 1) / 2]! : 0.5 * (sorted[n / 2 - 1]! + sorted[n / 2]!);
  const below = [...new Set(Array.from(sorted).filter((v) => v < m))];
  const above = [...new Set(Array.from(sorted).filter((v) => v >= m))];
  let ss = 0;
  for (const u of above) ss += (u - m) ** 2;
  const sigma = Math.sqrt(ss / Math.max(above.length, 1));
  if (sigma > 0 && below.length > 0) {
    const rank = new Map(below.map((v, i) => [v, i + 1]));
    const den = below.length;
    for (let i = 0; i < n; i++) {
      const r = rank.get(y[i]!);
      if (r !== undefined) y[i] = m + sigma * ndtri((0.5 * (r - 0.5)) / den);
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of y) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) return y;
  const ln15 = Math.log(1.5);
  for (let i = 0; i < n; i++) y[i] = 0.5 - Math.log1p((0.5 * (hi - y[i]!)) / (hi - lo)) / ln15;
  return y;
}
