/**
 * CmaState (cma.ts) at edges its other tests do not reach: the function history a run started by `initial` keeps
 * for tolfun (every one of the last funhistTerm generations), `tell` given the wrong number of solutions, and a
 * discrete coordinate's grid value at the thresholds the margin uses (`low + (k ± 0.5)·step`, ties to the lower).
 */
import { describe, expect, it } from "vitest";
import { CmaState, cmaParams, type DiscreteAxis } from "../../src/algorithms/cmaes/cma.js";

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
});
