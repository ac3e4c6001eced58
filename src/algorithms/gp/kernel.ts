/**
 * The ARD Matérn-5/2 kernel on encoded inputs (see gp.ts for notation).
 *
 *   k(x, x′) = s·M(t),  t = Σ_d λ_d·δ_d(x, x′)²,  M(t) = (1 + √(5t) + 5t/3)·e^(−√(5t))
 *
 * with δ_d = x_d − x′_d on numeric dimensions and the Hamming indicator
 * [x_d ≠ x′_d] on categorical ones (whose coordinate is the option index).
 * λ_d = ℓ_d⁻² are inverse squared length scales, so k(x, x) = s.
 */

export interface Hyperparameters {
  /** λ_d = ℓ_d⁻², length D. */
  readonly lambda: Float64Array;
  /** Signal variance s. */
  readonly scale: number;
  /** Noise variance σ² (≥ the noise floor). */
  readonly noise: number;
}

/** Matérn-5/2 as a function of the squared scaled distance t. */
export function matern52(t: number): number {
  const r = Math.sqrt(5 * t);
  return (1 + r + (5 / 3) * t) * Math.exp(-r);
}

/** dM/dt = −(5/6)(1 + √(5t))·e^(−√(5t)); finite at t = 0. */
export function matern52Deriv(t: number): number {
  const r = Math.sqrt(5 * t);
  return (-5 / 6) * (1 + r) * Math.exp(-r);
}

/** t = Σ λ_d δ_d² between A[i] and B[j]. */
export function scaledSqDist(
  A: Float64Array,
  i: number,
  B: Float64Array,
  j: number,
  D: number,
  lambda: Float64Array,
  cat: Uint8Array,
): number {
  const oa = i * D;
  const ob = j * D;
  let t = 0;
  for (let d = 0; d < D; d++) {
    const a = A[oa + d]!;
    const b = B[ob + d]!;
    if (cat[d]) {
      if (a !== b) t += lambda[d]!;
    } else {
      const e = a - b;
      t += lambda[d]! * e * e;
    }
  }
  return t;
}

/** Cross-kernel matrix K(A, B), m×n, with A m×D and B n×D. */
export function crossKernel(
  A: Float64Array,
  m: number,
  B: Float64Array,
  n: number,
  D: number,
  cat: Uint8Array,
  { lambda, scale }: Hyperparameters,
): Float64Array {
  const K = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) K[i * n + j] = scale * matern52(scaledSqDist(A, i, B, j, D, lambda, cat));
  }
  return K;
}

/** K(X, X) + noise·I, n×n (full symmetric). */
export function gramMatrix(
  X: Float64Array,
  n: number,
  D: number,
  cat: Uint8Array,
  { lambda, scale, noise }: Hyperparameters,
): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    C[i * n + i] = scale + noise;
    for (let j = 0; j < i; j++) {
      const k = scale * matern52(scaledSqDist(X, i, X, j, D, lambda, cat));
      C[i * n + j] = k;
      C[j * n + i] = k;
    }
  }
  return C;
}
