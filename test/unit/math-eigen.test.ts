/**
 * `symmetricEigen` (src/math/eigen.ts) at the edges math-contracts.test.ts leaves out: the empty and the zero matrix,
 * scale equivariance far from 1 (eig(c·A) = c·eig(A): the convergence test must be relative to the matrix's size),
 * and NaN input, which must end (the iterations are bounded) rather than spin.
 */
import { describe, expect, it } from "vitest";
import { symmetricEigen } from "../../src/math/eigen.js";
import { createRng } from "../../src/math/rng.js";

function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  return a;
}

/** Largest |A·v − λ·v| over the eigenpairs, relative to the largest |λ|. */
function residual(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): number {
  let worst = 0;
  const top = Math.max(...values.map(Math.abs));
  for (let c = 0; c < n; c++)
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * vectors[k * n + c]!;
      worst = Math.max(worst, Math.abs(s - values[c]! * vectors[i * n + c]!) / top);
    }
  return worst;
}

describe("symmetricEigen", () => {
  it("of the empty matrix is empty", () => {
    const { values, vectors } = symmetricEigen(new Float64Array(0), 0);
    expect(values.length).toBe(0);
    expect(vectors.length).toBe(0);
  });

  it("of the zero matrix is zeros with orthonormal vectors", () => {
    for (const n of [1, 2, 4]) {
      const { values, vectors } = symmetricEigen(new Float64Array(n * n), n);
      expect([...values]).toEqual(new Array(n).fill(0));
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += vectors[k * n + i]! * vectors[k * n + j]!;
          expect(s).toBeCloseTo(i === j ? 1 : 0, 15);
        }
    }
  });

  it("scales with the matrix, however small or large", () => {
    for (const n of [3, 6]) {
      const a = randomSymmetric(n, n);
      const base = symmetricEigen(a, n).values;
      for (const c of [1e-12, 1e-6, 1e6, 1e12]) {
        const scaled = a.map((x) => c * x);
        const { values, vectors } = symmetricEigen(scaled, n);
        for (let i = 0; i < n; i++)
          expect(Math.abs(values[i]! - c * base[i]!), `n ${n}, c ${c}, λ${i}`).toBeLessThanOrEqual(
            1e-13 * c * Math.max(...base.map(Math.abs)),
          );
        expect(residual(scaled, n, values, vectors)).toBeLessThan(1e-13);
      }
    }
  });

  it("ends on NaN input", () => {
    const a = randomSymmetric(4, 1);
    a[5] = Number.NaN;
    const { values } = symmetricEigen(a, 4);
    expect(values.length).toBe(4);
  });
});
