/**
 * The truncated normal distribution, in standardised bounds a < b (either
 * may be infinite): the log of the mass Φ(b) − Φ(a) and inverse-CDF sampling.
 * Both work in log space and use the symmetry Φ(−x) = 1 − Φ(x) to stay in
 * the lower tail, so intervals far out (a = 30, or a cell 40 σ away) keep
 * full relative precision instead of rounding to 0 or 1. Pure.
 */
import { erfcx, LOG_SQRT_2PI, logAddExp, logNdtr, ndtriExp } from "./special.js";

const SQRT1_2 = Math.SQRT1_2;
const LOG_HALF = Math.log(0.5);

/**
 * log(Φ(b) − Φ(a)) for a ≤ b; −∞ when a = b. Fast enough for TPE's inner
 * loops (two erfcx calls, one exp, one log): for a < b ≤ 0,
 * Φ(b) − Φ(a) = ½e^{−b²/2}·[erfcx(−b/√2) − erfcx(−a/√2)·e^{−(a−b)(a+b)/2}],
 * which never forms the tiny Φ values themselves; narrow intervals use the
 * midpoint rule with its curvature correction instead of a cancelling difference.
 */
export function logNormMass(a: number, b: number): number {
  return onLeftSide(leftLogNormMass, a, b);
}

/** −∞ unless a < b; else `mass` on the side where a ≤ 0, the mass being symmetric: Φ(b) − Φ(a) = Φ(−a) − Φ(−b). */
function onLeftSide(mass: (a: number, b: number) => number, a: number, b: number): number {
  if (!(a < b)) return Number.NEGATIVE_INFINITY;
  return a > 0 ? mass(-b, -a) : mass(a, b);
}

/** logNormMass for a < b, a ≤ 0. */
function leftLogNormMass(a: number, b: number): number {
  const w = b - a;
  const m = 0.5 * (a + b);
  if (w * Math.max(1, Math.abs(m)) < 1e-3) {
    // ∫ φ over [m − w/2, m + w/2] = w·φ(m)·(1 + w²(m² − 1)/24 + O(w⁴m⁴))
    return Math.log(w) - 0.5 * m * m - LOG_SQRT_2PI + Math.log1p((w * w * (m * m - 1)) / 24);
  }
  if (b <= 0) {
    const eb = erfcx(-b * SQRT1_2);
    const ea = a === Number.NEGATIVE_INFINITY ? 0 : erfcx(-a * SQRT1_2) * Math.exp(-0.5 * (a - b) * (a + b));
    return LOG_HALF - 0.5 * b * b + Math.log(eb - ea);
  }
  // a ≤ 0 < b: 1 − Φ(a) − Φ(−b), where both tails are at most ½.
  return Math.log1p(-lowerTailCdf(a) - lowerTailCdf(-b));
}

/** Φ(x) for x ≤ 0 in the straddling case, where it is added to a mass ≥ ½. */
function lowerTailCdf(x: number): number {
  if (x < -9) return 0; // Φ(−9) ≈ 1e-19: below rounding of a mass in [½, 1]
  return 0.5 * erfcx(-x * SQRT1_2) * Math.exp(-0.5 * x * x);
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

/** log Φ(x) for x < −FAR_TAIL by the Mills-ratio series φ(x)/|x|·(1 − x⁻² + 3x⁻⁴ − 15x⁻⁶), relative error < 1e-7. */
const FAR_TAIL = 12;

function logLowerTailFar(x: number): number {
  const r = 1 / (x * x);
  return -0.5 * x * x - LOG_SQRT_2PI - Math.log(-x) + Math.log1p(r * (-1 + r * (3 - 15 * r)));
}

/**
 * log(Φ(b) − Φ(a)) to ~1e-7 relative accuracy, several times faster than
 * logNormMass when the interval is narrow (midpoint rule with curvature
 * correction) or far in a tail (Mills-ratio series): TPE scores grid cells
 * with it, where ranks, not digits, matter.
 */
export function logNormMassApprox(a: number, b: number): number {
  return onLeftSide(leftLogNormMassApprox, a, b);
}

/** logNormMassApprox for a < b, a ≤ 0. */
function leftLogNormMassApprox(a: number, b: number): number {
  const w = b - a;
  const m = 0.5 * (a + b);
  const am = m < 0 ? -m : m;
  if (w * (am > 1 ? am : 1) < 0.03) {
    const w2 = w * w;
    const m2 = m * m;
    // Next term of the series is w⁴(m⁴ − 6m² + 3)/1920: < 1e-7 here.
    return Math.log(w) - 0.5 * m2 - LOG_SQRT_2PI + Math.log1p((w2 * (m2 - 1)) / 24);
  }
  if (b < -FAR_TAIL) {
    const lb = logLowerTailFar(b);
    if (a === Number.NEGATIVE_INFINITY) return lb;
    const d = logLowerTailFar(a) - lb;
    return lb + (d > -Math.LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d)));
  }
  return logNormMass(a, b);
}

/**
 * What sampleTruncNormal computes from (mu, sigma, lo, hi) alone, before
 * the uniform enters: the standardised bounds, the lower tail's bounds
 * (mirrored when the interval lies right of 0), log Φ of its lower end and
 * its log mass. TPE draws many candidates from a few kernels, and these are
 * most of the cost of a draw.
 */
export interface TruncNormalParts {
  readonly a0: number;
  readonly b0: number;
  readonly mirrored: boolean;
  readonly a: number;
  readonly la: number;
  readonly mass: number;
}

export function truncNormalParts(mu: number, sigma: number, lo: number, hi: number): TruncNormalParts {
  const a0 = (lo - mu) / sigma;
  const b0 = (hi - mu) / sigma;
  const mirrored = a0 > 0;
  const a = mirrored ? -b0 : a0;
  const b = mirrored ? -a0 : b0;
  return { a0, b0, mirrored, a, la: logNdtr(a), mass: logNormMass(a, b) };
}

/** sampleTruncNormal(mu, sigma, lo, hi, u), bit for bit, given p = truncNormalParts(mu, sigma, lo, hi). */
export function sampleTruncNormalFrom(
  p: TruncNormalParts,
  mu: number,
  sigma: number,
  lo: number,
  hi: number,
  u: number,
): number {
  let z: number;
  if (!(p.a0 < p.b0)) z = p.a0;
  else {
    // As truncNormPpf and its lowerPpf, with their kernel-only parts precomputed.
    const v = p.mirrored ? 1 - u : u;
    const y = v <= 0 ? p.a : ndtriExp(logAddExp(p.la, Math.log(v) + p.mass));
    const x = p.mirrored ? -y : y;
    z = x < p.a0 ? p.a0 : x > p.b0 ? p.b0 : x;
  }
  const x = mu + sigma * z;
  return x < lo ? lo : x > hi ? hi : x;
}
