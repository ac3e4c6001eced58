/**
 * How the GP sees a space and its history, against the module comments: the encoding of every domain kind
 * (encode.ts), the start-up design (startup.ts), the observations the model is fitted on (sampler.ts) and the
 * acquisition optimiser on acquisitions whose maximum is known (optimize-acqf.ts).
 */
import { describe, expect, it } from "vitest";
import type { Acquisition } from "../../src/algorithms/gp/acqf.js";
import { encodeConfig, encodeParams, encodeSpace } from "../../src/algorithms/gp/encode.js";
import { GpPosterior } from "../../src/algorithms/gp/gp.js";
import { optimizeAcquisition } from "../../src/algorithms/gp/optimize-acqf.js";
import { observations } from "../../src/algorithms/gp/sampler.js";
import { designPoint } from "../../src/algorithms/gp/startup.js";
import { warpOutputs } from "../../src/algorithms/gp/warp.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Domain, ParamSpec } from "../../src/space/types.js";
import { param, str } from "./tpe-helpers.js";

const space = compileSpace({
  parameters: [
    param("u", { $case: "uniform", value: { low: -2, high: 3 } }),
    param("lu", { $case: "logUniform", value: { low: 1e-4, high: 1 } }),
    param("i", { $case: "intRange", value: { low: 1, high: 10, step: 1, log: false } }),
    param("i3", { $case: "intRange", value: { low: 0, high: 300, step: 3, log: false } }),
    param("qu", { $case: "qUniform", value: { low: 0, high: 1, q: 0.25 } }),
    param("n", { $case: "normal", value: { mu: 1, sigma: 2 } }),
    param("ln", { $case: "logNormal", value: { mu: 0, sigma: 1 } }),
    param("qn", { $case: "qNormal", value: { mu: 0, sigma: 5, q: 0.5 } }),
    param("c", {
      $case: "choice",
      value: {
        options: [str("a", [param("a_x", { $case: "uniform", value: { low: 0, high: 1 } })]), str("b"), str("c")],
        weights: [],
      },
    }),
    param("one", { $case: "choice", value: { options: [str("only")], weights: [] } }),
  ],
});
const idx = (name: string) => space.byName.get(name)!.index;
const enc = encodeSpace(space);
const dimOf = (name: string) => enc.dims.find((d) => d.param.name === name)!;

describe("the GP's encoding", () => {
  it("models the unconditional parameters with more than one value, in order, and fixes the others", () => {
    expect(enc.dims.map((d) => d.param.name)).toEqual(["u", "lu", "i", "i3", "qu", "n", "ln", "qn", "c"]);
    expect(enc.dims.map((d) => d.kind)).toEqual([
      "continuous",
      "continuous",
      "grid",
      "grid",
      "grid",
      "continuous",
      "continuous",
      "continuous",
      "categorical",
    ]);
    expect(Array.from(enc.cat)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...enc.fixed.entries()]).toEqual([[idx("one"), 0]]);
    // Numeric domains of one value (not compilable from a request, but encodeParams takes any list).
    const one = (index: number, domain: Domain): ParamSpec => ({
      name: `p${index}`,
      index,
      declared: "uniform" as ParamSpec["declared"],
      domain,
      condition: undefined,
    });
    const single = encodeParams([
      one(3, { type: "int", low: 5, high: 5, step: 1, log: false }),
      one(4, { type: "float", low: 2, high: 2, log: false, step: undefined }),
      one(6, { type: "float", low: 0.5, high: 0.5, log: false, step: 0.25 }),
      one(7, { type: "float", low: 0, high: 1, log: false, step: undefined }),
    ]);
    expect([...single.fixed.entries()]).toEqual([
      [3, 5],
      [4, 2],
      [6, 0.5],
    ]);
    expect(single.dims.map((d) => d.param.index)).toEqual([7]);
    // The conditional branch is encoded on its own.
    const branch = encodeParams(space.params.filter((p) => p.condition !== undefined));
    expect(branch.dims.map((d) => d.param.name)).toEqual(["a_x"]);
  });

  it("maps bounded continuous domains linearly in their coordinate onto [0, 1], clamped", () => {
    const u = dimOf("u");
    expect(u.count).toBe(Number.POSITIVE_INFINITY);
    expect(u.toU(-2)).toBe(0);
    expect(u.toU(3)).toBe(1);
    expect(u.toU(0.5)).toBeCloseTo(0.5, 15);
    expect(u.fromU(0.25)).toBeCloseTo(-0.75, 14);
    expect(u.fromU(-1)).toBe(-2);
    expect(u.fromU(2)).toBe(3);
    expect(u.fromU(Number.NaN)).toBeCloseTo(0.5, 14); // the middle
    expect(u.toU(Number.POSITIVE_INFINITY)).toBe(1);
    expect(u.toU(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(Number.isNaN(u.uAt(0))).toBe(true);
    expect(Number.isNaN(u.indexOf(0.5))).toBe(true);
    const lu = dimOf("lu");
    expect(lu.toU(1e-2)).toBeCloseTo(0.5, 14); // log coordinate
    expect(lu.fromU(0.75)).toBeCloseTo(1e-1, 14);
  });

  it("maps grids with cells of a whole step, and moves only between grid points", () => {
    const i = dimOf("i");
    expect(i.count).toBe(10);
    expect(i.toU(1)).toBeCloseTo(0.05, 14); // [0.5, 10.5]: grid points at cell centres
    expect(i.toU(10)).toBeCloseTo(0.95, 14);
    for (let k = 0; k < 10; k++) {
      expect(i.uAt(k)).toBeCloseTo(0.05 + 0.1 * k, 14);
      expect(i.indexOf(i.uAt(k))).toBe(k);
      expect(i.fromU(i.uAt(k))).toBe(1 + k);
    }
    expect(i.indexOf(0)).toBe(0);
    expect(i.indexOf(1)).toBe(9);
    expect(i.indexOf(0.099)).toBe(0); // cell k is [0.1k, 0.1(k + 1))
    expect(i.indexOf(0.101)).toBe(1);
    const i3 = dimOf("i3");
    expect(i3.count).toBe(101);
    expect(i3.fromU(i3.uAt(100))).toBe(300);
    expect(i3.indexOf(i3.uAt(37))).toBe(37);
    expect(i3.fromU(i3.uAt(37))).toBe(111);
    const qu = dimOf("qu");
    expect(qu.count).toBe(5);
    expect(qu.fromU(qu.uAt(3))).toBe(0.75);
    expect(qu.toU(0)).toBeCloseTo(0.125 / 1.25, 14);
    expect(qu.indexOf(0.99)).toBe(4);
    expect(qu.indexOf(-0.5)).toBe(0);
    // A grid anchored away from 0: indices count from low.
    const [q2] = encodeParams([
      {
        name: "q2",
        index: 0,
        declared: "q_uniform",
        domain: { type: "float", low: 0.1, high: 0.9, log: false, step: 0.2 },
        condition: undefined,
      },
    ]).dims;
    expect(q2!.count).toBe(5);
    for (let k = 0; k < 5; k++) expect(q2!.indexOf(q2!.uAt(k))).toBe(k);
    expect(q2!.fromU(q2!.uAt(2))).toBe(0.5);
  });

  it("boxes unbounded (log-)normal domains at μ ± 3σ in their coordinate", () => {
    const n = dimOf("n");
    expect(n.toU(1)).toBeCloseTo(0.5, 15);
    expect(n.toU(-5)).toBeCloseTo(0, 15);
    expect(n.toU(7)).toBeCloseTo(1, 15);
    expect(n.toU(100)).toBe(1);
    expect(n.fromU(1)).toBeCloseTo(7, 14);
    const ln = dimOf("ln");
    expect(ln.toU(1)).toBeCloseTo(0.5, 15);
    expect(ln.toU(Math.exp(1.5))).toBeCloseTo(0.75, 14);
    const qn = dimOf("qn");
    expect(qn.fromU(0.5 + 0.26 / 30)).toBe(0.5); // snapped to a multiple of q
  });

  it("holds choices as option indices, rounded and clamped", () => {
    const c = dimOf("c");
    expect(c.count).toBe(3);
    expect(c.toU(2)).toBe(2);
    expect(c.uAt(1)).toBe(1);
    expect(c.fromU(1.4)).toBe(1);
    expect(c.fromU(1.6)).toBe(2);
    expect(c.fromU(-3)).toBe(0);
    expect(c.fromU(7)).toBe(2);
    expect(c.indexOf(0.6)).toBe(1);
  });

  it("encodes a configuration at an offset, refusing one with a modelled value missing", () => {
    const config = new Float64Array(space.params.length).fill(Number.NaN);
    const values: Record<string, number> = { u: 3, lu: 1e-4, i: 10, i3: 0, qu: 0.5, n: 1, ln: 1, qn: 0, c: 2 };
    for (const [k, v] of Object.entries(values)) config[idx(k)] = v;
    const out = new Float64Array(2 + enc.dims.length).fill(-1);
    expect(encodeConfig(enc, config, out, 2)).toBe(true);
    expect(out[0]).toBe(-1);
    expect(out[1]).toBe(-1);
    expect(out[2]).toBe(1);
    expect(out[3]).toBeCloseTo(0, 14);
    expect(out[4]).toBeCloseTo(0.95, 14);
    expect(out[10]).toBe(2);
    config[idx("c")] = Number.NaN;
    expect(encodeConfig(enc, config, out)).toBe(false);
  });
});

describe("the start-up design", () => {
  const obs = (number: number, config: Float64Array): Observation => ({
    number,
    config,
    state: "running",
    loss: undefined,
    lastStep: undefined,
  });

  it("takes point k of one sequence for trial k, fixed by the first trial's configuration", () => {
    const first = designPoint(2, [], createRng(5));
    expect(designPoint(2, [], createRng(5))).toEqual(first);
    expect(designPoint(2, [], createRng(6))).not.toEqual(first);
    const history: Observation[] = [obs(0, Float64Array.from(first))];
    const points: Float64Array[] = [];
    for (let k = 1; k < 64; k++) {
      // Another rng and other later trials change nothing: only the first configuration and the count matter.
      const p = designPoint(2, history, createRng(k));
      expect(designPoint(2, history, createRng(1000 + k))).toEqual(p);
      points.push(p);
      history.push(obs(k, Float64Array.from([k / 64, 0.5])));
    }
    // Points 32..63 of a Sobol' sequence stratify each axis into 32 cells, one point each: only so if point k
    // is the one taken (an offset of one would straddle two blocks).
    for (let d = 0; d < 2; d++) {
      const cells = new Set(points.slice(31, 63).map((p) => Math.floor(p[d]! * 32)));
      expect(cells.size).toBe(32);
    }
    // Points 16..31 likewise, in 16 cells.
    for (let d = 0; d < 2; d++) expect(new Set(points.slice(15, 31).map((p) => Math.floor(p[d]! * 16))).size).toBe(16);
    // Another first configuration: another scramble.
    const other = [obs(0, Float64Array.from([0.25, 0.75])), ...history.slice(1, 10)];
    expect(designPoint(2, other, createRng(1))).not.toEqual(designPoint(2, history.slice(0, 10), createRng(1)));
    // Every coordinate of the first configuration's bit pattern counts.
    const tweaked = [obs(0, Float64Array.from([first[0]!, first[1]! / 2])), ...history.slice(1, 10)];
    expect(designPoint(2, tweaked, createRng(1))).not.toEqual(designPoint(2, history.slice(0, 10), createRng(1)));
    for (const p of points) for (const v of p) expect(v >= 0 && v < 1).toBe(true);
  });

  it("hashes only the first configuration's own values, also when it is a view into a larger buffer", () => {
    // Histories kept in one flat array hand the algorithm subarrays of it.
    const flat = Float64Array.from([0.9, 0.8, 0.25, 0.75, 0.1, 0.2]);
    const view = [obs(0, flat.subarray(2, 4)), obs(1, flat.subarray(4, 6))];
    const copy = [obs(0, Float64Array.from([0.25, 0.75])), obs(1, Float64Array.from([0.1, 0.2]))];
    expect(designPoint(2, view, createRng(1))).toEqual(designPoint(2, copy, createRng(1)));
  });
});

describe("the observations the GP is fitted on", () => {
  const sp = compileSpace({ parameters: [param("x", { $case: "uniform", value: { low: 0, high: 1 } })] });
  const e = encodeSpace(sp);
  const o = (number: number, x: number, state: Observation["state"], loss?: number): Observation => ({
    number,
    config: Float64Array.from([x]),
    state,
    loss,
    lastStep: undefined,
  });

  it("are COMPLETE trials, PRUNED ones at max(their loss, the median), never FAIL, LOST or RUNNING", () => {
    const history = [
      o(0, 0.1, "complete", 4),
      o(1, 0.2, "fail"),
      o(2, 0.3, "complete", 1),
      o(3, 0.4, "pruned", 0.5), // below the median: taken at the median
      o(4, 0.5, "complete", 3),
      o(5, 0.6, "lost"),
      o(6, 0.7, "pruned", 10), // above the range: clipped to the largest COMPLETE loss
      o(7, 0.8, "running"),
      o(8, 0.9, "pruned"), // no value: the median
      o(9, 0.95, "complete", 2),
      o(10, 0.05, "complete", Number.NaN),
    ];
    const d = observations(e, history);
    expect(d.source.map((s) => s.number)).toEqual([0, 2, 3, 4, 6, 8, 9]);
    // Finite COMPLETE losses sorted: 1 2 3 4, median (lower) 2.
    expect(Array.from(d.raw)).toEqual([-4, -1, -2, -3, -4, -2, -2]);
    expect(Array.from(d.X)).toEqual([0.1, 0.3, 0.4, 0.5, 0.7, 0.9, 0.95].map((v) => expect.closeTo(v, 15)));
    const mean = d.raw.reduce((a, b) => a + b) / 7;
    const sd = Math.sqrt(d.raw.reduce((a, b) => a + (b - mean) ** 2, 0) / 7);
    expect(Array.from(d.y)).toEqual(Array.from(d.raw, (v) => expect.closeTo((v - mean) / sd, 12)));
    expect(d.constrained).toBe(false);
    // Warped before standardising.
    const w = observations(e, history, true);
    const wy = Float64Array.from(warpOutputs(w.raw));
    const wm = wy.reduce((a, b) => a + b) / 7;
    const wsd = Math.sqrt(wy.reduce((a, b) => a + (b - wm) ** 2, 0) / 7);
    expect(Array.from(w.y)).toEqual(Array.from(wy, (v) => expect.closeTo((v - wm) / wsd, 12)));
    expect(Array.from(w.raw)).toEqual(Array.from(d.raw));
  });

  it("clip infinite losses to the finite range, and leave PRUNED trials out while nothing is COMPLETE", () => {
    const d = observations(e, [
      o(0, 0.1, "complete", Number.POSITIVE_INFINITY),
      o(1, 0.2, "complete", 2),
      o(2, 0.3, "complete", Number.NEGATIVE_INFINITY),
      o(3, 0.4, "complete", 5),
    ]);
    expect(Array.from(d.raw)).toEqual([-5, -2, -2, -5]);
    expect(observations(e, [o(0, 0.1, "pruned", 1), o(1, 0.2, "pruned")]).source).toEqual([]);
    // Only infinite losses: the range is [0, 0].
    expect(Array.from(observations(e, [o(0, 0.1, "complete", Number.POSITIVE_INFINITY)]).raw)).toEqual([-0]);
  });

  it("skip trials missing a modelled value, and are bounded by the cap", () => {
    const history = Array.from({ length: 60 }, (_, i) => o(i, i / 60, "complete", (i * 7) % 13));
    history.push(o(60, Number.NaN, "complete", 0));
    expect(observations(e, history).source).toHaveLength(60);
    const capped = observations(e, history, false, 50);
    expect(capped.source).toHaveLength(50);
    expect(capped.X).toHaveLength(50);
    // The best half is kept: every loss-0 trial.
    for (const s of history.filter((h) => h.loss === 0 && !Number.isNaN(h.config[0]!)))
      expect(capped.source).toContain(s);
  });

  it("flag constrained histories and rank by violation beyond the cap", () => {
    const history = Array.from(
      { length: 60 },
      (_, i): Observation => ({
        ...o(i, i / 60, "complete", 100 - i),
        constraints: Float64Array.from([i < 30 ? 1 : -1]),
      }),
    );
    const d = observations(e, history, false, 50);
    expect(d.constrained).toBe(true);
    // The best 25 are the feasible ones with the lowest losses (35..59, losses 65..41), ranked by loss.
    for (let i = 35; i < 60; i++) expect(d.source.map((s) => s.number)).toContain(i);
  });
});

describe("the acquisition optimiser", () => {
  const sp = compileSpace({
    parameters: [
      param("a", { $case: "uniform", value: { low: 0, high: 1 } }),
      param("b", { $case: "uniform", value: { low: 0, high: 1 } }),
      param("g", { $case: "intRange", value: { low: 0, high: 300, step: 3, log: false } }),
      param("s", { $case: "intRange", value: { low: 0, high: 9, step: 1, log: false } }),
      param("c", { $case: "choice", value: { options: [str("x"), str("y"), str("z")], weights: [] } }),
    ],
  });
  const e = encodeSpace(sp);
  const [, , g, s] = e.dims;
  const post = GpPosterior.create(Float64Array.from([0.5, 0.5, 0.5, 0.5, 1]), Float64Array.from([0]), 5, e.cat, {
    lambda: Float64Array.from([4, 0.25, 1, 1, 1]),
    scale: 1,
    noise: 1e-3,
  })!;

  /** A smooth, unimodal acquisition: −Σ w_d (x_d − c_d)² plus a bonus for category 2; its exact gradient. */
  function quadratic(c: number[], bonus = 1): Acquisition & { evals: number } {
    const f = (x: ArrayLike<number>, o = 0) =>
      -((x[o]! - c[0]!) ** 2) -
      3 * (x[o + 1]! - c[1]!) ** 2 -
      (x[o + 2]! - c[2]!) ** 2 -
      (x[o + 3]! - c[3]!) ** 2 +
      (x[o + 4] === 2 ? bonus : 0);
    return {
      post,
      evals: 0,
      score(P, m) {
        this.evals += m;
        return Float64Array.from({ length: m }, (_, r) => f(P, r * 5));
      },
      valueAndGradient(x, active, grad) {
        const full = [-2 * (x[0]! - c[0]!), -6 * (x[1]! - c[1]!), -2 * (x[2]! - c[2]!), -2 * (x[3]! - c[3]!), 0];
        for (let d = 0; d < 5; d++) grad[d] = active[d] ? full[d]! : 0;
        return f(x);
      },
    };
  }

  it("finds the maximum: continuous coordinates exactly, grids at their best point, the best option", () => {
    const target = [0.3, 0.8, g!.uAt(37) + 0.001, s!.uAt(6)];
    const acq = quadratic(target);
    const r = optimizeAcquisition(acq, e, { nCandidates: 64, nStarts: 3, extraStarts: [], rng: createRng(4) });
    expect(r.x[0]).toBeCloseTo(0.3, 4);
    expect(r.x[1]).toBeCloseTo(0.8, 4);
    expect(g!.indexOf(r.x[2]!)).toBe(37);
    expect(r.x[2]).toBe(g!.uAt(37)); // exactly on the grid
    expect(r.x[3]).toBe(s!.uAt(6));
    expect(r.x[4]).toBe(2);
    expect(r.value).toBeCloseTo(acq.score(r.x, 1)[0]!, 12);
    expect(r.value).toBeGreaterThan(1 - 1e-5);
  });

  it("scores candidates on valid points: grid values snapped, categorical indices whole", () => {
    const seen: number[][] = [];
    const acq = quadratic([0.5, 0.5, 0.5, 0.5]);
    const score = acq.score.bind(acq);
    acq.score = (P, m) => {
      for (let r = 0; r < m; r++) seen.push(Array.from(P.subarray(r * 5, r * 5 + 5)));
      return score(P, m);
    };
    optimizeAcquisition(acq, e, { nCandidates: 40, nStarts: 1, extraStarts: [], rng: createRng(9), maxRounds: 0 });
    expect(seen.length).toBeGreaterThanOrEqual(40);
    for (const p of seen.slice(0, 40)) {
      expect(p[2]).toBe(g!.uAt(g!.indexOf(p[2]!)));
      expect(p[3]).toBe(s!.uAt(s!.indexOf(p[3]!)));
      expect([0, 1, 2]).toContain(p[4]);
    }
    // The categorical indices of the candidates cover every option.
    expect(new Set(seen.slice(0, 40).map((p) => p[4])).size).toBe(3);
  });

  it("refines an extra start, and keeps the best of all starts", () => {
    // A narrow spike far from the smooth bump: candidates miss it, an extra start on it finds it.
    const base = quadratic([0.1, 0.1, g!.uAt(5), s!.uAt(1)], 0);
    const spikeAt = [0.9, 0.9, g!.uAt(90), s!.uAt(8), 1];
    const spike = (x: ArrayLike<number>, o = 0) =>
      Math.abs(x[o]! - 0.9) < 0.01 && Math.abs(x[o + 1]! - 0.9) < 0.01 && x[o + 2] === spikeAt[2] ? 10 : 0;
    const acq: Acquisition = {
      post,
      score: (P, m) => {
        const v = base.score(P, m);
        for (let r = 0; r < m; r++) v[r] = v[r]! + spike(P, r * 5);
        return v;
      },
      valueAndGradient: (x, active, grad) => base.valueAndGradient(x, active, grad) + spike(x),
    };
    const opts = { nCandidates: 32, nStarts: 2, rng: createRng(1) };
    const without = optimizeAcquisition(acq, e, { ...opts, extraStarts: [] });
    expect(without.value).toBeLessThan(5);
    const withSpike = optimizeAcquisition(acq, e, {
      ...opts,
      rng: createRng(1),
      extraStarts: [Float64Array.from(spikeAt)],
    });
    expect(withSpike.value).toBeGreaterThan(5);
    expect(withSpike.x[2]).toBe(spikeAt[2]);
    // The caller's start is copied, not moved.
    const start = Float64Array.from(spikeAt);
    optimizeAcquisition(acq, e, { ...opts, rng: createRng(1), extraStarts: [start] });
    expect(Array.from(start)).toEqual(spikeAt);
  });

  it("returns the best candidate unrefined with no rounds, and works from a single candidate", () => {
    const acq = quadratic([0.3, 0.8, g!.uAt(37), s!.uAt(6)]);
    const none = optimizeAcquisition(acq, e, {
      nCandidates: 16,
      nStarts: 1,
      extraStarts: [],
      rng: createRng(2),
      maxRounds: 0,
    });
    expect(none.value).toBe(acq.score(none.x, 1)[0]);
    const one = optimizeAcquisition(acq, e, { nCandidates: 0, nStarts: 4, extraStarts: [], rng: createRng(2) });
    expect(one.value).toBeGreaterThan(1 - 1e-5);
    expect(one.value).toBeGreaterThanOrEqual(none.value);
  });
});
