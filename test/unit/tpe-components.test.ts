/** TPE building blocks: options, split, weights, bandwidths, the Parzen estimator's normalisation. */
import { describe, expect, it } from "vitest";
import { neighbourGapBandwidths, type BandwidthRule } from "../../src/algorithms/tpe/bandwidth.js";
import { dimsOf } from "../../src/algorithms/tpe/dims.js";
import { groupsOf } from "../../src/algorithms/tpe/groups.js";
import { DEFAULT_TPE_OPTIONS, parseTpeOptions, type TpeOptions } from "../../src/algorithms/tpe/options.js";
import { allocateCandidates, ParzenEstimator } from "../../src/algorithms/tpe/parzen-estimator.js";
import { goodSetSize, splitHistory } from "../../src/algorithms/tpe/split.js";
import { bestLoss, observationWeights, priorRawWeight } from "../../src/algorithms/tpe/weights.js";
import { TpeWorkspace } from "../../src/algorithms/tpe/workspace.js";
import { ParzenError } from "../../src/errors.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Scalar } from "../../src/space/types.js";
import { everyKind, obs, param } from "./tpe-helpers.js";

const opts = (over: Partial<TpeOptions> = {}): TpeOptions => ({ ...DEFAULT_TPE_OPTIONS, ...over });

describe("TPE options", () => {
  it("fills the recommended defaults", () => {
    expect(DEFAULT_TPE_OPTIONS).toEqual({
      n_startup_trials: 20,
      n_ei_candidates: 24,
      gamma: "linear",
      gamma_beta: 0.1,
      gamma_cap: 6,
      gamma_cap_growth: 0,
      prior_weight: 3,
      far_field_bound: 10,
      categorical_prior_weight: 3,
      multivariate: true,
      group: true,
      constant_liar: true,
      consider_magic_clip: true,
      magic_clip_exponent: 2,
      bandwidth_floor: 0.03,
      grid_bandwidth_floor: 1,
      branch_split: "local",
      consider_endpoints: false,
      good_endpoint_reach: 1,
      good_endpoint_max_params: 2,
      weights: "ei",
      weights_bad: "uniform",
      constraint_model: "density",
      pruned_fill: "ranked",
    });
  });

  it("accepts typed overrides", () => {
    const o = parseTpeOptions({
      n_startup_trials: { kind: "int", value: 20 },
      gamma: { kind: "string", value: "sqrt" },
      gamma_beta: { kind: "double", value: 1 },
      multivariate: { kind: "bool", value: false },
    });
    expect(o.n_startup_trials).toBe(20);
    expect(o.gamma).toBe("sqrt");
    expect(o.multivariate).toBe(false);
  });

  it("takes far_field_bound 0 or at least 1, and gamma_beta above 1 with the sqrt split only (README)", () => {
    const dbl = (value: number): Scalar => ({ kind: "double", value });
    expect(parseTpeOptions({ far_field_bound: dbl(0) }).far_field_bound).toBe(0);
    expect(parseTpeOptions({ far_field_bound: dbl(1) }).far_field_bound).toBe(1);
    expect(() => parseTpeOptions({ far_field_bound: dbl(0.999) })).toThrow(
      'tpe options: "far_field_bound" must be 0 (no bound) or >= 1, got 0.999',
    );
    expect(() => parseTpeOptions({ far_field_bound: dbl(1e-9) })).toThrow(/"far_field_bound"/);
    expect(parseTpeOptions({ gamma_beta: dbl(1) }).gamma_beta).toBe(1);
    expect(parseTpeOptions({ gamma: { kind: "string", value: "sqrt" }, gamma_beta: dbl(2) }).gamma_beta).toBe(2);
    expect(() => parseTpeOptions({ gamma_beta: dbl(2) })).toThrow(
      'tpe options: "gamma_beta" must be <= 1 with gamma "linear", got 2',
    );
  });

  const bad: [Record<string, Scalar>, RegExp][] = [
    [{ n_ei_candidates: { kind: "int", value: 0 } }, /tpe options: "n_ei_candidates"/],
    [{ n_startup_trials: { kind: "double", value: 2.5 } }, /"n_startup_trials"/],
    [{ gamma: { kind: "string", value: "cubic" } }, /"gamma"/],
    [{ gamma_beta: { kind: "double", value: 1.5 } }, /"gamma_beta" must be <= 1 with gamma "linear"/],
    [{ prior_weight: { kind: "double", value: -1 } }, /"prior_weight"/],
    [{ multivariate: { kind: "string", value: "yes" } }, /"multivariate"/],
    [{ bandwidth_floor: { kind: "double", value: 2 } }, /"bandwidth_floor"/],
    [{ gamma_cap_growth: { kind: "double", value: 1.5 } }, /"gamma_cap_growth"/],
    [{ far_field_bound: { kind: "double", value: 0.5 } }, /"far_field_bound" must be 0 \(no bound\) or >= 1, got 0.5/],
    [{ categorical_prior_weight: { kind: "double", value: -1 } }, /"categorical_prior_weight"/],
    [{ branch_split: { kind: "string", value: "nearby" } }, /"branch_split"/],
    [{ weights: { kind: "string", value: "ei2" } }, /"weights"/],
    [{ n_candidates: { kind: "int", value: 5 } }, /unknown option "n_candidates"/],
  ];
  for (const [raw, message] of bad) {
    it(`rejects ${JSON.stringify(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value])))}`, () => {
      let err: unknown;
      try {
        parseTpeOptions(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ParzenError);
      expect((err as ParzenError).code).toBe("INVALID_ARGUMENT");
      expect((err as ParzenError).message).toMatch(message);
    });
  }
});

describe("good/bad split", () => {
  it("sizes the good set linearly with a cap, or by √N", () => {
    const lin = opts({ gamma_beta: 0.15, gamma_cap: 25, gamma_cap_growth: 0 });
    expect([0, 1, 6, 7, 10, 100, 166, 167, 1000].map((n) => goodSetSize(n, lin))).toEqual([
      0, 1, 1, 2, 2, 15, 25, 25, 25,
    ]);
    // Defaults: a fixed cap of 6.
    expect([10, 11, 50, 51, 120, 121, 250, 300, 1000].map((n) => goodSetSize(n, opts()))).toEqual([
      1, 2, 5, 6, 6, 6, 6, 6, 6,
    ]);
    // A growing cap: 6 up to N = 120, then 5 % of N (never more than ⌈β·N⌉).
    const growing = opts({ gamma_cap_growth: 0.05 });
    expect([10, 11, 50, 51, 120, 121, 250, 300, 1000].map((n) => goodSetSize(n, growing))).toEqual([
      1, 2, 5, 6, 6, 7, 13, 15, 50,
    ]);
    expect([100, 500].map((n) => goodSetSize(n, opts({ gamma_cap_growth: 0.5 })))).toEqual([10, 50]);
    const sq = opts({ gamma: "sqrt", gamma_beta: 1, gamma_cap: 25, gamma_cap_growth: 0 });
    expect([1, 4, 5, 100, 10000].map((n) => goodSetSize(n, sq))).toEqual([1, 2, 3, 10, 25]);
  });

  it("ranks COMPLETE by loss, then PRUNED by (−step, value); drops FAIL/LOST; puts RUNNING in the bad set", () => {
    const history = [
      obs(0, "complete", 5),
      obs(1, "pruned", 0.1, [0], 3),
      obs(2, "fail", undefined),
      obs(3, "complete", 1),
      obs(4, "pruned", 0.5, [0], 9),
      obs(5, "running", undefined),
      obs(6, "complete", 1), // ties with #3: the older wins
      obs(7, "lost", undefined),
      obs(8, "pruned", undefined, [0], undefined),
      obs(9, "pruned", 0.2, [0], 9),
    ];
    const nums = (o: { number: number }[]) => o.map((x) => x.number);
    // N = 7 finished; β = 0.5 → 4 good: #3, #6, #0 (complete by loss), then #9 (step 9, value 0.2).
    const s = splitHistory(history, opts({ gamma_beta: 0.5 }));
    expect(s.finished).toBe(7);
    expect(nums(s.good)).toEqual([0, 3, 6, 9]);
    expect(nums(s.bad)).toEqual([1, 4, 5, 8]);
    // Five good: the next is #4 (step 9, value 0.5) ahead of #1 (step 3) and the never-reported #8.
    expect(nums(splitHistory(history, opts({ gamma_beta: 0.7 })).good)).toEqual([0, 3, 4, 6, 9]);
    expect(nums(splitHistory(history, opts({ gamma_beta: 0.5, constant_liar: false })).bad)).toEqual([1, 4, 8]);
  });

  it("returns both sets in trial-number order even for unordered input", () => {
    const history = [obs(3, "complete", 3), obs(1, "complete", 1), obs(2, "complete", 2), obs(0, "complete", 0)];
    const s = splitHistory(history, opts({ gamma_beta: 0.5 }));
    expect(s.good.map((o) => o.number)).toEqual([0, 1]);
    expect(s.bad.map((o) => o.number)).toEqual([2, 3]);
  });
});

describe("weights", () => {
  it("EI weights are the improvement over the best bad loss, floored; the prior gets the mean", () => {
    const good = [obs(0, "complete", 1), obs(1, "complete", 3), obs(2, "complete", 4)];
    const threshold = bestLoss([obs(3, "complete", 4), obs(4, "running", undefined), obs(5, "complete", 7)]);
    expect(threshold).toBe(4);
    const w = observationWeights(good, "ei", threshold);
    expect(Array.from(w)).toEqual([3, 1, 1e-12]);
    expect(priorRawWeight(w, "ei", 1)).toBeCloseTo(4 / 3, 12);
    expect(priorRawWeight(w, "uniform", 2)).toBe(2);
    expect(Array.from(observationWeights(good, "ei", Infinity))).toEqual([1, 1, 1]);
  });

  it("old_decay ramps the oldest beyond 25 from 1/n to 1", () => {
    const set = Array.from({ length: 30 }, (_, i) => obs(i, "complete", i));
    const w = observationWeights(set, "old_decay", Infinity);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w[3]!).toBeLessThan(w[4]!);
    expect(Array.from(w.subarray(5))).toEqual(new Array(25).fill(1));
    expect(Array.from(observationWeights(set.slice(0, 24), "old_decay", Infinity))).toEqual(new Array(24).fill(1));
  });
});

describe("neighbour-gap bandwidths", () => {
  const rule: BandwidthRule = { lo: 0, hi: 10, range: 10, considerEndpoints: false, floor: 0, clipExponent: undefined };
  const run = (mus: number[], r = rule) => {
    const out = new Float64Array(mus.length);
    neighbourGapBandwidths(Float64Array.from(mus), mus.length, 1, 0, r, out);
    return Array.from(out);
  };

  it("takes the larger neighbour gap, inner gap at the ends", () => {
    expect(run([5, 1, 2, 9])).toEqual([4, 1, 3, 4]);
    expect(run([5, 1, 2, 9], { ...rule, considerEndpoints: true })).toEqual([4, 1, 3, 4]);
    expect(run([5, 3, 9.5], { ...rule, considerEndpoints: true })).toEqual([4.5, 3, 4.5]);
  });

  it("uses the farther edge for a single kernel and clips to [floor·R, R]", () => {
    expect(run([2])).toEqual([8]);
    const clipped = run([2, 2, 2, 8], { ...rule, floor: 0.03 });
    [0.3, 0.3, 6, 6].forEach((s, i) => {
      expect(clipped[i]).toBeCloseTo(s, 12);
    });
    expect(run([2, 2, 2, 30], { ...rule, hi: 100, range: 10, floor: 0.03 })[3]).toBe(10);
    // Magic clip: (n+2)^−2 = 1/36 of R for n = 4 beats a 0.01 floor.
    expect(Math.min(...run([2, 2, 2, 8], { ...rule, floor: 0.01, clipExponent: 2 }))).toBeCloseTo(10 / 36, 12);
  });

  it("matches a brute-force neighbour search for growing n (scratch reuse)", () => {
    for (const n of [2, 3, 40, 33, 41, 1000, 7, 1500, 2500]) {
      const mus = Array.from({ length: n }, (_, i) => ((i * 7919) % 1009) / 100.9);
      const sigma = run(mus);
      for (const [i, m] of mus.entries()) {
        let left = Infinity;
        let right = Infinity;
        let same = 0;
        for (const [k, o] of mus.entries()) {
          if (k === i) continue;
          if (o === m) same++;
          else if (o < m) left = Math.min(left, m - o);
          else right = Math.min(right, o - m);
        }
        // Duplicates may take either slot of their run; only check kernels with distinct centres.
        if (same > 0) continue;
        const gaps = [left, right].filter(Number.isFinite);
        expect(sigma[i]).toBeCloseTo(Math.max(...gaps, 1e-10), 12);
      }
    }
  });

  it("sorts correctly through crowded buckets and strides", () => {
    const mus: number[] = [];
    for (let i = 0; i < 500; i++) mus.push(i % 7 === 0 ? 9 - i * 1e-6 : (i * 0.618) % 1);
    const sigma = run(mus, { ...rule, floor: 0 });
    const sorted = [...mus].sort((a, b) => a - b);
    for (const [i, m] of mus.entries()) {
      const r = sorted.indexOf(m);
      const gaps = [r > 0 ? m - sorted[r - 1]! : 0, r < sorted.length - 1 ? sorted[r + 1]! - m : 0];
      expect(sigma[i]).toBeCloseTo(Math.min(10, Math.max(...gaps, 1e-11)), 9);
    }
  });
});

describe("Parzen estimator", () => {
  const space = compileSpace(everyKind);
  const dims = dimsOf(space);
  const bw = { considerEndpoints: false, floor: 0.03, clipExponent: 2, gridFloor: 1 };
  const ws = new TpeWorkspace();

  function oneDim(name: string, values: number[]): { est: ParzenEstimator; dim: ReturnType<typeof dimsOf>[number] } {
    const dim = dims[space.byName.get(name)!.index]!;
    const members = values.map((v) => {
      const c = new Float64Array(space.params.length).fill(Number.NaN);
      c[dim.param.index] = v;
      return c;
    });
    const w = new Float64Array(values.length).fill(1);
    return { est: new ParzenEstimator([dim], members, w, 1, 1, bw, ws), dim };
  }

  function logDensityAt(est: ParzenEstimator, vals: number[], lo: number[], hi: number[] = lo): number[] {
    const c = allocateCandidates(vals.length, 1);
    c.values.set(vals);
    c.lo.set(lo);
    c.hi.set(hi);
    const out = new Float64Array(vals.length);
    est.logDensity(c, out, ws);
    return Array.from(out);
  }

  it("a truncated continuous mixture integrates to 1 over its domain", () => {
    for (const [name, values] of [
      ["u", [-1.9, 0.5, 0.6, 2.99]],
      ["lu", [1e-4, 0.01, 3]],
    ] as const) {
      const { est, dim } = oneDim(name, [...values]);
      const lo = dim.lo;
      const hi = dim.hi;
      const n = 20000;
      const xs = Array.from({ length: n }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / n);
      const dens = logDensityAt(est, xs, xs);
      const integral = dens.reduce((s, l) => s + Math.exp(l), 0) * ((hi - lo) / n);
      expect(integral).toBeCloseTo(1, 4);
    }
  });

  it("the masses of all grid cells of a discrete parameter sum to 1", () => {
    for (const [name, values] of [
      ["i", [-3, 0, 0, 7]],
      ["qu", [0.1, 0.9]],
      ["il", [1, 64, 4096]],
      ["qlu", [1, 501, 996]],
    ] as const) {
      const { est, dim } = oneDim(name, [...values]);
      const d = dim.param.domain as { low: number; high: number; step?: number };
      const step = d.step ?? 1;
      const grid: number[] = [];
      for (let x = d.low; x <= d.high + 1e-9; x += step) grid.push(dim.scale!.fromCoord(dim.scale!.toCoord(x)));
      const cells = grid.map((x) => dim.scale!.cell(x));
      const dens = logDensityAt(
        est,
        grid,
        cells.map((c) => c[0]),
        cells.map((c) => c[1]),
      );
      expect(dens.reduce((s, l) => s + Math.exp(l), 0)).toBeCloseTo(1, 8);
    }
  });

  it("keeps discrete kernels at least one grid cell wide, so neighbours stay reachable", () => {
    const values = Array.from({ length: 20 }, () => 3);
    const { est } = oneDim("i", values);
    const [at3, at4] = logDensityAt(est, [3, 4], [2.5, 3.5], [3.5, 4.5]).map(Math.exp);
    // σ = 1 cell: the neighbour gets Φ(1.5) − Φ(0.5) ≈ 0.24 of each kernel.
    expect(at4!).toBeGreaterThan(0.2);
    expect(at3!).toBeGreaterThan(at4!);
  });

  it("categorical kernels with the choice weights as prior sum to 1 and favour observed options", () => {
    const { est } = oneDim("c", [0, 0, 1]);
    const dens = logDensityAt(est, [0, 1, 2], [0, 0, 0]).map(Math.exp);
    expect(dens[0]! + dens[1]! + dens[2]!).toBeCloseTo(1, 12);
    expect(dens[2]).toBe(0); // weight 0 option
    expect(dens[0]!).toBeGreaterThan(dens[1]!);
  });

  it("an unbounded normal parameter gets untruncated kernels around the declared prior", () => {
    const { est, dim } = oneDim("n", [2, 2.5]);
    expect(dim.lo).toBe(-Infinity);
    const xs = Array.from({ length: 40001 }, (_, i) => -60 + i * 0.003);
    const integral = logDensityAt(est, xs, xs).reduce((s, l) => s + Math.exp(l), 0) * 0.003;
    expect(integral).toBeCloseTo(1, 5);
  });
});

describe("groups", () => {
  it("splits a conditional space by branch, or into singletons", () => {
    const space = compileSpace(everyKind);
    const names = (gs: { params: readonly number[] }[]) => gs.map((g) => g.params.map((i) => space.params[i]!.name));
    expect(names(groupsOf(space, true, true))).toEqual([
      ["u", "lu", "qu", "qlu", "n", "ln", "qn", "qln", "i", "is", "il", "c"],
      ["a_x"],
      ["b_k", "b_sub"],
      ["q_y"],
    ]);
    expect(names(groupsOf(space, true, false)).length).toBe(1 + 4);
    expect(names(groupsOf(space, false, true)).every((g) => g.length === 1)).toBe(true);
  });

  it("keeps parents ahead of their children", () => {
    const space = compileSpace({
      parameters: [param("z", { $case: "uniform", value: { low: 0, high: 1 } }), ...everyKind.parameters],
    });
    for (const g of groupsOf(space, true, true)) {
      if (g.condition) expect(g.condition.parent).toBeLessThan(g.params[0]!);
    }
  });
});
