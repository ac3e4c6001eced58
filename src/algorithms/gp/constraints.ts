/**
 * The GP's view of constraints (trials report values c_k, feasible when
 * every c_k ≤ 0, Optuna's convention), after Optuna's GPSampler:
 *
 * - one GP per constraint, on the observations that carry constraints, with
 *   the same kernel, prior and fit schedule as the objective's (no output
 *   warp: the sign of c_k, not its rank, is what matters). Values are
 *   standardised, z = (c − m)/s, so feasibility is z ≤ t with t = −m/s;
 * - pending (running) trials are fantasised at max(posterior mean, t): no
 *   more feasible than the boundary, so a batch does not pile onto the one
 *   point most likely to be feasible, as the objective's capped believer
 *   keeps it off the incumbent.
 *
 * A trial without constraints in an experiment whose trials carry them
 * (reported before the first constrained one, or pruned without them) is
 * not known to be feasible, so it counts as infeasible (as GetBest treats
 * it) and is left out of the constraint GPs. Pure.
 */
import type { ConstraintModel } from "./acqf.js";
import type { Observation } from "../types.js";
import { type FitMemo, scheduledFit } from "./fit-schedule.js";
import { GpPosterior } from "./gp.js";

/** Whether any finished trial carries constraints: then the GP's search is constrained. */
export function isConstrained(history: readonly Observation[]): boolean {
  for (const o of history)
    if (o.constraints !== undefined && (o.state === "complete" || o.state === "pruned")) return true;
  return false;
}

/** Σ max(c_k, 0): 0 for a feasible trial, +Infinity for one without constraints. */
export function violation(o: Observation): number {
  const c = o.constraints;
  if (c === undefined) return Number.POSITIVE_INFINITY;
  let v = 0;
  for (const x of c) if (x > 0) v += x;
  return v;
}

/**
 * One GP per constraint over the rows of X (n×D) whose observation in
 * `sources` carries constraints; a constraint whose covariance cannot be
 * factored is left out.
 */
export function constraintModels(
  X: Float64Array,
  sources: readonly Observation[],
  D: number,
  cat: Uint8Array,
  fits: FitMemo,
  deterministic: boolean,
): ConstraintModel[] {
  const rows: number[] = [];
  let count = -1;
  sources.forEach((o, i) => {
    const c = o.constraints;
    if (c === undefined) return;
    if (count < 0) count = c.length;
    if (c.length === count) rows.push(i);
  });
  const n = rows.length;
  if (n === 0) return [];
  const Xc = new Float64Array(n * D);
  rows.forEach((i, r) => {
    Xc.set(X.subarray(i * D, (i + 1) * D), r * D);
  });
  const models: ConstraintModel[] = [];
  for (let k = 0; k < count; k++) {
    const raw = Float64Array.from(rows, (i) => sources[i]!.constraints![k]!);
    const fit = scheduledFit(fits, Xc, raw, D, cat, deterministic, false);
    let mean = 0;
    for (const v of raw) mean += v / n;
    let s2 = 0;
    for (const v of raw) s2 += (v - mean) ** 2 / n;
    const std = Math.max(Math.sqrt(s2), 1e-10);
    const z = Float64Array.from(raw, (v) => (v - mean) / std);
    const post = GpPosterior.create(Xc, z, D, cat, fit.hyper);
    if (post !== undefined) models.push({ post, threshold: -mean / std });
  }
  return models;
}

/** The models after also observing the pending points Xq (q×D) at max(posterior mean, threshold). */
export function withPending(models: readonly ConstraintModel[], Xq: Float64Array, q: number): ConstraintModel[] {
  return models.map(({ post, threshold }) => {
    const mean = new Float64Array(q);
    const variance = new Float64Array(q);
    post.predict(Xq, q, mean, variance);
    const zq = Float64Array.from(mean, (m) => Math.max(m, threshold));
    return { post: post.extend(Xq, zq) ?? post, threshold };
  });
}
