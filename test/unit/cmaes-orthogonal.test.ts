/**
 * cmaes' orthogonal sampling (src/algorithms/cmaes/orthogonal.ts): a
 * generation's members are orthogonal in blocks of n, keep their lengths,
 * are rebuilt alike in any order, and get further on an ill-conditioned
 * ellipsoid than independent draws.
 */
import { describe, expect, it } from "vitest";
import { CmaesSession, cmaes, type CmaesOptions } from "../../src/algorithms/cmaes/index.js";
import { OrthogonalBlock } from "../../src/algorithms/cmaes/orthogonal.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config } from "../../src/space/types.js";
import { param } from "./tpe-helpers.js";

const options = (orthogonal: boolean) =>
  cmaes.parseOptions({ orthogonal_sampling: { kind: "bool", value: orthogonal } });
const box = (d: number) =>
  compileSpace({
    parameters: Array.from({ length: d }, (_, i) => param(`x${i}`, { $case: "uniform", value: { low: 0, high: 1 } })),
  });
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const raw = (n: number) => (j: number) => {
  const rng = createRng(5, j);
  return Float64Array.from({ length: n }, () => rng.normal());
};

describe("cmaes orthogonal sampling", () => {
  it("makes each block of n draws orthogonal, keeps each draw's length, and starts afresh with each block", () => {
    const n = 4;
    const block = new OrthogonalBlock(n, raw(n));
    const v = Array.from({ length: 10 }, (_, j) => block.vector(j));
    for (let j = 0; j < 10; j++) {
      expect(Math.sqrt(dot(v[j]!, v[j]!))).toBeCloseTo(Math.sqrt(dot(raw(n)(j), raw(n)(j))), 10);
      for (let k = j - (j % n); k < j; k++) expect(Math.abs(dot(v[j]!, v[k]!))).toBeLessThan(1e-9);
    }
    // The first of each block is its raw draw; across blocks nothing is orthogonalised.
    expect([...v[0]!]).toEqual([...raw(n)(0)]);
    expect([...v[4]!]).toEqual([...raw(n)(4)]);
    expect(Math.abs(dot(v[3]!, v[4]!))).toBeGreaterThan(1e-3);
  });

  it("rebuilds a member alike whether the block's earlier members were asked for or not", () => {
    const inOrder = new OrthogonalBlock(5, raw(5));
    for (let j = 0; j < 8; j++) inOrder.vector(j);
    const alone = new OrthogonalBlock(5, raw(5));
    expect([...alone.vector(8)]).toEqual([...inOrder.vector(8)]);
    expect([...alone.vector(3)]).toEqual([...inOrder.vector(3)]);
  });

  it("keeps the raw draw of a member inside the span of its block's earlier ones, and orthogonalises a near one", () => {
    const draws = [
      [1, 0, 0],
      [2, 0, 0], // parallel to the first: nothing left after Gram–Schmidt
      [3, 4, 0],
      [1e-10, 0, 1e-10], // short, half in the span: what is left scaled back to its own length
    ];
    const block = new OrthogonalBlock(4, (j) => Float64Array.from([...draws[j]!, 0]));
    expect([...block.vector(0)]).toEqual([1, 0, 0, 0]);
    expect([...block.vector(1)]).toEqual([2, 0, 0, 0]);
    // [3, 4, 0] without its part along [1, 0, 0], at its length 5.
    const v2 = block.vector(2);
    expect(v2[0]).toBeCloseTo(0, 15);
    expect(v2[1]).toBeCloseTo(5, 12);
    expect(v2[2]).toBe(0);
    const v3 = block.vector(3);
    expect(v3[0]).toBeCloseTo(0, 25);
    expect(v3[2]! / Math.SQRT2).toBeCloseTo(1e-10, 22);
  });

  it("keeps a draw whose remainder is exactly 1e-12 of its length: only a larger one is orthogonalised", () => {
    // [1, 1e-12, 0] has length 1 (rounded) and leaves [0, 1e-12, 0] beside [1, 0, 0]: at the limit, kept raw.
    const at = new OrthogonalBlock(2, (j) => Float64Array.from(j === 0 ? [1, 0] : [1, 1e-12]));
    expect([...at.vector(1)]).toEqual([1, 1e-12]);
    const past = new OrthogonalBlock(2, (j) => Float64Array.from(j === 0 ? [1, 0] : [1, 2e-12]));
    expect([...past.vector(1)]).toEqual([0, 1]);
  });

  it("passes over an earlier member whose vector is zero (no direction to remove)", () => {
    const draws = [
      [0, 0, 0],
      [3, 4, 0],
      [1, 1, 1],
    ];
    const block = new OrthogonalBlock(3, (j) => Float64Array.from(draws[j]!));
    expect([...block.vector(0)]).toEqual([0, 0, 0]);
    expect([...block.vector(1)]).toEqual([3, 4, 0]);
    const v2 = block.vector(2);
    expect(v2.every(Number.isFinite)).toBe(true);
    expect(Math.abs(dot(v2, [3, 4, 0]))).toBeLessThan(1e-12);
    expect(Math.sqrt(dot(v2, v2))).toBeCloseTo(Math.sqrt(3), 12);
  });

  it("redraws a member whose orthogonalised draw leaves the box from plain draws instead of clipping it", () => {
    // σ0 = 0.5 in [0, 1]³: two draws in three leave the box; out of 31 tries one almost surely lands inside.
    for (const orthogonal of [true, false]) {
      const o = { ...options(orthogonal), sigma0: 0.5 };
      const s = new CmaesSession(box(3), o);
      const h: Observation[] = [];
      for (let t = 0; t < 21; t++) {
        const c = s.suggest(h, createRng(2, t), { seed: 2, trialNumber: t });
        for (const v of c) expect(v > 0 && v < 1, `trial ${t}: ${[...c]}`).toBe(true);
        const loss = [...c].reduce((a, v) => a + (v - 0.3) ** 2, 0);
        h.push({ number: t, config: c, state: "complete", loss, lastStep: undefined });
      }
    }
  });

  it("each member is still a standard normal draw: mean 0, unit variance per coordinate over many blocks", () => {
    const n = 3;
    const block = new OrthogonalBlock(n, raw(n));
    const m = 3000 * n;
    const sum = new Float64Array(n);
    const sq = new Float64Array(n);
    for (let j = 0; j < m; j++) {
      // Only the last member of each block: the one Gram–Schmidt changes most.
      if (j % n !== n - 1) continue;
      const v = block.vector(j);
      for (let i = 0; i < n; i++) {
        sum[i] = sum[i]! + v[i]!;
        sq[i] = sq[i]! + v[i]! * v[i]!;
      }
    }
    for (let i = 0; i < n; i++) {
      expect(Math.abs(sum[i]! / 3000)).toBeLessThan(0.06);
      expect(Math.abs(sq[i]! / 3000 - 1)).toBeLessThan(0.08);
    }
  });

  it("a generation's first n steps from the mean are orthogonal (on), and not (off)", () => {
    // 3-D, λ = 7, σ0 = 1/6 around the centre of [0, 1]³: steps x − 0.5 are σ0·z (seed with no resampled member).
    const steps = (orthogonal: boolean) => {
      const s = new CmaesSession(box(3), options(orthogonal));
      const h: Observation[] = [];
      for (let t = 0; t < 3; t++) {
        const c = s.suggest(h, createRng(2, t), { seed: 2, trialNumber: t });
        h.push({ number: t, config: c, state: "running", loss: undefined, lastStep: undefined });
      }
      return h.map((o) => Array.from(o.config, (x) => x - 0.5));
    };
    const on = steps(true);
    const off = steps(false);
    expect(on[0]).toEqual(off[0]);
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      expect(Math.abs(dot(on[a]!, on[b]!))).toBeLessThan(1e-12);
      expect(Math.abs(dot(off[a]!, off[b]!))).toBeGreaterThan(1e-4);
    }
  });

  it("gets lower on a 10-D ill-conditioned ellipsoid in 1,000 trials than independent draws (median of 5 seeds)", () => {
    const conditioned = (c: Config) => {
      let s = 0;
      for (let i = 0; i < c.length; i++) s += 10 ** ((3 * i) / (c.length - 1)) * (c[i]! - 0.3) ** 2;
      return s;
    };
    const best = (o: CmaesOptions, seed: number) => {
      const s = new CmaesSession(box(10), o);
      const h: Observation[] = [];
      let b = Number.POSITIVE_INFINITY;
      for (let t = 0; t < 1000; t++) {
        const c = s.suggest(h, createRng(seed, t), { seed, trialNumber: t });
        const loss = conditioned(c);
        b = Math.min(b, loss);
        h.push({ number: t, config: c, state: "complete", loss, lastStep: undefined });
      }
      return b;
    };
    const median = (o: CmaesOptions) => [1, 2, 3, 4, 5].map((seed) => best(o, seed)).sort((a, b) => a - b)[2]!;
    expect(median(options(true)) * 4).toBeLessThan(median(options(false)));
  });
});
