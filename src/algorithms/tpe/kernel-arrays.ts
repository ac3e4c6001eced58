/**
 * The per-kernel loops of building a Parzen estimator, as small functions
 * over flat kernel-major arrays (k·d + j) so they optimise well: gathering
 * coordinates and computing normalisers, either from scratch or carrying
 * over the values of kernels unchanged since a previous estimator
 * (oldOf[k] ≥ 0: kernel k was kernel oldOf[k] there, with the same configuration).
 */
import { LOG_SQRT_2PI } from "../../math/special.js";
import { logNormMass } from "../../math/truncnorm.js";
import type { Config } from "../../space/types.js";
import { CATEGORICAL, type Dim } from "./dims.js";

/** Standardised bounds beyond ±9 σ hold all but 2e-19 of the mass: skip the exact normaliser. */
export const FAR = 9;

/** Fills mu[i·d + j] with member i's coordinate (option index for categoricals); returns how many were not carried over. */
export function gatherCoords(
  dims: readonly Dim[],
  members: readonly Config[],
  mu: Float64Array,
  oldOf: Int32Array | undefined,
  prevMu: Float64Array | undefined,
): number {
  const d = dims.length;
  let added = 0;
  for (let i = 0; i < members.length; i++) {
    const o = oldOf === undefined ? -1 : oldOf[i]!;
    if (o >= 0) {
      for (let j = 0; j < d; j++) mu[i * d + j] = prevMu![o * d + j]!;
      continue;
    }
    added++;
    const cfg = members[i]!;
    for (let j = 0; j < d; j++) {
      const dim = dims[j]!;
      const x = cfg[dim.param.index]!;
      if (dim.kind === CATEGORICAL) {
        mu[i * d + j] = x;
        continue;
      }
      const t = dim.scale!.toCoord(x);
      mu[i * d + j] = t < dim.lo ? dim.lo : t > dim.hi ? dim.hi : t;
    }
  }
  return added;
}

/** Previous kernel → new index (−1 when gone), and the new kernels' indices in order. */
export function inverseMap(oldOf: Int32Array, nPrev: number, added: number): { newOf: Int32Array; addedIdx: Uint32Array } {
  const newOf = new Int32Array(nPrev).fill(-1);
  const addedIdx = new Uint32Array(added);
  let a = 0;
  for (let i = 0; i < oldOf.length; i++) {
    const o = oldOf[i]!;
    if (o >= 0) newOf[o] = i;
    else addedIdx[a++] = i;
  }
  return { newOf, addedIdx };
}

/** The arrays of a previous estimator that `normalisers` may carry over. */
export interface PrevKernels {
  readonly nk: number;
  readonly mu: Float64Array;
  readonly sigma: Float64Array;
  readonly logNorm: Float64Array;
}

/**
 * For dimension j of nk kernels (the prior last): invSigma = 1/σ and, if
 * continuous, logNorm = −log σ − log√(2π) − log Z (Z: the mass inside
 * [lo, hi] when truncated), a function of (μ, σ) alone, so a kept kernel
 * whose μ and σ are unchanged keeps its value. Returns max logNorm (−∞ if not continuous).
 */
export function normalisers(
  nk: number,
  d: number,
  j: number,
  continuous: boolean,
  truncated: boolean,
  lo: number,
  hi: number,
  mu: Float64Array,
  sigma: Float64Array,
  invSigma: Float64Array,
  logNorm: Float64Array,
  oldOf: Int32Array | undefined,
  prev: PrevKernels | undefined,
): number {
  const n = nk - 1;
  for (let k = 0; k < nk; k++) invSigma[k * d + j] = 1 / sigma[k * d + j]!;
  if (!continuous) return Number.NEGATIVE_INFINITY;
  let best = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < nk; k++) {
    const at = k * d + j;
    const sg = sigma[at]!;
    const m = mu[at]!;
    let ln: number;
    const o = k === n ? (prev === undefined ? -1 : prev.nk - 1) : oldOf === undefined ? -1 : oldOf[k]!;
    if (o >= 0 && prev!.sigma[o * d + j] === sg && prev!.mu[o * d + j] === m) {
      ln = prev!.logNorm[o * d + j]!;
    } else {
      ln = -Math.log(sg) - LOG_SQRT_2PI;
      if (truncated) {
        const a = (lo - m) / sg;
        const b = (hi - m) / sg;
        if (a > -FAR || b < FAR) ln -= logNormMass(a, b);
      }
    }
    logNorm[at] = ln;
    if (ln > best) best = ln;
  }
  return best;
}

/**
 * Moves rows of `width` values in place: row i becomes the current row
 * src[i] (i < count; −1: left as is, to be filled), with the kept rows in
 * increasing order. Runs moving left are copied first, left to right, then
 * runs moving right, right to left, so no run overwrites one not yet moved.
 */
export function moveRows(a: Float64Array, width: number, src: Int32Array, count: number): void {
  for (let pass = 0; pass < 2; pass++) {
    const right = pass === 1;
    let i = right ? count - 1 : 0;
    while (right ? i >= 0 : i < count) {
      const o = src[i]!;
      if (o < 0 || o === i || o < i !== right) {
        i += right ? -1 : 1;
        continue;
      }
      // A maximal run of consecutive rows with the same shift.
      let e = i;
      if (right) {
        while (e - 1 >= 0 && src[e - 1]! >= 0 && src[e - 1] === src[e]! - 1) e--;
        a.copyWithin(e * width, src[e]! * width, (o + 1) * width);
        i = e - 1;
      } else {
        while (e + 1 < count && src[e + 1] === src[e]! + 1) e++;
        a.copyWithin(i * width, o * width, (src[e]! + 1) * width);
        i = e + 1;
      }
    }
  }
}
