/**
 * src/math/linalg.ts against NumPy/SciPy on ill-conditioned matrices (test/fixtures/linalg-goldens.json, made by
 * gen_linalg_goldens.py), and the documented edges linalg.test.ts leaves out: the jitter's exact schedule (first
 * value × the mean absolute diagonal, ×10 per retry, `maxTries` retries), matrices with a zero or infinite diagonal,
 * the empty matrix, blocks of four right-hand sides, and extensions whose Schur complement needs jitter or fails.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cholesky,
  choleskyInPlace,
  choleskySolve,
  extendCholesky,
  inverseFromCholesky,
  invertLower,
  logDetHalf,
  solveLowerInPlace,
  solveLowerRowsInPlace,
  solveUpperTInPlace,
} from "../../src/math/linalg.js";
import { createRng } from "../../src/math/rng.js";

interface Golden {
  name: string;
  n: number;
  a: number[];
  L: number[];
  b: number[];
  solve: number[];
  logdet: number;
  inverse: number[];
  inverseL: number[];
  cond: number;
}
const goldens = JSON.parse(readFileSync(new URL("../fixtures/linalg-goldens.json", import.meta.url), "utf8")) as {
  matrices: Golden[];
};

/** Largest |a − b| relative to the largest |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

describe("against NumPy on ill-conditioned matrices", () => {
  for (const g of goldens.matrices) {
    it(`${g.name} (condition number ${g.cond.toExponential(1)})`, () => {
      const n = g.n;
      const a = Float64Array.from(g.a);
      const f = cholesky(a, n)!;
      expect(f.jitter).toBe(0);
      // A backward-stable factor: errors grow with the condition number, not faster.
      const tol = 1e-15 * g.cond;
      expect(relErr(f.L, g.L)).toBeLessThan(Math.max(1e-13, 1e-15 * Math.sqrt(g.cond)));
      expect(relErr(choleskySolve(f.L, n, g.b), g.solve)).toBeLessThan(tol);
      expect(Math.abs(2 * logDetHalf(f.L, n) - g.logdet)).toBeLessThan(tol);
      expect(relErr(inverseFromCholesky(f.L, n), g.inverse)).toBeLessThan(tol);
      expect(relErr(invertLower(f.L, n), g.inverseL)).toBeLessThan(tol);
      // The two triangular solves, one after the other, are the solve.
      const x = Float64Array.from(g.b);
      solveLowerInPlace(f.L, n, x);
      solveUpperTInPlace(f.L, n, x);
      expect(relErr(x, g.solve)).toBeLessThan(tol);
    });
  }
});

describe("jitter", () => {
  it("starts at firstJitter × the mean absolute diagonal and grows tenfold per retry, up to maxTries", () => {
    // diag(−5, 1): mean |diagonal| 3; tries 0.3, 3, 30; only 30 makes −5 + jitter positive.
    const a = Float64Array.of(-5, 0, 0, 1);
    const f = cholesky(a, 2, 0.1, 3)!;
    expect(f.jitter).toBeCloseTo(30, 12);
    expect(f.L[0]).toBeCloseTo(5, 12);
    expect(f.L[3]).toBeCloseTo(Math.sqrt(31), 12);
    expect(f.L[1]).toBe(0);
    expect(cholesky(a, 2, 0.1, 2)).toBeUndefined();
    expect(cholesky(a, 2, 0.1, 0)).toBeUndefined();
    // The input is not modified.
    expect([...a]).toEqual([-5, 0, 0, 1]);
  });

  it("uses 1 as the scale when the diagonal is zero", () => {
    const f = cholesky(new Float64Array(4), 2, 1e-6)!;
    expect(f.jitter).toBe(1e-6);
    expect([...f.L]).toEqual([1e-3, 0, 0, 1e-3]);
  });

  it("is the smallest of the schedule that works", () => {
    // [[1, 1], [1, 1 − 1e−4]] + jitter·I has the second pivot ≈ 2·jitter − 1e−4: positive from jitter 5e−5 on, so
    // the third try (1e−6 × 100 × the mean diagonal) is the first that works.
    const a = Float64Array.of(1, 1, 1, 1 - 1e-4);
    const f = cholesky(a, 2, 1e-6)!;
    const mean = (2 - 1e-4) / 2;
    expect(f.jitter).toBeCloseTo(1e-4 * mean, 15);
    expect(cholesky(a, 2, 1e-6, 2)).toBeUndefined();
  });

  it("refuses infinite pivots", () => {
    expect(choleskyInPlace(Float64Array.of(Number.POSITIVE_INFINITY), 1)).toBe(false);
    expect(cholesky(Float64Array.of(Number.POSITIVE_INFINITY), 1)).toBeUndefined();
    expect(cholesky(Float64Array.of(4, 0, 0, Number.POSITIVE_INFINITY), 2)).toBeUndefined();
    expect(choleskyInPlace(Float64Array.of(0), 1)).toBe(false);
  });

  it("factors the empty matrix", () => {
    const f = cholesky(new Float64Array(0), 0)!;
    expect(f.jitter).toBe(0);
    expect(f.L.length).toBe(0);
  });
});

describe("many right-hand sides", () => {
  it("solve blocks of four and the remainder like single solves", () => {
    const n = 7;
    const rng = createRng(5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = i === j ? n + i : rng.uniform();
    const { L } = cholesky(a, n)!;
    for (const m of [4, 5, 8, 9]) {
      const B = Float64Array.from({ length: m * n }, () => rng.normal());
      const rows = Float64Array.from(B);
      solveLowerRowsInPlace(L, n, rows, m);
      for (let r = 0; r < m; r++) {
        const x = B.slice(r * n, (r + 1) * n);
        solveLowerInPlace(L, n, x);
        expect(relErr(rows.subarray(r * n, (r + 1) * n), x), `m ${m}, row ${r}`).toBeLessThan(1e-15);
      }
    }
  });
});

describe("buffers longer than the matrix", () => {
  // The GP passes views into reused work buffers: what lies past the n×n matrix, the n entries or the m rows is the
  // caller's and must not be touched.
  it("are left alone past the matrix, the vector and the rows", () => {
    const n = 3;
    const a = new Float64Array(n * n + 4).fill(7);
    a.set([4, 2, 2, 2, 5, 1, 2, 1, 6]);
    expect(choleskyInPlace(a, n)).toBe(true);
    expect([...a.subarray(n * n)]).toEqual([7, 7, 7, 7]);
    const L = a.slice(0, n * n);

    const b = Float64Array.of(1, 2, 3, 7, 7);
    solveLowerInPlace(L, n, b);
    expect([...b.subarray(n)]).toEqual([7, 7]);
    solveUpperTInPlace(L, n, b);
    expect([...b.subarray(n)]).toEqual([7, 7]);

    for (const m of [1, 4, 5]) {
      const B = new Float64Array((m + 1) * n).fill(7);
      for (let i = 0; i < m * n; i++) B[i] = i + 1;
      solveLowerRowsInPlace(L, n, B, m);
      expect([...B.subarray(m * n)], `m ${m}`).toEqual([7, 7, 7]);
    }
  });
});

describe("extending a factor", () => {
  it("adds jitter to a singular Schur complement and reports it", () => {
    // A = [[1]], appended row and column repeat it exactly: the complement D − BᵀA⁻¹B is 0.
    const L = cholesky(Float64Array.of(1), 1)!.L;
    const ext = extendCholesky(L, 1, Float64Array.of(1, 1), Float64Array.of(1, 1, 1, 1), 2)!;
    expect(ext.jitter).toBeGreaterThan(0);
    expect(ext.L[0]).toBe(1);
    expect(ext.L[3]).toBe(1);
    expect(ext.L[6]).toBe(1);
    // Lower-triangular, and L·Lᵀ reproduces the extended matrix with the jitter on the new diagonal.
    const m = 3;
    const full = [1, 1, 1, 1, 1 + ext.jitter, 1, 1, 1, 1 + ext.jitter];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += ext.L[i * m + k]! * ext.L[j * m + k]!;
        if (j > i) expect(ext.L[i * m + j]).toBe(0);
        expect(s).toBeCloseTo(full[i * m + j]!, 12);
      }
  });

  it("gives up when the complement is not positive definite even with jitter", () => {
    const L = cholesky(Float64Array.of(1), 1)!.L;
    expect(extendCholesky(L, 1, Float64Array.of(2), Float64Array.of(1), 1)).toBeUndefined();
    expect(extendCholesky(L, 1, Float64Array.of(0), Float64Array.of(Number.NaN), 1)).toBeUndefined();
  });

  it("from an empty factor is the plain factor", () => {
    const d = Float64Array.of(4, 2, 2, 3);
    const ext = extendCholesky(new Float64Array(0), 0, new Float64Array(0), d, 2)!;
    expect([...ext.L]).toEqual([...cholesky(d, 2)!.L]);
    expect(ext.jitter).toBe(0);
  });
});
