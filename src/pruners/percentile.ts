/**
 * Median and percentile pruners, with Optuna's semantics: after
 * `n_startup_trials` COMPLETE trials and `n_warmup_steps`, every
 * `interval_steps` steps, prune when the trial's best value so far is worse
 * than the given percentile of the COMPLETE trials' values at the same step
 * (needing at least `n_min_trials` of them). A NaN value is pruned at once.
 */
import { z } from "zod";
import { parseOptionsWith } from "../algorithms/options.js";
import type { Pruner, PruneInput } from "./types.js";
import { valueAt } from "./types.js";

const common = {
  n_startup_trials: z.number().int().min(0).default(5),
  n_warmup_steps: z.number().int().min(0).default(0),
  interval_steps: z.number().int().min(1).default(1),
  n_min_trials: z.number().int().min(1).default(1),
};

const percentileSchema = z.strictObject({ ...common, percentile: z.number().min(0).max(100) });
const medianSchema = z.strictObject(common);

export type PercentileOptions = z.infer<typeof percentileSchema>;

/** Linear-interpolation percentile (NumPy's default), ignoring NaN. */
export function percentileOf(values: number[], q: number): number {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const pos = (q / 100) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

export function percentileDecision({ trial, step, trials, options }: PruneInput<PercentileOptions>): boolean {
  const last = valueAt(trial.curve, step);
  if (last !== undefined && Number.isNaN(last)) return true;
  const completed = trials.filter((t) => t.state === "complete");
  if (completed.length < options.n_startup_trials) return false;
  if (step < options.n_warmup_steps) return false;
  if ((step - options.n_warmup_steps) % options.interval_steps !== 0) return false;
  let best = Number.POSITIVE_INFINITY;
  for (const [s, v] of trial.curve) if (s <= step && v < best) best = v;
  if (best === Number.POSITIVE_INFINITY) return false;
  const atStep: number[] = [];
  for (const t of completed) {
    const v = valueAt(t.curve, step);
    if (v !== undefined) atStep.push(v);
  }
  if (atStep.length < options.n_min_trials) return false;
  const threshold = percentileOf(atStep, options.percentile);
  return !Number.isNaN(threshold) && best > threshold;
}

export const percentilePruner: Pruner<PercentileOptions> = {
  name: "percentile",
  parseOptions: (raw) => parseOptionsWith("pruner percentile", percentileSchema, raw),
  shouldPrune: percentileDecision,
};

export const medianPruner: Pruner<PercentileOptions> = {
  name: "median",
  parseOptions: (raw) => ({ ...parseOptionsWith("pruner median", medianSchema, raw), percentile: 50 }),
  shouldPrune: percentileDecision,
};
