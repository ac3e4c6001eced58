/**
 * CMA-ES's termination tests (cma.ts `shouldStop`, the `cmaes` package's):
 * a run stops, and IPOP/BIPOP restart it, on a flat function history
 * (tolfun), a distribution shrunk to nothing (tolx), divergence, a step that
 * no longer moves the mean along a coordinate or along the generation's
 * principal axis, or an ill-conditioned C; and on nothing else. Each case
 * is one state built to meet exactly one test, next to one just short of it.
 */
import { describe, expect, it } from "vitest";
import { CmaState, cmaParams } from "../../src/algorithms/cmaes/cma.js";

const p = cmaParams(2);

/** A 2-D state: mean (0.5, 0.5), σ 0.3, C = I, zero paths, generation 1, a varied function history. */
function state(over: {
  mean?: number[];
  sigma?: number;
  C?: number[];
  pc?: number[];
  g?: number;
  funhist?: number[];
}): CmaState {
  const funhist = over.funhist ?? Array.from({ length: p.funhistTerm * 2 }, (_, i) => i);
  return new CmaState(
    p,
    Float64Array.from(over.mean ?? [0.5, 0.5]),
    over.sigma ?? 0.3,
    Float64Array.from(over.C ?? [1, 0, 0, 1]),
    new Float64Array(2),
    Float64Array.from(over.pc ?? [0, 0]),
    over.g ?? 1,
    Float64Array.from(funhist),
  );
}

describe("CmaState.shouldStop", () => {
  it("goes on from an ordinary state", () => {
    expect(state({}).shouldStop(0.3)).toBe(false);
  });

  it("tolfun: the best and worst losses of the last generations within 1e-12, once more than funhistTerm ran", () => {
    const flat = (spread: number) => Array.from({ length: p.funhistTerm * 2 }, (_, i) => 1 + (i === 3 ? spread : 0));
    expect(state({ funhist: flat(5e-13), g: p.funhistTerm + 1 }).shouldStop(0.3)).toBe(true);
    expect(state({ funhist: flat(0), g: p.funhistTerm + 1 }).shouldStop(0.3)).toBe(true);
    // Not yet funhistTerm + 1 generations: the history is not full.
    expect(state({ funhist: flat(0), g: p.funhistTerm }).shouldStop(0.3)).toBe(false);
    // A spread of 2e-12 is not flat.
    expect(state({ funhist: flat(2e-12), g: p.funhistTerm + 1 }).shouldStop(0.3)).toBe(false);
    // The lowest value counts as well as the highest.
    expect(state({ funhist: flat(-2e-12), g: p.funhistTerm + 1 }).shouldStop(0.3)).toBe(false);
  });

  it("tolx: σ·C_ii and σ·pc_i below 1e-12 × the run's initial σ in every coordinate", () => {
    const tiny = { sigma: 1e-13, C: [1, 0, 0, 1] };
    expect(state(tiny).shouldStop(1)).toBe(true);
    // Relative to the initial σ: with σ0 = 1e-3 the same σ is not small.
    expect(state(tiny).shouldStop(1e-3)).toBe(false);
    // One coordinate's variance, or one coordinate's path, still large: not all small.
    expect(state({ ...tiny, C: [1, 0, 0, 1e3] }).shouldStop(1)).toBe(false);
    expect(state({ ...tiny, pc: [0, 100] }).shouldStop(1)).toBe(false);
    expect(state({ ...tiny, pc: [100, 0] }).shouldStop(1)).toBe(false);
  });

  it("divergence: σ times the largest standard deviation of C above 1e4", () => {
    expect(state({ sigma: 2e4 }).shouldStop(0.3)).toBe(true);
    expect(state({ sigma: 0.5, C: [4.1e8, 0, 0, 1] }).shouldStop(0.3)).toBe(true);
    expect(state({ sigma: 9e3 }).shouldStop(0.3)).toBe(false);
    expect(state({ sigma: 0.5, C: [3.9e8, 0, 0, 1] }).shouldStop(0.3)).toBe(false);
  });

  it("no effect on a coordinate: adding 0.2·σ·√C_ii leaves some mean coordinate unchanged", () => {
    // ulp(1) = 2.2e-16: a step of 1e-16 is lost in rounding, 3e-16 is not; below 1 the ulp halves, so the step
    // is not lost subtracting. The other coordinate's variance is large and the generation's axis is its own, so
    // only the coordinate test can fire (the initial σ is tiny: not tolx).
    const C = [1, 0, 0, 1e4];
    const wide = Array.from(state({ C }).eigen().D).indexOf(100);
    expect(wide).toBeGreaterThanOrEqual(0);
    const at = (mean: number[], sigma: number) => state({ mean, sigma, C, g: wide }).shouldStop(1e-30);
    expect(at([1, 0.5], 5e-16)).toBe(true);
    expect(at([1, 0.5], 1.5e-15)).toBe(false);
    expect(at([0.5, 0.5], 5e-16)).toBe(false);
  });

  it("no effect along the principal axis g mod n: adding 0.1·σ·D·B's column changes no coordinate", () => {
    // σ = 1e-15: 0.2σ moves 1 (no coordinate test), 0.1σ does not; C diagonal so each axis is a coordinate.
    const along = (g: number, C: number[]) => state({ mean: [1, 1], sigma: 1e-15, g, C }).shouldStop(1e-30);
    expect(along(0, [1, 0, 0, 1])).toBe(true);
    expect(along(1, [1, 0, 0, 1])).toBe(true);
    expect(along(0, [16, 0, 0, 16])).toBe(false);
    // One axis with D = 4, which moves the mean, one with D = 1, which does not: only the generation's axis counts.
    const C = [1, 0, 0, 16];
    const wide = Array.from(state({ C }).eigen().D).indexOf(4);
    expect(wide).toBeGreaterThanOrEqual(0);
    expect(along(wide, C)).toBe(false);
    expect(along(1 - wide, C)).toBe(true);
    expect(along(wide + 2, C)).toBe(false);
    expect(along(3 - wide, C)).toBe(true);
  });

  it("condition number: the largest over the smallest standard deviation of C above 1e14", () => {
    expect(state({ C: [1, 0, 0, 1e-30] }).shouldStop(0.3)).toBe(true);
    expect(state({ C: [1e-30, 0, 0, 1] }).shouldStop(0.3)).toBe(true);
    expect(state({ C: [1, 0, 0, 1e-27] }).shouldStop(0.3)).toBe(false);
  });
});
