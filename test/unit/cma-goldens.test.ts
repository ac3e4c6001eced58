/** CMA-ES updates against the `cmaes` package (test/fixtures/gen_cma_goldens.py). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CmaParams, CmaState, cmaParams, type DiscreteAxis } from "../../src/algorithms/cmaes/cma.js";
import { symmetricEigen } from "../../src/math/eigen.js";
import { createRng } from "../../src/math/rng.js";

interface After {
  mean: number[];
  sigma: number;
  C: number[];
  pSigma: number[];
  pc: number[];
  g: number;
  A?: number[];
}
interface Case {
  n: number;
  popsize: number;
  mean0: number[];
  sigma0: number;
  cov0?: number[] | null;
  discrete?: DiscreteAxis[];
  margin?: number;
  /** SepCMA's own constants (Parzen's diagonal phase has other ones: only the update equations are compared). */
  constants?: Pick<CmaParams, "mu" | "muEff" | "c1" | "cmu" | "cc" | "cSigma" | "dSigma" | "chiN"> & {
    weights: number[];
  };
  generations: { solutions: { x: number[]; loss: number }[]; after: After }[];
}

const goldens = JSON.parse(readFileSync(new URL("../fixtures/cma-goldens.json", import.meta.url), "utf8")) as {
  cma: Case[];
  cmawm: Case[];
  sep: Case[];
};

/** A diagonal CmaParams with the package's SepCMA constants. */
function sepParams(c: Case): CmaParams {
  const k = c.constants!;
  const weights = Float64Array.from(k.weights);
  return {
    ...k,
    n: c.n,
    popsize: c.popsize,
    weights,
    weightSum: weights.reduce((a, b) => a + b, 0),
    cm: 1,
    funhistTerm: 10 + Math.ceil((30 * c.n) / c.popsize),
    diagonal: true,
  };
}

function close(got: ArrayLike<number>, want: readonly number[], tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  }
}

function replay(c: Case): void {
  const p = c.constants === undefined ? cmaParams(c.n, c.popsize) : sepParams(c);
  let s = CmaState.initial(
    p,
    Float64Array.from(c.mean0),
    c.sigma0,
    c.cov0 ? Float64Array.from(c.cov0) : undefined,
    c.discrete ?? [],
  );
  if (c.margin !== undefined) expect(s.margin).toBeCloseTo(c.margin, 15);
  for (const gen of c.generations) {
    s = s.tell(gen.solutions.map((o) => ({ x: Float64Array.from(o.x), loss: o.loss })));
    const a = gen.after;
    expect(s.g).toBe(a.g);
    close(s.mean, a.mean, 1e-9);
    close([s.sigma], [a.sigma], 1e-9);
    close(s.C, a.C, 1e-9);
    close(s.pSigma, a.pSigma, 1e-9);
    close(s.pc, a.pc, 1e-9);
    if (a.A !== undefined) close(s.A, a.A, 1e-8);
  }
}

describe("CMA-ES update equations match the cmaes package", () => {
  goldens.cma.forEach((c, i) => {
    it(`CMA case ${i}: ${c.n}-D, popsize ${c.popsize}, ${c.generations.length} generations`, () => replay(c));
  });
  goldens.cmawm.forEach((c, i) => {
    it(`CMA-ES with Margin case ${i}: ${c.n}-D, ${c.discrete!.length} discrete coordinates`, () => replay(c));
  });
  goldens.sep.forEach((c, i) => {
    it(`SepCMA case ${i}: ${c.n}-D, popsize ${c.popsize}, diagonal update, ${c.generations.length} generations`, () =>
      replay(c));
  });
});

describe("the diagonal phase's constants (sep-CMA-ES, Ros & Hansen 2008)", () => {
  it("are the full update's with c1 and cμ times (n + 2)/3, negative weights bounded by those rates", () => {
    for (const [n, lambda] of [
      [2, 6],
      [10, 10],
      [40, 15],
      [40, 60],
    ] as const) {
      const full = cmaParams(n, lambda);
      const sep = cmaParams(n, lambda, true);
      expect(sep.diagonal).toBe(true);
      expect(full.diagonal).toBe(false);
      expect(sep.c1).toBeCloseTo((full.c1 * (n + 2)) / 3, 15);
      expect(sep.cmu).toBeCloseTo(Math.min((full.cmu * (n + 2)) / 3, 1 - sep.c1 - 1e-8), 15);
      for (const k of ["muEff", "cc", "cSigma", "dSigma", "chiN", "mu", "funhistTerm"] as const)
        expect(sep[k]).toBe(full[k]);
      expect(Array.from(sep.weights.subarray(0, sep.mu))).toEqual(Array.from(full.weights.subarray(0, full.mu)));
      // Active weights: C stays positive definite (eq. 53's bound with the larger rates).
      const negative = -sep.weights.reduce((a, w) => a + Math.min(w, 0), 0);
      expect(negative).toBeLessThanOrEqual((1 - sep.c1 - sep.cmu) / (n * sep.cmu) + 1e-12);
      expect(sep.c1 + sep.cmu).toBeLessThan(1);
    }
  });

  it("keep C diagonal through a tell, and sample each coordinate with its own variance", () => {
    const n = 5;
    const p = cmaParams(n, undefined, true);
    const rng = createRng(8);
    let s = CmaState.initial(p, new Float64Array(n).fill(0.5), 0.2);
    for (let g = 0; g < 6; g++) {
      const solutions = Array.from({ length: p.popsize }, () => {
        const x = s.sample(Float64Array.from({ length: n }, () => rng.normal()));
        let loss = 0;
        for (let i = 0; i < n; i++) loss += 10 ** i * (x[i]! - 0.3) ** 2 + x[i]! * x[(i + 1) % n]!;
        return { x, loss };
      });
      s = s.tell(solutions);
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) expect(s.C[i * n + j]).toBe(0);
    const z = Float64Array.from([1, -2, 0.5, 0, 3]);
    const x = s.sample(z);
    for (let i = 0; i < n; i++) expect(x[i]).toBeCloseTo(s.mean[i]! + s.sigma * Math.sqrt(s.C[i * n + i]!) * z[i]!, 12);
    // Then the full update goes on from the same distribution and paths.
    const f = s.withParams(cmaParams(n, p.popsize));
    expect(f.p.diagonal).toBe(false);
    expect({ g: f.g, sigma: f.sigma }).toEqual({ g: s.g, sigma: s.sigma });
    for (const k of ["mean", "C", "pSigma", "pc", "funhist"] as const) expect(f[k]).toEqual(s[k]);
    expect(() => s.withParams(cmaParams(n, p.popsize + 1))).toThrow(/popsize/);
  });
});

describe("symmetric eigendecomposition", () => {
  it("reconstructs random symmetric matrices with orthonormal vectors and ascending values", () => {
    const rng = createRng(5);
    for (const n of [1, 2, 7, 30]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          const v = rng.normal();
          a[i * n + j] = v;
          a[j * n + i] = v;
        }
      }
      const { values, vectors: V } = symmetricEigen(a, n);
      for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          let o = 0;
          for (let k = 0; k < n; k++) {
            s += V[i * n + k]! * values[k]! * V[j * n + k]!;
            o += V[k * n + i]! * V[k * n + j]!;
          }
          expect(s).toBeCloseTo(a[i * n + j]!, 10);
          expect(o).toBeCloseTo(i === j ? 1 : 0, 10);
        }
      }
    }
  });
});
