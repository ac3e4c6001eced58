/**
 * TPE's suggest: split the history into good and bad trials, and for each
 * active group of parameters (parents first) fit l(x) on the good and g(x)
 * on the bad trials in which the group is active, draw candidates from l
 * and keep the one maximising log l − log g. Before enough trials have
 * finished, configurations come from the prior. Pure.
 */
import type { Rng } from "../../math/rng.js";
import { samplePrior } from "../../space/prior.js";
import type { Config, Space } from "../../space/types.js";
import type { Observation, SuggestInput } from "../types.js";
import { dimsOf, type Dim } from "./dims.js";
import { cachedEstimator, type Role } from "./estimator-cache.js";
import { groupsOf, type Group } from "./groups.js";
import type { TpeOptions } from "./options.js";
import { allocateCandidates, type ParzenEstimator, type BandwidthOptions } from "./parzen-estimator.js";
import { splitHistory, type Split } from "./split.js";
import { bestLoss, observationWeights, priorRawWeight } from "./weights.js";
import { TpeWorkspace } from "./workspace.js";

/** Scratch memory, until the per-experiment session owns it. */
const workspace = new TpeWorkspace();

export function suggestTpe({ space, history, rng, options }: SuggestInput<TpeOptions>): Config {
  const global = splitHistory(history, options);
  if (global.finished === 0 || global.finished < options.n_startup_trials) return samplePrior(space, rng);

  const globalSets = weighted(global, options);
  const dims = dimsOf(space);
  const config = new Float64Array(space.params.length).fill(Number.NaN);
  for (const group of groupsOf(space, options.multivariate, options.group)) {
    const c = group.condition;
    if (c !== undefined && config[c.parent] !== c.option) continue;
    // A branch's own split ranks its trials among themselves, so l(x) learns
    // the branch's best settings even while another branch holds the global best.
    const sets =
      c !== undefined && options.branch_split === "local"
        ? weighted(
            splitHistory(
              history.filter((o) => isActive(group, o.config)),
              options,
            ),
            options,
          )
        : globalSets;
    sampleGroup(space, dims, group, sets, rng, options, config);
  }
  return config;
}

interface WeightedSets {
  readonly good: readonly Observation[];
  readonly goodWeights: Float64Array;
  readonly bad: readonly Observation[];
  readonly badWeights: Float64Array;
}

function weighted(split: Split, options: TpeOptions): WeightedSets {
  return {
    good: split.good,
    goodWeights: observationWeights(split.good, options.weights, bestLoss(split.bad)),
    bad: split.bad,
    badWeights: observationWeights(split.bad, options.weights_bad, Number.POSITIVE_INFINITY),
  };
}

function isActive(group: Group, config: Config): boolean {
  for (const p of group.params) if (Number.isNaN(config[p]!)) return false;
  return true;
}

function sampleGroup(
  space: Space,
  allDims: readonly Dim[],
  group: Group,
  { good, goodWeights, bad, badWeights }: WeightedSets,
  rng: Rng,
  options: TpeOptions,
  config: Config,
): void {
  const dims = group.params.map((i) => allDims[i]!);
  const bw: BandwidthOptions = {
    considerEndpoints: options.consider_endpoints,
    floor: options.bandwidth_floor,
    clipExponent: options.consider_magic_clip ? options.magic_clip_exponent : undefined,
    gridFloor: options.grid_bandwidth_floor,
  };
  // Memoised per experiment and updated in place as the history grows, exactly (estimator-cache.ts).
  const l = estimator(dims, group, good, goodWeights, options.weights, options, bw, space, "good");
  const g = estimator(dims, group, bad, badWeights, options.weights_bad, options, bw, space, "bad");

  const nc = options.n_ei_candidates;
  const d = dims.length;
  const cands = allocateCandidates(nc, d);
  l.sample(rng, cands);
  const ll = new Float64Array(nc);
  const lg = new Float64Array(nc);
  l.logDensity(cands, ll, workspace);
  g.logDensity(cands, lg, workspace);
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < nc; i++) {
    const s = ll[i]! - lg[i]!;
    // NaN (−∞ − −∞) never wins; ties keep the earlier draw.
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  for (let j = 0; j < d; j++) config[group.params[j]!] = cands.values[best * d + j]!;
}

function estimator(
  dims: readonly Dim[],
  group: Group,
  set: readonly Observation[],
  weights: Float64Array,
  strategy: TpeOptions["weights"],
  options: TpeOptions,
  bw: BandwidthOptions,
  space: Space,
  role: Role,
): ParzenEstimator {
  const members: Observation[] = [];
  const all = new Float64Array(set.length);
  for (let i = 0; i < set.length; i++) {
    const o = set[i]!;
    if (isActive(group, o.config)) {
      all[members.length] = weights[i]!;
      members.push(o);
    }
  }
  const w = members.length === set.length ? all : all.slice(0, members.length);
  const prior = priorRawWeight(w, strategy, options.prior_weight);
  return cachedEstimator(space, role, group, dims, members, w, prior, options.categorical_prior_weight, bw, workspace);
}
