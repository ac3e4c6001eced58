/**
 * The pruner interface. Pruners are pure functions of the trial's learning
 * curve and the other trials' curves: no I/O, no clocks, so decisions are
 * reproducible and testable on hand-made histories.
 */
import type { TrialState } from "../domain/trial-state.js";
import type { Scalar } from "../space/types.js";

/** One point of a learning curve: [step, value] (value may be NaN). */
export type CurvePoint = readonly [number, number];

export interface TrialCurve {
  readonly number: number;
  readonly state: TrialState;
  /**
   * Intermediate values in step order, oriented for minimisation (negated
   * when the experiment maximises), so pruners only ever minimise.
   */
  readonly curve: readonly CurvePoint[];
}

export interface PruneInput<O> {
  /** The trial that just reported; its curve ends with `step` (if that step was new). */
  readonly trial: TrialCurve;
  /** The step just reported. */
  readonly step: number;
  /** Every trial of the experiment, the current one included, in number order. */
  readonly trials: readonly TrialCurve[];
  readonly options: O;
  /** Experiment name: seeds deterministic bracket assignment (hyperband). */
  readonly experiment: string;
  /** True when the experiment maximises (the curves are already negated). */
  readonly maximize: boolean;
}

export interface Pruner<O = unknown> {
  readonly name: string;
  parseOptions(raw: Readonly<Record<string, Scalar>>): O;
  shouldPrune(input: PruneInput<O>): boolean;
}

/** The value a curve reported at `step`, if any (binary search). */
export function valueAt(curve: readonly CurvePoint[], step: number): number | undefined {
  let lo = 0;
  let hi = curve.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = curve[mid]![0];
    if (s === step) return curve[mid]![1];
    if (s < step) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Largest step among COMPLETE trials (drives the "auto" resource settings). */
export function maxCompletedStep(trials: readonly TrialCurve[]): number | undefined {
  let max: number | undefined;
  for (const t of trials) {
    if (t.state !== "complete" || t.curve.length === 0) continue;
    const s = t.curve[t.curve.length - 1]![0];
    if (max === undefined || s > max) max = s;
  }
  return max;
}
