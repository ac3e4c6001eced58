/**
 * CmaState (cma.ts) at edges its other tests do not reach: the function history a run started by `initial` keeps
 * for tolfun (every one of the last funhistTerm generations), `tell` given the wrong number of solutions, and a
 * discrete coordinate's grid value at the thresholds the margin uses (`low + (k ± 0.5)·step`, ties to the lower).
 */
import { describe, expect, it } from "vitest";
import { CmaState, cmaParams, type DiscreteAxis } from "../../src/algorithms/cmaes/cma.js";
import { ndtr } from "../../src/math/special.js";

const p = cmaParams(2);

/** A run from `initial` told `generations` generations of constant losses, but for `spread` in one of them. */
function run(generations: number, spread?: { generation: number; loss: number }): CmaState {
  let s = CmaState.initial(p, Float64Array.of(0.5, 0.5), 0.3);
  for (let g = 1; g <= generations; g++) {
    const solutions = Array.from({ length: p.popsize }, (_, i) => ({
      x: s.sample(Float64Array.of(Math.sin(7 * g + i), Math.cos(3 * g + i))),
      loss: spread !== undefined && spread.generation === g && i === 0 ? spread.loss : 1,
    }));
    s = s.tell(solutions);
  }
  return s;
}

/** The next double above `x` (x > 0). */
function nextUp(x: number): number {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = i[0]! + 1n;
  return b[0]!;
}

describe("a CMA-ES run's state", () => {
  it("stops on a flat history only once every one of the last funhistTerm generations was flat", () => {
    const term = p.funhistTerm;
    expect(run(term).shouldStop(0.3)).toBe(false);
    expect(run(term + 1).shouldStop(0.3)).toBe(true);
    // One generation with a spread, wherever it falls in the window, keeps the run going.
    for (const generation of [2, Math.floor(term / 2), term - 1, term])
      expect(run(term + 1, { generation, loss: 2 }).shouldStop(0.3), `generation ${generation}`).toBe(false);
  });

  it("refuses to be told another number of solutions than its population", () => {
    const s = CmaState.initial(p, Float64Array.of(0.5, 0.5), 0.3);
    expect(() => s.tell([])).toThrow(`tell: expected ${p.popsize} solutions, got 0`);
  });

  it("encodes a discrete coordinate to the grid value whose thresholds hold it, a threshold itself to the lower", () => {
    for (const [low, step] of [
      [0, 0.1],
      [-1, 0.7],
      [0.1, 0.3],
      [1.3, 0.05],
      [0, 1],
    ] as const) {
      const axis: DiscreteAxis = { index: 0, low, step, size: 30 };
      const s = CmaState.initial(cmaParams(1), Float64Array.of(0), 0.3, undefined, [axis]);
      for (let k = 0; k < 29; k++) {
        // The threshold between grid values k and k + 1, as the margin computes it.
        const t = low + (k + 0.5) * step;
        if (t <= 0) continue;
        expect(s.encodeDiscrete(Float64Array.of(t))[0], `${low}, ${step}: ${t}`).toBe(low + k * step);
        expect(s.encodeDiscrete(Float64Array.of(nextUp(t)))[0], `${low}, ${step}: above ${t}`).toBe(
          low + (k + 1) * step,
        );
      }
    }
  });

  it("takes a variance or eigenvalue below 0 as 1e-8 and 0 as 0, as the package does (D² < 0 → EPS)", () => {
    const d = (diagonal: boolean, C: number[]) =>
      Array.from(CmaState.initial(cmaParams(2, 6, diagonal), Float64Array.of(0, 0), 1, Float64Array.from(C)).eigen().D);
    // sep-CMA-ES reads the diagonal.
    expect(d(true, [4, 0, 0, -1])).toEqual([2, Math.sqrt(1e-8)]);
    expect(d(true, [4, 0, 0, 0])).toEqual([2, 0]);
    // The full update's eigenvalues, ascending: C = [[1, 2], [2, 1]] has 3 and −1.
    const full = d(false, [1, 2, 2, 1]).sort((a, b) => a - b);
    expect(full[0]).toBe(Math.sqrt(1e-8));
    expect(full[1]).toBeCloseTo(Math.sqrt(3), 12);
    expect(d(false, [4, 0, 0, 0]).sort((a, b) => a - b)).toEqual([0, 2]);
  });

  it("decomposes C made symmetric, the mean of each off-diagonal pair, as the package does", () => {
    const q = cmaParams(3);
    const eig = (C: number[]) => {
      const { B, D } = CmaState.initial(q, new Float64Array(3), 1, Float64Array.from(C)).eigen();
      return [Array.from(B), Array.from(D)];
    };
    expect(eig([2, 0.25, 0.125, 0.75, 1.5, 1, 0.375, 0, 1])).toEqual(eig([2, 0.5, 0.25, 0.5, 1.5, 0.5, 0.25, 0.5, 1]));
  });

  it("encodes a discrete coordinate from the mean scaled by the margin's A: m + A·(x − m)", () => {
    const axis: DiscreteAxis = { index: 0, low: 0, step: 1, size: 10 };
    const q = cmaParams(1);
    const withA = (a: number) =>
      new CmaState(
        q,
        Float64Array.of(4),
        1,
        Float64Array.of(1),
        undefined,
        undefined,
        0,
        undefined,
        Float64Array.of(a),
        [axis],
      );
    // x = 5.2 from m = 4: 4 + 2·1.2 = 6.4, grid value 6 (not 4 + 1.2/2 = 4.6, nor 5 unscaled).
    expect(withA(2).encodeDiscrete(Float64Array.of(5.2))[0]).toBe(6);
    expect(withA(1).encodeDiscrete(Float64Array.of(5.2))[0]).toBe(5);
  });

  it("stalls the rank-one path (hσ = 0) exactly when |pσ| / √(1 − (1 − cσ)^(2(g+1))) reaches (1.4 + 2/(n + 1))·χN", () => {
    const q = cmaParams(2);
    const seen = [0, 0];
    for (let s = 0; s <= 60; s++) {
      // Generation 0 with a path pσ of growing length: the told generation is g = 1.
      const before = 1.5 + s * 0.05;
      const st = new CmaState(
        q,
        Float64Array.of(0.5, 0.5),
        0.3,
        Float64Array.of(1, 0, 0, 1),
        Float64Array.of(before, before),
        new Float64Array(2),
        0,
      );
      const solutions = Array.from({ length: q.popsize }, (_, i) => ({
        x: st.sample(Float64Array.of(Math.sin(i + 1), Math.cos(i + 2))),
        loss: i,
      }));
      const next = st.tell(solutions);
      const left = Math.hypot(...next.pSigma) / Math.sqrt(1 - (1 - q.cSigma) ** (2 * (1 + 1)));
      const h = left < (1.4 + 2 / 3) * q.chiN ? 1 : 0;
      // From pc = 0: with hσ = 0 the path stays 0, with hσ = 1 it takes the step.
      expect(
        next.pc.every((v) => v === 0),
        `|pσ| before ${before}`,
      ).toBe(h === 0);
      seen[h]!++;
    }
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[1]).toBeGreaterThan(0);
  });

  it("pulls a mean beyond a discrete axis's last threshold back until the inner side holds exactly the margin", () => {
    // Values 0, 1, 2 (thresholds 0.5 and 1.5); the mean at 5, A = 2 from an earlier correction.
    const axis: DiscreteAxis = { index: 0, low: 0, step: 1, size: 3 };
    const q = cmaParams(1);
    const st = new CmaState(
      q,
      Float64Array.of(5),
      0.1,
      Float64Array.of(1),
      undefined,
      undefined,
      0,
      undefined,
      Float64Array.of(2),
      [axis],
    );
    const solutions = Array.from({ length: q.popsize }, (_, i) => ({ x: Float64Array.of(5 + 0.01 * i), loss: i }));
    const next = st.tell(solutions);
    const m = next.mean[0]!;
    expect(m).toBeGreaterThan(1.5);
    // The margin: the probability of a draw falling back below 1.5, under N(m, (σ·A)²·C).
    const scale = next.sigma * next.A[0]! * Math.sqrt(next.C[0]!);
    expect(ndtr((1.5 - m) / scale)).toBeCloseTo(next.margin, 12);
  });

  it("stops on tolfun, tolx and divergence only strictly past their thresholds, as the package compares", () => {
    const q = cmaParams(2);
    const at = (over: { sigma?: number; C?: number[]; pc?: number[]; funhist?: number[]; g?: number }) =>
      new CmaState(
        q,
        Float64Array.of(0.5, 0.5),
        over.sigma ?? 0.3,
        Float64Array.from(over.C ?? [1, 0, 0, 1]),
        new Float64Array(2),
        Float64Array.from(over.pc ?? [0, 0]),
        over.g ?? 1,
        Float64Array.from(over.funhist ?? Array.from({ length: q.funhistTerm * 2 }, (_, i) => i)),
      );
    // A spread of exactly 1e-12 (0 and 1e-12) is not below 1e-12.
    const spread = Array.from({ length: q.funhistTerm * 2 }, (_, i) => (i === 0 ? 1e-12 : 0));
    expect(at({ funhist: spread, g: q.funhistTerm + 1 }).shouldStop(0.3)).toBe(false);
    // σ·C_ii exactly 1e-12 × the initial σ (1) is not below it.
    expect(at({ sigma: 1e-12 }).shouldStop(1)).toBe(false);
    expect(at({ sigma: 0.9e-12 }).shouldStop(1)).toBe(true);
    // And σ·pc_i exactly at it, the variances below.
    expect(at({ sigma: 1e-12, C: [0.5, 0, 0, 0.5], pc: [1, 1] }).shouldStop(1)).toBe(false);
    // Divergence: σ·max D exactly 1e4 is not above it.
    expect(at({ sigma: 1e4 }).shouldStop(1)).toBe(false);
    expect(at({ sigma: 1.0001e4 }).shouldStop(1)).toBe(true);
  });

  it("encodes a discrete coordinate beyond either end of its axis to that end's grid value", () => {
    const axis: DiscreteAxis = { index: 0, low: 2, step: 0.5, size: 5 };
    const s = CmaState.initial(cmaParams(1), Float64Array.of(0), 0.3, undefined, [axis]);
    for (const [x, v] of [
      [-100, 2],
      [1.74, 2],
      [1.76, 2],
      [4.2, 4],
      [4.26, 4],
      [100, 4],
    ] as const)
      expect(s.encodeDiscrete(Float64Array.of(x))[0], `${x}`).toBe(v);
  });

  it("stops when a step no longer moves the mean along any one coordinate, the last as well as the first", () => {
    const q = cmaParams(2);
    // σ = 1e-16: 0 + 2e-17 moves, 1 + 2e-17 does not (tolx measured against an initial σ of 1e-20).
    // Generation 2: the principal-axis test looks along the first axis, where 0 moves.
    const st = new CmaState(q, Float64Array.of(0, 1), 1e-16, Float64Array.of(1, 0, 0, 1), undefined, undefined, 2);
    expect(st.shouldStop(1e-20)).toBe(true);
    const moves = new CmaState(q, Float64Array.of(0, 0), 1e-16, Float64Array.of(1, 0, 0, 1), undefined, undefined, 2);
    expect(moves.shouldStop(1e-20)).toBe(false);
  });

  it("stops on a condition number above 1e14, not at it", () => {
    const q = cmaParams(2);
    const cond = (c: number) =>
      new CmaState(q, Float64Array.of(0, 0), 1e-11, Float64Array.of(1, 0, 0, c), undefined, undefined, 1).shouldStop(
        1e-20,
      );
    // D = (1, 1e14): a ratio of exactly 1e14.
    expect(cond(1e28)).toBe(false);
    expect(cond(1.0001e28)).toBe(true);
  });

  it("keeps c1 + cμ below 1 when sep-CMA-ES's larger rates would pass it (cμ ≤ 1 − c1 − 1e-8)", () => {
    // n = 2 with λ = 200: (n + 2)/3 times the full update's cμ is above 1.
    const q = cmaParams(2, 200, true);
    expect(q.cmu).toBe(1 - q.c1 - 1e-8);
    expect(q.c1 + q.cmu).toBeLessThan(1);
  });

  it("refuses other constants of another dimension or population size", () => {
    const st = CmaState.initial(cmaParams(2), Float64Array.of(0, 0), 1);
    expect(() => st.withParams(cmaParams(3, 6))).toThrow("withParams: n and popsize must not change");
    expect(() => st.withParams(cmaParams(2, 8))).toThrow("withParams: n and popsize must not change");
    expect(st.withParams(cmaParams(2, 6, true)).p.diagonal).toBe(true);
  });
});
