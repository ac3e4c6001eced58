/**
 * The documented options of CMA-ES and the GP change the suggestions (the kind 5), checked through the
 * Algorithm interface only, so the tests hold across changes of either algorithm's internals. Each option set away
 * from its default must change at least one of a few suggestions from the same history and random streams.
 */
import { describe, expect, it } from "vitest";
import { cmaes, type CmaesOptions } from "../../src/algorithms/cmaes/index.js";
import { gpAlgorithm, type GpOptions } from "../../src/algorithms/gp/sampler.js";
import type { Algorithm, Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import type { Config } from "../../src/space/types.js";
import { checkConfig, param } from "./tpe-helpers.js";

const space = compileSpace({
  parameters: [
    param("x", { $case: "uniform", value: { low: -5, high: 5 } }),
    param("y", { $case: "uniform", value: { low: -5, high: 5 } }),
    param("k", { $case: "intRange", value: { low: 0, high: 10, step: 1, log: false } }),
  ],
});
const f = (c: Config): number => (c[0]! - 1) ** 2 + 2 * (c[1]! + 1) ** 2 + 0.3 * (c[2]! - 7) ** 2;

/** `n` prior trials (states by `stateOf`), as any algorithm's history could hold. */
function priorHistory(n: number, stateOf: (t: number) => Observation["state"] = () => "complete"): Observation[] {
  return Array.from({ length: n }, (_, t) => {
    const config = samplePrior(space, createRng(3, t));
    const state = stateOf(t);
    return { number: t, config, state, loss: state === "fail" ? undefined : f(config), lastStep: undefined };
  });
}

function suggestions<O>(alg: Algorithm<O>, options: O, history: readonly Observation[], count: number): number[][] {
  const session = alg.open(space, options);
  return Array.from({ length: count }, (_, i) => {
    const t = history.length + i;
    const c = session.suggest(history, createRng(8, t), { seed: 8, trialNumber: t });
    checkConfig(space, c);
    return Array.from(c);
  });
}

/** `n` sequential trials of `alg` from an empty history; `stateOf` marks some PRUNED (with their loss). */
function trajectory<O>(
  alg: Algorithm<O>,
  options: O,
  n: number,
  stateOf: (t: number) => Observation["state"] = () => "complete",
) {
  const session = alg.open(space, options);
  const h: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const config = session.suggest(h, createRng(8, t), { seed: 8, trialNumber: t });
    checkConfig(space, config);
    h.push({ number: t, config, state: stateOf(t), loss: f(config), lastStep: undefined });
  }
  return h.map((o) => Array.from(o.config));
}

describe("cmaes options act", () => {
  const defaults = cmaes.parseOptions({});
  // Three generations of the default λ = 7 (4 + ⌊3 ln 3⌋) from scratch.
  const base = trajectory(cmaes, defaults, 21);
  const cases: [string, Partial<CmaesOptions>][] = [
    ["popsize 12", { popsize: 12 }],
    ["sigma0 0.5", { sigma0: 0.5 }],
    ["with_margin false", { with_margin: false }],
    ["diagonal_phase 0 (full covariance from the start)", { diagonal_phase: 0 }],
    ["orthogonal_sampling false (independent draws)", { orthogonal_sampling: false }],
    ["csa_damping 0.5 (faster step-size adaptation)", { csa_damping: 0.5 }],
  ];
  it.each(cases)("%s", (_, over) => {
    expect(trajectory(cmaes, { ...defaults, ...over }, 21)).not.toEqual(base);
  });

  it("warm_start: the first generation after earlier trials centres on their best only when set", () => {
    const warm = priorHistory(20);
    const next = (o: CmaesOptions) => suggestions(cmaes, o, warm, 6);
    expect(next({ ...defaults, warm_start: false })).not.toEqual(next(defaults));
  });

  it("consider_pruned_trials: PRUNED trials count as evaluated members only when set", () => {
    const pruned = (t: number) => (t % 3 === 0 ? "pruned" : "complete") as Observation["state"];
    expect(trajectory(cmaes, { ...defaults, consider_pruned_trials: true }, 21, pruned)).not.toEqual(
      trajectory(cmaes, defaults, 21, pruned),
    );
  });
});

describe("gp options act", () => {
  const defaults: GpOptions = gpAlgorithm.parseOptions({});
  const h = priorHistory(12);
  const base = suggestions(gpAlgorithm, defaults, h, 1);

  it("n_startup_trials: the model starts after exactly that many finished trials", () => {
    const five = { ...defaults, n_startup_trials: 5 };
    // What the start-up phase suggests for a history: the same with a start-up longer than any history here.
    const startup = (hist: Observation[]) => suggestions(gpAlgorithm, { ...defaults, n_startup_trials: 1000 }, hist, 1);
    // Four finished trials and a failed one: still the start-up phase.
    const four = priorHistory(5, (t) => (t === 2 ? "fail" : "complete"));
    expect(suggestions(gpAlgorithm, five, four, 1)).toEqual(startup(four));
    const finished5 = priorHistory(5);
    expect(suggestions(gpAlgorithm, five, finished5, 1)).not.toEqual(startup(finished5));
    // The default, 10: twelve finished trials are past it, thirteen would not be.
    expect(base).not.toEqual(startup(h));
    expect(suggestions(gpAlgorithm, { ...defaults, n_startup_trials: 13 }, h, 1)).toEqual(startup(h));
    expect(suggestions(gpAlgorithm, { ...defaults, n_startup_trials: 12 }, h, 1)).toEqual(base);
  });

  it.each([
    ["deterministic true", { deterministic: true }],
    ["n_candidates 16", { n_candidates: 16 }],
    ["n_local_starts 1", { n_local_starts: 1 }],
    ["warp_outputs false", { warp_outputs: false }],
  ] as [string, Partial<GpOptions>][])("%s", (_, over) => {
    expect(suggestions(gpAlgorithm, { ...defaults, ...over }, h, 1)).not.toEqual(base);
  });

  it("max_observations: a history longer than it is fitted on a subset", { timeout: 60_000 }, () => {
    const long = priorHistory(60);
    expect(suggestions(gpAlgorithm, { ...defaults, max_observations: 50 }, long, 1)).not.toEqual(
      suggestions(gpAlgorithm, defaults, long, 1),
    );
  });
});
