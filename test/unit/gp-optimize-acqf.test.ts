/**
 * The acquisition optimiser's starts (optimize-acqf.ts): the best candidate, then more drawn by roulette with
 * probability ∝ EI = exp(log value) among the candidates not yet taken, never one with EI 0, plus the caller's
 * extra starts. Acquisitions here score the candidate batch by row and every later point flat, so the starts show
 * as the points refined (each refinement scores its start once).
 */
import { describe, expect, it } from "vitest";
import type { Acquisition } from "../../src/algorithms/gp/acqf.js";
import { encodeSpace } from "../../src/algorithms/gp/encode.js";
import { GpPosterior } from "../../src/algorithms/gp/gp.js";
import { optimizeAcquisition } from "../../src/algorithms/gp/optimize-acqf.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { param, str } from "./tpe-helpers.js";

const sp = compileSpace({
  parameters: [
    param("a", { $case: "uniform", value: { low: 0, high: 1 } }),
    param("b", { $case: "uniform", value: { low: 0, high: 1 } }),
  ],
});
const enc = encodeSpace(sp);
const post = GpPosterior.create(Float64Array.from([0.5, 0.5]), Float64Array.from([0]), 2, enc.cat, {
  lambda: Float64Array.from([1, 1]),
  scale: 1,
  noise: 1e-3,
})!;

/**
 * Candidate row r of the batch gets `logValue(r)`; every later point scores `later` with a zero gradient, so
 * no refinement improves on its start. Records the candidates and the refined starts.
 */
function byRow(logValue: (r: number) => number, later = Number.NEGATIVE_INFINITY) {
  const rec = { candidates: [] as number[][], starts: [] as number[][] };
  const acq: Acquisition = {
    post,
    score(P, m) {
      if (rec.candidates.length === 0) {
        for (let r = 0; r < m; r++) rec.candidates.push(Array.from(P.subarray(2 * r, 2 * r + 2)));
        return Float64Array.from({ length: m }, (_, r) => logValue(r));
      }
      for (let r = 0; r < m; r++) rec.starts.push(Array.from(P.subarray(2 * r, 2 * r + 2)));
      return new Float64Array(m).fill(later);
    },
    valueAndGradient(_x, _active, grad) {
      grad.fill(0);
      return later;
    },
  };
  return { acq, rec };
}

describe("the acquisition optimiser's starts", () => {
  it("are the best candidate and, by roulette, only candidates with EI > 0: fewer starts when fewer have it", () => {
    // Three candidates with EI > 0 (relative EI 1, 0.1 and 0.2): at most three starts whatever nStarts asks.
    const finite = new Map([
      [5, 0],
      [9, Math.log(0.1)],
      [20, Math.log(0.2)],
    ]);
    for (const nStarts of [3, 4, 10]) {
      const { acq, rec } = byRow((r) => finite.get(r) ?? Number.NEGATIVE_INFINITY);
      const res = optimizeAcquisition(acq, enc, { nCandidates: 64, nStarts, extraStarts: [], rng: createRng(3) });
      expect(rec.starts.length, `nStarts ${nStarts}`).toBe(3);
      expect(rec.starts[0]).toEqual(rec.candidates[5]);
      expect(new Set(rec.starts.map(String))).toEqual(new Set([5, 9, 20].map((r) => String(rec.candidates[r]))));
      // No refinement improved: the best candidate, with its value.
      expect(Array.from(res.x)).toEqual(rec.candidates[5]);
      expect(res.value).toBe(0);
    }
    // nStarts 2: the best and one other.
    const { acq, rec } = byRow((r) => finite.get(r) ?? Number.NEGATIVE_INFINITY);
    optimizeAcquisition(acq, enc, { nCandidates: 64, nStarts: 2, extraStarts: [], rng: createRng(3) });
    expect(rec.starts.length).toBe(2);
  });

  it("weigh candidates by EI relative to the best, so log values far below 0 still give every start", () => {
    // log EI of −400 and below (a far tail): exp(−400 − (−400)) = 1, where exp(−400 + −400) would underflow to 0.
    const { acq, rec } = byRow((r) => -400 - Math.abs(r - 10) / 64);
    optimizeAcquisition(acq, enc, { nCandidates: 16, nStarts: 16, extraStarts: [], rng: createRng(1) });
    // Every candidate, the first of them included, once.
    expect(rec.starts.length).toBe(16);
    expect(new Set(rec.starts.map(String)).size).toBe(16);
    expect(rec.starts[0]).toEqual(rec.candidates[10]);
  });

  it("draw the others with probability ∝ EI, without replacement", () => {
    // EI 1 (the best), 0.5, 0.25, 0.25 for candidates 0 to 3: the second start is candidate 1 half the time; the
    // third is drawn from the two left, so each of 1, 2 and 3 is the third start in 1/3 of the runs
    // (for 2: 1/2·1/2 + 1/4·1/3).
    const ei = [1, 0.5, 0.25, 0.25];
    const second = [0, 0, 0, 0];
    const third = [0, 0, 0, 0];
    const draws = 1500;
    for (let s = 0; s < draws; s++) {
      const { acq, rec } = byRow((r) => (r < 4 ? Math.log(ei[r]!) : Number.NEGATIVE_INFINITY));
      optimizeAcquisition(acq, enc, { nCandidates: 16, nStarts: 3, extraStarts: [], rng: createRng(7, s) });
      const which = rec.starts.map((x) => rec.candidates.findIndex((c) => String(c) === String(x)));
      expect(which[0]).toBe(0);
      expect(new Set(which).size).toBe(3);
      second[which[1]!]!++;
      third[which[2]!]!++;
    }
    const within = (count: number, p: number) =>
      expect(Math.abs(count - p * draws)).toBeLessThan(5 * Math.sqrt(draws * p * (1 - p)));
    within(second[1]!, 0.5);
    within(second[2]!, 0.25);
    for (const c of [1, 2, 3]) within(third[c]!, 1 / 3);
  });

  it("include the caller's extra starts after the candidates", () => {
    const { acq, rec } = byRow((r) => (r === 2 ? 0 : Number.NEGATIVE_INFINITY));
    const extra = Float64Array.from([0.125, 0.875]);
    optimizeAcquisition(acq, enc, { nCandidates: 16, nStarts: 3, extraStarts: [extra], rng: createRng(2) });
    expect(rec.starts).toEqual([rec.candidates[2], [0.125, 0.875]]);
  });

  it("with no rounds, give back the best candidate as it is", () => {
    // A smooth bump at (0.5, 0.5) that any refinement would climb.
    const bump = (x: ArrayLike<number>, o = 0) => -((x[o]! - 0.5) ** 2) - (x[o + 1]! - 0.5) ** 2;
    const candidates: number[][] = [];
    const acq: Acquisition = {
      post,
      score(P, m) {
        if (candidates.length === 0)
          for (let r = 0; r < m; r++) candidates.push(Array.from(P.subarray(2 * r, 2 * r + 2)));
        return Float64Array.from({ length: m }, (_, r) => bump(P, 2 * r));
      },
      valueAndGradient(x, _active, grad) {
        grad[0] = -2 * (x[0]! - 0.5);
        grad[1] = -2 * (x[1]! - 0.5);
        return bump(x);
      },
    };
    const opts = { nCandidates: 16, nStarts: 1, extraStarts: [], rng: createRng(2) };
    const none = optimizeAcquisition(acq, enc, { ...opts, maxRounds: 0 });
    const best = candidates.reduce((a, c) => (bump(c) > bump(a) ? c : a));
    expect(Array.from(none.x)).toEqual(best);
    expect(none.value).toBe(bump(best));
    // One round climbs to the top.
    const one = optimizeAcquisition(acq, enc, { ...opts, rng: createRng(2), maxRounds: 1 });
    expect(one.x[0]).toBeCloseTo(0.5, 3);
    expect(one.x[1]).toBeCloseTo(0.5, 3);
  });
});

describe("the refinement of discrete dimensions", () => {
  const discrete = compileSpace({
    parameters: [
      param("s", { $case: "intRange", value: { low: 0, high: 9, step: 1, log: false } }),
      param("c", { $case: "choice", value: { options: [str("x"), str("y"), str("z")], weights: [] } }),
    ],
  });
  const e = encodeSpace(discrete);
  const [s] = e.dims;
  const post2 = GpPosterior.create(Float64Array.from([0.5, 1]), Float64Array.from([0]), 2, e.cat, {
    lambda: Float64Array.from([1, 1]),
    scale: 1,
    noise: 1e-3,
  })!;
  /** Best at s = 6 and option 2; counts the score calls. */
  function peaked() {
    const f = (x: ArrayLike<number>, o: number) => -((s!.indexOf(x[o]!) - 6) ** 2) + (x[o + 1] === 2 ? 3 : 0);
    const acq: Acquisition & { calls: number } = {
      post: post2,
      calls: 0,
      score(P, m) {
        this.calls++;
        return Float64Array.from({ length: m }, (_, r) => f(P, 2 * r));
      },
      valueAndGradient(x, _active, grad) {
        grad.fill(0);
        return f(x, 0);
      },
    };
    return acq;
  }

  it("sweeps every value of each discrete dimension from one candidate to the best point", () => {
    const acq = peaked();
    const res = optimizeAcquisition(acq, e, { nCandidates: 1, nStarts: 1, extraStarts: [], rng: createRng(5) });
    expect(s!.indexOf(res.x[0]!)).toBe(6);
    expect(res.x[0]).toBe(s!.uAt(6));
    expect(res.x[1]).toBe(2);
    expect(res.value).toBe(3);
  });

  it("stops once a sweep changes nothing", () => {
    // From the best point itself (an extra start) no sweep changes anything: the candidates' batch, and per start
    // its value and one sweep of both dimensions.
    const acq = peaked();
    const best = Float64Array.from([s!.uAt(6), 2]);
    optimizeAcquisition(acq, e, { nCandidates: 4, nStarts: 1, extraStarts: [best], rng: createRng(5) });
    const first = acq.calls;
    const again = peaked();
    optimizeAcquisition(again, e, { nCandidates: 4, nStarts: 1, extraStarts: [best, best], rng: createRng(5) });
    // The second extra start costs its value and one sweep of two dimensions: three calls, not 20 rounds' worth.
    expect(again.calls - first).toBe(3);
  });

  /** The values tried for dimension 0 in the first sweep from index `from`, for an int grid 0..top. */
  function firstSweep(top: number, from: number): number[] {
    const sp1 = compileSpace({
      parameters: [param("k", { $case: "intRange", value: { low: 0, high: top, step: 1, log: false } })],
    });
    const e1 = encodeSpace(sp1);
    const [k] = e1.dims;
    const p1 = GpPosterior.create(Float64Array.from([0.5]), Float64Array.from([0]), 1, e1.cat, {
      lambda: Float64Array.from([1]),
      scale: 1,
      noise: 1e-3,
    })!;
    const batches: number[][] = [];
    const acq: Acquisition = {
      post: p1,
      score(P, m) {
        batches.push(Array.from(P.subarray(0, m), (u) => k!.indexOf(u)));
        return new Float64Array(m);
      },
      valueAndGradient: (_x, _a, grad) => {
        grad.fill(0);
        return 0;
      },
    };
    optimizeAcquisition(acq, e1, {
      nCandidates: 1,
      nStarts: 1,
      extraStarts: [Float64Array.of(k!.uAt(from))],
      rng: createRng(1),
    });
    // Batches: the candidate, then per start its value and its sweep; the extra start is the second start.
    const sweeps = batches.filter((b) => b.length > 1);
    return sweeps[sweeps.length - 1]!.sort((a, b) => a - b);
  }

  it("tries every other value of a dimension with at most 32, else 16 evenly spaced and ±1, 2, 4, ... around", () => {
    expect(firstSweep(31, 7)).toEqual(Array.from({ length: 32 }, (_, i) => i).filter((i) => i !== 7));
    // 33 values: 0, 32/15·i rounded, and 7 ± 2^j inside [0, 32].
    const even33 = Array.from({ length: 16 }, (_, i) => Math.round((i * 32) / 15));
    const around7 = [6, 8, 5, 9, 3, 11, 15, 23];
    expect(firstSweep(32, 7)).toEqual(
      [...new Set([...even33, ...around7])].filter((i) => i !== 7).sort((a, b) => a - b),
    );
    // 101 values from 37: 37 ± 1, 2, 4, 8, 16, 32, and 37 + 64 = 101 is past the end.
    const even101 = Array.from({ length: 16 }, (_, i) => Math.round((i * 100) / 15));
    const around37 = [36, 38, 35, 39, 33, 41, 29, 45, 21, 53, 5, 69];
    expect(firstSweep(100, 37)).toEqual(
      [...new Set([...even101, ...around37])].filter((i) => i !== 37).sort((a, b) => a - b),
    );
    // From the last value: only neighbours below.
    expect(firstSweep(100, 100)).toEqual(
      [...new Set([...even101, 99, 98, 96, 92, 84, 68, 36])].filter((i) => i !== 100).sort((a, b) => a - b),
    );
  });
});

describe("the continuous refinement's budget", () => {
  /** Evaluations of one refinement of a ramp that never ends inside the box, for a model on n observations. */
  function evaluations(n: number): number {
    let calls = 0;
    // Only n and the length scales of the model are read by the refinement.
    const model = { n, hyper: { lambda: Float64Array.from([1e6, 1e6]) } } as unknown as GpPosterior;
    const acq: Acquisition = {
      post: model,
      score: (P, m) => Float64Array.from({ length: m }, (_, r) => P[2 * r]!),
      valueAndGradient(x, _a, grad) {
        calls++;
        // Steeper than it is (in length-scale units the slope is 1): each step is accepted and the next is as short.
        grad[0] = 1000;
        grad[1] = 0;
        return x[0]!;
      },
    };
    optimizeAcquisition(acq, enc, {
      nCandidates: 1,
      nStarts: 1,
      extraStarts: [],
      rng: createRng(1),
      maxRounds: 1,
    });
    return calls;
  }

  it("is 120 evaluations (60 iterations) up to 200 observations, then shrinks like 1/n, not below 30", () => {
    // Each iteration of the ramp takes one evaluation: iterations = maxEval / 2, plus the first evaluation.
    expect(evaluations(10)).toBe(61);
    expect(evaluations(200)).toBe(61);
    // 120·200/400 = 60: 30 iterations.
    expect(evaluations(400)).toBe(31);
    expect(evaluations(800)).toBe(16);
    expect(evaluations(5000)).toBe(16);
  });
});
