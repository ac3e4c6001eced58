/**
 * Threshold pruner: prune as soon as a value is NaN or leaves [lower, upper]
 * (bounds on the raw reported values, whatever the direction), after
 * `n_warmup_steps` and every `interval_steps`.
 */
import { z } from "zod";
import { parseOptionsWith } from "../algorithms/options.js";
import { invalidArgument } from "../errors.js";
import type { Pruner, PruneInput } from "./types.js";
import { valueAt } from "./types.js";

const schema = z.strictObject({
  lower: z.number().optional(),
  upper: z.number().optional(),
  n_warmup_steps: z.number().int().min(0).default(0),
  interval_steps: z.number().int().min(1).default(1),
});

export type ThresholdOptions = z.infer<typeof schema>;

export const thresholdPruner: Pruner<ThresholdOptions> = {
  name: "threshold",
  parseOptions: (raw) => {
    const o = parseOptionsWith("pruner threshold", schema, raw);
    if (o.lower === undefined && o.upper === undefined)
      throw invalidArgument('pruner threshold options: give "lower", "upper" or both');
    if (o.lower !== undefined && o.upper !== undefined && !(o.lower <= o.upper)) {
      throw invalidArgument(`pruner threshold options: "lower" (${o.lower}) must not exceed "upper" (${o.upper})`);
    }
    return o;
  },
  shouldPrune({ trial, step, options, maximize }: PruneInput<ThresholdOptions>): boolean {
    const oriented = valueAt(trial.curve, step);
    if (oriented === undefined) return false;
    if (Number.isNaN(oriented)) return true;
    if (step < options.n_warmup_steps || (step - options.n_warmup_steps) % options.interval_steps !== 0) return false;
    const raw = maximize ? -oriented : oriented;
    return (options.lower !== undefined && raw < options.lower) || (options.upper !== undefined && raw > options.upper);
  },
};
