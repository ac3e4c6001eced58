/**
 * The all-continuous mixture density (continuous-density.ts) and the k-d tree
 * search under it (kernel-tree.ts), and the row moves of in-place edits
 * (kernel-arrays.ts): the tree must find exactly the kernels a linear scan
 * keeps (identical bits), and both must equal the exact log-sum-exp over all
 * kernels within the stated truncation bound.
 */
import { describe, expect, it } from "vitest";
import {
  ContinuousScratch,
  continuousLogDensity,
  PRUNE,
  type ContinuousKernels,
} from "../../src/algorithms/tpe/continuous-density.js";
import { moveRows, rowRuns } from "../../src/algorithms/tpe/kernel-arrays.js";
import { KernelTree } from "../../src/algorithms/tpe/kernel-tree.js";
import {
  dropRenumbered,
  insertSorted,
  positionOf,
  SortScratch,
  sortedBy,
} from "../../src/algorithms/tpe/sorted-order.js";
import { createRng, type Rng } from "../../src/math/rng.js";
import { LOG_SQRT_2PI } from "../../src/math/special.js";
import { sampleTruncNormal, sampleTruncNormalFrom, truncNormalParts } from "../../src/math/truncnorm.js";
import { randomEdit } from "./tpe-helpers.js";

const scratch = new ContinuousScratch();

interface Mixture extends ContinuousKernels {
  readonly sigma: Float64Array;
}

/** nk kernels in [0, 1]^d: clustered or spread centres, bandwidths from narrow to wide (times `scale`), random weights. */
function mixture(rng: Rng, nk: number, d: number, clustered: boolean, scale = 1): Mixture {
  const mu = new Float64Array(nk * d);
  const sigma = new Float64Array(nk * d);
  const centre = Array.from({ length: d }, () => rng.uniform());
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < d; j++) {
      const at = k * d + j;
      const last = k === nk - 1;
      mu[at] = last ? 0.5 : clustered && rng.uniform() < 0.7 ? centre[j]! + 0.05 * rng.normal() : rng.uniform();
      sigma[at] = last ? 1 : scale * (rng.uniform() < 0.05 ? 0.3 + rng.uniform() : 0.01 + 0.05 * rng.uniform());
    }
  }
  const invSigma = sigma.map((s) => 1 / s);
  const logNorm = sigma.map((s) => -Math.log(s) - LOG_SQRT_2PI);
  const raw = Array.from({ length: nk }, () => 0.1 + rng.uniform());
  const total = raw.reduce((a, b) => a + b, 0);
  const logW = Float64Array.from(raw, (w) => Math.log(w / total));
  const normSum = new Float64Array(nk);
  for (let k = 0; k < nk; k++) for (let j = 0; j < d; j++) normSum[k] = normSum[k]! + logNorm[k * d + j]!;
  let wMax = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < nk - 1; k++) wMax = Math.max(wMax, logW[k]!);
  return { nk, d, mu, sigma, invSigma, logNorm, logW, normSum, wMax };
}

/** Kernels 0 .. nk−2 whose log density at x is within PRUNE of the largest (the prior kernel included in that largest). */
function keptWithinPrune(m: Mixture, x: Float64Array): number {
  const s: number[] = [];
  for (let k = 0; k < m.nk; k++) {
    let v = m.logW[k]!;
    for (let j = 0; j < m.d; j++) {
      const z = (x[j]! - m.mu[k * m.d + j]!) * m.invSigma[k * m.d + j]!;
      v += m.logNorm[k * m.d + j]! - 0.5 * z * z;
    }
    s.push(v);
  }
  const top = Math.max(...s);
  return s.slice(0, -1).filter((v) => v >= top - PRUNE).length;
}

/** log Σ_k exp(s_k) over every kernel, no pruning. */
function exact(m: Mixture, x: Float64Array, xAt: number): number {
  const s: number[] = [];
  for (let k = 0; k < m.nk; k++) {
    let v = m.logW[k]!;
    for (let j = 0; j < m.d; j++) {
      const z = (x[xAt + j]! - m.mu[k * m.d + j]!) * m.invSigma[k * m.d + j]!;
      v += m.logNorm[k * m.d + j]! - 0.5 * z * z;
    }
    s.push(v);
  }
  const top = Math.max(...s);
  return top + Math.log(s.reduce((acc, v) => acc + Math.exp(v - top), 0));
}

/** Points near a kernel (one of `near` if given), anywhere in the box, or far outside it. */
function points(rng: Rng, m: Mixture, nc: number, near?: readonly number[]): Float64Array {
  const x = new Float64Array(nc * m.d);
  for (let i = 0; i < nc; i++) {
    const k = near !== undefined && near.length > 0 ? near[i % near.length]! : Math.floor(rng.uniform() * (m.nk - 1));
    const mode = i % 3;
    for (let j = 0; j < m.d; j++) {
      x[i * m.d + j] =
        mode === 0 ? m.mu[k * m.d + j]! + 0.02 * rng.normal() : mode === 1 ? rng.uniform() : 3 * rng.normal();
    }
  }
  return x;
}

describe("continuous mixture density", () => {
  for (const [d, nk, clustered, scale] of [
    [1, 50, false, 1],
    [3, 300, true, 1],
    [6, 1001, false, 1],
    [10, 1001, true, 1],
    [10, 3001, false, 1],
    // Wide kernels: many within PRUNE of the best at every point, so any over-pruning shows.
    [2, 400, false, 5],
    [4, 500, true, 3],
  ] as const) {
    it(`d=${d}, ${nk} kernels${clustered ? ", clustered" : ""}, σ×${scale}: tree = scan bit for bit, and exact to nk·e^−${PRUNE}`, () => {
      const rng = createRng(d * 7919 + nk);
      const m = mixture(rng, nk, d, clustered, scale);
      const tree = new KernelTree(m.mu, m.invSigma, m.normSum, nk - 1, d);
      const nc = 60;
      const x = points(rng, m, nc);
      const scan = new Float64Array(nc);
      const viaTree = new Float64Array(nc);
      continuousLogDensity(m, undefined, x, nc, scan, scratch);
      continuousLogDensity(m, tree, x, nc, viaTree, scratch);
      expect(Array.from(viaTree)).toEqual(Array.from(scan));
      for (let i = 0; i < nc; i++) {
        const want = exact(m, x, i * d);
        // Truncation: relative nk·e^−PRUNE in density = absolute in log density; plus rounding.
        expect(Math.abs(scan[i]! - want)).toBeLessThanOrEqual(
          nk * Math.exp(-PRUNE) + 1e-13 * Math.max(1, Math.abs(want)),
        );
      }
    });
  }

  it("a tree search that keeps hundreds of kernels sums them in kernel order, as a scan does", () => {
    // Wide kernels in 6-D, each candidate searched on its own (a batch drops
    // the tree after a candidate where it kept many): the search finds the
    // kernels out of order, and the sum must still equal the scan's bits.
    const rng = createRng(4242);
    const m = mixture(rng, 801, 6, true, 4);
    const tree = new KernelTree(m.mu, m.invSigma, m.normSum, m.nk - 1, m.d);
    const x = points(rng, m, 30);
    const one = new Float64Array(1);
    const scan = new Float64Array(1);
    let many = 0;
    for (let i = 0; i < 30; i++) {
      const xi = x.subarray(i * m.d, (i + 1) * m.d);
      continuousLogDensity(m, tree, xi, 1, one, scratch);
      continuousLogDensity(m, undefined, xi, 1, scan, scratch);
      expect(one[0], `candidate ${i}`).toBe(scan[0]);
      if (keptWithinPrune(m, xi) > 32) many++;
    }
    // Most candidates lie where more than 32 kernels are within PRUNE of the best (the unsorted path).
    expect(many).toBeGreaterThan(15);
  });

  it("a tree kept through inserts, renumberings and changed bandwidths finds what a scan finds", () => {
    const rng = createRng(5);
    const d = 4;
    let m = mixture(rng, 400, d, true);
    const tree = new KernelTree(m.mu, m.invSigma, m.normSum, m.nk - 1, d);
    for (let round = 0; round < 30; round++) {
      // Drop a few kernels and add a few (renumbering the rest), then widen or narrow some.
      const n0 = m.nk - 1;
      const keep = Array.from({ length: n0 }, () => rng.uniform() > 0.02);
      const src: number[] = [];
      for (let k = 0; k < n0; k++) {
        if (rng.uniform() < 0.01) src.push(-1);
        if (keep[k]) src.push(k);
      }
      src.push(-1, -1);
      const n = src.length;
      const fresh = mixture(rng, n + 1, d, round % 2 === 0);
      const mu = new Float64Array((n + 1) * d);
      const sigma = new Float64Array((n + 1) * d);
      for (let k = 0; k <= n; k++) {
        const o = k === n ? n0 : src[k]!;
        for (let j = 0; j < d; j++) {
          mu[k * d + j] = o >= 0 ? m.mu[o * d + j]! : fresh.mu[k * d + j]!;
          sigma[k * d + j] = o >= 0 && rng.uniform() > 0.05 ? m.sigma[o * d + j]! : fresh.sigma[k * d + j]!;
        }
      }
      const invSigma = sigma.map((s) => 1 / s);
      const logNorm = sigma.map((s) => -Math.log(s) - LOG_SQRT_2PI);
      const normSum = new Float64Array(n + 1);
      for (let k = 0; k <= n; k++) for (let j = 0; j < d; j++) normSum[k] = normSum[k]! + logNorm[k * d + j]!;
      const logW = fresh.logW;
      let wMax = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < n; k++) wMax = Math.max(wMax, logW[k]!);
      const newOf = new Int32Array(n0).fill(-1);
      src.forEach((o, k) => {
        if (o >= 0) newOf[o] = k;
      });
      tree.renumber(newOf);
      const changed: number[] = [];
      for (let k = 0; k < n; k++) {
        if (src[k]! < 0) {
          tree.insert(k, mu);
          changed.push(k);
        } else {
          let same = true;
          for (let j = 0; j < d; j++) same &&= sigma[k * d + j] === m.sigma[src[k]! * d + j];
          if (!same) {
            tree.touch(k);
            changed.push(k);
          }
        }
      }
      if (round % 5 === 4) tree.refit(mu, invSigma, normSum);
      else tree.refresh(mu, invSigma, normSum);
      m = { nk: n + 1, d, mu, sigma, invSigma, logNorm, logW, normSum, wMax };
      // Mostly at the kernels that changed, where a stale node bound would cut them off.
      const nc = 90;
      const x = points(rng, m, nc, changed);
      const scan = new Float64Array(nc);
      const viaTree = new Float64Array(nc);
      continuousLogDensity(m, undefined, x, nc, scan, scratch);
      continuousLogDensity(m, tree, x, nc, viaTree, scratch);
      expect(Array.from(viaTree), `round ${round}`).toEqual(Array.from(scan));
    }
  });
});

describe("in-place edits", () => {
  it("moveRows moves every kept row to its new place, shifts in both directions mixed", () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 300; trial++) {
      const n0 = 1 + Math.floor(rng.uniform() * 40);
      const width = 1 + Math.floor(rng.uniform() * 3);
      const src: number[] = [];
      for (let k = 0; k < n0; k++) {
        while (rng.uniform() < 0.15) src.push(-1);
        if (rng.uniform() < 0.85) src.push(k);
      }
      const count = src.length;
      const a = new Float64Array(Math.max(n0, count) * width);
      for (let i = 0; i < n0 * width; i++) a[i] = i;
      const before = a.slice();
      moveRows(a, width, rowRuns(Int32Array.from(src), count));
      for (let i = 0; i < count; i++) {
        if (src[i]! < 0) continue;
        for (let c = 0; c < width; c++) expect(a[i * width + c]).toBe(before[src[i]! * width + c]);
      }
    }
  });

  it("dropping, renaming and inserting keeps the (value, index) order of a fresh sort", () => {
    const rng = createRng(9);
    for (let trial = 0; trial < 200; trial++) {
      const n0 = 2 + Math.floor(rng.uniform() * 50);
      const value = (): number => Math.floor(rng.uniform() * 6) / 6; // many ties
      const old = Float64Array.from({ length: n0 }, value);
      const { next: mu, newOf, added } = randomEdit(rng, old, value, { insert: 0.1, keep: 0.9, repeat: false });
      let sorted = dropRenumbered(sortedBy(old, n0, 1, 0, new SortScratch()), newOf, new Set());
      for (const k of added) sorted = insertSorted(sorted, k, mu[k]!).sorted;
      const want = sortedBy(mu, mu.length, 1, 0, new SortScratch());
      expect(Array.from(sorted.order)).toEqual(Array.from(want.order));
      expect(Array.from(sorted.values)).toEqual(Array.from(want.values));
      for (let k = 0; k < mu.length; k++) expect(sorted.order[positionOf(sorted, k, mu[k]!)]).toBe(k);
    }
  });
});

describe("kernel draws with precomputed parts", () => {
  it("sampleTruncNormalFrom equals sampleTruncNormal bit for bit", () => {
    const rng = createRng(21);
    const bounds: [number, number][] = [
      [0, 1],
      [-5, 5],
      [2, 2],
      [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      [0, Number.POSITIVE_INFINITY],
      [-3, -1],
    ];
    for (const [lo, hi] of bounds) {
      for (let t = 0; t < 400; t++) {
        const span = Number.isFinite(hi - lo) ? hi - lo : 4;
        const mu = (Number.isFinite(lo) ? lo : -2) + span * (3 * rng.uniform() - 1); // inside and well outside
        const sigma = span * Math.exp(-6 * rng.uniform()) + 1e-9;
        const u = t % 50 === 0 ? 0 : t % 50 === 1 ? 1 : rng.uniform();
        const parts = truncNormalParts(mu, sigma, lo, hi);
        expect(
          Object.is(sampleTruncNormalFrom(parts, mu, sigma, lo, hi, u), sampleTruncNormal(mu, sigma, lo, hi, u)),
        ).toBe(true);
      }
    }
  });
});
