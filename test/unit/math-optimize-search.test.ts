/**
 * minimizeBox's line search and stopping rules at their exact edges (src/math/optimize.ts): the Armijo
 * sufficient-decrease test (c = 1e-4, equality accepted), backtracking (halving after a poor finite value, a tenth
 * after an undefined one), the 30-try cap of one search, the single steepest-descent retry after a search that
 * the curvature model misled, and the relative `ftol` and the `stallWindow` counted in iterations. Every case
 * records the points f was asked about, so a step taken or skipped shows.
 */
import { describe, expect, it } from "vitest";
import { minimizeBox, type ValueAndGradient } from "../../src/math/optimize.js";

/** f, and every point it was evaluated at, in order. */
function traced(f: ValueAndGradient): { f: ValueAndGradient; seen: number[][] } {
  const seen: number[][] = [];
  return {
    seen,
    f: (x, g) => {
      seen.push(Array.from(x));
      return f(x, g);
    },
  };
}

const free1 = [[Number.NEGATIVE_INFINITY], [Number.POSITIVE_INFINITY]] as const;
/** x², minimum 0 at 0. */
const square: ValueAndGradient = (x, g) => {
  g[0] = 2 * x[0]!;
  return x[0]! ** 2;
};
/** (x − 1)² + 10·(y + 1)², minimum 0 at (1, −1). */
const bowl: ValueAndGradient = (x, g) => {
  g[0] = 2 * (x[0]! - 1);
  g[1] = 20 * (x[1]! + 1);
  return (x[0]! - 1) ** 2 + 10 * (x[1]! + 1) ** 2;
};

describe("minimizeBox's line search", () => {
  it("refuses a step that lowers f by less than 1e-4 of the predicted decrease, and halves it", () => {
    // From x = 1 the first step is to −0.99999: f falls from 1 to 0.99998, far less than 1e-4·4.
    const { f, seen } = traced(square);
    const r = minimizeBox(f, [1], ...free1, { initialStep: 1.99999, maxIter: 1 });
    expect(seen.length).toBe(3);
    expect(seen[1]![0]).toBeCloseTo(-0.99999, 12);
    // Half the step: 1 − 0.999995.
    expect(seen[2]![0]).toBeCloseTo(0.000005, 12);
    expect(r.x[0]).toBe(seen[2]![0]);
    expect(r.iterations).toBe(1);
  });

  it("accepts a step whose decrease is exactly 1e-4 of the predicted one", () => {
    // The reported slope is 1, the true one 1e-4: the unit step to −1 lowers f by exactly 1e-4·1.
    const lying: ValueAndGradient = (x, g) => {
      g[0] = 1;
      return 1e-4 * x[0]!;
    };
    const { f, seen } = traced(lying);
    const r = minimizeBox(f, [0], ...free1, { maxIter: 1 });
    expect(seen).toEqual([[0], [-1]]);
    expect(r).toMatchObject({ f: -1e-4, iterations: 1, evaluations: 2 });
    expect(r.x[0]).toBe(-1);
  });

  it("gives up a steepest-descent search after 30 tries, where it started, not converged", () => {
    // f rises everywhere but at the start, whatever the gradient says.
    const spike: ValueAndGradient = (x, g) => {
      g[0] = 1;
      return x[0] === 0 ? 0 : 1;
    };
    const { f, seen } = traced(spike);
    const r = minimizeBox(f, [0], ...free1);
    expect(r).toMatchObject({ f: 0, iterations: 0, evaluations: 31, converged: false });
    expect(r.x[0]).toBe(0);
    // Each try halves the last one: −1, −1/2, −1/4, ...
    for (let k = 1; k <= 30; k++) expect(seen[k]![0]).toBe(-(2 ** (1 - k)));
    // The evaluation budget cuts the search short.
    expect(minimizeBox(spike, [0], ...free1, { maxEval: 10 }).evaluations).toBe(10);
  });

  it("after a search the curvature model misled, retries once from steepest descent with the first step's limit", () => {
    // Finite on the first two evaluations (the start, an accepted step), then undefined for the next 30
    // (the quasi-Newton search fails), then the bowl again.
    let calls = 0;
    const { f, seen } = traced((x, g) => (++calls >= 3 && calls <= 32 ? Number.POSITIVE_INFINITY : bowl(x, g)));
    const r = minimizeBox(f, [0, 0], [-5, -5], [5, 5], { initialStep: 0.1 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(-1, 6);
    // The accepted point: a steepest-descent step of 0.1 in the steepest coordinate.
    expect(seen[1]![0]).toBeCloseTo(0.01, 15);
    expect(seen[1]![1]).toBeCloseTo(-0.1, 15);
    // Undefined values shrink the step tenfold each time.
    const move = (k: number) => Math.abs(seen[k]![1]! - seen[1]![1]!);
    for (let k = 3; k <= 10; k++) expect(move(k) / move(k - 1)).toBeCloseTo(0.1, 9);
    // The retry: along −g from (0.01, −0.1), g = (−1.98, 18), again limited to 0.1 in the steepest coordinate.
    expect(seen[32]![0]).toBeCloseTo(0.01 + (1.98 / 18) * 0.1, 12);
    expect(seen[32]![1]).toBeCloseTo(-0.2, 12);
  });

  it("stops after the steepest-descent retry fails too: 30 tries each, once", () => {
    let calls = 0;
    const f: ValueAndGradient = (x, g) => (++calls >= 3 ? Number.POSITIVE_INFINITY : bowl(x, g));
    const r = minimizeBox(f, [0, 0], [-5, -5], [5, 5], { initialStep: 0.1 });
    expect(r).toMatchObject({ iterations: 2, evaluations: 62, converged: false });
    expect(r.x[0]).toBeCloseTo(0.01, 15);
    expect(r.x[1]).toBeCloseTo(-0.1, 15);
  });
});

describe("minimizeBox's stopping rules", () => {
  it("counts the iteration that met ftol, which compares the decrease to ftol·max(1, |f|), at equality too", () => {
    // x² from 1 with a first step of 0.5: f goes 1 → 0.25 (decrease 0.75), then the secant step to 0.
    const plain = minimizeBox(square, [1], ...free1, { initialStep: 0.5 });
    expect(plain).toMatchObject({ f: 0, iterations: 2, evaluations: 3, converged: true });
    // Decrease 0.75 = 0.75·max(1, 0.25): stop after the first iteration.
    const atEdge = minimizeBox(square, [1], ...free1, { initialStep: 0.5, ftol: 0.75 });
    expect(atEdge).toMatchObject({ f: 0.25, iterations: 1, evaluations: 2, converged: true });
    // 0.75 > 0.5: go on; the second decrease, 0.25, stops it, and that iteration counts.
    const below = minimizeBox(square, [1], ...free1, { initialStep: 0.5, ftol: 0.5 });
    expect(below).toMatchObject({ f: 0, iterations: 2, evaluations: 3, converged: true });
  });

  it("scales ftol by |f| when |f| > 1, negative values included", () => {
    // f = x² − 1e6: the first decrease, 0.75, is below 1e-6·1e6 = 1.
    const low: ValueAndGradient = (x, g) => square(x, g) - 1e6;
    expect(minimizeBox(low, [1], ...free1, { initialStep: 0.5, ftol: 1e-6 })).toMatchObject({
      iterations: 1,
      converged: true,
    });
    // f = 1e6·x²: the first decrease, 7.5e5, is exactly 3·|f| (f = 2.5e5 after it), far above 3·1.
    const high: ValueAndGradient = (x, g) => {
      const v = square(x, g);
      g[0]! *= 1e6;
      return 1e6 * v;
    };
    expect(minimizeBox(high, [1], ...free1, { initialStep: 0.5, ftol: 3 })).toMatchObject({
      iterations: 1,
      converged: true,
    });
    expect(minimizeBox(high, [1], ...free1, { initialStep: 0.5, ftol: 1e-6 }).iterations).toBe(2);
  });

  it("stalls after exactly stallWindow iterations of a total decrease below stallTol", () => {
    const opts = { initialStep: 0.1, gtol: 0, ftol: 0, stallTol: 1e9 };
    for (const stallWindow of [1, 2, 3, 5]) {
      const r = minimizeBox(bowl, [0, 0], [-5, -5], [5, 5], { ...opts, stallWindow });
      expect(r, `stallWindow ${stallWindow}`).toMatchObject({ iterations: stallWindow, converged: true });
    }
    // The default window is 3.
    expect(minimizeBox(bowl, [0, 0], [-5, -5], [5, 5], opts).iterations).toBe(3);
    // A total decrease of exactly stallTol is not a stall: f goes 11 → 9.0801 in the first iteration.
    const first = minimizeBox(bowl, [0, 0], [-5, -5], [5, 5], { ...opts, stallTol: 0, maxIter: 1 });
    const decrease = 11 - first.f;
    const exact = minimizeBox(bowl, [0, 0], [-5, -5], [5, 5], { ...opts, stallTol: decrease, stallWindow: 1 });
    expect(exact.iterations).toBeGreaterThan(1);
    const above = minimizeBox(bowl, [0, 0], [-5, -5], [5, 5], {
      ...opts,
      stallTol: decrease * (1 + 1e-12),
      stallWindow: 1,
    });
    expect(above.iterations).toBe(1);
  });

  it("is converged at an exact minimum even with gtol 0 (a projected gradient of exactly 0)", () => {
    expect(minimizeBox(square, [0], ...free1, { gtol: 0 })).toMatchObject({
      iterations: 0,
      evaluations: 1,
      converged: true,
    });
  });

  it("limits only the first step to initialStep: the second takes the full quasi-Newton step", () => {
    // x² from 1: a first step of 0.25 to 0.75, then the secant step of 0.75 straight to 0.
    const { f, seen } = traced(square);
    const r = minimizeBox(f, [1], ...free1, { initialStep: 0.25 });
    expect(seen.map((p) => p[0])).toEqual([1, 0.75, 0]);
    expect(r).toMatchObject({ f: 0, iterations: 2, converged: true });
  });
});
