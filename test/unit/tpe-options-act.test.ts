/**
 * Every documented TPE option changes the suggestions (the kind 5: an option validated but ignored).
 * One seeded history of 80 TPE trials on a mixed space with a conditional branch of two parameters; each option
 * set away from its default must change at least one of 40 suggestions drawn from fresh sessions with the same
 * random streams. Options that act only in some histories (the magic clip with few trials, old_decay with a good
 * set of 25 or more, the constraint model with constraints) get the history they act on.
 */
import { describe, expect, it } from "vitest";
import { tpe } from "../../src/algorithms/tpe/index.js";
import type { TpeOptions } from "../../src/algorithms/tpe/options.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import type { Config } from "../../src/space/types.js";
import { checkConfig, param, run, str } from "./tpe-helpers.js";

const space = compileSpace({
  parameters: [
    param("x", { $case: "uniform", value: { low: -5, high: 5 } }),
    param("k", { $case: "intRange", value: { low: 0, high: 20, step: 1, log: false } }),
    param("c", {
      $case: "choice",
      value: {
        options: [
          str("a"),
          str("b"),
          str("g", [
            param("y", { $case: "uniform", value: { low: 0, high: 1 } }),
            param("z", { $case: "uniform", value: { low: 0, high: 1 } }),
          ]),
          str("d"),
        ],
        weights: [],
      },
    }),
  ],
});
const f = (c: Config): number =>
  (c[0]! - 3) ** 2 + (c[1]! - 12) ** 2 / 10 + (c[2] === 2 ? (c[3]! - 0.8) ** 2 + (c[4]! - c[3]!) ** 2 : 1);
const defaults = tpe.parseOptions({});
const history = run(tpe, space, defaults, 7, 80, f);

function suggestions(options: TpeOptions, hist: readonly Observation[] = history): number[][] {
  const session = tpe.open(space, options);
  return Array.from({ length: 40 }, (_, t) => {
    const c = session.suggest(hist, createRng(99, t));
    checkConfig(space, c);
    return Array.from(c);
  });
}

describe("every TPE option acts on the suggestions", () => {
  const base = suggestions(defaults);

  const cases: [string, Partial<TpeOptions>][] = [
    ["n_ei_candidates 1", { n_ei_candidates: 1 }],
    ["n_ei_candidates 200", { n_ei_candidates: 200 }],
    ["gamma sqrt", { gamma: "sqrt" }],
    ["gamma_beta 0.5", { gamma_beta: 0.5 }],
    ["gamma_cap 1", { gamma_cap: 1 }],
    ["gamma_cap 25", { gamma_cap: 25 }],
    ["prior_weight 0", { prior_weight: 0 }],
    ["categorical_prior_weight 0", { categorical_prior_weight: 0 }],
    ["categorical_prior_weight 100", { categorical_prior_weight: 100 }],
    ["multivariate false", { multivariate: false }],
    ["group false", { group: false }],
    ["branch_split global", { branch_split: "global" }],
    ["magic_clip_exponent 0.2", { magic_clip_exponent: 0.2 }],
    ["bandwidth_floor 0", { bandwidth_floor: 0 }],
    ["grid_bandwidth_floor 0", { grid_bandwidth_floor: 0 }],
    ["grid_bandwidth_floor 5", { grid_bandwidth_floor: 5 }],
    ["consider_endpoints true", { consider_endpoints: true }],
    ["good_endpoint_reach 0", { good_endpoint_reach: 0 }],
    // The root group (x, k, c) has three parameters: the default 2 gives it no reach, 0 (any size) does.
    ["good_endpoint_max_params 0", { good_endpoint_max_params: 0 }],
    // The branch's group (y, z) has two: 1 takes its reach away.
    ["good_endpoint_max_params 1", { good_endpoint_max_params: 1 }],
    ["weights uniform", { weights: "uniform" }],
    ["weights_bad old_decay", { weights_bad: "old_decay" }],
  ];
  it.each(cases)("%s", (_, over) => {
    expect(suggestions({ ...defaults, ...over })).not.toEqual(base);
  });

  it("the defaults are what an empty option map gives: the same suggestions", () => {
    expect(suggestions(tpe.parseOptions({}))).toEqual(base);
  });

  it("weights old_decay: differs from uniform once the good set has 25 members or more", () => {
    const big = { ...defaults, gamma_beta: 1, gamma_cap: 60 };
    expect(suggestions({ ...big, weights: "old_decay" })).not.toEqual(suggestions({ ...big, weights: "uniform" }));
    // Below 25 members old_decay is uniform (hyperopt keeps the newest 25 at full weight).
    expect(suggestions({ ...defaults, weights: "old_decay" })).toEqual(
      suggestions({ ...defaults, weights: "uniform" }),
    );
  });

  it("consider_magic_clip: raises the bandwidth floor while there are few trials", () => {
    const few = { ...defaults, n_startup_trials: 3, bandwidth_floor: 0 };
    // Eight trials 0.01 apart in x: their gaps are far below the clip's floor R·(8 + 2)^−2 = R/100.
    const short: Observation[] = Array.from({ length: 8 }, (_, i) => {
      const config = Float64Array.of(3 + 0.01 * i, 12, 0, Number.NaN, Number.NaN);
      return { number: i, config, state: "complete", loss: f(config) + i, lastStep: undefined };
    });
    expect(suggestions({ ...few, consider_magic_clip: false }, short)).not.toEqual(suggestions(few, short));
    expect(suggestions({ ...few, magic_clip_exponent: 4 }, short)).not.toEqual(suggestions(few, short));
  });

  it("constraint_model: the feasibility density acts on top of the feasible-first split", () => {
    // Feasible when x <= 2, so the optimum at x = 3 is not.
    const constrained = history.map((o) => ({ ...o, constraints: Float64Array.of(o.config[0]! - 2) }));
    const density = suggestions(defaults, constrained);
    expect(suggestions({ ...defaults, constraint_model: "split" }, constrained)).not.toEqual(density);
    // And constraints act at all: the same history without them gives other suggestions.
    expect(density).not.toEqual(base);
    // The density model favours the feasible side more than the split alone does.
    const feasible = (s: number[][]) => s.filter((c) => c[0]! <= 2).length;
    expect(feasible(density)).toBeGreaterThanOrEqual(
      feasible(suggestions({ ...defaults, constraint_model: "split" }, constrained)),
    );
  });
});

describe("the options that act only on long runs or with RUNNING trials", () => {
  // 200 random finished trials: the good set is capped at 6 while the bad set grows, which is where the
  // far-field bound and the growing cap act (options.ts); and 8 RUNNING trials, which constant liar counts.
  const rng = createRng(31);
  const long: Observation[] = Array.from({ length: 200 }, (_, number) => {
    const config = samplePrior(space, rng);
    return { number, config, state: "complete", loss: f(config), lastStep: undefined };
  });
  const withRunning: Observation[] = [
    ...long,
    ...Array.from({ length: 8 }, (_, i): Observation => {
      const config = samplePrior(space, rng);
      return { number: 200 + i, config, state: "running", loss: undefined, lastStep: undefined };
    }),
  ];

  it("far_field_bound: 0 (no bound) and a tighter bound both change what the default bound suggests", () => {
    // The bound acts where l draws far from every trial, which its endpoint reach does; since definition version 8
    // only groups of at most good_endpoint_max_params get the reach, and this space's group has three.
    const reach = { ...defaults, good_endpoint_max_params: 3 };
    const base = suggestions(reach, long);
    expect(suggestions({ ...reach, far_field_bound: 0 }, long)).not.toEqual(base);
    expect(suggestions({ ...reach, far_field_bound: 1 }, long)).not.toEqual(base);
  });

  it("gamma_cap_growth: a cap that grows with N changes the suggestions once ⌈growth·N⌉ passes gamma_cap", () => {
    expect(suggestions({ ...defaults, gamma_cap_growth: 0.05 }, long)).not.toEqual(suggestions(defaults, long));
    // ⌈0.02·200⌉ = 4 stays below the cap of 6: the same good set, the same suggestions.
    expect(suggestions({ ...defaults, gamma_cap_growth: 0.02 }, long)).toEqual(suggestions(defaults, long));
  });

  it("constant_liar: RUNNING trials act through the bad set only with it", () => {
    const liar = suggestions(defaults, withRunning);
    expect(liar).not.toEqual(suggestions(defaults, long));
    const noLiar = { ...defaults, constant_liar: false };
    expect(suggestions(noLiar, withRunning)).toEqual(suggestions(noLiar, long));
  });
});
