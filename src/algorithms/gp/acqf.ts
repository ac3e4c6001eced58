/**
 * Acquisition functions as optimize-acqf.ts maximises them: a batch score
 * and a value with its gradient over the encoded inputs.
 *
 * - LogEIAcquisition: log expected improvement over the incumbent.
 * - ConstrainedLogEIAcquisition (Optuna's logCEI, after Gardner et al. 2014):
 *   log EI over the best FEASIBLE observation plus, for each constraint,
 *   ln P(c_k(x) ≤ t_k) under that constraint's own GP, constraints taken as
 *   independent. While no observation is feasible there is no incumbent, and
 *   the acquisition is the log probability of feasibility alone.
 */
import { type LogH, logEI, logEIWithGradient, logProbBelow, logProbBelowWithGradient } from "./acquisition.js";
import type { GpPosterior } from "./gp.js";

export interface Acquisition {
  /** The objective's GP: its length scales set the refinement's units, its size the refinement's budget. */
  readonly post: GpPosterior;
  /** Values at the m rows of P (m×D). */
  score(P: Float64Array, m: number): Float64Array;
  /** The value at x; writes ∂/∂x_d into grad for the dimensions flagged in `active`, 0 for the others. */
  valueAndGradient(x: Float64Array, active: Uint8Array, grad: Float64Array): number;
}

/** A GP posterior with the scratch memory its gradient needs. */
class GradientModel {
  readonly work: Float64Array;
  readonly dMean: Float64Array;
  readonly dVar: Float64Array;

  constructor(readonly post: GpPosterior) {
    this.work = new Float64Array(3 * post.n);
    this.dMean = new Float64Array(post.D);
    this.dVar = new Float64Array(post.D);
  }

  predict(P: Float64Array, m: number): { mean: Float64Array; variance: Float64Array } {
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    this.post.predict(P, m, mean, variance);
    return { mean, variance };
  }

  predictWithGradient(x: Float64Array, active: Uint8Array): [number, number] {
    return this.post.predictWithGradient(x, active, this.dMean, this.dVar, this.work);
  }
}

export class LogEIAcquisition implements Acquisition {
  private readonly model: GradientModel;
  private readonly scratch: LogH = { logH: 0, cdfOverH: 0, pdfOverH: 0 };

  constructor(
    readonly post: GpPosterior,
    private readonly best: number,
  ) {
    this.model = new GradientModel(post);
  }

  score(P: Float64Array, m: number): Float64Array {
    const { mean, variance } = this.model.predict(P, m);
    const out = new Float64Array(m);
    for (let r = 0; r < m; r++) out[r] = logEI(mean[r]!, variance[r]!, this.best);
    return out;
  }

  valueAndGradient(x: Float64Array, active: Uint8Array, grad: Float64Array): number {
    const [mu, v] = this.model.predictWithGradient(x, active);
    const [val, dmu, dv] = logEIWithGradient(mu, v, this.best, this.scratch);
    const { dMean, dVar } = this.model;
    for (let d = 0; d < grad.length; d++) grad[d] = dmu * dMean[d]! + dv * dVar[d]!;
    return val;
  }
}

/** One constraint's GP, on standardised values; feasible where the value is at most `threshold`. */
export interface ConstraintModel {
  readonly post: GpPosterior;
  readonly threshold: number;
}

export class ConstrainedLogEIAcquisition implements Acquisition {
  private readonly objective: LogEIAcquisition | undefined;
  private readonly constraints: { model: GradientModel; threshold: number }[];

  /** `best`: the best feasible observation (standardised), undefined while none is feasible. */
  constructor(
    readonly post: GpPosterior,
    best: number | undefined,
    constraints: readonly ConstraintModel[],
  ) {
    this.objective = best === undefined ? undefined : new LogEIAcquisition(post, best);
    this.constraints = constraints.map((c) => ({ model: new GradientModel(c.post), threshold: c.threshold }));
  }

  score(P: Float64Array, m: number): Float64Array {
    const out = this.objective?.score(P, m) ?? new Float64Array(m);
    for (const { model, threshold } of this.constraints) {
      const { mean, variance } = model.predict(P, m);
      for (let r = 0; r < m; r++) out[r] = out[r]! + logProbBelow(mean[r]!, variance[r]!, threshold);
    }
    return out;
  }

  valueAndGradient(x: Float64Array, active: Uint8Array, grad: Float64Array): number {
    let value = 0;
    if (this.objective === undefined) grad.fill(0);
    else value = this.objective.valueAndGradient(x, active, grad);
    for (const { model, threshold } of this.constraints) {
      const [mu, v] = model.predictWithGradient(x, active);
      const [val, dmu, dv] = logProbBelowWithGradient(mu, v, threshold);
      value += val;
      const { dMean, dVar } = model;
      for (let d = 0; d < grad.length; d++) grad[d] = grad[d]! + dmu * dMean[d]! + dv * dVar[d]!;
    }
    return value;
  }
}
