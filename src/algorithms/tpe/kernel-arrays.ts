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
export function inverseMap(
  oldOf: Int32Array,
  nPrev: number,
  added: number,
): { newOf: Int32Array; addedIdx: Uint32Array } {
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

/**
 * An in-place edit's index maps, from oldOf over n0 previous observation
 * kernels (as inverseMap): src[i] = oldOf[i] for the n members and src[n] = n0,
 * the prior kernel's row; newOf[k] the new index of previous kernel k (−1:
 * removed, newOf pre-filled so); the new members appended to `added`.
 * Returns false when oldOf is out of range or not increasing over the kept kernels.
 */
export function editMaps(oldOf: Int32Array, n0: number, src: Int32Array, newOf: Int32Array, added: number[]): boolean {
  const n = oldOf.length;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const o = oldOf[i]!;
    if (o >= 0) {
      if (o <= last || o >= n0) return false;
      last = o;
      newOf[o] = i;
    } else added.push(i);
    src[i] = o;
  }
  src[n] = n0;
  return true;
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
    const o = k === n ? (prev === undefined ? -1 : prev.nk - 1) : oldOf === undefined ? -1 : oldOf[k]!;
    const ln =
      o >= 0 && prev!.sigma[o * d + j] === sg && prev!.mu[o * d + j] === m
        ? prev!.logNorm[o * d + j]!
        : continuousLogNorm(m, sg, lo, hi, truncated);
    logNorm[at] = ln;
    if (ln > best) best = ln;
  }
  return best;
}

/** −log σ − log√(2π) − log Z of the kernel N(m, sg²), Z its mass inside [lo, hi] when truncated. */
export function continuousLogNorm(m: number, sg: number, lo: number, hi: number, truncated: boolean): number {
  let ln = -Math.log(sg) - LOG_SQRT_2PI;
  if (truncated) {
    const a = (lo - m) / sg;
    const b = (hi - m) / sg;
    if (a > -FAR || b < FAR) ln -= logNormMass(a, b);
  }
  return ln;
}

/**
 * An in-place edit of an estimator's kernels into those of `members`: src[i]
 * is the current row of new row i (the prior's last), or −1 for a member in
 * `added`, which gets a new row; n0 is the number of observation kernels
 * before the edit.
 */
export interface KernelEdit {
  readonly members: readonly { readonly config: Config }[];
  readonly src: Int32Array;
  readonly n0: number;
  readonly added: readonly number[];
}

/**
 * The moves that put row i at src[i] (i < count; −1: a new row, left as is),
 * the kept rows in increasing order: maximal runs of rows with the same
 * shift, as (new start, old start, length) triples, shifts of 0 left out.
 * Runs moving left come first, left to right, then runs moving right, right
 * to left, so that applying them in order never overwrites a row not yet moved.
 */
export function rowRuns(src: Int32Array, count: number): Int32Array {
  const left: number[] = [];
  const right: number[] = [];
  let i = 0;
  while (i < count) {
    const o = src[i]!;
    if (o < 0) {
      i++;
      continue;
    }
    let e = i;
    while (e + 1 < count && src[e + 1] === src[e]! + 1) e++;
    if (o > i) left.push(i, o, e - i + 1);
    else if (o < i) right.push(i, o, e - i + 1);
    i = e + 1;
  }
  const runs = new Int32Array(left.length + right.length);
  runs.set(left);
  for (let r = right.length - 3, at = left.length; r >= 0; r -= 3, at += 3) runs.set(right.slice(r, r + 3), at);
  return runs;
}

/** Applies rowRuns' moves to rows of `width` values. */
export function moveRows(a: Float64Array, width: number, runs: Int32Array): void {
  for (let r = 0; r < runs.length; r += 3) {
    const to = runs[r]!;
    const from = runs[r + 1]!;
    a.copyWithin(to * width, from * width, (from + runs[r + 2]!) * width);
  }
}
