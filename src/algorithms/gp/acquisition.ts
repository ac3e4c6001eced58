/**
 * Log expected improvement, stable everywhere including far in the lower
 * tail (no −Infinity, no NaN for finite inputs). Maximised quantities, as in
 * gp.ts: improvement is μ − f*.
 *
 *   EI = σ·h(z),  z = (μ − f*)/σ,  h(z) = φ(z) + z·Φ(z)
 *
 * For z < 0, h = φ(z)·w with w = 1 + z·r and r = Φ(z)/φ(z) = √(π/2)·erfcx(−z/√2),
 * so ln h = −z²/2 − ln√(2π) + ln w. w loses about z²·ε relative precision to
 * cancellation, so below z = −60 the asymptotic series
 * w = z⁻²(1 − 3z⁻² + 15z⁻⁴ − 105z⁻⁶ + 945z⁻⁸) is used instead.
 */
import { erfcx, LOG_SQRT_2PI, logNdtr, logNormPdf, ndtr } from "../../math/special.js";

const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const ASYMPTOTIC_BELOW = -60;

/** Variance added inside the acquisition so σ > 0 at observed points. */
export const ACQ_VARIANCE_EPS = 1e-12;

/** ln h(z) together with Φ(z)/h(z) and φ(z)/h(z) (the gradient ratios). */
export interface LogH {
  logH: number;
  cdfOverH: number;
  pdfOverH: number;
}

export function logH(z: number, out: LogH = { logH: 0, cdfOverH: 0, pdfOverH: 0 }): LogH {
  if (z >= 0) {
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * z * z);
    const cdf = ndtr(z);
    const h = pdf + z * cdf;
    out.logH = Math.log(h);
    out.cdfOverH = cdf / h;
    out.pdfOverH = pdf / h;
    return out;
  }
  const r = SQRT_HALF_PI * erfcx(-z / Math.SQRT2);
  let w: number;
  if (z < ASYMPTOTIC_BELOW) {
    const u = 1 / (z * z);
    w = u * (1 + u * (-3 + u * (15 + u * (-105 + u * 945))));
  } else {
    w = 1 + z * r;
  }
  out.logH = -0.5 * z * z - LOG_SQRT_2PI + Math.log(w);
  out.pdfOverH = 1 / w;
  out.cdfOverH = r / w;
  return out;
}

/** ln EI for posterior mean μ and variance v (noise-free) against the incumbent f*. */
export function logEI(mean: number, variance: number, best: number): number {
  const sigma = Math.sqrt(variance + ACQ_VARIANCE_EPS);
  return logH((mean - best) / sigma).logH + Math.log(sigma);
}

/**
 * ln EI with its partial derivatives: returns [value, ∂/∂μ, ∂/∂v].
 * ∂lnEI/∂μ = (Φ/h)/σ and ∂lnEI/∂σ = (φ/h)/σ, with ∂σ/∂v = 1/(2σ).
 */
export function logEIWithGradient(
  mean: number,
  variance: number,
  best: number,
  scratch: LogH,
): [number, number, number] {
  const sigma = Math.sqrt(variance + ACQ_VARIANCE_EPS);
  const r = logH((mean - best) / sigma, scratch);
  return [r.logH + Math.log(sigma), r.cdfOverH / sigma, r.pdfOverH / sigma / (2 * sigma)];
}

/**
 * ln P(c ≤ t) for a constraint whose GP posterior is N(μ, v): ln Φ((t − μ)/σ),
 * with log Φ computed directly so it stays finite far into the left tail
 * (a nearly certain violation is a large negative number, not −Infinity).
 */
export function logProbBelow(mean: number, variance: number, threshold: number): number {
  const sigma = Math.sqrt(variance + ACQ_VARIANCE_EPS);
  return logNdtr((threshold - mean) / sigma);
}

/**
 * ln P(c ≤ t) with its partial derivatives: returns [value, ∂/∂μ, ∂/∂v].
 * With w = (t − μ)/σ and r = φ(w)/Φ(w) (taken as exp(ln φ − ln Φ), finite in
 * both tails): ∂/∂μ = −r/σ and ∂/∂v = −r·w/(2σ²).
 */
export function logProbBelowWithGradient(mean: number, variance: number, threshold: number): [number, number, number] {
  const sigma = Math.sqrt(variance + ACQ_VARIANCE_EPS);
  const w = (threshold - mean) / sigma;
  const value = logNdtr(w);
  const r = Math.exp(logNormPdf(w) - value);
  return [value, -r / sigma, (-r * w) / (2 * sigma * sigma)];
}
