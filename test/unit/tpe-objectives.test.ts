/**
 * TPE with several objectives (MOTPE) and constraints: the split ranks by
 * non-domination and cuts the last front by hypervolume, feasible trials come
 * first, good-set weights follow hypervolume contributions; and end to end it
 * beats random search on a bi-objective problem and keeps to the feasible
 * region of a constrained one.
 */
import { describe, expect, it } from "vitest";
import { tpe } from "../../src/algorithms/tpe/index.js";
import { logAcquisition } from "../../src/algorithms/tpe/constraint-model.js";
import { splitWithOutcomes } from "../../src/algorithms/tpe/outcome-split.js";
import { randomSearch } from "../../src/algorithms/random.js";
import type { Algorithm, Observation } from "../../src/algorithms/types.js";
import { hypervolume } from "../../src/math/hypervolume.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config } from "../../src/space/types.js";
import { param } from "./tpe-helpers.js";

const defaults = tpe.parseOptions({});

function mo(number: number, values: number[], constraints?: number[]): Observation {
  return {
    number,
    state: "complete",
    loss: undefined,
    lastStep: undefined,
    config: Float64Array.of(number / 100),
    values: Float64Array.from(values),
    ...(constraints === undefined ? {} : { constraints: Float64Array.from(constraints) }),
  };
}

describe("the multi-objective split", () => {
  it("takes whole fronts while they fit, and cuts the next by hypervolume contribution", () => {
    // 30 trials: γ = ⌈0.1·30⌉ = 3. Front 0 has 2 points; front 1 has 3, of which the one adding most hypervolume joins.
    const history: Observation[] = [
      mo(0, [0, 1]),
      mo(1, [1, 0]),
      mo(2, [0.2, 1.5]),
      mo(3, [0.8, 0.8]),
      mo(4, [1.5, 0.2]),
    ];
    for (let i = 5; i < 30; i++) history.push(mo(i, [5 + i, 5 + i]));
    const s = splitWithOutcomes(history, defaults);
    expect(s.finished).toBe(30);
    expect(s.good.map((o) => o.number)).toEqual([0, 1, 3]);
    expect(s.bad).toHaveLength(27);
    // Weights: hypervolume contributions relative to the largest, all in (0, 1].
    expect(Math.max(...s.goodWeights)).toBe(1);
    expect(Math.min(...s.goodWeights)).toBeGreaterThan(0);
  });

  it("puts feasible trials first, then the least violating ones", () => {
    const history: Observation[] = [];
    // Ten infeasible trials with excellent values, and twenty feasible mediocre ones.
    for (let i = 0; i < 10; i++) history.push(mo(i, [0, 0], [0.1 * (i + 1), -1]));
    for (let i = 10; i < 30; i++) history.push(mo(i, [i, 40 - i], [0, -1]));
    const s = splitWithOutcomes(history, defaults);
    expect(s.good.every((o) => o.number >= 10)).toBe(true);
    // With too few feasible trials, the least violating infeasible ones fill the good set.
    const few = [
      mo(0, [0, 0], [3]),
      mo(1, [0, 0], [1]),
      mo(2, [1, 1], [-1]),
      ...Array.from({ length: 17 }, (_, i) => mo(3 + i, [0, 0], [5])),
    ];
    expect(splitWithOutcomes(few, defaults).good.map((o) => o.number)).toEqual([1, 2]);
  });

  it("ranks one objective with constraints by loss among the feasible trials, EI-weighted", () => {
    const history: Observation[] = Array.from({ length: 20 }, (_, i) => ({
      number: i,
      state: "complete" as const,
      loss: i,
      lastStep: undefined,
      config: Float64Array.of(i),
      constraints: Float64Array.of(i < 5 ? 1 : -1),
    }));
    const s = splitWithOutcomes(history, defaults);
    expect(s.good.map((o) => o.number)).toEqual([5, 6]);
    // EI over the best feasible loss of the bad set (7): 2 and 1.
    expect([...s.goodWeights]).toEqual([2, 1]);
  });
});

/** ZDT1 in `d` dimensions: a convex front f2 = 1 − √f1 at g = 1. */
function zdt1(c: Config): number[] {
  const d = c.length;
  let s = 0;
  for (let i = 1; i < d; i++) s += c[i]!;
  const g = 1 + (9 * s) / (d - 1);
  const f1 = c[0]!;
  return [f1, g * (1 - Math.sqrt(f1 / g))];
}

function runMo(
  algorithm: Algorithm<unknown>,
  options: unknown,
  seed: number,
  trials: number,
  f: (c: Config) => number[],
  g?: (c: Config) => number[],
): Observation[] {
  const space = compileSpace({
    parameters: Array.from({ length: 4 }, (_, i) => param(`x${i}`, { $case: "uniform", value: { low: 0, high: 1 } })),
  });
  const session = algorithm.open(space, options);
  const history: Observation[] = [];
  for (let t = 0; t < trials; t++) {
    const config = session.suggest(history, createRng(seed, t));
    const constraints = g?.(config);
    history.push({
      number: t,
      config,
      state: "complete",
      loss: undefined,
      lastStep: undefined,
      values: Float64Array.from(f(config)),
      ...(constraints === undefined ? {} : { constraints: Float64Array.from(constraints) }),
    });
  }
  return history;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("MOTPE end to end", () => {
  it("reaches a larger hypervolume than random search on ZDT1 in 80 trials (median of 5 seeds)", () => {
    const hv = (alg: Algorithm<unknown>, options: unknown) =>
      median(
        [1, 2, 3, 4, 5].map((seed) =>
          hypervolume(
            runMo(alg, options, seed, 80, zdt1).map((o) => o.values!),
            [1.1, 11],
          ),
        ),
      );
    const t = hv(tpe as Algorithm<unknown>, defaults);
    const r = hv(randomSearch as Algorithm<unknown>, {});
    expect(t).toBeGreaterThan(r);
  });

  it("suggests mostly feasible configurations once it has seen the constraint (median of 5 seeds)", () => {
    // Feasible only where x0 + x1 <= 0.5: an eighth of the cube.
    const g = (c: Config) => [c[0]! + c[1]! - 0.5];
    const feasibleShare = (alg: Algorithm<unknown>, options: unknown) =>
      median(
        [1, 2, 3, 4, 5].map((seed) => {
          const h = runMo(alg, options, seed, 80, zdt1, g).slice(20);
          return h.filter((o) => o.constraints![0]! <= 0).length / h.length;
        }),
      );
    const t = feasibleShare(tpe as Algorithm<unknown>, defaults);
    const r = feasibleShare(randomSearch as Algorithm<unknown>, {});
    expect(r).toBeLessThan(0.25);
    expect(t).toBeGreaterThan(0.5);
  });
});

describe("c-TPE's constraint factors", () => {
  it("computes TPE's log acquisition log((γ + (1 − γ)·g/l)⁻¹) stably", () => {
    expect(logAcquisition(0.25, Math.log(2), Math.log(1))).toBeCloseTo(-Math.log(0.25 + 0.75 * 0.5), 12);
    expect(logAcquisition(0.1, 0, 800)).toBeCloseTo(-(Math.log(0.9) + 800), 9);
    expect(logAcquisition(0.1, 800, 0)).toBeCloseTo(-Math.log(0.1), 12);
  });

  it("suggests more feasible configurations and a better feasible optimum than the split alone", () => {
    // Minimise |x|² over [-5, 5]⁴ subject to Σx >= 2: the feasible optimum (value 1) lies on the boundary.
    const space = compileSpace({
      parameters: Array.from({ length: 4 }, (_, i) =>
        param(`x${i}`, { $case: "uniform", value: { low: -5, high: 5 } }),
      ),
    });
    const runWith = (model: string, seed: number) => {
      const s = tpe.open(space, tpe.parseOptions({ constraint_model: { kind: "string", value: model } }));
      const h: Observation[] = [];
      let feasible = 0;
      let best = Number.POSITIVE_INFINITY;
      for (let n = 0; n < 120; n++) {
        const c = s.suggest(h, createRng(seed, n));
        const f = c.reduce((a, x) => a + x * x, 0);
        const g = 2 - c.reduce((a, x) => a + x, 0);
        if (g <= 0) {
          if (n >= 10) feasible++;
          best = Math.min(best, f);
        }
        h.push({
          number: n,
          config: c,
          state: "complete",
          loss: f,
          lastStep: undefined,
          constraints: Float64Array.of(g),
        });
      }
      return { share: feasible / 110, best };
    };
    const seeds = [1, 2, 3, 4, 5];
    const density = seeds.map((seed) => runWith("density", seed));
    const split = seeds.map((seed) => runWith("split", seed));
    expect(median(density.map((r) => r.share))).toBeGreaterThan(median(split.map((r) => r.share)));
    expect(median(density.map((r) => r.best))).toBeLessThan(median(split.map((r) => r.best)));
  });
});
