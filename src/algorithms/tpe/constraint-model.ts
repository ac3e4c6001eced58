/**
 * c-TPE's feasibility factors (Watanabe and Hutter 2023, "c-TPE:
 * Tree-structured Parzen Estimator with Inequality Constraints"): for each
 * constraint, a density ratio of the trials that met it against those that
 * broke it, so candidates are drawn toward where every constraint is met as
 * well as where the objective is good. TPE's acquisition for one split is
 * (γ + (1 − γ)·g(x)/l(x))⁻¹ (proportional to expected improvement); c-TPE
 * multiplies the objective's by one such factor per constraint, with γ the
 * share of trials meeting that constraint, and l and g fitted on the trials
 * meeting and breaking it. A constraint every trial meets, or every trial
 * breaks, adds nothing (its factor is constant).
 */
import type { Observation } from "../types.js";
import type { Candidates } from "./parzen-estimator.js";
import type { EstimatorMemo } from "./estimator-memo.js";
import type { TpeWorkspace } from "./workspace.js";

/** The two memos (met, broken) of each constraint of one group, kept by the session. */
export class ConstraintMemos {
  private readonly memos: { met: EstimatorMemo; broken: EstimatorMemo }[] = [];

  constructor(private readonly make: () => EstimatorMemo) {}

  of(k: number): { met: EstimatorMemo; broken: EstimatorMemo } {
    while (this.memos.length <= k) this.memos.push({ met: this.make(), broken: this.make() });
    return this.memos[k]!;
  }
}

/** log((γ + (1 − γ)·e^(lg − ll))⁻¹): TPE's log acquisition for one split, from the two log densities. */
export function logAcquisition(gamma: number, ll: number, lg: number): number {
  const d = lg - ll;
  // log(γ + (1 − γ)·e^d), computed without overflow for large d.
  const a = Math.log(gamma);
  const b = Math.log1p(-gamma) + d;
  const hi = Math.max(a, b);
  return -(hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi)));
}

/**
 * Adds each constraint's log feasibility factor at every candidate to
 * `scores`. `members`: the finished trials with constraints, active in the
 * group (the caller filters). Uniform weights, prior weight 1.
 */
export function addConstraintScores(
  members: readonly Observation[],
  memos: ConstraintMemos,
  cands: Candidates,
  scores: Float64Array,
  ws: TpeWorkspace,
): void {
  if (members.length === 0) return;
  const count = members[0]!.constraints!.length;
  const nc = scores.length;
  const ll = new Float64Array(nc);
  const lg = new Float64Array(nc);
  for (let k = 0; k < count; k++) {
    const met: Observation[] = [];
    const broken: Observation[] = [];
    for (const o of members) (o.constraints![k]! <= 0 ? met : broken).push(o);
    if (met.length === 0 || broken.length === 0) continue;
    const gamma = met.length / members.length;
    const { met: metMemo, broken: brokenMemo } = memos.of(k);
    const l = metMemo.estimator(met, new Float64Array(met.length).fill(1), 1, ws);
    const g = brokenMemo.estimator(broken, new Float64Array(broken.length).fill(1), 1, ws);
    l.logDensity(cands, ll, ws);
    g.logDensity(cands, lg, ws);
    for (let i = 0; i < nc; i++) scores[i]! += logAcquisition(gamma, ll[i]!, lg[i]!);
  }
}
