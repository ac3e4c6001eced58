import { describe, expect, it } from "vitest";
import {
  cholesky,
  choleskySolve,
  extendCholesky,
  inverseFromCholesky,
  invertLower,
  logDetHalf,
  solveLowerRowsInPlace,
} from "../../src/math/linalg.js";
import { createRng } from "../../src/math/rng.js";

/** A random SPD matrix B·Bᵀ + δI. */
function spd(n: number, seed: number, delta = 1e-3): Float64Array {
  const rng = createRng(seed);
  const B = Float64Array.from({ length: n * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? delta : 0;
      for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
      A[i * n + j] = s;
    }
  return A;
}

function reconstruct(L: Float64Array, n: number): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) s += L[i * n + k]! * L[j * n + k]!;
      A[i * n + j] = s;
    }
  return A;
}

/** A·B for n×n row-major matrices. */
function product(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k]! * B[k * n + j]!;
      C[i * n + j] = s;
    }
  return C;
}

function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("cholesky", () => {
  it("reconstructs A = L·Lᵀ with a lower-triangular factor", () => {
    for (const n of [1, 2, 7, 40]) {
      const A = spd(n, n);
      const f = cholesky(A, n)!;
      expect(f.jitter).toBe(0);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(f.L[i * n + j]).toBe(0);
      const scale = Math.max(...A.map(Math.abs));
      expect(maxAbsDiff(reconstruct(f.L, n), A) / scale).toBeLessThan(1e-12);
    }
  });

  it("adds escalating jitter to a singular matrix and reports it", () => {
    const n = 5;
    const A = new Float64Array(n * n).fill(1); // rank one
    const f = cholesky(A, n)!;
    expect(f).toBeDefined();
    expect(f.jitter).toBeGreaterThan(0);
    const withJitter = Float64Array.from(A);
    for (let i = 0; i < n; i++) withJitter[i * n + i]! += f.jitter;
    expect(maxAbsDiff(reconstruct(f.L, n), withJitter)).toBeLessThan(1e-9);
  });

  it("gives up on NaN input instead of looping", () => {
    expect(cholesky(Float64Array.of(Number.NaN), 1)).toBeUndefined();
    expect(cholesky(Float64Array.of(-1), 1, 1e-10, 3)).toBeUndefined();
  });

  it("solves systems, inverts and computes log-determinants consistently", () => {
    const n = 25;
    const A = spd(n, 3);
    const { L } = cholesky(A, n)!;
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const x = choleskySolve(L, n, b);
    const Ax = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Ax[i]! += A[i * n + j]! * x[j]!;
    expect(maxAbsDiff(Ax, b)).toBeLessThan(1e-8);

    expect(maxAbsDiff(product(A, inverseFromCholesky(L, n), n), identity(n))).toBeLessThan(1e-7);
    expect(maxAbsDiff(product(L, invertLower(L, n), n), identity(n))).toBeLessThan(1e-9);

    // log det via the product of eigen-free 2×2 check
    const A2 = Float64Array.of(4, 2, 2, 3);
    expect(2 * logDetHalf(cholesky(A2, 2)!.L, 2)).toBeCloseTo(Math.log(8), 12);
  });

  it("solves many right-hand sides row by row like single solves", () => {
    const n = 10;
    const { L } = cholesky(spd(n, 9), n)!;
    const rng = createRng(1);
    const B = Float64Array.from({ length: 3 * n }, () => rng.normal());
    const rows = Float64Array.from(B);
    solveLowerRowsInPlace(L, n, rows, 3);
    for (let r = 0; r < 3; r++) {
      const b = B.slice(r * n, (r + 1) * n);
      const y = rows.slice(r * n, (r + 1) * n);
      const Ly = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) Ly[i]! += L[i * n + k]! * y[k]!;
      expect(maxAbsDiff(Ly, b)).toBeLessThan(1e-10);
    }
  });

  it("extends a factor with new rows exactly as refactoring would", () => {
    const m = 12;
    const n = 8;
    const q = m - n;
    const A = spd(m, 11);
    const A11 = new Float64Array(n * n);
    const B = new Float64Array(n * q);
    const Dm = new Float64Array(q * q);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        const v = A[i * m + j]!;
        if (i < n && j < n) A11[i * n + j] = v;
        else if (i < n) B[i * q + (j - n)] = v;
        else if (j >= n) Dm[(i - n) * q + (j - n)] = v;
      }
    const ext = extendCholesky(cholesky(A11, n)!.L, n, B, Dm, q)!;
    const full = cholesky(A, m)!;
    expect(maxAbsDiff(ext.L, full.L)).toBeLessThan(1e-9);
  });
});
