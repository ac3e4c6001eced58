/**
 * Pruner definitions, typed. The server takes a name and snake_case
 * options; these helpers take camelCase options with the server's defaults
 * (documented in the Parzen README, "Early stopping") and send only those
 * given, so `median()`, `"median"` and `{ name: "median" }` are the same
 * definition when an experiment is created again.
 */
import type { ParamValue } from "./values.js";

/** A pruner by name with its options as the server spells them. */
export interface PrunerSpec {
  name: string;
  options?: Record<string, ParamValue>;
}

interface Common {
  nStartupTrials?: number;
  nWarmupSteps?: number;
  intervalSteps?: number;
  nMinTrials?: number;
}

const spec = (name: string, options: Record<string, ParamValue | undefined>): PrunerSpec => ({
  name,
  options: Object.fromEntries(
    Object.entries(options)
      .filter((e): e is [string, ParamValue] => e[1] !== undefined)
      .map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  ),
});

export const pruners = {
  none: (): PrunerSpec => ({ name: "none" }),
  /** Prunes when the best value so far is worse than the median of COMPLETE trials at the same step. */
  median: (o: Common = {}): PrunerSpec => spec("median", { ...o }),
  /** As median, at another percentile (0-100). */
  percentile: (percentile: number, o: Common = {}): PrunerSpec => spec("percentile", { percentile, ...o }),
  /** Asynchronous successive halving (ASHA). */
  successiveHalving: (
    o: {
      minResource?: number | "auto";
      reductionFactor?: number;
      minEarlyStoppingRate?: number;
      bootstrapCount?: number;
    } = {},
  ): PrunerSpec => spec("successive_halving", { ...o }),
  hyperband: (
    o: { minResource?: number; maxResource?: number | "auto"; reductionFactor?: number; bootstrapCount?: number } = {},
  ): PrunerSpec => spec("hyperband", { ...o }),
  /** Prunes values outside [lower, upper] (and NaN). */
  threshold: (o: { lower?: number; upper?: number; nWarmupSteps?: number; intervalSteps?: number }): PrunerSpec =>
    spec("threshold", { ...o }),
};
