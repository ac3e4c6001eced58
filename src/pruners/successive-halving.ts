/**
 * Asynchronous successive halving (ASHA). Rung k is reached at step
 * min_resource · η^(min_early_stopping_rate + k). When a trial first reaches
 * a rung, its value there competes with every other trial's value at that
 * rung; it continues only if it is within the top 1/η (the best one always
 * continues while fewer than η have arrived). The rung values are read off
 * the stored curves: the value at the first reported step at or past the
 * rung, which is exactly when the server evaluated the trial.
 */
import { z } from "zod";
import { parseOptionsWith } from "../algorithms/options.js";
import { maxCompletedStep, type CurvePoint, type Pruner, type PruneInput, type TrialCurve } from "./types.js";

const schema = z.strictObject({
  min_resource: z.union([z.literal("auto"), z.number().int().min(1)]).default("auto"),
  reduction_factor: z.number().int().min(2).default(4),
  min_early_stopping_rate: z.number().int().min(0).default(0),
  bootstrap_count: z.number().int().min(0).default(0),
});

export type SuccessiveHalvingOptions = z.infer<typeof schema>;

/** "auto": a hundredth of the longest completed curve, as Optuna does; undefined until one completes. */
export function resolveMinResource(setting: number | "auto", trials: readonly TrialCurve[]): number | undefined {
  if (setting !== "auto") return setting;
  const max = maxCompletedStep(trials);
  return max === undefined ? undefined : Math.max(Math.ceil(max / 100), 1);
}

/** The value a curve had when it first reached `rungStep`, if it has. */
export function rungValue(curve: readonly CurvePoint[], rungStep: number): number | undefined {
  for (const [s, v] of curve) if (s >= rungStep) return v;
  return undefined;
}

export function successiveHalvingDecision(
  trial: TrialCurve,
  step: number,
  competitors: readonly TrialCurve[],
  minResource: number,
  options: Omit<SuccessiveHalvingOptions, "min_resource">,
): boolean {
  const eta = options.reduction_factor;
  for (let rung = 0; ; rung++) {
    const rungStep = minResource * eta ** (options.min_early_stopping_rate + rung);
    if (step < rungStep) return false;
    const value = rungValue(trial.curve, rungStep);
    if (value === undefined) return false;
    if (Number.isNaN(value)) return true;
    // Only the rung this report just reached is decided now; earlier rungs were decided before.
    const firstStepAtRung = trial.curve.find(([s]) => s >= rungStep)![0];
    if (firstStepAtRung !== step) continue;
    const competing: number[] = [];
    for (const t of competitors) {
      const v = rungValue(t.curve, rungStep);
      if (v !== undefined && !Number.isNaN(v)) competing.push(v);
    }
    if (competing.length <= options.bootstrap_count) return true;
    competing.sort((a, b) => a - b);
    let k = Math.floor(competing.length / eta) - 1;
    if (k < 0) k = 0;
    return value > competing[k]!;
  }
}

export const successiveHalvingPruner: Pruner<SuccessiveHalvingOptions> = {
  name: "successive_halving",
  parseOptions: (raw) => parseOptionsWith("pruner successive_halving", schema, raw),
  shouldPrune({ trial, step, trials, options }: PruneInput<SuccessiveHalvingOptions>): boolean {
    const minResource = resolveMinResource(options.min_resource, trials);
    if (minResource === undefined) return false;
    return successiveHalvingDecision(trial, step, trials, minResource, options);
  },
};
