/**
 * The continuous coordinate in which algorithms model a numeric parameter:
 * log(x) for log domains, x otherwise. For discrete domains (int, quantized)
 * the coordinate range is widened by half a step on each side, so that
 * rounding a uniform draw gives every grid point a whole cell of mass.
 */
import type { Rng } from "../math/rng.js";
import { gridTopIndex, snapToGrid, snapToMultiple } from "./grid.js";
import type { BoundedFloatDomain, IntDomain, NormalDomain, Space } from "./types.js";

export type NumericDomain = BoundedFloatDomain | IntDomain | NormalDomain;

export interface NumericScale {
  readonly log: boolean;
  /** Coordinate range; infinite for (log-)normal domains. */
  readonly lo: number;
  readonly hi: number;
  /** Half-width of a grid cell in the coordinate (0 for continuous domains); for log grids it varies, so this is 0 and `cell` is used. */
  readonly discrete: boolean;
  /** Natural value → coordinate. */
  toCoord(x: number): number;
  /** Coordinate → the nearest valid value of the domain. */
  fromCoord(t: number): number;
  /**
   * The coordinate interval of the grid cell around a valid value (for
   * probability masses of discrete values); [t, t] for continuous domains.
   */
  cell(x: number): [number, number];
}

const identity = (x: number): number => x;

export function numericScale(domain: NumericDomain): NumericScale {
  switch (domain.type) {
    case "float":
      return domain.step === undefined
        ? continuousScale(domain)
        : gridScale(domain.low, domain.high, domain.step, domain.log);
    case "int":
      return domain.log ? logIntScale(domain) : gridScale(domain.low, domain.high, domain.step, false, true);
    case "normal":
      return normalScale(domain);
  }
}

function continuousScale(d: BoundedFloatDomain): NumericScale {
  const to = d.log ? Math.log : identity;
  const from = d.log ? Math.exp : identity;
  return {
    log: d.log,
    lo: to(d.low),
    hi: to(d.high),
    discrete: false,
    toCoord: to,
    fromCoord: (t) => Math.min(Math.max(from(t), d.low), d.high),
    cell: (x) => [to(x), to(x)],
  };
}

function gridScale(low: number, high: number, step: number, log: boolean, integer = false): NumericScale {
  const top = gridTopIndex(low, high, step);
  const lowerEdge = log && low - step / 2 <= 0 ? low : low - step / 2;
  const upperEdge = high + step / 2;
  const to = log ? Math.log : identity;
  const from = log ? Math.exp : identity;
  const snap = integer
    ? (x: number) => Math.min(Math.max(low + Math.round((x - low) / step) * step, low), high)
    : (x: number) => snapToGrid(low, step, top, x);
  return {
    log,
    lo: to(lowerEdge),
    hi: to(upperEdge),
    discrete: true,
    toCoord: to,
    fromCoord: (t) => snap(from(t)),
    cell: (x) => [to(Math.max(x - step / 2, lowerEdge)), to(x + step / 2)],
  };
}

function logIntScale(d: IntDomain): NumericScale {
  return {
    log: true,
    lo: Math.log(d.low - 0.5),
    hi: Math.log(d.high + 0.5),
    discrete: true,
    toCoord: Math.log,
    fromCoord: (t) => Math.min(Math.max(Math.round(Math.exp(t)), d.low), d.high),
    cell: (x) => [Math.log(x - 0.5), Math.log(x + 0.5)],
  };
}

function normalScale(d: NormalDomain): NumericScale {
  const q = d.step;
  // A quantized log-normal can round to 0; its coordinate is that of the lower cell edge.
  const to = d.log ? (x: number) => Math.log(q !== undefined ? Math.max(x, q / 2) : x) : identity;
  const from = d.log ? Math.exp : identity;
  return {
    log: d.log,
    lo: Number.NEGATIVE_INFINITY,
    hi: Number.POSITIVE_INFINITY,
    discrete: q !== undefined,
    toCoord: to,
    fromCoord: (t) => (q === undefined ? from(t) : snapToMultiple(q, from(t))),
    cell: (x) => {
      if (q === undefined) return [to(x), to(x)];
      if (!d.log) return [x - q / 2, x + q / 2];
      return [x - q / 2 <= 0 ? Number.NEGATIVE_INFINITY : Math.log(x - q / 2), Math.log(x + q / 2)];
    },
  };
}

/** One draw from a numeric parameter's prior, as a valid domain value. */
export function samplePriorNumeric(domain: NumericDomain, scale: NumericScale, rng: Rng): number {
  if (domain.type === "normal") return scale.fromCoord(domain.mu + domain.sigma * rng.normal());
  return scale.fromCoord(scale.lo + (scale.hi - scale.lo) * rng.uniform());
}

/**
 * Scales for every numeric parameter of a space (undefined for choices). Computed afresh on every call:
 * callers that need them repeatedly (algorithm sessions) keep the result.
 */
export function spaceScales(space: Space): (NumericScale | undefined)[] {
  return space.params.map((p) => (p.domain.type === "choice" ? undefined : numericScale(p.domain)));
}
