/**
 * The truncated normal distribution, in standardised bounds a < b (either
 * may be infinite): the log of the mass Φ(b) − Φ(a) and inverse-CDF sampling.
 * Both work in log space and use the symmetry Φ(−x) = 1 − Φ(x) to stay in
 * the lower tail, so intervals far out (a = 30, or a cell 40 σ away) keep
 * full relative precision instead of rounding to 0 or 1. Pure.
 */
import { logNdtr, logSubExp, ndtriExp, logAddExp } from "./special.js";

/** log(Φ(b) − Φ(a)) for a ≤ b; −∞ when a = b. */
export function logNormMass(a: number, b: number): number {
  if (!(a < b)) return Number.NEGATIVE_INFINITY;
  if (a > 0) return logNormMass(-b, -a);
  if (b <= 0) return logSubExp(logNdtr(b), logNdtr(a));
  // a ≤ 0 < b: 1 − Φ(a) − Φ(−b), where both tails are at most ½.
  return Math.log1p(-Math.exp(logNdtr(a)) - Math.exp(logNdtr(-b)));
}

/**
 * The quantile of N(0, 1) truncated to [a, b] at probability u ∈ [0, 1]:
 * solves log Φ(x) = log(Φ(a) + u·(Φ(b) − Φ(a))) in log space, mirrored when
 * the interval lies right of 0, and clamps to [a, b] against rounding.
 */
export function truncNormPpf(u: number, a: number, b: number): number {
  if (!(a < b)) return a;
  let x: number;
  if (a > 0) {
    // Mirror: X = −Y with Y on [−b, −a], and P(X ≤ x) = u ⇔ P(Y ≤ −x) = 1 − u.
    x = -lowerPpf(1 - u, -b, -a);
  } else {
    x = lowerPpf(u, a, b);
  }
  return x < a ? a : x > b ? b : x;
}

function lowerPpf(u: number, a: number, b: number): number {
  const la = logNdtr(a);
  const mass = logNormMass(a, b);
  if (u <= 0) return a;
  return ndtriExp(logAddExp(la, Math.log(u) + mass));
}

/** One draw from N(mu, sigma²) truncated to [lo, hi] (natural units; bounds may be infinite). */
export function sampleTruncNormal(mu: number, sigma: number, lo: number, hi: number, u: number): number {
  const x = mu + sigma * truncNormPpf(u, (lo - mu) / sigma, (hi - mu) / sigma);
  return x < lo ? lo : x > hi ? hi : x;
}
