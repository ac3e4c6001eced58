/**
 * Dense linear algebra for the Gaussian process, on flat row-major
 * Float64Arrays (element (i, j) of an n×n matrix at i·n + j).
 *
 * Only what the GP needs: a Cholesky factorisation that retries with
 * escalating diagonal jitter, triangular solves (single and many right-hand
 * sides), the inverse from a factor (for the likelihood gradient), and
 * appending rows to a factor without refactoring (for pending trials).
 * Pure: no allocation beyond the returned arrays, no I/O.
 */

/** Result of a jittered factorisation: the lower factor and the jitter that made it work. */
export interface CholeskyResult {
  /** Lower-triangular L with A + jitter·I = L·Lᵀ (upper triangle zeroed). */
  readonly L: Float64Array;
  /** Diagonal jitter added (0 when A factored as given). */
  readonly jitter: number;
}

/**
 * In-place Cholesky of the symmetric matrix in `a` (only the lower triangle
 * is read). Returns false, leaving `a` partly overwritten, when a pivot is not
 * positive and finite.
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) {
      const v = a[rj + k]!;
      d -= v * v;
    }
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s * inv;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return true;
}

/**
 * Cholesky factor of `a` (not modified). On failure, retries with jitter
 * `firstJitter`·mean(diag), multiplied by 10 each time, up to `maxTries`
 * retries; returns undefined when none works (e.g. NaN entries).
 */
export function cholesky(a: Float64Array, n: number, firstJitter = 1e-10, maxTries = 8): CholeskyResult | undefined {
  const L = Float64Array.from(a);
  if (choleskyInPlace(L, n)) return { L, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += Math.abs(a[i * n + i]!);
  meanDiag = n > 0 && meanDiag > 0 ? meanDiag / n : 1;
  let jitter = firstJitter * meanDiag;
  for (let t = 0; t < maxTries; t++, jitter *= 10) {
    L.set(a);
    for (let i = 0; i < n; i++) L[i * n + i]! += jitter;
    if (choleskyInPlace(L, n)) return { L, jitter };
  }
  return undefined;
}

/** Solves L·x = b in place (L lower, n×n). */
export function solveLowerInPlace(L: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * b[k]!;
    b[i] = s / L[ri + i]!;
  }
}

/** Solves Lᵀ·x = b in place (L lower, n×n). */
export function solveUpperTInPlace(L: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    const xi = b[i]! / L[i * n + i]!;
    b[i] = xi;
    // Column i of L below the diagonal is row i of Lᵀ: eliminate x_i from the rows above.
    for (let k = 0; k < i; k++) b[k]! -= L[i * n + k]! * xi;
  }
}

/** x = (L·Lᵀ)⁻¹·b, as a new array. */
export function choleskySolve(L: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(b);
  solveLowerInPlace(L, n, x);
  solveUpperTInPlace(L, n, x);
  return x;
}

/**
 * Forward solve for m right-hand sides stored as the rows of `B` (m×n, row
 * r is one vector b_r); each row is replaced by L⁻¹·b_r. Rows are
 * independent, so this is m contiguous forward substitutions.
 */
export function solveLowerRowsInPlace(L: Float64Array, n: number, B: Float64Array, m: number): void {
  // Four right-hand sides at a time: each row of L is loaded once per four solves.
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      let s0 = B[o0 + i]!;
      let s1 = B[o1 + i]!;
      let s2 = B[o2 + i]!;
      let s3 = B[o3 + i]!;
      for (let k = 0; k < i; k++) {
        const l = L[ri + k]!;
        s0 -= l * B[o0 + k]!;
        s1 -= l * B[o1 + k]!;
        s2 -= l * B[o2 + k]!;
        s3 -= l * B[o3 + k]!;
      }
      const inv = 1 / L[ri + i]!;
      B[o0 + i] = s0 * inv;
      B[o1 + i] = s1 * inv;
      B[o2 + i] = s2 * inv;
      B[o3 + i] = s3 * inv;
    }
  }
  for (; r < m; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      let s = B[o + i]!;
      for (let k = 0; k < i; k++) s -= L[ri + k]! * B[o + k]!;
      B[o + i] = s / L[ri + i]!;
    }
  }
}

/** Inverse of a lower-triangular L (n×n), as a new lower-triangular matrix. */
export function invertLower(L: Float64Array, n: number): Float64Array {
  const X = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const inv = 1 / L[ri + i]!;
    // Row i of L⁻¹ = (e_i − Σ_{k<i} L_ik·(row k of L⁻¹)) / L_ii: row AXPYs, contiguous in memory.
    for (let k = 0; k < i; k++) {
      const c = L[ri + k]!;
      if (c === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) X[ri + j]! -= c * X[rk + j]!;
    }
    for (let j = 0; j < i; j++) X[ri + j]! *= inv;
    X[ri + i] = inv;
  }
  return X;
}

/**
 * (L·Lᵀ)⁻¹ as a full symmetric n×n matrix. With M = L⁻¹ and U = Mᵀ (upper
 * triangular), A⁻¹ = Mᵀ·M, so (A⁻¹)_ij = Σ_{k ≥ max(i,j)} U_ik·U_jk: a dot
 * product of two contiguous row tails of U.
 */
export function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  const M = invertLower(L, n);
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = i; k < n; k++) U[i * n + k] = M[k * n + i]!;
  const out = M; // reuse the storage
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = i; j < n; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = j; k < n; k++) s += U[ri + k]! * U[rj + k]!;
      out[ri + j] = s;
      out[rj + i] = s;
    }
  }
  return out;
}

/** Σ log L_ii = ½ log det(L·Lᵀ). */
export function logDetHalf(L: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]!);
  return s;
}

/**
 * Extends the factor L of an n×n matrix A to that of the (n+q)×(n+q) matrix
 * [[A, B], [Bᵀ, D]] without refactoring A: with L21 = (L⁻¹B)ᵀ,
 * L22 = chol(D − L21·L21ᵀ). `B` is n×q (row-major), `D` is q×q. Costs
 * O(n²q + nq² + q³). Returns undefined when the Schur complement is not
 * positive definite even with jitter.
 */
export function extendCholesky(
  L: Float64Array,
  n: number,
  B: Float64Array,
  D: Float64Array,
  q: number,
): CholeskyResult | undefined {
  const m = n + q;
  const out = new Float64Array(m * m);
  for (let i = 0; i < n; i++) out.set(L.subarray(i * n, i * n + i + 1), i * m);
  // Rows of L21: row r is L⁻¹ times column r of B.
  const L21 = new Float64Array(q * n);
  for (let r = 0; r < q; r++) for (let i = 0; i < n; i++) L21[r * n + i] = B[i * q + r]!;
  solveLowerRowsInPlace(L, n, L21, q);
  const S = new Float64Array(q * q);
  for (let r = 0; r < q; r++) {
    for (let c = 0; c <= r; c++) {
      let s = D[r * q + c]!;
      for (let k = 0; k < n; k++) s -= L21[r * n + k]! * L21[c * n + k]!;
      S[r * q + c] = s;
      S[c * q + r] = s;
    }
  }
  const f = cholesky(S, q);
  if (f === undefined) return undefined;
  for (let r = 0; r < q; r++) {
    out.set(L21.subarray(r * n, (r + 1) * n), (n + r) * m);
    out.set(f.L.subarray(r * q, r * q + r + 1), (n + r) * m + n);
  }
  return { L: out, jitter: f.jitter };
}
