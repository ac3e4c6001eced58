/**
 * Maximum-a-posteriori fit of the GP hyperparameters (notation in gp.ts).
 *
 * Minimises over θ = (ln λ_1..D, ln s, ρ), with σ² = NOISE_FLOOR + e^ρ,
 *
 *   ℒ(θ) = ½·yᵀC⁻¹y + Σ ln L_ii − ln p(θ)
 *   ln p = Σ_d (−0.1·λ₀/λ_d − 0.1·λ_d/λ₀) + (ln s − s) + (0.1·ln σ² − 30·σ²)
 *
 * i.e. a prior pulling every λ_d towards λ₀ (LENGTH_SCALE_PRIOR_LAMBDA),
 * Gamma(2, 1) on s and Gamma(1.1, 30) on σ² (which favours small noise on
 * standardised outputs).
 * With a deterministic objective ρ is dropped and σ² = NOISE_FLOOR.
 * The gradient uses W = C⁻¹ − ααᵀ: ∂ℒ/∂θ_k = ½·Σ W ⊙ ∂C/∂θ_k − ∂ln p/∂θ_k.
 * Optimised with the projected L-BFGS in math/optimize.ts inside wide
 * sanity bounds; warm-startable from a previous θ. Pure.
 */
import { cholesky, choleskySolve, inverseFromCholesky, logDetHalf } from "../../math/linalg.js";
import { minimizeBox } from "../../math/optimize.js";
import type { Hyperparameters } from "./kernel.js";

/** Noise variance floor on the standardised scale. */
export const NOISE_FLOOR = 1e-6;

/**
 * Centre λ₀ of the length-scale prior: ℓ₀ = λ₀^(−½) = 0.5 of the unit box.
 * Optuna centres the same prior at λ₀ = 1 (ℓ₀ = 1). With ≤ 50 points in
 * 6–10 dimensions the data hardly constrain the length scales, and the
 * longer prior gives over-smooth models that exploit too early. Measured
 * with bench/gp-quick.ts (40 seeds at 50 trials, 20 seeds of Rosenbrock at
 * 200), λ₀ = 4 against 1, median regret: Styblinski–Tang-10D 102 → 78,
 * Ackley-10D 14.9 → 12.9, noisy Hartmann6 0.235 → 0.188, Branin
 * 8.5e-5 → 7.1e-5, Hartmann6 trapped seeds 18 → 16, Rosenbrock-10D at 200
 * 154 → 103. λ₀ = 8 helped the 10-D problems more but hurt Branin; a
 * log-normal prior (quadratic in ln ℓ, median ℓ = 0.5) hurt Rosenbrock late.
 */
export const LENGTH_SCALE_PRIOR_LAMBDA = 4;

const LOG_LAMBDA_BOUNDS: [number, number] = [Math.log(1e-4), Math.log(1e4)];
const LOG_SCALE_BOUNDS: [number, number] = [Math.log(1e-3), Math.log(1e2)];
const RHO_BOUNDS: [number, number] = [Math.log(1e-10), Math.log(10)];

export interface FitOptions {
  readonly deterministic: boolean;
  /** Starting point (warm start); defaults to λ = 1, s = 1, σ² = 0.01. */
  readonly init?: Hyperparameters;
  readonly gtol?: number;
  /** Relative decrease below which an iteration counts as converged. */
  readonly ftol?: number;
  readonly maxIter?: number;
}

export interface FitResult {
  readonly hyper: Hyperparameters;
  /** Negative log posterior at the optimum (up to a constant). */
  readonly loss: number;
  readonly evaluations: number;
}

/** θ vector ↔ hyperparameters. */
function unpack(theta: Float64Array, D: number, deterministic: boolean): Hyperparameters {
  const lambda = new Float64Array(D);
  for (let d = 0; d < D; d++) lambda[d] = Math.exp(theta[d]!);
  const scale = Math.exp(theta[D]!);
  const noise = deterministic ? NOISE_FLOOR : NOISE_FLOOR + Math.exp(theta[D + 1]!);
  return { lambda, scale, noise };
}

function pack(h: Hyperparameters, D: number, deterministic: boolean): Float64Array {
  const theta = new Float64Array(D + (deterministic ? 1 : 2));
  for (let d = 0; d < D; d++) theta[d] = Math.log(h.lambda[d]!);
  theta[D] = Math.log(h.scale);
  if (!deterministic) theta[D + 1] = Math.log(Math.max(h.noise - NOISE_FLOOR, 1e-10));
  return theta;
}

export function defaultHyperparameters(D: number): Hyperparameters {
  return { lambda: new Float64Array(D).fill(1), scale: 1, noise: NOISE_FLOOR + 1e-2 };
}

/**
 * The objective and its gradient, with the per-dimension squared differences
 * of every pair precomputed (packed lower triangle, dimension-major).
 */
export function marginalObjective(
  X: Float64Array,
  y: Float64Array,
  D: number,
  cat: Uint8Array,
  deterministic: boolean,
): (theta: Float64Array, grad: Float64Array) => number {
  const n = y.length;
  const P = (n * (n - 1)) / 2;
  // Float32 halves the memory traffic of the dominant D·P loops; loss and gradient see the same values.
  const sq = new Float32Array(D * P);
  for (let d = 0; d < D; d++) {
    const o = d * P;
    let p = 0;
    for (let i = 1; i < n; i++) {
      const xi = X[i * D + d]!;
      for (let j = 0; j < i; j++, p++) {
        const e = xi - X[j * D + d]!;
        sq[o + p] = cat[d] ? (e === 0 ? 0 : 1) : e * e;
      }
    }
  }
  const t = new Float64Array(P);
  const C = new Float64Array(n * n);
  const G = new Float64Array(P);
  // Per pair: e^(−√(5t)) and √(5t), shared by the kernel value and its derivative.
  const ex = new Float64Array(P);
  const rr = new Float64Array(P);

  return (theta, grad) => {
    const { lambda, scale: s, noise } = unpack(theta, D, deterministic);
    t.fill(0);
    for (let d = 0; d < D; d++) {
      const l = lambda[d]!;
      const o = d * P;
      for (let p = 0; p < P; p++) t[p]! += l * sq[o + p]!;
    }
    let p = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++, p++) {
        const tp = t[p]!;
        const r = Math.sqrt(5 * tp);
        const e = Math.exp(-r);
        rr[p] = r;
        ex[p] = e;
        C[i * n + j] = s * (1 + r + (5 / 3) * tp) * e;
      }
      C[i * n + i] = s + noise;
    }
    const f = cholesky(C, n, 1e-10, 4);
    if (f === undefined) return Number.POSITIVE_INFINITY;
    const { L } = f;
    const alpha = choleskySolve(L, n, y);
    let quad = 0;
    for (let i = 0; i < n; i++) quad += y[i]! * alpha[i]!;
    let logPrior = s > 0 ? Math.log(s) - s : 0;
    const l0 = LENGTH_SCALE_PRIOR_LAMBDA;
    for (let d = 0; d < D; d++) logPrior += (-0.1 * l0) / lambda[d]! - (0.1 * lambda[d]!) / l0;
    logPrior += 0.1 * Math.log(noise) - 30 * noise;
    const loss = 0.5 * quad + logDetHalf(L, n) - logPrior;

    // W = C⁻¹ − ααᵀ, used through its packed lower triangle and diagonal.
    const Cinv = inverseFromCholesky(L, n);
    let gScale = 0;
    let trW = 0;
    p = 0;
    for (let i = 0; i < n; i++) {
      const ai = alpha[i]!;
      for (let j = 0; j < i; j++, p++) {
        const w = Cinv[i * n + j]! - ai * alpha[j]!;
        const r = rr[p]!;
        const e = ex[p]!;
        gScale += w * (1 + r + (5 / 3) * t[p]!) * e; // W⊙M (times s below)
        G[p] = w * s * (-5 / 6) * (1 + r) * e; // W⊙s·M′
      }
      trW += Cinv[i * n + i]! - ai * ai;
    }
    // Off-diagonal pairs count twice in Σ W⊙∂C; the ½ cancels that.
    for (let d = 0; d < D; d++) {
      const o = d * P;
      let acc = 0;
      for (let q = 0; q < P; q++) acc += G[q]! * sq[o + q]!;
      const l = lambda[d]!;
      grad[d] = acc * l - ((0.1 * LENGTH_SCALE_PRIOR_LAMBDA) / l - (0.1 * l) / LENGTH_SCALE_PRIOR_LAMBDA);
    }
    grad[D] = gScale * s + 0.5 * trW * s - (1 - s);
    if (!deterministic) {
      const e = noise - NOISE_FLOOR;
      grad[D + 1] = 0.5 * trW * e - (0.1 / noise - 30) * e;
    }
    return loss;
  };
}

/** MAP hyperparameters for standardised (X, y). */
export function fitHyperparameters(
  X: Float64Array,
  y: Float64Array,
  D: number,
  cat: Uint8Array,
  opts: FitOptions,
): FitResult {
  const det = opts.deterministic;
  const objective = marginalObjective(X, y, D, cat, det);
  const nTheta = D + (det ? 1 : 2);
  const lo = new Float64Array(nTheta);
  const hi = new Float64Array(nTheta);
  for (let d = 0; d < D; d++) [lo[d], hi[d]] = LOG_LAMBDA_BOUNDS;
  [lo[D], hi[D]] = LOG_SCALE_BOUNDS;
  if (!det) [lo[D + 1], hi[D + 1]] = RHO_BOUNDS;

  const starts = [opts.init ?? defaultHyperparameters(D)];
  if (opts.init !== undefined) starts.push(defaultHyperparameters(D));
  let best: FitResult | undefined;
  let evaluations = 0;
  for (const start of starts) {
    const r = minimizeBox(objective, pack(start, D, det), lo, hi, {
      gtol: opts.gtol ?? 1e-2,
      ftol: opts.ftol ?? 1e-12,
      // Less than 0.05 nats gained over 4 iterations: well inside the posterior's own spread.
      stallTol: 5e-2,
      stallWindow: 4,
      maxIter: opts.maxIter ?? 50,
      maxEval: Math.round(1.5 * (opts.maxIter ?? 50)),
      initialStep: 1,
      // Near a floor-level noise the loss is numerically rough; long steps only bounce.
      maxStep: 2,
    });
    evaluations += r.evaluations;
    if (Number.isFinite(r.f) && (best === undefined || r.f < best.loss)) {
      best = { hyper: unpack(r.x, D, det), loss: r.f, evaluations };
    }
    // A warm start that converged is trusted; the default start is only a fallback.
    if (best !== undefined && r.converged) break;
  }
  if (best === undefined) {
    const h = defaultHyperparameters(D);
    return { hyper: det ? { ...h, noise: NOISE_FLOOR } : h, loss: Number.POSITIVE_INFINITY, evaluations };
  }
  return { ...best, evaluations };
}
