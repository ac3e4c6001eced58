/**
 * TPE keeps, of n_ei_candidates draws from l(x), the one maximising log l − log g, with l fitted on the good set
 * (EI weights over the best bad loss, the prior at prior_weight × their mean; its outermost kernels reach
 * good_endpoint_reach/d² of the way to the domain edge) and g on the bad set (uniform weights, the prior at
 * prior_weight), as README and sampler.ts document. Candidates are drawn one after the other
 * from the trial's stream, so the k candidates of n_ei_candidates = k are the first k of any larger k: the
 * suggestion's score can only grow with k, and it changes only to a better one.
 */
import { describe, expect, it } from "vitest";
import { tpe } from "../../src/algorithms/tpe/index.js";
import { dimsOf } from "../../src/algorithms/tpe/dims.js";
import { allocateCandidates, ParzenEstimator } from "../../src/algorithms/tpe/parzen-estimator.js";
import { splitHistory } from "../../src/algorithms/tpe/split.js";
import { bestLoss, observationWeights, priorRawWeight } from "../../src/algorithms/tpe/weights.js";
import { TpeWorkspace } from "../../src/algorithms/tpe/workspace.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config, Space } from "../../src/space/types.js";
import { param, run } from "./tpe-helpers.js";

const space = compileSpace({ parameters: [param("x", { $case: "uniform", value: { low: -5, high: 5 } })] });
const f = (c: Config): number => Math.min((c[0]! - 3) ** 2, 0.5 + (c[0]! + 2) ** 2);
const defaults = tpe.parseOptions({});

/** log l(x) − log g(x) at x, from the documented definition of l and g. */
function scorer(history: readonly Observation[], sp: Space = space): (x: number) => number {
  const options = defaults;
  const { good, bad } = splitHistory(history, options);
  const dims = dimsOf(sp);
  const bw = {
    considerEndpoints: options.consider_endpoints,
    floor: options.bandwidth_floor,
    clipExponent: options.magic_clip_exponent,
    gridFloor: options.grid_bandwidth_floor,
  };
  const ws = new TpeWorkspace();
  const gw = observationWeights(good, "ei", bestLoss(bad));
  const bwts = observationWeights(bad, "uniform", Number.POSITIVE_INFINITY);
  // One parameter (d = 1): l's outermost kernels reach good_endpoint_reach of their gap to the edge.
  const lbw = { ...bw, considerEndpoints: true, endpointReach: options.good_endpoint_reach };
  const l = new ParzenEstimator(
    dims,
    good.map((o) => o.config),
    gw,
    priorRawWeight(gw, "ei", options.prior_weight),
    options.categorical_prior_weight,
    lbw,
    ws,
  );
  const g = new ParzenEstimator(
    dims,
    bad.map((o) => o.config),
    bwts,
    options.prior_weight,
    options.categorical_prior_weight,
    bw,
    ws,
  );
  return (x) => {
    const c = allocateCandidates(1, 1);
    c.values[0] = x;
    c.lo[0] = x;
    c.hi[0] = x;
    const a = new Float64Array(1);
    const b = new Float64Array(1);
    l.logDensity(c, a, ws);
    g.logDensity(c, b, ws);
    return a[0]! - b[0]!;
  };
}

describe("TPE's acquisition", () => {
  const history = run(tpe, space, defaults, 21, 40, f);
  const score = scorer(history);

  it("keeps the best of the first k candidates: the score never falls as n_ei_candidates grows", () => {
    for (const stream of [0, 1, 2]) {
      let last = Number.NEGATIVE_INFINITY;
      let lastX = Number.NaN;
      let changes = 0;
      for (let k = 1; k <= 40; k++) {
        const x = tpe.open(space, { ...defaults, n_ei_candidates: k }).suggest(history, createRng(77, stream))[0]!;
        const s = score(x);
        if (x !== lastX) {
          // A new suggestion is a strictly better candidate (ties keep the earlier draw).
          expect(s, `stream ${stream}, k ${k}`).toBeGreaterThan(last);
          if (k > 1) changes++;
        } else expect(s).toBe(last);
        last = s;
        lastX = x;
      }
      // Later candidates do win sometimes: the selection looks past the first draw.
      expect(changes).toBeGreaterThan(0);
    }
  });

  it("keeps the best candidate past the session's first scratch size (64): up to 300 candidates", () => {
    // Also on a domain 1e-3 wide, where densities are far above 1 (log g > 0): a candidate left unscored must
    // not be ranked by a log g it never got.
    const narrow = compileSpace({ parameters: [param("x", { $case: "uniform", value: { low: 0, high: 1e-3 } })] });
    const fNarrow = (c: Config): number => f([c[0]! * 1e4 - 5] as unknown as Config);
    const narrowHistory = run(tpe, narrow, defaults, 21, 40, fNarrow);
    const cases: [Space, Observation[], (x: number) => number][] = [
      [space, history, score],
      [narrow, narrowHistory, scorer(narrowHistory, narrow)],
    ];
    for (const [sp, h, sc] of cases) {
      for (const stream of [0, 1, 2]) {
        let last = Number.NEGATIVE_INFINITY;
        let lastX = Number.NaN;
        for (const k of [1, 24, 64, 65, 100, 129, 200, 300]) {
          const x = tpe.open(sp, { ...defaults, n_ei_candidates: k }).suggest(h, createRng(78, stream))[0]!;
          const s = sc(x);
          if (x !== lastX) expect(s, `stream ${stream}, k ${k}`).toBeGreaterThan(last);
          else expect(s).toBe(last);
          last = s;
          lastX = x;
        }
      }
    }
  });

  it("the default suggestion scores higher than a single draw from l(x) on average", () => {
    let gain = 0;
    for (let t = 0; t < 30; t++) {
      const one = tpe.open(space, { ...defaults, n_ei_candidates: 1 }).suggest(history, createRng(5, t))[0]!;
      const many = tpe.open(space, defaults).suggest(history, createRng(5, t))[0]!;
      expect(score(many)).toBeGreaterThanOrEqual(score(one));
      gain += score(many) - score(one);
    }
    expect(gain / 30).toBeGreaterThan(0.1);
  });
});
