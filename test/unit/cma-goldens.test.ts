/** CMA-ES updates against the `cmaes` package (test/fixtures/gen_cma_goldens.py). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CmaState, cmaParams, type DiscreteAxis } from "../../src/algorithms/cmaes/cma.js";
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
  generations: { solutions: { x: number[]; loss: number }[]; after: After }[];
}

const goldens = JSON.parse(readFileSync(new URL("../fixtures/cma-goldens.json", import.meta.url), "utf8")) as {
  cma: Case[];
  cmawm: Case[];
};

function close(got: ArrayLike<number>, want: readonly number[], tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  }
}

function replay(c: Case): void {
  const p = cmaParams(c.n, c.popsize);
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
