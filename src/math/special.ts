/**
 * Special functions of the normal distribution for TPE and GP: erf, erfc,
 * the scaled complementary error function erfcx(x) = exp(x²)·erfc(x), the
 * normal CDF Φ (ndtr), its logarithm (logNdtr, stable far into the left
 * tail), its inverse (ndtri, ndtriExp) and log-sum-exp helpers.
 *
 * Everything rests on erfcx for x ≥ 0: piecewise Chebyshev series in
 * t = (x − K)/(x + K) below 12 and Laplace's continued fraction above. The
 * series coefficients are computed once, when the module loads (~0.1 ms),
 * from a slow but exact reference (a power series near 0, the continued
 * fraction with thousands of terms elsewhere), so no constants are
 * hand-copied. Relative accuracy ~2e-15. Pure and allocation-free after load.
 */

const SQRT_PI = Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / SQRT_PI;
const SQRT1_2 = Math.SQRT1_2;
const LOG_HALF = Math.log(0.5);
/** log(√(2π)), the normaliser of the standard normal density. */
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// ---------------------------------------------------------------------------
// Reference erfcx (load time only).

/** erf by the all-positive series erf(x) = 2x/√π·e^{−x²}·Σ (2x²)ⁿ/(2n+1)!!; exact for small |x|. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return 2 * x * INV_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfcx by Laplace's continued fraction 1/√π / (x + ½/(x + 1/(x + 3/2/(x + …)))), evaluated backwards. */
function erfcxContinuedFraction(x: number, terms: number): number {
  let f = x;
  for (let k = terms; k >= 1; k--) f = x + k / 2 / f;
  return INV_SQRT_PI / f;
}

function erfcxReference(x: number): number {
  if (x < 0.4) return Math.exp(x * x) * (1 - erfSeries(x));
  const terms = x < 2 ? 4000 : 400;
  return erfcxContinuedFraction(x, terms);
}

// ---------------------------------------------------------------------------
// Piecewise Chebyshev series of erfcx on [0, X_CF), in t = (x − K)/(x + K).
// erfcx is not analytic at x = ∞ (its 1/x expansion diverges), so one global
// series in t stalls near 1e-15; M equal pieces of t with D terms each reach
// rounding level. Beyond X_CF a short continued fraction is exact.

const K = 4;
const X_CF = 12;
const CF_TERMS = 10;
const M = 24;
const D = 14;
const T_TOP = (X_CF - K) / (X_CF + K);
const PIECE = (T_TOP + 1) / M;
const CHEB = chebyshevPieces();

function chebyshevPieces(): Float64Array {
  const n = 2 * D;
  const out = new Float64Array(M * D);
  const f = new Float64Array(n);
  for (let m = 0; m < M; m++) {
    const lo = -1 + m * PIECE;
    for (let j = 0; j < n; j++) {
      const t = lo + ((Math.cos((Math.PI * (j + 0.5)) / n) + 1) / 2) * PIECE;
      f[j] = erfcxReference((K * (1 + t)) / (1 - t));
    }
    for (let k = 0; k < D; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += f[j]! * Math.cos((Math.PI * k * (j + 0.5)) / n);
      out[m * D + k] = (2 / n) * s;
    }
  }
  return out;
}

/** erfcx for x ≥ 0 (finite). */
function erfcxNonNegative(x: number): number {
  if (x >= X_CF) return erfcxContinuedFraction(x, CF_TERMS);
  const t = (x - K) / (x + K);
  let m = Math.floor((t + 1) / PIECE);
  if (m >= M) m = M - 1;
  const u = (2 * (t + 1 - m * PIECE)) / PIECE - 1;
  const u2 = 2 * u;
  const base = m * D;
  let b1 = 0;
  let b2 = 0;
  for (let k = D - 1; k >= 1; k--) {
    const b0 = u2 * b1 - b2 + CHEB[base + k]!;
    b2 = b1;
    b1 = b0;
  }
  return u * b1 - b2 + 0.5 * CHEB[base]!;
}

/**
 * exp(−x²) with x² split exactly into s + e (Veltkamp/Dekker), so the result
 * keeps full relative precision for large x instead of losing x²·ε.
 */
export function expNegSquare(x: number): number {
  const s = x * x;
  const c = 134217729 * x;
  const hi = c - (c - x);
  const lo = x - hi;
  const e = hi * hi - s + 2 * hi * lo + lo * lo;
  return s === Number.POSITIVE_INFINITY ? 0 : Math.exp(-s) * (1 - e);
}

// ---------------------------------------------------------------------------
// Public functions.

/** Scaled complementary error function exp(x²)·erfc(x); ~1/(x√π) for large x, overflows to ∞ below x ≈ −26.6. */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= 0) return x === Number.POSITIVE_INFINITY ? 0 : erfcxNonNegative(x);
  if (x < -26.7) return Number.POSITIVE_INFINITY;
  return 2 * Math.exp(x * x) - erfcxNonNegative(-x);
}

/** Complementary error function 1 − erf(x), accurate in relative terms for large positive x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) < 0.5) return 1 - erfSmall(x);
  if (x > 0) return x > 27.3 ? 0 : expNegSquare(x) * erfcxNonNegative(x);
  return x < -6 ? 2 : 2 - expNegSquare(x) * erfcxNonNegative(-x);
}

/** Error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) < 0.5) return erfSmall(x);
  if (x > 0) return x > 6 ? 1 : 1 - expNegSquare(x) * erfcxNonNegative(x);
  return x < -6 ? -1 : expNegSquare(x) * erfcxNonNegative(-x) - 1;
}

/** Maclaurin series of erf, for |x| < 0.5 (≤ 14 terms to full precision). */
function erfSmall(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 30; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return 2 * INV_SQRT_PI * sum;
}

/** exp(−x²/2) to full relative precision (x² split exactly, as in expNegSquare). */
function expNegHalfSquare(x: number): number {
  const s = x * x;
  const c = 134217729 * x;
  const hi = c - (c - x);
  const lo = x - hi;
  const e = hi * hi - s + 2 * hi * lo + lo * lo;
  return Math.exp(-0.5 * s) * (1 - 0.5 * e);
}

/** The lower tail Φ(x) for x ≤ 0, as ½·erfcx(−x/√2)·exp(−x²/2). */
function lowerTail(x: number): number {
  if (x === Number.NEGATIVE_INFINITY) return 0;
  return 0.5 * erfcx(-x * SQRT1_2) * expNegHalfSquare(x);
}

/** Standard normal CDF Φ(x). */
export function ndtr(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) < 0.7) return 0.5 + 0.5 * erfSmall(x * SQRT1_2);
  return x < 0 ? lowerTail(x) : 1 - lowerTail(-x);
}

/** log Φ(x), finite down to x ≈ −1e154 (≈ −x²/2 − log(−x√(2π)) in the far tail). */
export function logNdtr(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (x > 0) return Math.log1p(-lowerTail(-x)); // 1 − Q(x) with Q small: log1p keeps it exact
  if (x > -0.7) return Math.log(0.5 + 0.5 * erfSmall(x * SQRT1_2));
  return LOG_HALF + Math.log(erfcx(-x * SQRT1_2)) - 0.5 * x * x;
}

/** Standard normal log density. */
export function logNormPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/**
 * Inverse of logNdtr: the x with log Φ(x) = y, for y ≤ 0. Lets truncated
 * normals be sampled in log space, where probabilities like 1e-300 are
 * representable.
 */
export function ndtriExp(y: number): number {
  if (Number.isNaN(y) || y > 0) return Number.NaN;
  if (y === 0) return Number.POSITIVE_INFINITY;
  if (y === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (y > -Math.LN2) {
    // Upper half: Φ(x) = p > ½ ⇔ Φ(−x) = 1 − p = −expm1(y).
    return -lowerTailInverse(Math.log(-Math.expm1(y)));
  }
  return lowerTailInverse(y);
}

/** Φ⁻¹(p), the standard normal quantile. */
export function ndtri(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p > 0.25 && p < 0.75) return centralInverse(p - 0.5);
  if (p > 0.5) return -lowerTailInverse(Math.log1p(-p));
  return lowerTailInverse(Math.log(p));
}

/** The x with Φ(x) − ½ = q for |q| < ¼: Newton on ½·erf(x/√2) = q keeps relative precision near 0. */
function centralInverse(q: number): number {
  let x = q * 2.5066282746310002;
  for (let it = 0; it < 10; it++) {
    const dx = (0.5 * erfSmallOrFull(x * SQRT1_2) - q) / Math.exp(logNormPdf(x));
    x -= dx;
    if (Math.abs(dx) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}

function erfSmallOrFull(x: number): number {
  return Math.abs(x) < 0.5 ? erfSmall(x) : erf(x);
}

/**
 * The x ≤ 0 with log Φ(x) = y, for y ≤ log ½: a rational starting guess
 * (error < 5e-4) polished by Halley steps on g(x) = log Φ(x) − y, whose
 * derivatives use the Mills-ratio r = φ(x)/Φ(x): g' = r, g'' = −r(x + r).
 */
function lowerTailInverse(y: number): number {
  if (y >= LOG_HALF) return 0;
  const t = Math.sqrt(-2 * y);
  let x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  for (let it = 0; it < 8; it++) {
    const lp = logNdtr(x);
    const g = lp - y;
    const r = Math.exp(logNormPdf(x) - lp);
    const dx = g / r / (1 + (g * (x + r)) / (2 * r));
    x -= dx;
    if (Math.abs(dx) <= 1e-15 * Math.max(1, Math.abs(x))) break;
  }
  return Math.min(x, 0);
}

/** log(eᵃ + eᵇ) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(eᵃ − eᵇ) for a ≥ b (−∞ when equal). */
export function logSubExp(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  const d = b - a;
  return d > -Math.LN2 ? a + Math.log(-Math.expm1(d)) : a + Math.log1p(-Math.exp(d));
}

/** log Σ exp(xs[i]) over xs[offset .. offset+length). */
export function logSumExp(xs: ArrayLike<number>, offset = 0, length = xs.length - offset): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = offset; i < offset + length; i++) if (xs[i]! > m) m = xs[i]!;
  if (m === Number.NEGATIVE_INFINITY || m === Number.POSITIVE_INFINITY) return m;
  let s = 0;
  for (let i = offset; i < offset + length; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
}
