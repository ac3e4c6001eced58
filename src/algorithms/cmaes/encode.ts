/**
 * The flat continuous space CMA-ES searches: one coordinate in [0, 1] per
 * unconditional numeric parameter with more than one value.
 *
 * - Bounded continuous (and log, and log-quantized) domains: their (log)
 *   coordinate range mapped linearly; a decoded value is snapped onto its grid.
 * - Linear int ranges and q/step floats: discrete axes for CMA-ES with
 *   Margin, value k of K+1 at k/K (or, without margin, a continuous axis
 *   over the half-cell-widened range, rounded).
 * - Normal domains: through their prior's CDF, so [0, 1] covers the real line.
 * Everything else (choices, conditional parameters) is left to the
 * fallback (index.ts); single-valued parameters are fixed.
 */
import { ndtr, ndtri } from "../../math/special.js";
import { gridPoint, gridTopIndex } from "../../space/grid.js";
import { numericScale, type NumericScale } from "../../space/scale.js";
import type { ParamSpec, Space } from "../../space/types.js";
import type { DiscreteAxis } from "./cma.js";

export interface Axis {
  readonly param: ParamSpec;
  /** Grid steps in [0, 1] for CMA-ES with Margin (size ≥ 2), else undefined. */
  readonly discrete: { readonly step: number; readonly size: number } | undefined;
  /** A domain value as a coordinate in [0, 1]. */
  toUnit(value: number): number;
  /** A coordinate as a valid domain value (clipped into [0, 1] first). */
  fromUnit(u: number): number;
}

export interface FlatSpace {
  readonly axes: readonly Axis[];
  /** Single-valued unconditional numeric parameters: (index, value). */
  readonly fixed: readonly (readonly [number, number])[];
  /** Discrete axes as CmaState wants them. */
  readonly discreteAxes: readonly DiscreteAxis[];
}

const clip01 = (u: number) => Math.min(Math.max(u, 0), 1);

export function flatSpace(space: Space, withMargin: boolean): FlatSpace {
  const axes: Axis[] = [];
  const fixed: [number, number][] = [];
  for (const p of space.params) {
    const d = p.domain;
    if (p.condition !== undefined || d.type === "choice") continue;
    const s = numericScale(d);
    if (d.type === "normal") {
      axes.push({
        param: p,
        discrete: undefined,
        toUnit: (x) => ndtr((s.toCoord(x) - d.mu) / d.sigma),
        fromUnit: (u) => s.fromCoord(d.mu + d.sigma * ndtri(Math.min(Math.max(u, 1e-12), 1 - 1e-12))),
      });
      continue;
    }
    const linearGrid = !d.log && (d.type === "int" || d.step !== undefined);
    if (linearGrid) {
      const step = d.step!;
      const K = gridTopIndex(d.low, d.high, step);
      const value = (k: number) => (d.type === "int" ? d.low + k * step : gridPoint(d.low, step, k));
      if (K === 0) {
        fixed.push([p.index, d.low]);
        continue;
      }
      if (withMargin) {
        axes.push({
          param: p,
          discrete: { step: 1 / K, size: K + 1 },
          toUnit: (x) => Math.round((x - d.low) / step) / K,
          fromUnit: (u) => value(Math.round(clip01(u) * K)),
        });
        continue;
      }
    }
    if (s.hi === s.lo) {
      fixed.push([p.index, d.low]);
      continue;
    }
    axes.push(continuousAxis(p, s));
  }
  const discreteAxes = axes.flatMap((a, index) =>
    a.discrete === undefined ? [] : [{ index, low: 0, step: a.discrete.step, size: a.discrete.size }],
  );
  return { axes, fixed, discreteAxes };
}

function continuousAxis(param: ParamSpec, s: NumericScale): Axis {
  const width = s.hi - s.lo;
  return {
    param,
    discrete: undefined,
    toUnit: (x) => clip01((s.toCoord(x) - s.lo) / width),
    fromUnit: (u) => s.fromCoord(s.lo + clip01(u) * width),
  };
}
