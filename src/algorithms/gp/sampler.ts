/**
 * `algorithm: gp`: Gaussian-process Bayesian optimisation with log expected
 * improvement. A pure function of (space, history, rng, options).
 *
 * Session: the space's encoding, and the hyperparameter-fit memo it is
 * given (shared-memos.ts; its own otherwise). The GP runs on a worker thread
 * (offload), which gets the history cloned with every job, so the service
 * opens a session per job there; the fit memo, keyed by content and owned by
 * the worker thread, is what carries over from one suggestion to the next.
 *
 * - Startup: until `n_startup_trials` trials have completed (or been
 *   pruned), points of a scrambled-Sobol design (startup.ts).
 * - Model: unconditional parameters only (encode.ts). Losses are negated and
 *   standardised; ±inf clipped to the finite range. Option `warp_outputs`
 *   (default on) first applies a half-rank warp to the poor half (warp.ts). COMPLETE trials are
 *   observations; PRUNED trials count as observations with value
 *   max(last intermediate loss, median complete loss), since the pruner
 *   judged them no better than the median; FAIL and LOST trials are ignored.
 * - Hyperparameters: MAP fit (fit.ts) on a schedule with a memo
 *   (fit-schedule.ts): refitted every few trials, on a subset above 200.
 * - Pending work: RUNNING trials are added as fantasy observations at
 *   min(posterior mean, incumbent) with the fitted hyperparameters (a capped
 *   kriging believer), which drives EI to ~0 at and near them, so parallel
 *   and batch suggestions differ.
 * - Acquisition: log EI, maximised by optimize-acqf.ts.
 * - Constraints (trials that report constraint values, feasible when every
 *   one is ≤ 0): as Optuna's logCEI (acqf.ts, constraints.ts), a GP per
 *   constraint on the same data, the acquisition log EI over the best
 *   FEASIBLE observation plus Σ ln P(c_k ≤ 0); while no observation is
 *   feasible, the log probability of feasibility alone. Beyond
 *   max_observations the subset keeps feasible observations first, then the
 *   least infeasible. Unconstrained experiments are not affected.
 * - Several objectives: refused when the experiment is created (the
 *   algorithm does not declare multiObjective).
 * - Conditional parameters (inside a choice branch) are not in the main
 *   model. Once their parents are chosen, the active ones get a separate GP
 *   fitted on the trials of the same branch (enough of them), else they are
 *   drawn from their prior; see fillConditional.
 */
import { z } from "zod";
import { samplePriorChoice } from "../../space/prior.js";
import { numericScale, samplePriorNumeric } from "../../space/scale.js";
import { conditionHolds, type Config, type Space } from "../../space/types.js";
import type { Rng } from "../../math/rng.js";
import { parseOptionsWith } from "../options.js";
import type { Algorithm, AlgorithmSession, Observation } from "../types.js";
import { type Acquisition, ConstrainedLogEIAcquisition, LogEIAcquisition } from "./acqf.js";
import { constraintModels, isConstrained, violation, withPending } from "./constraints.js";
import { encodeConfig, encodeParams, encodeSpace, type Encoding } from "./encode.js";
import { FitMemo, scheduledFit, standardiseInPlace } from "./fit-schedule.js";
import { GpPosterior } from "./gp.js";
import { optimizeAcquisition } from "./optimize-acqf.js";
import { designPoint } from "./startup.js";
import { boundedRows } from "./subset.js";
import { warpOutputs } from "./warp.js";

const schema = z.strictObject({
  n_startup_trials: z.number().int().min(1).max(1000).default(10),
  deterministic: z.boolean().default(false),
  n_candidates: z.number().int().min(16).max(65536).default(2048),
  n_local_starts: z.number().int().min(1).max(64).default(5),
  warp_outputs: z.boolean().default(true),
  /** Observations the model is fitted on at most: beyond, a subset of the best, the most recent and a spread (subset.ts). */
  max_observations: z.number().int().min(50).max(100_000).default(400),
});

export type GpOptions = z.infer<typeof schema>;

export const gpAlgorithm: Algorithm<GpOptions> = {
  name: "gp",
  // A fit takes tens to hundreds of milliseconds: run it on a worker thread.
  offload: true,
  parseOptions: (raw) => parseOptionsWith("gp", schema, raw),
  open: (space, options, memos) => new GpSession(space, options, memos?.gpFits ?? new FitMemo()),
};

/** What a GP suggestion needs besides the history and rng: the options and the fit memo. */
interface GpContext {
  readonly options: GpOptions;
  readonly fits: FitMemo;
}

class GpSession implements AlgorithmSession {
  /** The main model's encoding of the unconditional parameters. */
  private readonly enc: Encoding;
  private readonly ctx: GpContext;

  constructor(
    private readonly space: Space,
    options: GpOptions,
    fits: FitMemo,
  ) {
    this.enc = encodeSpace(space);
    this.ctx = { options, fits };
  }

  suggest(history: readonly Observation[], rng: Rng): Config {
    const space = this.space;
    const enc = this.enc;
    const ctx = this.ctx;
    const options = ctx.options;
    const D = enc.dims.length;
    const config = new Float64Array(space.params.length).fill(Number.NaN);
    for (const [i, v] of enc.fixed) config[i] = v;
    if (D === 0) return fillConditional(space, config, history, rng, ctx);

    const data = observations(enc, history, options.warp_outputs, options.max_observations);
    let u: Float64Array;
    if (data.y.length < options.n_startup_trials) {
      const p = designPoint(D, history, rng);
      u = new Float64Array(D);
      for (let d = 0; d < D; d++) {
        const dim = enc.dims[d]!;
        u[d] = dim.kind === "categorical" ? Math.min(Math.floor(p[d]! * dim.count), dim.count - 1) : p[d]!;
      }
    } else {
      u = proposeWithGp(enc, data, history, rng, ctx);
    }
    enc.dims.forEach((dim, d) => {
      config[dim.param.index] = dim.fromU(u[d]!);
    });
    return fillConditional(space, config, history, rng, ctx);
  }
}

interface Data {
  /** n×D encoded inputs. */
  X: Float64Array;
  /** Standardised, to be maximised. */
  y: Float64Array;
  /** Negated losses before warping and standardisation. */
  raw: Float64Array;
  /** The trial behind each row. */
  source: Observation[];
  /** Whether the experiment's trials carry constraints (constraints.ts). */
  constrained: boolean;
}

/** Encoded observations from COMPLETE and PRUNED trials (see the module comment). */
export function observations(
  enc: Encoding,
  history: readonly Observation[],
  warp = false,
  cap = Number.POSITIVE_INFINITY,
): Data {
  const D = enc.dims.length;
  const complete: number[] = [];
  for (const o of history)
    if (o.state === "complete" && o.loss !== undefined && !Number.isNaN(o.loss)) complete.push(o.loss);
  const finite = complete.filter(Number.isFinite).sort((a, b) => a - b);
  const lo = finite.length > 0 ? finite[0]! : 0;
  const hi = finite.length > 0 ? finite[finite.length - 1]! : 0;
  const median = finite.length > 0 ? finite[Math.floor((finite.length - 1) / 2)]! : undefined;

  const rows: Float64Array[] = [];
  const losses: number[] = [];
  const sources: Observation[] = [];
  const row = new Float64Array(D);
  for (const o of history) {
    let loss: number;
    if (o.state === "complete") {
      if (o.loss === undefined || Number.isNaN(o.loss)) continue;
      loss = o.loss;
    } else if (o.state === "pruned") {
      if (median === undefined) continue;
      loss = o.loss !== undefined && !Number.isNaN(o.loss) ? Math.max(o.loss, median) : median;
    } else continue;
    if (!encodeConfig(enc, o.config, row)) continue;
    rows.push(Float64Array.from(row));
    losses.push(Math.min(Math.max(loss, lo), hi));
    sources.push(o);
  }
  const constrained = isConstrained(history);
  const kept = boundedRows(losses, cap, constrained ? sources.map(violation) : undefined);
  const n = kept.length;
  const X = new Float64Array(n * D);
  kept.forEach((r, i) => {
    X.set(rows[r]!, i * D);
  });
  const raw = Float64Array.from(kept, (r) => -losses[r]!);
  const target = warp ? warpOutputs(raw) : raw;
  const y = Float64Array.from(target);
  standardiseInPlace(y);
  return { X, y, raw, source: kept.map((r) => sources[r]!), constrained };
}

function proposeWithGp(
  enc: Encoding,
  data: Data,
  history: readonly Observation[],
  rng: Rng,
  { options, fits }: GpContext,
): Float64Array {
  const D = enc.dims.length;
  const n = data.y.length;
  const fit = scheduledFit(fits, data.X, data.raw, D, enc.cat, options.deterministic, options.warp_outputs);
  let post = GpPosterior.create(data.X, data.y, D, enc.cat, fit.hyper);
  if (post === undefined) return designPoint(D, history, rng);

  const constraints = data.constrained
    ? constraintModels(data.X, data.source, D, enc.cat, fits, options.deterministic)
    : [];
  const { index: bestIdx, best } = incumbent(data.y, constraints.length === 0 ? undefined : data.source.map(violation));

  // Pending trials as capped kriging-believer fantasies.
  const pending: Float64Array[] = [];
  const row = new Float64Array(D);
  for (const o of history)
    if (o.state === "running" && encodeConfig(enc, o.config, row)) pending.push(Float64Array.from(row));
  let models = constraints;
  if (pending.length > 0) {
    const q = pending.length;
    const Xq = new Float64Array(q * D);
    pending.forEach((r, i) => {
      Xq.set(r, i * D);
    });
    const mean = new Float64Array(q);
    const variance = new Float64Array(q);
    post.predict(Xq, q, mean, variance);
    const cap = best ?? Number.POSITIVE_INFINITY;
    const yq = Float64Array.from(mean, (m) => Math.min(m, cap));
    post = post.extend(Xq, yq) ?? post;
    if (models.length > 0) models = withPending(models, Xq, q);
  }

  const acq: Acquisition =
    models.length === 0 ? new LogEIAcquisition(post, best!) : new ConstrainedLogEIAcquisition(post, best, models);
  const result = optimizeAcquisition(acq, enc, {
    nCandidates: candidateCount(options.n_candidates, n, D),
    nStarts: startCount(options.n_local_starts, n),
    extraStarts: [data.X.slice(bestIdx * D, (bestIdx + 1) * D)],
    rng,
  });
  return result.x;
}

/**
 * The observation the refinement also starts from, and the incumbent value log EI improves on. Unconstrained
 * (`violations` undefined): the best y (the first of equal ones). Constrained: the best feasible observation
 * (violation 0); while none is feasible there is no incumbent, and the start is the least infeasible one (the
 * first of equal violations).
 */
export function incumbent(
  y: ArrayLike<number>,
  violations?: readonly number[],
): { readonly index: number; readonly best: number | undefined } {
  let bestIdx = 0;
  if (violations === undefined) {
    for (let i = 1; i < y.length; i++) if (y[i]! > y[bestIdx]!) bestIdx = i;
    return { index: bestIdx, best: y[bestIdx] };
  }
  const v = violations;
  for (let i = 1; i < y.length; i++) {
    if (v[i]! < v[bestIdx]! || (v[i] === v[bestIdx] && v[i] === 0 && y[i]! > y[bestIdx]!)) bestIdx = i;
  }
  return { index: bestIdx, best: v[bestIdx] === 0 ? y[bestIdx] : undefined };
}

/**
 * Candidates actually scored: at most 128 per dimension (at least 512), and
 * once scoring each costs O(n²) the count shrinks with n² beyond 100
 * observations (at least 256); local refinement does the fine work.
 */
export function candidateCount(requested: number, n: number, D: number): number {
  const m = Math.min(requested, Math.max(512, 128 * D));
  if (n <= 100) return m;
  return Math.min(m, Math.max(256, Math.round((m * 100 * 100) / (n * n))));
}

/** Local refinements: as requested, at most 3 beyond 300 observations (every refinement step is O(n²) there). */
export function startCount(requested: number, n: number): number {
  return n > 300 ? Math.min(requested, 3) : requested;
}

/**
 * Conditional parameters, level by level once their parents are chosen: the
 * newly active ones get their own GP over the trials in which all of them
 * were active (same branch), once there are n_startup_trials of those;
 * otherwise they are drawn from their prior. The branch GP sees only the
 * branch's own parameters, not the unconditional ones.
 */
function fillConditional(
  space: Space,
  config: Config,
  history: readonly Observation[],
  rng: Rng,
  ctx: GpContext,
): Config {
  const { options } = ctx;
  for (let level = 0; level < space.params.length; level++) {
    const active = space.params.filter(
      (p) => p.condition !== undefined && Number.isNaN(config[p.index]!) && conditionHolds(p, config),
    );
    if (active.length === 0) break;
    const enc = encodeParams(active);
    for (const [i, v] of enc.fixed) config[i] = v;
    if (enc.dims.length > 0) {
      const data = observations(enc, history, options.warp_outputs, options.max_observations);
      if (data.y.length >= options.n_startup_trials) {
        const u = proposeWithGp(enc, data, history, rng, ctx);
        enc.dims.forEach((dim, d) => {
          config[dim.param.index] = dim.fromU(u[d]!);
        });
      }
    }
    for (const p of active) {
      if (!Number.isNaN(config[p.index]!)) continue;
      const d = p.domain;
      config[p.index] = d.type === "choice" ? samplePriorChoice(d, rng) : samplePriorNumeric(d, numericScale(d), rng);
    }
  }
  return config;
}
