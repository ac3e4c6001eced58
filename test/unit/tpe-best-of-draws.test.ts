/**
 * A TPE suggestion is the first of its n_ei_candidates draws from l(x) with
 * the largest log l − log g (README, sampler.ts), whatever shortcuts pick it:
 * here l and g are fitted from their documented definitions, every draw is
 * scored in full, and the suggestion must be that draw bit for bit. A group
 * of several parameters makes most draws unable to win, so the shortcut that
 * skips them (candidates.ts) is exercised, with 24 to 300 candidates (past
 * the scratch's first size of 64) and with a mixed group whose scores tie.
 */
import { describe, expect, it } from "vitest";
import { dimsOf } from "../../src/algorithms/tpe/dims.js";
import { tpe } from "../../src/algorithms/tpe/index.js";
import type { TpeOptions } from "../../src/algorithms/tpe/options.js";
import { allocateCandidates, ParzenEstimator } from "../../src/algorithms/tpe/parzen-estimator.js";
import { splitHistory } from "../../src/algorithms/tpe/split.js";
import { bestLoss, farFieldPrior, observationWeights, priorRawWeight } from "../../src/algorithms/tpe/weights.js";
import { TpeWorkspace } from "../../src/algorithms/tpe/workspace.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import { spaceScales } from "../../src/space/scale.js";
import type { Config, Space } from "../../src/space/types.js";
import { param } from "./tpe-helpers.js";

const defaults = tpe.parseOptions({});

/** The draw TPE must suggest: l(x)'s draws from `seed`'s stream, every one scored, the first best kept. */
function bestDraw(space: Space, history: readonly Observation[], options: TpeOptions, rng: number[]): number[] {
  const { good, bad } = splitHistory(history, options);
  const dims = dimsOf(space, spaceScales(space));
  const d = dims.length;
  const bw = {
    considerEndpoints: options.consider_endpoints,
    floor: options.bandwidth_floor,
    clipExponent: options.consider_magic_clip ? options.magic_clip_exponent : undefined,
    gridFloor: options.grid_bandwidth_floor,
  };
  // l's outermost kernels reach good_endpoint_reach/d² of the way to the domain edge.
  const lbw = { ...bw, considerEndpoints: true, endpointReach: options.good_endpoint_reach / d ** 2 };
  const gw = observationWeights(good, options.weights, bestLoss(bad));
  const bws = observationWeights(bad, options.weights_bad, Number.POSITIVE_INFINITY);
  const lPrior = priorRawWeight(gw, options.weights, options.prior_weight);
  const gPrior = farFieldPrior(
    lPrior,
    gw,
    priorRawWeight(bws, options.weights_bad, options.prior_weight),
    bws,
    options.far_field_bound,
  );
  const ws = new TpeWorkspace();
  const configs = (set: readonly Observation[]) => set.map((o) => o.config);
  const cpw = options.categorical_prior_weight;
  const l = new ParzenEstimator(dims, configs(good), gw, lPrior, cpw, lbw, ws);
  const g = new ParzenEstimator(dims, configs(bad), bws, gPrior, cpw, bw, ws);
  const nc = options.n_ei_candidates;
  const cands = allocateCandidates(nc, d);
  l.sample(createRng(...rng), cands);
  const ll = new Float64Array(nc);
  const lg = new Float64Array(nc);
  l.logDensity(cands, ll, ws);
  g.logDensity(cands, lg, ws);
  let best = 0;
  for (let i = 1; i < nc; i++) if (ll[i]! - lg[i]! > ll[best]! - lg[best]!) best = i;
  return Array.from(cands.values.subarray(best * d, best * d + d));
}

function randomHistory(space: Space, n: number, seed: number, f: (c: Config) => number): Observation[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, number) => {
    const config = samplePrior(space, rng);
    return { number, config, state: "complete", loss: f(config), lastStep: undefined };
  });
}

describe("a TPE suggestion is the best of its draws from l(x)", () => {
  const continuous = compileSpace({
    parameters: [
      param("a", { $case: "uniform", value: { low: -5, high: 5 } }),
      param("b", { $case: "logUniform", value: { low: 1e-3, high: 1 } }),
      param("c", { $case: "uniform", value: { low: 0, high: 1e-3 } }),
      param("e", { $case: "normal", value: { mu: 0, sigma: 2 } }),
    ],
  });
  const fc = (c: Config) => (c[0]! - 1) ** 2 + Math.log10(c[1]!) ** 2 + (c[2]! * 1e3 - 0.7) ** 2 + (c[3]! - 1) ** 2;
  // Ints and a choice: scores tie often (draws on the same grid point).
  const grid = compileSpace({
    parameters: [
      param("i", { $case: "intRange", value: { low: 0, high: 3, step: 1, log: false } }),
      param("q", { $case: "qUniform", value: { low: 0, high: 1, q: 0.5 } }),
      param("k", {
        $case: "choice",
        value: {
          options: ["r", "s", "t"].map((v) => ({ value: { kind: { $case: "stringValue", value: v } }, children: [] })),
          weights: [],
        },
      }),
    ],
  });
  const fg = (c: Config) => (c[0]! - 2) ** 2 + c[1]! + (c[2] === 1 ? 0 : 1);

  // Densities far above 1 (g's prior term, the bound, above 0): a draw left unscored must not be ranked at all.
  const narrow = compileSpace({
    parameters: [
      param("a", { $case: "uniform", value: { low: 0, high: 1e-3 } }),
      param("b", { $case: "uniform", value: { low: 0, high: 1e-2 } }),
    ],
  });
  const fn = (c: Config) => (c[0]! * 1e3 - 0.3) ** 2 + (c[1]! * 1e2 - 0.6) ** 2;

  const cases: [string, Space, Observation[]][] = [
    ["narrow continuous, 200 trials", narrow, randomHistory(narrow, 200, 6, fn)],
    ["continuous, 60 trials", continuous, randomHistory(continuous, 60, 3, fc)],
    ["continuous, 250 trials (far-field bound acting)", continuous, randomHistory(continuous, 250, 4, fc)],
    ["ints, a step and a choice", grid, randomHistory(grid, 50, 5, fg)],
  ];
  for (const [name, space, history] of cases) {
    it(name, () => {
      for (const n_ei_candidates of [24, 65, 200, 300]) {
        const options = { ...defaults, n_ei_candidates };
        const session = tpe.open(space, options);
        for (let t = 0; t < 6; t++) {
          const got = Array.from(session.suggest(history, createRng(17, t)));
          expect(got, `${n_ei_candidates} candidates, stream ${t}`).toEqual(bestDraw(space, history, options, [17, t]));
        }
      }
    });
  }
});
