/**
 * The k-d tree over an all-continuous estimator's kernels (kernel-tree.ts), through its documented contract:
 * `search` visits every kernel whose bound at x reaches the visitor's floor at the time (each once), where a
 * kernel's bound is max log w + Σⱼ log normaliser − ½ Σⱼ ((xⱼ − μⱼ)/σⱼ)², an upper bound of its log density; it
 * skips whole subtrees below the floor (its purpose: few kernels scored per point); it is `worn` after more than
 * n/4 insertions. tpe-density.test.ts checks that the density it serves equals a scan's, bit for bit.
 */
import { describe, expect, it } from "vitest";
import { KernelTree, SearchStack, type TreeVisitor } from "../../src/algorithms/tpe/kernel-tree.js";
import { createRng, type Rng } from "../../src/math/rng.js";

interface KernelSet {
  readonly n: number;
  readonly d: number;
  readonly mu: Float64Array;
  readonly invSigma: Float64Array;
  readonly normSum: Float64Array;
}

function kernelSet(rng: Rng, n: number, d: number, sigma: () => number): KernelSet {
  const mu = Float64Array.from({ length: n * d }, () => rng.uniform());
  const invSigma = Float64Array.from({ length: n * d }, () => 1 / sigma());
  const normSum = new Float64Array(n);
  for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) normSum[k] = normSum[k]! + Math.log(invSigma[k * d + j]!);
  return { n, d, mu, invSigma, normSum };
}

/** Kernel k's own bound at x (the tree's node bounds are never below it). */
function ownBound(s: KernelSet, k: number, x: Float64Array, wMax: number): number {
  let q = 0;
  for (let j = 0; j < s.d; j++) {
    const z = (x[j]! - s.mu[k * s.d + j]!) * s.invSigma[k * s.d + j]!;
    q += z * z;
  }
  return wMax + s.normSum[k]! - 0.5 * q;
}

/** Records each visit; its floor is fixed, or raised to each visited kernel's own bound less `gap` (as a density search does). */
class Recorder implements TreeVisitor {
  visits: number[] = [];
  constructor(
    private f: number,
    private readonly rise?: { s: KernelSet; x: Float64Array; wMax: number; gap: number },
  ) {}
  floor(): number {
    return this.f;
  }
  visit(k: number): void {
    this.visits.push(k);
    if (this.rise !== undefined) {
      const { s, x, wMax, gap } = this.rise;
      this.f = Math.max(this.f, ownBound(s, k, x, wMax) - gap);
    }
  }
}

function search(tree: KernelTree, x: Float64Array, wMax: number, v: Recorder): number[] {
  tree.search(x, 0, wMax, v, new SearchStack());
  return v.visits;
}

describe("KernelTree.search", () => {
  for (const [n, d] of [
    [1, 1],
    [8, 2],
    [9, 1],
    [17, 3],
    [200, 2],
    [1000, 4],
  ] as const) {
    it(`${n} kernels in ${d}-D: with no floor every kernel once; with a floor every kernel whose bound reaches it`, () => {
      const rng = createRng(n * 10 + d);
      const s = kernelSet(rng, n, d, () => 0.01 + 0.2 * rng.uniform());
      const tree = new KernelTree(s.mu, s.invSigma, s.normSum, n, d);
      const wMax = -Math.log(n);
      for (let t = 0; t < 20; t++) {
        const x = Float64Array.from({ length: d }, () => 1.4 * rng.uniform() - 0.2);
        const all = search(tree, x, wMax, new Recorder(Number.NEGATIVE_INFINITY));
        expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, k) => k));
        const bounds = Array.from({ length: n }, (_, k) => ownBound(s, k, x, wMax));
        const top = Math.max(...bounds);
        for (const below of [0, 5, 40, 400]) {
          const floor = top - below;
          const visited = search(tree, x, wMax, new Recorder(floor));
          expect(new Set(visited).size, "visited once each").toBe(visited.length);
          for (let k = 0; k < n; k++)
            if (bounds[k]! >= floor) expect(visited, `kernel ${k}, floor top − ${below}`).toContain(k);
        }
        // A floor rising as kernels are visited (as the density search's best − PRUNE): still every kernel within
        // `gap` of the best bound is visited.
        const gap = 10;
        const risen = search(tree, x, wMax, new Recorder(Number.NEGATIVE_INFINITY, { s, x, wMax, gap }));
        expect(new Set(risen).size).toBe(risen.length);
        for (let k = 0; k < n; k++)
          if (bounds[k]! >= top - gap) expect(risen, `kernel ${k}, rising floor`).toContain(k);
      }
    });
  }

  it("skips the subtrees below the floor: far from every kernel it visits none, and near one only a few", () => {
    const rng = createRng(12);
    const n = 2000;
    const d = 2;
    const s = kernelSet(rng, n, d, () => 0.005 + 0.005 * rng.uniform());
    const tree = new KernelTree(s.mu, s.invSigma, s.normSum, n, d);
    const wMax = -Math.log(n);
    let capMax = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < n; k++) capMax = Math.max(capMax, wMax + s.normSum[k]!);
    for (const x of [Float64Array.of(3, 3), Float64Array.of(-2, 0.5), Float64Array.of(0.5, 1.5)]) {
      // At least half a unit from every centre, every bound is thousands of nats below the largest cap.
      expect(search(tree, x, wMax, new Recorder(capMax - 100))).toEqual([]);
    }
    // Above every cap: not one kernel.
    expect(search(tree, Float64Array.of(0.5, 0.5), wMax, new Recorder(capMax + 1))).toEqual([]);
    let total = 0;
    for (let t = 0; t < 50; t++) {
      const k = Math.floor(rng.uniform() * n);
      const x = s.mu.slice(k * d, k * d + d);
      const visited = search(tree, x, wMax, new Recorder(Number.NEGATIVE_INFINITY, { s, x, wMax, gap: 40 }));
      expect(visited).toContain(k);
      total += visited.length;
    }
    // Kernels within 40 nats of the best at a centre lie within about 0.09 of it: some 50 of 2,000 on average.
    expect(total / 50).toBeLessThan(200);
  });

  it("keeps finding every kernel after inserts, renumberings and touched bandwidths (refresh and refit)", () => {
    const rng = createRng(99);
    const d = 2;
    let s = kernelSet(rng, 300, d, () => 0.01 + 0.05 * rng.uniform());
    const tree = new KernelTree(s.mu, s.invSigma, s.normSum, s.n, d);
    for (let round = 0; round < 12; round++) {
      // Drop every seventh kernel (rotating), add five at the end, and change one bandwidth in ten of the rest.
      const newOf = new Int32Array(s.n);
      const kept: number[] = [];
      for (let k = 0; k < s.n; k++) {
        newOf[k] = (k + round) % 7 === 0 ? -1 : kept.length;
        if (newOf[k]! >= 0) kept.push(k);
      }
      const n = kept.length + 5;
      const fresh = kernelSet(rng, n, d, () => 0.01 + 0.05 * rng.uniform());
      const mu = new Float64Array(n * d);
      const invSigma = new Float64Array(n * d);
      const touched: number[] = [];
      for (let k = 0; k < n; k++) {
        const o = kept[k];
        const changed = o === undefined || rng.uniform() < 0.1;
        for (let j = 0; j < d; j++) {
          mu[k * d + j] = o === undefined ? fresh.mu[k * d + j]! : s.mu[o * d + j]!;
          invSigma[k * d + j] = changed ? fresh.invSigma[k * d + j]! : s.invSigma[o! * d + j]!;
        }
        if (changed && o !== undefined) touched.push(k);
      }
      const normSum = new Float64Array(n);
      for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) normSum[k] = normSum[k]! + Math.log(invSigma[k * d + j]!);
      tree.renumber(newOf);
      for (let k = kept.length; k < n; k++) tree.insert(k, mu);
      for (const k of touched) tree.touch(k);
      s = { n, d, mu, invSigma, normSum };
      if (round % 4 === 3) tree.refit(mu, invSigma, normSum);
      else tree.refresh(mu, invSigma, normSum);
      const wMax = -Math.log(n);
      // At the new and the touched kernels' centres, where a stale bound would hide them, and anywhere.
      const at = [...touched, ...Array.from({ length: 5 }, (_, q) => kept.length + q)];
      for (let t = 0; t < at.length + 10; t++) {
        const x =
          t < at.length ? mu.slice(at[t]! * d, at[t]! * d + d) : Float64Array.from({ length: d }, () => rng.uniform());
        const all = search(tree, x, wMax, new Recorder(Number.NEGATIVE_INFINITY));
        expect(
          [...all].sort((a, b) => a - b),
          `round ${round}`,
        ).toEqual(Array.from({ length: n }, (_, k) => k));
        const bounds = Array.from({ length: n }, (_, k) => ownBound(s, k, x, wMax));
        const floor = Math.max(...bounds) - 30;
        const visited = search(tree, x, wMax, new Recorder(floor));
        for (let k = 0; k < n; k++)
          if (bounds[k]! >= floor) expect(visited, `round ${round}, kernel ${k}`).toContain(k);
      }
    }
  });
});

describe("KernelTree inserts past its first capacity, and renumberings naming fewer kernels", () => {
  it("finds every kernel after three times as many inserted as it was built with", () => {
    const rng = createRng(6);
    const s = kernelSet(rng, 160, 2, () => 0.02 + 0.05 * rng.uniform());
    const tree = new KernelTree(s.mu, s.invSigma, s.normSum, 40, 2);
    for (let k = 40; k < 160; k++) tree.insert(k, s.mu);
    tree.refresh(s.mu, s.invSigma, s.normSum);
    for (let t = 0; t < 20; t++) {
      const x = t < 10 ? s.mu.slice((150 + t) * 2, (151 + t) * 2) : Float64Array.of(rng.uniform(), rng.uniform());
      const all = search(tree, x, 0, new Recorder(Number.NEGATIVE_INFINITY));
      expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 160 }, (_, k) => k));
      const bounds = Array.from({ length: 160 }, (_, k) => ownBound(s, k, x, 0));
      const floor = Math.max(...bounds) - 20;
      const visited = search(tree, x, 0, new Recorder(floor));
      for (let k = 0; k < 160; k++) if (bounds[k]! >= floor) expect(visited, `kernel ${k}`).toContain(k);
    }
  });

  it("kernels past the end of newOf leave the tree", () => {
    const rng = createRng(7);
    const s = kernelSet(rng, 60, 2, () => 0.05);
    const tree = new KernelTree(s.mu, s.invSigma, s.normSum, 50, 2);
    for (let k = 50; k < 60; k++) tree.insert(k, s.mu);
    // The 50 built kernels keep their numbers; the 10 inserted ones are not named.
    tree.renumber(Int32Array.from({ length: 50 }, (_, k) => k));
    tree.refresh(s.mu, s.invSigma, s.normSum);
    const all = search(tree, Float64Array.of(0.5, 0.5), 0, new Recorder(Number.NEGATIVE_INFINITY));
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => k));
  });
});

describe("KernelTree.worn", () => {
  it("is true once more than a quarter of the kernels it was built with have been inserted since", () => {
    const rng = createRng(4);
    const s = kernelSet(rng, 40, 2, () => 0.1);
    const more = kernelSet(rng, 60, 2, () => 0.1);
    const tree = new KernelTree(s.mu, s.invSigma, s.normSum, 40, 2);
    const mu = new Float64Array(60 * 2);
    mu.set(s.mu);
    mu.set(more.mu.subarray(80), 80);
    for (let k = 40; k < 50; k++) {
      expect(tree.worn, `${k - 40} inserted`).toBe(false);
      tree.insert(k, mu);
    }
    expect(tree.worn, "10 of 40 inserted").toBe(false);
    tree.insert(50, mu);
    expect(tree.worn, "11 of 40 inserted").toBe(true);
  });
});
