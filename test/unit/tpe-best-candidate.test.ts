/**
 * bestCandidate (candidates.ts) computes g's density only where a candidate
 * can still win, bounded by g's prior kernel term; it must pick exactly what
 * scoring every candidate picks (the first of the largest ll − lg, NaN never
 * winning, 0 when nothing scores above −∞), and a density's value at a
 * candidate must not depend on which other candidates of its batch are
 * finished, nor in which order.
 */
import { describe, expect, it } from "vitest";
import {
  allocateCandidates,
  bestCandidate,
  type BoundedDensity,
  type Candidates,
} from "../../src/algorithms/tpe/candidates.js";
import { dimsOf } from "../../src/algorithms/tpe/dims.js";
import { ParzenEstimator, type BandwidthOptions } from "../../src/algorithms/tpe/parzen-estimator.js";
import { TpeWorkspace } from "../../src/algorithms/tpe/workspace.js";
import { createRng, type Rng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import type { Space } from "../../src/space/types.js";
import { box, choice, ints, logUniform, quantized } from "../../bench/spaces.js";

/** Scoring every candidate, as TPE did before bestCandidate. */
function argmaxAll(ll: Float64Array, lg: Float64Array, n: number): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const s = ll[i]! - lg[i]!;
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}

/** A density with given exact values and lower bounds; records which candidates were finished. */
class TableDensity implements BoundedDensity {
  readonly finished: number[] = [];
  constructor(
    private readonly lower: number[],
    private readonly exact: number[],
  ) {}
  beginDensity(_c: Candidates, lower: Float64Array): void {
    lower.set(this.lower);
  }
  densityUnless(c: Candidates, i: number, _above: number, out: Float64Array): boolean {
    this.densityAt(c, Uint32Array.of(i), 1, out);
    return true;
  }
  densityAt(_c: Candidates, which: Uint32Array, count: number, out: Float64Array): void {
    for (let q = 0; q < count; q++) {
      out[which[q]!] = this.exact[which[q]!]!;
      this.finished.push(which[q]!);
    }
  }
}

function pick(ll: number[], lower: number[], exact: number[]): { best: number; finished: number[] } {
  const n = ll.length;
  const g = new TableDensity(lower, exact);
  const best = bestCandidate(
    g,
    allocateCandidates(n, 1),
    Float64Array.from(ll),
    new Float64Array(n),
    new TpeWorkspace(),
  );
  return { best, finished: g.finished };
}

describe("bestCandidate", () => {
  it("picks what scoring every candidate picks: ties to the earlier, NaN never, 0 when none is above −∞", () => {
    const inf = Number.POSITIVE_INFINITY;
    const cases: [number[], number[], number[]][] = [
      // An exact tie between candidates 1 and 3 (bounds equal too): the earlier wins.
      [
        [0, 5, 1, 5],
        [-9, -1, -9, -1],
        [0, 2, 0, 2],
      ],
      // The tie's later member has the higher bound and is finished first; the earlier one's bound is its score.
      [
        [0, 5, 1, 6],
        [-9, 2, -9, -1],
        [0, 2, 0, 3],
      ],
      // NaN scores (−∞ − −∞) and an unbounded candidate (lower −∞).
      [
        [-inf, 2, -inf, 1],
        [-inf, -inf, 0, -6],
        [-inf, 0, 0, -5],
      ],
      // Nothing above −∞.
      [
        [-inf, -inf],
        [0, 0],
        [0, 0],
      ],
      // Every score NaN.
      [
        [-inf, -inf],
        [-inf, -inf],
        [-inf, -inf],
      ],
    ];
    for (const [ll, lower, exact] of cases) {
      for (let i = 0; i < ll.length; i++) expect(lower[i]).toBeLessThanOrEqual(exact[i]!);
      const want = argmaxAll(Float64Array.from(ll), Float64Array.from(exact), ll.length);
      expect(pick(ll, lower, exact).best).toBe(want);
    }
  });

  it("does not finish a candidate whose bound is below a score already found", () => {
    // Bounds 4.5, 6, 14, 4.9: candidate 2 first (score 5), then 1 (bound 6, score 4); 3 and 0 are bounded below 5.
    const { best, finished } = pick([1, 3, 10, 4.9], [-3.5, -3, -4, 0], [-3, -1, 5, 0]);
    expect(best).toBe(2);
    expect(finished).toEqual([2, 1]);
  });

  it("equals scoring every candidate on real estimators (continuous, mixed), and skips some", () => {
    const spaces: Space[] = [
      compileSpace(box(3, 0, 1)),
      compileSpace({ parameters: [...ints(2), ...quantized(1), logUniform("l"), choice("c", ["a", "b", "c"])] }),
    ];
    const bw: BandwidthOptions = { considerEndpoints: false, floor: 0.03, clipExponent: 2, gridFloor: 1 };
    let skipped = 0;
    for (const space of spaces) {
      const dims = dimsOf(space);
      const rng = createRng(3);
      for (let round = 0; round < 30; round++) {
        const ws = new TpeWorkspace();
        const estimator = (n: number, r: Rng): ParzenEstimator => {
          const configs = Array.from({ length: n }, () => samplePrior(space, r));
          const w = Float64Array.from(configs, () => 0.5 + r.uniform());
          return new ParzenEstimator(dims, configs, w, 1 + 3 * r.uniform(), 3, bw, ws);
        };
        const l = estimator(1 + Math.floor(6 * rng.uniform()), rng);
        const g = estimator(150 + Math.floor(300 * rng.uniform()), rng);
        const nc = 24;
        const c = allocateCandidates(nc, dims.length);
        l.sample(rng, c);
        const ll = new Float64Array(nc);
        const all = new Float64Array(nc);
        l.logDensity(c, ll, ws);
        // Twice, so the continuous estimator also searches its tree (built on its second use).
        for (let use = 0; use < 2; use++) {
          g.logDensity(c, all, ws);
          const lg = new Float64Array(nc).fill(Number.NaN);
          const best = bestCandidate(g, c, ll, lg, ws);
          expect(best).toBe(argmaxAll(ll, all, nc));
          for (let i = 0; i < nc; i++) {
            if (Number.isNaN(lg[i]!)) skipped++;
            else expect(lg[i]).toBe(all[i]);
          }
        }
      }
    }
    expect(skipped).toBeGreaterThan(0);
  });

  it("a batch's densities are the same finished in any order and any subset", () => {
    const spaces: Space[] = [
      compileSpace(box(4, -1, 1)),
      compileSpace({ parameters: [...ints(2), ...quantized(2), choice("c", ["a", "b"])] }),
    ];
    const bw: BandwidthOptions = { considerEndpoints: false, floor: 0.03, clipExponent: 2, gridFloor: 1 };
    for (const space of spaces) {
      const dims = dimsOf(space);
      const rng = createRng(8);
      const ws = new TpeWorkspace();
      const configs = Array.from({ length: 400 }, () => samplePrior(space, rng));
      const g = new ParzenEstimator(dims, configs, new Float64Array(400).fill(1), 3, 3, bw, ws);
      const nc = 30;
      const c = allocateCandidates(nc, dims.length);
      g.sample(rng, c);
      for (let use = 0; use < 3; use++) {
        const all = new Float64Array(nc);
        g.logDensity(c, all, ws);
        const lower = new Float64Array(nc);
        g.beginDensity(c, lower, ws);
        const order = Uint32Array.from({ length: nc }, (_, i) => i).sort(() => rng.uniform() - 0.5);
        const some = new Float64Array(nc);
        // Backwards, one at a time for the first half, then the rest together.
        for (let q = nc - 1; q >= nc / 2; q--) g.densityAt(c, order.subarray(q, q + 1), 1, some, ws);
        g.densityAt(c, order, nc / 2, some, ws);
        expect(Array.from(some)).toEqual(Array.from(all));
        for (let i = 0; i < nc; i++) expect(lower[i]).toBeLessThanOrEqual(all[i]!);
      }
    }
  });

  it("densityUnless gives up only on a density above its limit, and otherwise gives the density", () => {
    const space = compileSpace(box(4, 0, 1));
    const dims = dimsOf(space);
    const bw: BandwidthOptions = { considerEndpoints: false, floor: 0.03, clipExponent: 2, gridFloor: 1 };
    const rng = createRng(11);
    const ws = new TpeWorkspace();
    // Clustered kernels, so that a candidate's density sums many of them.
    const configs = Array.from({ length: 600 }, () =>
      Float64Array.from({ length: 4 }, () => 0.5 + 0.1 * (rng.uniform() + rng.uniform() - 1)),
    );
    const g = new ParzenEstimator(dims, configs, new Float64Array(600).fill(1), 3, 3, bw, ws);
    const nc = 40;
    const c = allocateCandidates(nc, 4);
    for (let i = 0; i < 4 * nc; i++) c.lo[i] = c.values[i] = 0.5 + 0.15 * (rng.uniform() - 0.5);
    const exact = new Float64Array(nc);
    let gaveUp = 0;
    for (let use = 0; use < 3; use++) {
      g.logDensity(c, exact, ws);
      const lower = new Float64Array(nc);
      g.beginDensity(c, lower, ws);
      for (let i = 0; i < nc; i++) {
        for (const delta of [-3, -0.5, -1e-3, 0, 1e-3, 2]) {
          const out = new Float64Array(nc).fill(Number.NaN);
          const above = exact[i]! + delta;
          if (g.densityUnless(c, i, above, out, ws)) expect(out[i]).toBe(exact[i]);
          else {
            gaveUp++;
            expect(Number.isNaN(out[i]!)).toBe(true);
            expect(exact[i]).toBeGreaterThan(above);
          }
        }
      }
    }
    expect(gaveUp).toBeGreaterThan(0);
  });
});
