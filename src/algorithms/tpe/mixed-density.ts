/**
 * The log density of a Parzen mixture with discrete or categorical
 * dimensions (parzen-estimator.ts has the kernel definitions), at a batch of
 * candidates: candidate-outer with a running log-sum-exp over the kernels in
 * index order. A kernel is dropped from a candidate's sum once an upper
 * bound of its log density (log weight + continuous normalisers + the other
 * dims' bounds, less what the dims scored so far fell short of theirs)
 * falls PRUNE below the largest term known to be in the sum: the best
 * kernel so far, or the prior kernel, always included. Every dropped term is
 * below e^−PRUNE times the final sum, so the density is exact to a relative
 * nk·e^−40 (4e-15 with 1,000 kernels), far below what could change which
 * candidate wins. (All-continuous groups: continuous-density.ts.)
 *
 * A batch is scored in two steps, as in continuous-density.ts:
 * `beginMixed` computes what does not depend on the kernel (the discrete
 * dims' cell tables and bounds, over the whole batch) and the prior
 * kernel's term at every candidate, a lower bound of its log density (the
 * prior kernel is never pruned: the sum is at least exp(prior − M), M ≥
 * prior); `mixedAt` finishes the candidates asked for. The bounds come from
 * the whole batch, so a candidate's value does not depend on which others
 * are finished, nor in which order.
 */
import { logNormMassApprox } from "../../math/truncnorm.js";
import type { Candidates } from "./candidates.js";
import { PRUNE } from "./continuous-density.js";
import { CATEGORICAL, CONTINUOUS, DISCRETE, type Dim } from "./dims.js";

/** The estimator's arrays that scoring reads (see ParzenEstimator, DiscreteKernels and CategoricalKernels for their meaning). */
export interface MixedKernels {
  readonly nk: number;
  readonly d: number;
  readonly dims: readonly Dim[];
  readonly kinds: Int8Array;
  readonly mu: Float64Array;
  readonly invSigma: Float64Array;
  readonly logNorm: Float64Array;
  readonly logW: Float64Array;
  readonly normSum: Float64Array;
  /** Written here for discrete dims (the best cell score of this batch); categorical dims' come from the estimator. */
  readonly bound: Float64Array;
  readonly discreteIds: readonly (Int32Array | undefined)[];
  readonly discreteKernels: readonly (Float64Array | undefined)[];
  readonly catOn: readonly (Float64Array | undefined)[];
  readonly catOff: readonly (Float64Array | undefined)[];
  readonly catPrior: readonly (Float64Array | undefined)[];
}

/**
 * Kernels are scored in blocks of BLOCK against every candidate, so a
 * block's μ, 1/σ and normalisers stay in cache across the candidates
 * instead of streaming the whole estimator from memory once per candidate.
 * Each candidate still sums its kernels in index order: the result does not
 * depend on the block size.
 */
const BLOCK = 128;

/** The buffers a density call reuses, grown on demand and read only during the call (a session's workspace owns one). */
export class MixedScratch {
  /** Running log-sum-exp state per candidate (max so far, sum of exp(s − max)), and the prior kernel's term. */
  lseMs = new Float64Array(64);
  lseSums = new Float64Array(64);
  lsePriors = new Float64Array(64);
  /** Per discrete dim and candidate: its distinct cell's id, then its table row. */
  candIds = new Int32Array(256);
  /** A distinct cell's first candidate. */
  uniq = new Int32Array(64);
  /** Per discrete dim: where its table starts, and its distinct cells. */
  tableAt = new Int32Array(16);
  nuOf = new Int32Array(16);
  /** Per discrete dim, distinct cell and distinct kernel: the kernel's log mass over the cell. */
  table = new Float64Array(1024);
  /** Per candidate and categorical dim: the on, off and prior log-probabilities of its option. */
  cand = new Float64Array(256);
  /** The batch begun last (beginMixed): its kernels, and what the non-continuous dims add to every kernel's cap. */
  kernels: MixedKernels | undefined = undefined;
  otherBounds = 0;
  /** A one-candidate selection for mixedAt. */
  readonly one = new Uint32Array(1);

  /** Room for nc candidates in d dims. */
  reserve(nc: number, d: number): void {
    if (this.lseMs.length < nc) {
      this.lseMs = new Float64Array(2 * nc);
      this.lseSums = new Float64Array(2 * nc);
      this.lsePriors = new Float64Array(2 * nc);
    }
    if (this.candIds.length < d * nc) this.candIds = new Int32Array(2 * d * nc);
    if (this.uniq.length < nc) this.uniq = new Int32Array(2 * nc);
    if (this.tableAt.length < d) this.tableAt = new Int32Array(2 * d);
    if (this.nuOf.length < d) this.nuOf = new Int32Array(2 * d);
    if (this.cand.length < 3 * nc * d) this.cand = new Float64Array(6 * nc * d);
  }

  /** Room for `size` table entries, keeping the first `used`. */
  reserveTable(used: number, size: number): void {
    if (this.table.length >= size) return;
    const grown = new Float64Array(2 * size);
    grown.set(this.table.subarray(0, used));
    this.table = grown;
  }
}

/** out[i] = log of the mixture density (mass, for discrete dims) at candidate i. */
export function mixedLogDensity(k: MixedKernels, c: Candidates, out: Float64Array, sc: MixedScratch): void {
  beginMixed(k, c, out, sc);
  mixedAt(c, undefined, c.n, out, sc);
}

/**
 * Begins a batch: lower[i] = the prior kernel's term at candidate i, which
 * its log density is never below. The batch's state stays in `sc` for
 * mixedAt until the next batch begins.
 */
export function beginMixed(k: MixedKernels, c: Candidates, lower: Float64Array, sc: MixedScratch): void {
  const nc = c.n;
  const nk = k.nk;
  const d = k.d;
  sc.reserve(nc, d);
  const { candIds, uniq: uniqCand, tableAt, nuOf } = sc;

  // Discrete dims: score each distinct kernel on each distinct candidate cell once.
  let tableSize = 0;
  for (let j = 0; j < d; j++) {
    if (k.dims[j]!.kind !== DISCRETE) continue;
    let nu = 0;
    for (let i = 0; i < nc; i++) {
      const v = c.values[i * d + j]!;
      let u = 0;
      while (u < nu && c.values[uniqCand[u]! * d + j] !== v) u++;
      if (u === nu) uniqCand[nu++] = i;
      candIds[j * nc + i] = u;
    }
    const uniq = k.discreteKernels[j]!;
    const nUniq = uniq.length / 3;
    tableAt[j] = tableSize;
    nuOf[j] = nu;
    sc.reserveTable(tableSize, tableSize + nUniq * nu);
    const cells = sc.table;
    let best = Number.NEGATIVE_INFINITY;
    for (let q = 0; q < nUniq; q++) {
      const m = uniq[3 * q]!;
      const inv = uniq[3 * q + 1]!;
      const ln = uniq[3 * q + 2]!;
      for (let u = 0; u < nu; u++) {
        const at = uniqCand[u]! * d + j;
        const v = ln + logNormMassApprox((c.lo[at]! - m) * inv, (c.hi[at]! - m) * inv);
        cells[tableSize + u * nUniq + q] = v;
        if (v > best) best = v;
      }
    }
    k.bound[j] = best;
    tableSize += nUniq * nu;
  }
  // Per candidate and dimension, what does not depend on the kernel: a
  // discrete dim's table row, a categorical dim's on/off/prior log-probabilities.
  const rowOf = candIds; // overwrites each candidate-cell id with its table row, in place
  const catV = sc.cand;
  for (let j = 0; j < d; j++) {
    const kind = k.kinds[j]!;
    if (kind === DISCRETE) {
      const nUniq = k.discreteKernels[j]!.length / 3;
      for (let i = 0; i < nc; i++) rowOf[j * nc + i] = tableAt[j]! + candIds[j * nc + i]! * nUniq;
    } else if (kind === CATEGORICAL) {
      for (let i = 0; i < nc; i++) {
        const o = c.values[i * d + j]!;
        catV[3 * (i * d + j)] = k.catOn[j]![o]!;
        catV[3 * (i * d + j) + 1] = k.catOff[j]![o]!;
        catV[3 * (i * d + j) + 2] = k.catPrior[j]![o]!;
      }
    }
  }
  const table = sc.table;
  const { mu, invSigma, logNorm, logW, kinds, bound } = k;
  const ids = k.discreteIds;
  const last = nk - 1;
  // What a non-continuous dim adds to every kernel's cap: its bound (subtracted again as the dim is scored).
  let otherBounds = 0;
  for (let j = 0; j < d; j++) if (kinds[j] !== CONTINUOUS) otherBounds += bound[j]!;
  sc.kernels = k;
  sc.otherBounds = otherBounds;
  const priors = sc.lsePriors;
  for (let i = 0; i < nc; i++) {
    const ci = i * d;
    const kd = last * d;
    let s = logW[last]!;
    for (let j = 0; j < d; j++) {
      const kind = kinds[j]!;
      if (kind === CONTINUOUS) {
        const z = (c.lo[ci + j]! - mu[kd + j]!) * invSigma[kd + j]!;
        s += logNorm[kd + j]! - 0.5 * z * z;
      } else if (kind === DISCRETE) s += table[rowOf[j * nc + i]! + ids[j]![last]!]!;
      else s += catV[3 * (ci + j) + 2]!;
    }
    priors[i] = s;
    lower[i] = s;
  }
}

/** out[i] = log density at candidate i of the batch begun last, for i in which[0, count) (which undefined: 0 .. count−1). */
export function mixedAt(
  c: Candidates,
  which: Uint32Array | undefined,
  count: number,
  out: Float64Array,
  sc: MixedScratch,
): void {
  const k = sc.kernels!;
  const { nk, d, mu, invSigma, logNorm, logW, kinds, bound, normSum } = k;
  const nc = c.n;
  const ids = k.discreteIds;
  const last = nk - 1;
  const otherBounds = sc.otherBounds;
  const { lseMs: ms, lseSums: sums, lsePriors: priors, table, candIds: rowOf, cand: catV } = sc;
  for (let q = 0; q < count; q++) {
    const i = which === undefined ? q : which[q]!;
    ms[i] = Number.NEGATIVE_INFINITY;
    sums[i] = 0;
  }
  for (let k0 = 0; k0 < nk; k0 += BLOCK) {
    const k1 = Math.min(nk, k0 + BLOCK);
    for (let q = 0; q < count; q++) {
      const i = which === undefined ? q : which[q]!;
      let m = ms[i]!;
      let sum = sums[i]!;
      const prior = priors[i]!;
      const ci = i * d;
      for (let k = k0; k < k1; k++) {
        const floor = (m > prior ? m : prior) - PRUNE;
        let ub = logW[k]! + normSum[k]! + otherBounds;
        if (ub < floor) continue;
        let s = logW[k]!;
        const kd = k * d;
        let j = 0;
        for (; j < d; j++) {
          const kind = kinds[j]!;
          if (kind === CONTINUOUS) {
            const z = (c.lo[ci + j]! - mu[kd + j]!) * invSigma[kd + j]!;
            const t = 0.5 * z * z;
            s += logNorm[kd + j]! - t;
            ub -= t;
          } else {
            const v =
              kind === DISCRETE
                ? table[rowOf[j * nc + i]! + ids[j]![k]!]!
                : catV[3 * (ci + j) + (k === last ? 2 : c.values[ci + j] === mu[kd + j] ? 0 : 1)]!;
            s += v;
            ub += v - bound[j]!;
          }
          if (ub < floor) break;
        }
        if (j < d) continue;
        if (s > m) {
          sum = m === Number.NEGATIVE_INFINITY ? 1 : sum * Math.exp(m - s) + 1;
          m = s;
        } else if (s > Number.NEGATIVE_INFINITY) {
          sum += Math.exp(s - m);
        }
      }
      ms[i] = m;
      sums[i] = sum;
    }
  }
  for (let q = 0; q < count; q++) {
    const i = which === undefined ? q : which[q]!;
    const m = ms[i]!;
    out[i] = m === Number.NEGATIVE_INFINITY ? m : m + Math.log(sums[i]!);
  }
}
