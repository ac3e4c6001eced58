/**
 * The categorical dimensions of a Parzen estimator. Kernel k puts
 * (a·pᶜ + [c = v]) / (a + 1) on option c, where v is its observed option,
 * a = categorical_prior_weight·C/(n+1) and pᶜ the choice weights; the prior
 * kernel is p itself. A kernel's log-probability of an option thus takes
 * one of three values (on: c = v, off: c ≠ v, prior), tabulated here per
 * dimension when n changes so that scoring looks them up instead of taking logs.
 */
import type { Dim } from "./dims.js";

export class CategoricalKernels {
  /** Per categorical dim j: a, and per option log(a·p + 1) − log(a + 1), log(a·p) − log(a + 1), log p. */
  readonly a: Float64Array;
  readonly on: (Float64Array | undefined)[];
  readonly off: (Float64Array | undefined)[];
  readonly prior: (Float64Array | undefined)[];
  private readonly priorWeight: number;

  /** For d dimensions (only the categorical ones are filled in) and the categorical_prior_weight option. */
  constructor(d: number, priorWeight: number) {
    this.priorWeight = priorWeight;
    this.a = new Float64Array(d);
    this.on = new Array(d);
    this.off = new Array(d);
    this.prior = new Array(d);
  }

  /** Tabulates dimension j for n observation kernels; returns the largest log-probability any kernel gives any option (the density's pruning bound). */
  set(j: number, dim: Dim, n: number): number {
    const c = dim.options;
    const a = (this.priorWeight * c) / (n + 1);
    const logDen = Math.log(a + 1);
    const on = new Float64Array(c);
    const off = new Float64Array(c);
    const prior = new Float64Array(c);
    for (let o = 0; o < c; o++) {
      const p = dim.choiceWeights[o]!;
      on[o] = Math.log(a * p + 1) - logDen;
      off[o] = Math.log(a * p) - logDen;
      prior[o] = Math.log(p);
    }
    let best = Number.NEGATIVE_INFINITY;
    for (let o = 0; o < c; o++) best = Math.max(best, on[o]!, prior[o]!);
    this.a[j] = a;
    this.on[j] = on;
    this.off[j] = off;
    this.prior[j] = prior;
    return best;
  }
}
