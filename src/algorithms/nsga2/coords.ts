/**
 * Where crossover works: each numeric parameter's modelling coordinate
 * (space/scale.ts: log for log domains, widened by half a step for grids)
 * mapped onto [0, 1] over its range, as Optuna's transform does, so that
 * parameters of different ranges weigh alike in the multi-parent operators.
 * Unbounded (log-)normal priors are standardised instead and have no bounds.
 * Back from a coordinate, a value is snapped to its grid and kept in range.
 */
import { spaceScales } from "../../space/scale.js";
import type { Space } from "../../space/types.js";

export interface Coord {
  readonly lower: number;
  readonly upper: number;
  toUnit(x: number): number;
  fromUnit(u: number): number;
}

/** One Coord per parameter (undefined for choices). */
export function spaceCoords(space: Space): (Coord | undefined)[] {
  const scales = spaceScales(space);
  return space.params.map((p, i) => {
    const s = scales[i];
    const d = p.domain;
    if (s === undefined || d.type === "choice") return undefined;
    if (d.type === "normal") {
      return {
        lower: Number.NEGATIVE_INFINITY,
        upper: Number.POSITIVE_INFINITY,
        toUnit: (x) => (s.toCoord(x) - d.mu) / d.sigma,
        fromUnit: (u) => s.fromCoord(d.mu + u * d.sigma),
      };
    }
    const width = s.hi - s.lo;
    return {
      lower: 0,
      upper: 1,
      toUnit: (x) => (s.toCoord(x) - s.lo) / width,
      fromUnit: (u) => s.fromCoord(s.lo + Math.min(Math.max(u, 0), 1) * width),
    };
  });
}
