/**
 * How the Parzen estimator sees each parameter: a continuous coordinate
 * (density), a discrete grid (mass of the grid cell), or a categorical
 * (Aitchison–Aitken-style kernel around the observed option, with the
 * choice weights as prior). A TPE session builds them once.
 */
import { spaceScales, type NumericScale } from "../../space/scale.js";
import type { ParamSpec, Space } from "../../space/types.js";

export const CONTINUOUS = 0;
export const DISCRETE = 1;
export const CATEGORICAL = 2;

export interface Dim {
  readonly param: ParamSpec;
  readonly kind: typeof CONTINUOUS | typeof DISCRETE | typeof CATEGORICAL;
  /** Numeric only. */
  readonly scale: NumericScale | undefined;
  /** Coordinate domain (infinite for normal domains). */
  readonly lo: number;
  readonly hi: number;
  /** The prior kernel in the coordinate: centre and σ (midpoint and R when bounded). */
  readonly priorMu: number;
  readonly priorSigma: number;
  /** Categorical only: option count and prior probabilities. */
  readonly options: number;
  readonly choiceWeights: Float64Array;
}

const EMPTY = new Float64Array(0);

/** Every parameter's dim, by parameter index; `scales`: spaceScales(space), when the caller has them. */
export function dimsOf(space: Space, scales: readonly (NumericScale | undefined)[] = spaceScales(space)): Dim[] {
  return space.params.map((param): Dim => {
    const d = param.domain;
    if (d.type === "choice") {
      return {
        param,
        kind: CATEGORICAL,
        scale: undefined,
        lo: 0,
        hi: d.options.length - 1,
        priorMu: 0,
        priorSigma: 1,
        options: d.options.length,
        choiceWeights: d.weights,
      };
    }
    const scale = scales[param.index]!;
    const bounded = Number.isFinite(scale.lo) && Number.isFinite(scale.hi);
    return {
      param,
      kind: scale.discrete ? DISCRETE : CONTINUOUS,
      scale,
      lo: scale.lo,
      hi: scale.hi,
      priorMu: bounded ? 0.5 * (scale.lo + scale.hi) : d.type === "normal" ? d.mu : 0,
      priorSigma: bounded ? scale.hi - scale.lo : d.type === "normal" ? d.sigma : 1,
      options: 0,
      choiceWeights: EMPTY,
    };
  });
}
