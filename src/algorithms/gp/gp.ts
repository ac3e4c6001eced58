/**
 * Gaussian-process posterior on encoded inputs. Pure numerics, no I/O.
 *
 * Notation (shared by kernel.ts, fit.ts, acquisition.ts):
 *   n        observed points, D encoded dimensions
 *   X        n×D inputs, numeric coordinates in [0, 1], categorical = option index
 *   y        n standardised outputs, to be MAXIMISED (y = −(loss − mean)/std)
 *   λ (D)    inverse squared length scales; s signal variance; σ² noise variance
 *   C        K(X, X) + σ²·I = L·Lᵀ (L lower, flat row-major n×n)
 *   α        C⁻¹·y
 *   μ(x)     k(x)ᵀα;  v(x) = s − ‖L⁻¹k(x)‖² (noise-free, clamped ≥ 0)
 */
import {
  cholesky,
  extendCholesky,
  choleskySolve,
  solveLowerInPlace,
  solveLowerRowsInPlace,
  solveUpperTInPlace,
} from "../../math/linalg.js";
import { crossKernel, gramMatrix, type Hyperparameters, matern52, matern52Deriv, scaledSqDist } from "./kernel.js";

export class GpPosterior {
  readonly n: number;
  readonly D: number;
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly cat: Uint8Array;
  readonly hyper: Hyperparameters;
  readonly L: Float64Array;
  readonly alpha: Float64Array;

  private constructor(
    X: Float64Array,
    y: Float64Array,
    n: number,
    D: number,
    cat: Uint8Array,
    hyper: Hyperparameters,
    L: Float64Array,
  ) {
    this.X = X;
    this.y = y;
    this.n = n;
    this.D = D;
    this.cat = cat;
    this.hyper = hyper;
    this.L = L;
    this.alpha = choleskySolve(L, n, y);
  }

  /** Conditions on (X, y) with fixed hyperparameters; undefined if C cannot be factored. */
  static create(
    X: Float64Array,
    y: Float64Array,
    D: number,
    cat: Uint8Array,
    hyper: Hyperparameters,
  ): GpPosterior | undefined {
    const n = y.length;
    const C = gramMatrix(X, n, D, cat, hyper);
    const f = cholesky(C, n);
    if (f === undefined) return undefined;
    return new GpPosterior(X, y, n, D, cat, hyper, f.L);
  }

  /**
   * The posterior after also observing `q` more points `Xq` (q×D) with values
   * `yq`, same hyperparameters; the factor is extended in O(n²q) rather than
   * recomputed. Used for pending (running) trials.
   */
  extend(Xq: Float64Array, yq: Float64Array): GpPosterior | undefined {
    const q = yq.length;
    if (q === 0) return this;
    const B = crossKernel(this.X, this.n, Xq, q, this.D, this.cat, this.hyper);
    const Dm = gramMatrix(Xq, q, this.D, this.cat, this.hyper);
    const f = extendCholesky(this.L, this.n, B, Dm, q);
    if (f === undefined) return undefined;
    const X = new Float64Array((this.n + q) * this.D);
    X.set(this.X);
    X.set(Xq, this.n * this.D);
    const y = new Float64Array(this.n + q);
    y.set(this.y);
    y.set(yq, this.n);
    return new GpPosterior(X, y, this.n + q, this.D, this.cat, this.hyper, f.L);
  }

  /** X with numeric columns scaled by √λ_d (for fast batched distances), built on first use. */
  private scaledX: Float64Array | undefined;

  /** Posterior means and noise-free variances at the m rows of P (m×D). */
  predict(P: Float64Array, m: number, mean: Float64Array, variance: Float64Array): void {
    const { n, D, cat } = this;
    const { lambda, scale } = this.hyper;
    const sqrtLambda = Float64Array.from(lambda, Math.sqrt);
    let Xs = this.scaledX;
    if (Xs === undefined) {
      Xs = Float64Array.from(this.X, (v, i) => (cat[i % D] ? v : v * sqrtLambda[i % D]!));
      this.scaledX = Xs;
    }
    const alpha = this.alpha;
    const p = new Float64Array(D);
    const chunk = 128;
    const K = new Float64Array(Math.min(m, chunk) * n);
    for (let start = 0; start < m; start += chunk) {
      const rows = Math.min(chunk, m - start);
      for (let r = 0; r < rows; r++) {
        const op = (start + r) * D;
        for (let d = 0; d < D; d++) p[d] = cat[d] ? P[op + d]! : P[op + d]! * sqrtLambda[d]!;
        let mu = 0;
        const o = r * n;
        for (let j = 0; j < n; j++) {
          const ox = j * D;
          let t = 0;
          for (let d = 0; d < D; d++) {
            if (cat[d]) {
              if (p[d] !== Xs[ox + d]) t += lambda[d]!;
            } else {
              const e = p[d]! - Xs[ox + d]!;
              t += e * e;
            }
          }
          const k = scale * matern52(t);
          K[o + j] = k;
          mu += k * alpha[j]!;
        }
        mean[start + r] = mu;
      }
      solveLowerRowsInPlace(this.L, n, K, rows);
      for (let r = 0; r < rows; r++) {
        let ss = 0;
        const o = r * n;
        for (let j = 0; j < n; j++) ss += K[o + j]! * K[o + j]!;
        variance[start + r] = Math.max(scale - ss, 0);
      }
    }
  }

  /**
   * Mean and variance at one point x, with their gradients over the
   * dimensions flagged in `active` (numeric ones; categorical dimensions have
   * no gradient). Returns [μ, v]; gradients written into dMean and dVar.
   */
  predictWithGradient(
    x: Float64Array,
    active: Uint8Array,
    dMean: Float64Array,
    dVar: Float64Array,
    work: Float64Array,
  ): [number, number] {
    const { n, D } = this;
    const { lambda, scale } = this.hyper;
    // work: [0, n) = k, [n, 2n) = M′(t_i)
    let mu = 0;
    for (let j = 0; j < n; j++) {
      const t = scaledSqDist(x, 0, this.X, j, D, lambda, this.cat);
      const k = scale * matern52(t);
      work[j] = k;
      work[n + j] = scale * matern52Deriv(t);
      mu += k * this.alpha[j]!;
    }
    const beta = work.subarray(2 * n, 3 * n);
    beta.set(work.subarray(0, n));
    solveLowerInPlace(this.L, n, beta);
    let ss = 0;
    for (let j = 0; j < n; j++) ss += beta[j]! * beta[j]!;
    const v = Math.max(scale - ss, 0);
    solveUpperTInPlace(this.L, n, beta); // β = C⁻¹k
    for (let d = 0; d < D; d++) {
      if (!active[d]) {
        dMean[d] = 0;
        dVar[d] = 0;
        continue;
      }
      const xd = x[d]!;
      let gm = 0;
      let gv = 0;
      for (let j = 0; j < n; j++) {
        // ∂k_j/∂x_d = s·M′(t_j)·λ_d·2(x_d − X_jd)
        const dk = work[n + j]! * 2 * (xd - this.X[j * D + d]!);
        gm += this.alpha[j]! * dk;
        gv += beta[j]! * dk;
      }
      dMean[d] = gm * lambda[d]!;
      dVar[d] = -2 * gv * lambda[d]!;
    }
    return [mu, v];
  }
}
