/**
 * How the GP sees a search space: each modelled parameter becomes one input
 * dimension.
 *
 * - Numeric parameters map to u ∈ [0, 1] across their coordinate range (log
 *   for log domains; discrete domains widened by half a step, so grid points
 *   sit at cell centres, see space/scale.ts). Unbounded (log-)normal domains
 *   use the box μ ± 3σ in their coordinate.
 * - Int and quantized bounded domains are "grid" dimensions: the acquisition
 *   optimiser moves them only between grid points.
 * - Choices are "categorical" dimensions holding the option index, compared
 *   by Hamming distance in the kernel (no one-hot).
 *
 * The main model covers the unconditional parameters (always active) with
 * more than one possible value; single-valued parameters are fixed. The
 * sampler encodes active conditional branches separately (encodeParams).
 * Pure.
 */
import { gridPoint, gridTopIndex } from "../../space/grid.js";
import { numericScale } from "../../space/scale.js";
import type { Config, ParamSpec, Space } from "../../space/types.js";

export type DimKind = "continuous" | "grid" | "categorical";

export interface Dim {
  readonly param: ParamSpec;
  readonly kind: DimKind;
  /** Number of values for grid and categorical dimensions (Infinity for continuous). */
  readonly count: number;
  /** Internal (config) value → u (u = option index for categoricals). */
  toU(value: number): number;
  /** u → a valid internal value. */
  fromU(u: number): number;
  /** Grid/categorical: u of the k-th value. */
  uAt(k: number): number;
  /** Grid/categorical: index of the value nearest to u. */
  indexOf(u: number): number;
}

export interface Encoding {
  readonly dims: readonly Dim[];
  /** 1 for categorical dimensions (Hamming distance), per dimension. */
  readonly cat: Uint8Array;
  /** Fixed values of single-valued unconditional parameters, by parameter index. */
  readonly fixed: ReadonlyMap<number, number>;
}

/** The main model's encoding (a GP session computes it once). */
export function encodeSpace(space: Space): Encoding {
  return encodeParams(space.params.filter((p) => p.condition === undefined));
}

/** The encoding of any list of parameters (used for conditional branches). */
export function encodeParams(params: readonly ParamSpec[]): Encoding {
  const dims: Dim[] = [];
  const fixed = new Map<number, number>();
  for (const p of params) {
    const dim = makeDim(p);
    if (typeof dim === "number") fixed.set(p.index, dim);
    else dims.push(dim);
  }
  return { dims, cat: Uint8Array.from(dims, (d) => (d.kind === "categorical" ? 1 : 0)), fixed };
}

/** A dimension, or the single value of a parameter that has only one. */
function makeDim(p: ParamSpec): Dim | number {
  const d = p.domain;
  if (d.type === "choice") {
    const count = d.options.length;
    if (count <= 1) return 0;
    const clampIndex = (u: number) => Math.min(Math.max(Math.round(u), 0), count - 1);
    return {
      param: p,
      kind: "categorical",
      count,
      toU: (v) => v,
      fromU: clampIndex,
      uAt: (k) => k,
      indexOf: clampIndex,
    };
  }
  const scale = numericScale(d);
  let lo = scale.lo;
  let hi = scale.hi;
  if (d.type === "normal") {
    lo = d.mu - 3 * d.sigma;
    hi = d.mu + 3 * d.sigma;
  }
  if (!(hi > lo)) return scale.fromCoord(lo);
  const width = hi - lo;
  const toU = (v: number) => clamp01((scale.toCoord(v) - lo) / width);
  const fromU = (u: number) => scale.fromCoord(lo + clamp01(u) * width);
  const grid = gridOf(d);
  if (grid === undefined) {
    return {
      param: p,
      kind: "continuous",
      count: Number.POSITIVE_INFINITY,
      toU,
      fromU,
      uAt: () => Number.NaN,
      indexOf: () => Number.NaN,
    };
  }
  const { count, valueAt, indexOfValue } = grid;
  if (count <= 1) return valueAt(0);
  return {
    param: p,
    kind: "grid",
    count,
    toU,
    fromU,
    uAt: (k) => toU(valueAt(k)),
    indexOf: (u) => indexOfValue(fromU(u)),
  };
}

interface Grid {
  count: number;
  valueAt(k: number): number;
  indexOfValue(v: number): number;
}

function gridOf(d: ParamSpec["domain"]): Grid | undefined {
  if (d.type === "float" && d.step !== undefined) {
    const top = gridTopIndex(d.low, d.high, d.step);
    const { low, step } = d;
    return {
      count: top + 1,
      valueAt: (k) => gridPoint(low, step, k),
      indexOfValue: (v) => Math.min(Math.max(Math.round((v - low) / step), 0), top),
    };
  }
  if (d.type === "int") {
    const top = Math.round((d.high - d.low) / d.step);
    const { low, step } = d;
    return {
      count: top + 1,
      valueAt: (k) => low + k * step,
      indexOfValue: (v) => Math.min(Math.max(Math.round((v - low) / step), 0), top),
    };
  }
  // Continuous, and unbounded quantized normals: treated as continuous, snapped by fromCoord.
  return undefined;
}

function clamp01(u: number): number {
  return u < 0 ? 0 : u > 1 ? 1 : Number.isNaN(u) ? 0.5 : u;
}

/** Encoded features of a configuration (length D); false when a modelled value is missing. */
export function encodeConfig(enc: Encoding, config: Config, out: Float64Array, offset = 0): boolean {
  const dims = enc.dims;
  for (let k = 0; k < dims.length; k++) {
    const v = config[dims[k]!.param.index]!;
    if (Number.isNaN(v)) return false;
    out[offset + k] = dims[k]!.toU(v);
  }
  return true;
}
