/**
 * TPE's suggest: split the history into good and bad trials, and for each
 * active group of parameters (parents first) fit l(x) on the good and g(x)
 * on the bad trials in which the group is active, draw candidates from l
 * and keep the one maximising log l − log g. Before enough trials have
 * finished, configurations come from the prior. Pure.
 *
 * TpeSession holds what one experiment's suggestions share: the space's
 * scales, dims and groups, each group's two estimator memos
 * (estimator-memo.ts) and the scratch workspace (workspace.ts). It keeps
 * nothing that could change a suggestion: a fresh session suggests the same.
 */
import type { Rng } from "../../math/rng.js";
import { samplePrior } from "../../space/prior.js";
import { spaceScales, type NumericScale } from "../../space/scale.js";
import type { Config, Space } from "../../space/types.js";
import type { AlgorithmSession, Observation, SuggestContext } from "../types.js";
import { dimsOf, type Dim } from "./dims.js";
import { EstimatorMemo } from "./estimator-memo.js";
import { groupsOf, type Group } from "./groups.js";
import type { TpeOptions } from "./options.js";
import { bestCandidate } from "./candidates.js";
import { allocateCandidates, type BandwidthOptions } from "./parzen-estimator.js";
import { addConstraintScores, ConstraintMemos, logAcquisition } from "./constraint-model.js";
import { hasOutcomes, splitWithOutcomes } from "./outcome-split.js";
import { compareFinished, splitHistory, type Split } from "./split.js";
import { bestLoss, farFieldPrior, observationWeights, priorRawWeight } from "./weights.js";
import { TpeWorkspace } from "./workspace.js";

/** A group of parameters with its dims and the memos of its l(x) (good) and g(x) (bad). */
interface GroupModel {
  readonly group: Group;
  readonly dims: readonly Dim[];
  readonly good: EstimatorMemo;
  readonly bad: EstimatorMemo;
  /** c-TPE's per-constraint estimators (constraint-model.ts). */
  readonly constraints: ConstraintMemos;
}

interface WeightedSets {
  readonly good: readonly Observation[];
  readonly goodWeights: Float64Array;
  readonly bad: readonly Observation[];
  readonly badWeights: Float64Array;
}

export class TpeSession implements AlgorithmSession {
  private readonly scales: readonly (NumericScale | undefined)[];
  /** Parents' groups first (groups.ts). */
  private readonly models: readonly GroupModel[];
  private readonly ws = new TpeWorkspace();
  /** The last suggestion with everything it was computed from (see `suggest`). */
  private last: LastSuggestion | undefined;
  /** Suggestions handed back from `last` (diagnostics, tests). */
  memoHits = 0;
  /** Of those, the ones the one-observation check decided, without splitting the history (diagnostics, tests). */
  quickHits = 0;

  constructor(
    private readonly space: Space,
    private readonly options: TpeOptions,
  ) {
    this.scales = spaceScales(space);
    const dims = dimsOf(space, this.scales);
    const bw: BandwidthOptions = {
      considerEndpoints: options.consider_endpoints,
      floor: options.bandwidth_floor,
      clipExponent: options.consider_magic_clip ? options.magic_clip_exponent : undefined,
      gridFloor: options.grid_bandwidth_floor,
    };
    this.models = groupsOf(space, options.multivariate, options.group).map((group) => {
      const groupDims = group.params.map((i) => dims[i]!);
      const memo = () => new EstimatorMemo(groupDims, options.categorical_prior_weight, bw);
      const good = new EstimatorMemo(
        groupDims,
        options.categorical_prior_weight,
        goodBandwidths(bw, options, groupDims),
      );
      return { group, dims: groupDims, good, bad: memo(), constraints: new ConstraintMemos(memo) };
    });
  }

  /**
   * With a context, the last suggestion is kept with its inputs (the seed,
   * the trial number, and each set's members and weights: all that the
   * groups' sampling reads), and a call whose inputs are the same gets it
   * back without sampling again: the result of a pure function of equal
   * inputs. The service uses this to compute a lone worker's next suggestion
   * ahead (use-cases/suggest.ts); a history that differs in anything TPE reads
   * is computed afresh.
   */
  suggest(history: readonly Observation[], rng: Rng, context?: SuggestContext): Config {
    // The one-trip loop's common case, checked first because it is O(1) per observation: the same
    // observations as last time but the one trial just reported, which stays out of the good set.
    if (context !== undefined && this.last !== undefined && quickSame(this.last, history, context)) {
      this.memoHits++;
      this.quickHits++;
      return this.last.config.slice();
    }
    const space = this.space;
    const options = this.options;
    // Several objectives or constraints: Optuna's split and weights (outcome-split.ts); else the fast path.
    const outcomes = hasOutcomes(history);
    const setsOf = (h: readonly Observation[]): WeightedSets & { finished: number } =>
      outcomes ? splitWithOutcomes(h, options) : weighted(splitHistory(h, options), options);
    const globalSets = setsOf(history);
    if (globalSets.finished === 0 || globalSets.finished < options.n_startup_trials) {
      return samplePrior(space, rng, this.scales);
    }
    const memoable = context !== undefined && this.memoable(outcomes);
    if (memoable && this.last !== undefined && sameInputs(this.last.inputs, context, globalSets)) {
      this.memoHits++;
      return this.last.config.slice();
    }

    const config = new Float64Array(space.params.length).fill(Number.NaN);
    for (const model of this.models) {
      const c = model.group.condition;
      if (c !== undefined && config[c.parent] !== c.option) continue;
      // A branch's own split ranks its trials among themselves, so l(x) learns
      // the branch's best settings even while another branch holds the global best.
      const sets =
        c !== undefined && options.branch_split === "local"
          ? setsOf(history.filter((o) => isActive(model.group, o.config)))
          : globalSets;
      this.sampleGroup(model, sets, rng, config, outcomes ? constrainedMembers(history, model.group) : []);
    }
    if (memoable)
      this.last = {
        inputs: suggestInputs(context, globalSets),
        config: config.slice(),
        // A copy: the caller's array may be its live history, updated in place later.
        history: history.slice(),
        worstGood: worstOf(globalSets.good),
        threshold: bestLoss(globalSets.bad),
      };
    return config;
  }

  /** Whether the global split's sets are all a suggestion reads (no outcomes, no branch's own split). */
  private memoable(outcomes: boolean): boolean {
    if (outcomes) return false;
    return this.options.branch_split !== "local" || this.models.every((m) => m.group.condition === undefined);
  }

  private sampleGroup(
    model: GroupModel,
    { good, goodWeights, bad, badWeights }: WeightedSets,
    rng: Rng,
    config: Config,
    constrained: readonly Observation[],
  ): void {
    const { group, dims, good: goodMemo, bad: badMemo } = model;
    const options = this.options;
    const ws = this.ws;
    // Memoised per group and updated in place as the history grows, exactly (estimator-memo.ts).
    const gm = activeMembers(group, good, goodWeights);
    const bm = activeMembers(group, bad, badWeights);
    const lPrior = priorRawWeight(gm.weights, options.weights, options.prior_weight);
    let gPrior = priorRawWeight(bm.weights, options.weights_bad, options.prior_weight);
    // Far from every trial only the priors are left: keep l/g there bounded as the bad set grows (options.ts).
    if (options.far_field_bound > 0)
      gPrior = farFieldPrior(lPrior, gm.weights, gPrior, bm.weights, options.far_field_bound);
    const l = goodMemo.estimator(gm.members, gm.weights, lPrior, ws);
    const g = badMemo.estimator(bm.members, bm.weights, gPrior, ws);

    const nc = options.n_ei_candidates;
    const d = dims.length;
    const cands = allocateCandidates(nc, d);
    l.sample(rng, cands);
    const ll = new Float64Array(nc);
    const lg = new Float64Array(nc);
    l.logDensity(cands, ll, ws);
    let best = 0;
    if (constrained.length > 0 && options.constraint_model === "density") {
      // c-TPE: the objective's acquisition in its EI form, times each constraint's feasibility factor.
      g.logDensity(cands, lg, ws);
      const gamma = good.length / (good.length + bad.length);
      const scores = new Float64Array(nc);
      for (let i = 0; i < nc; i++) scores[i] = logAcquisition(gamma, ll[i]!, lg[i]!);
      addConstraintScores(constrained, model.constraints, cands, scores, ws);
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < nc; i++) {
        const s = scores[i]!;
        // NaN never wins; ties keep the earlier draw.
        if (s > bestScore) {
          bestScore = s;
          best = i;
        }
      }
    } else {
      // The largest log l − log g, computing g only where it can win (candidates.ts).
      best = bestCandidate(g, cands, ll, lg, ws);
    }
    for (let j = 0; j < d; j++) config[group.params[j]!] = cands.values[best * d + j]!;
  }
}

/**
 * l(x)'s bandwidth rule: g(x)'s, except that the outermost good kernels in
 * each dimension reach good_endpoint_reach/d² of the way to the domain edge
 * (hyperopt's rule for one parameter). The good set's spread then extends
 * past its outermost trials towards unexplored space, so a narrow optimum off
 * the good set's hull can still be drawn; the reach shrinks with the group's
 * size because in d dimensions most good kernels are outermost in some
 * dimension and widening them all costs exploitation (bench/RESULTS.md),
 * and only groups of at most good_endpoint_max_params get it at all.
 */
function goodBandwidths(bw: BandwidthOptions, options: TpeOptions, dims: readonly Dim[]): BandwidthOptions {
  if (bw.considerEndpoints || options.good_endpoint_reach === 0) return bw;
  const most = options.good_endpoint_max_params;
  if (most > 0 && dims.length > most) return bw;
  return { ...bw, considerEndpoints: true, endpointReach: options.good_endpoint_reach / dims.length ** 2 };
}

/** What a suggestion without outcomes is a function of, given the session (space, options). */
interface SuggestInputs {
  readonly seed: number;
  readonly trialNumber: number;
  /** The sets and weights themselves, not copies: a call's split makes new arrays, and nothing changes them after. */
  readonly good: readonly Observation[];
  readonly goodWeights: Float64Array;
  readonly bad: readonly Observation[];
  readonly badWeights: Float64Array;
}

interface LastSuggestion {
  readonly inputs: SuggestInputs;
  readonly config: Config;
  /** The observations it was computed from (the objects themselves: the service replaces, never edits, one). */
  readonly history: readonly Observation[];
  /** The good set's lowest-ranked member, and the bad set's best loss (EI's threshold). */
  readonly worstGood: Observation | undefined;
  readonly threshold: number;
}

/**
 * Whether `history` gives the same split and weights as `last.history`
 * without splitting it: the same observation objects (observations are
 * replaced, never edited) but at most one, the same trial, finished before
 * and after (so N and γ(N) stay), out of the good set before and ranked
 * below its lowest member after (so the good set stays), and moving neither
 * below nor off the bad set's best loss (so the EI weights stay; the bad
 * set's weights never read losses). False is no verdict: the full check runs.
 */
function quickSame(last: LastSuggestion, history: readonly Observation[], context: SuggestContext): boolean {
  const before = last.history;
  if (last.inputs.seed !== context.seed || last.inputs.trialNumber !== context.trialNumber) return false;
  if (before.length !== history.length) return false;
  let changed = -1;
  for (let i = 0; i < history.length; i++) {
    if (history[i] === before[i]) continue;
    if (changed >= 0) return false;
    changed = i;
  }
  if (changed < 0) return true;
  const was = before[changed]!;
  const now = history[changed]!;
  if (now.number !== was.number || !sameConfig(now.config, was.config)) return false;
  if (now.values !== undefined || now.constraints !== undefined) return false;
  if (!isFinished(was) || !isFinished(now) || last.worstGood === undefined) return false;
  if (hasNumber(last.inputs.good, was.number) || compareFinished(now, last.worstGood) <= 0) return false;
  const threshold = last.threshold;
  const wasLoss = thresholdLoss(was);
  return (wasLoss > threshold || wasLoss === Number.POSITIVE_INFINITY) && thresholdLoss(now) >= threshold;
}

function isFinished(o: Observation): boolean {
  return o.state === "complete" || o.state === "pruned";
}

/** What `o` brings to the bad set's best loss (bestLoss): its loss if COMPLETE and a number, else +∞. */
function thresholdLoss(o: Observation): number {
  return o.state === "complete" && o.loss !== undefined && !Number.isNaN(o.loss) ? o.loss : Number.POSITIVE_INFINITY;
}

function sameConfig(a: Config, b: Config): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The lowest-ranked member of a set of finished trials (split.ts's order). */
function worstOf(set: readonly Observation[]): Observation | undefined {
  let worst: Observation | undefined;
  for (const o of set) if (worst === undefined || compareFinished(o, worst) > 0) worst = o;
  return worst;
}

function suggestInputs(context: SuggestContext, sets: WeightedSets): SuggestInputs {
  return {
    seed: context.seed,
    trialNumber: context.trialNumber,
    good: sets.good,
    goodWeights: sets.goodWeights,
    bad: sets.bad,
    badWeights: sets.badWeights,
  };
}

function hasNumber(set: readonly Observation[], number: number): boolean {
  for (let i = 0; i < set.length; i++) if (set[i]!.number === number) return true;
  return false;
}

/** Whether `context` and `sets` are what `inputs` was made of (without allocating: the hit is the hot path). */
function sameInputs(inputs: SuggestInputs, context: SuggestContext, sets: WeightedSets): boolean {
  return (
    inputs.seed === context.seed &&
    inputs.trialNumber === context.trialNumber &&
    sameMembers(inputs.good, sets.good) &&
    sameWeights(inputs.goodWeights, sets.goodWeights) &&
    sameMembers(inputs.bad, sets.bad) &&
    sameWeights(inputs.badWeights, sets.badWeights)
  );
}

/** The same trials with the same configurations (by reference first: the service keeps a trial's array). */
function sameMembers(was: readonly Observation[], set: readonly Observation[]): boolean {
  if (was.length !== set.length) return false;
  for (let i = 0; i < was.length; i++) {
    const a = was[i]!;
    const b = set[i]!;
    if (a.number !== b.number || !sameConfig(a.config, b.config)) return false;
  }
  return true;
}

function sameWeights(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function weighted(split: Split, options: TpeOptions): WeightedSets & { finished: number } {
  return {
    finished: split.finished,
    good: split.good,
    goodWeights: observationWeights(split.good, options.weights, bestLoss(split.bad)),
    bad: split.bad,
    badWeights: observationWeights(split.bad, options.weights_bad, Number.POSITIVE_INFINITY),
  };
}

/** The finished trials that carry constraints and are active in `group`: what c-TPE's factors are fitted on. */
function constrainedMembers(history: readonly Observation[], group: Group): Observation[] {
  const out: Observation[] = [];
  for (const o of history)
    if ((o.state === "complete" || o.state === "pruned") && o.constraints !== undefined && isActive(group, o.config))
      out.push(o);
  return out;
}

function isActive(group: Group, config: Config): boolean {
  for (const p of group.params) if (Number.isNaN(config[p]!)) return false;
  return true;
}

function allActive(group: Group, set: readonly Observation[]): boolean {
  const params = group.params;
  const np = params.length;
  for (let i = 0; i < set.length; i++) {
    const config = set[i]!.config;
    for (let q = 0; q < np; q++) if (Number.isNaN(config[params[q]!]!)) return false;
  }
  return true;
}

/** The members of `set` active in `group`, with their weights. */
function activeMembers(
  group: Group,
  set: readonly Observation[],
  weights: Float64Array,
): { members: readonly Observation[]; weights: Float64Array } {
  // Every member active (a group without conditions): the set itself, no copies (neither is changed later).
  if (allActive(group, set)) return { members: set, weights };
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
  return { members, weights: w };
}
