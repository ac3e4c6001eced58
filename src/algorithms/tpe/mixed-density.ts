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

let lseMs = new Float64Array(64);
let lseSums = new Float64Array(64);
let lsePriors = new Float64Array(64);

/**
 * Running log-sum-exp state per candidate (max so far, sum of exp(s − max)),
 * reset, and room for the prior kernel's log density at each candidate.
 */
function lseScratch(nc: number): { ms: Float64Array; sums: Float64Array; priors: Float64Array } {
  if (lseMs.length < nc) {
    lseMs = new Float64Array(2 * nc);
    lseSums = new Float64Array(2 * nc);
    lsePriors = new Float64Array(2 * nc);
  }
  lseMs.fill(Number.NEGATIVE_INFINITY, 0, nc);
  lseSums.fill(0, 0, nc);
  return { ms: lseMs, sums: lseSums, priors: lsePriors };
}

function finishLse(ms: Float64Array, sums: Float64Array, nc: number, out: Float64Array): void {
  for (let i = 0; i < nc; i++) {
    const m = ms[i]!;
    out[i] = m === Number.NEGATIVE_INFINITY ? m : m + Math.log(sums[i]!);
  }
}

let candIdScratch = new Int32Array(256);
let uniqScratch = new Int32Array(64);
let tableOffsetScratch = new Int32Array(16);
let nuScratch = new Int32Array(16);
let tableScratch = new Float64Array(1024);
let candScratch = new Float64Array(256);

/** out[i] = log of the mixture density (mass, for discrete dims) at candidate i. */
export function mixedLogDensity(k: MixedKernels, c: Candidates, out: Float64Array): void {
  const nc = c.n;
  const nk = k.nk;
  const d = k.d;
  if (candIdScratch.length < d * nc) candIdScratch = new Int32Array(2 * d * nc);
  if (uniqScratch.length < nc) uniqScratch = new Int32Array(2 * nc);
  const candIds = candIdScratch;
  if (tableOffsetScratch.length < d) tableOffsetScratch = new Int32Array(2 * d);
  if (nuScratch.length < d) nuScratch = new Int32Array(2 * d);
  const tableAt = tableOffsetScratch;
  const nuOf = nuScratch;

  // Discrete dims: score each distinct kernel on each distinct candidate cell once.
  let tableSize = 0;
  for (let j = 0; j < d; j++) {
    if (k.dims[j]!.kind !== DISCRETE) continue;
    let nu = 0;
    for (let i = 0; i < nc; i++) {
      const v = c.values[i * d + j]!;
      let u = 0;
      while (u < nu && c.values[uniqScratch[u]! * d + j] !== v) u++;
      if (u === nu) uniqScratch[nu++] = i;
      candIds[j * nc + i] = u;
    }
    const uniq = k.discreteKernels[j]!;
    const nUniq = uniq.length / 3;
    tableAt[j] = tableSize;
    nuOf[j] = nu;
    if (tableScratch.length < tableSize + nUniq * nu) {
      const grown = new Float64Array(2 * (tableSize + nUniq * nu));
      grown.set(tableScratch.subarray(0, tableSize));
      tableScratch = grown;
    }
    let best = Number.NEGATIVE_INFINITY;
    for (let q = 0; q < nUniq; q++) {
      const m = uniq[3 * q]!;
      const inv = uniq[3 * q + 1]!;
      const ln = uniq[3 * q + 2]!;
      for (let u = 0; u < nu; u++) {
        const at = uniqScratch[u]! * d + j;
        const v = ln + logNormMassApprox((c.lo[at]! - m) * inv, (c.hi[at]! - m) * inv);
        tableScratch[tableSize + u * nUniq + q] = v;
        if (v > best) best = v;
      }
    }
    k.bound[j] = best;
    tableSize += nUniq * nu;
  }
  // Per candidate and dimension, what does not depend on the kernel: a
  // discrete dim's table row, a categorical dim's on/off/prior log-probabilities.
  if (candScratch.length < 3 * nc * d) candScratch = new Float64Array(6 * nc * d);
  const rowOf = candIdScratch; // overwrites each candidate-cell id with its table row, in place
  const catV = candScratch;
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
  const table = tableScratch;
  const mu = k.mu;
  const invSigma = k.invSigma;
  const logNorm = k.logNorm;
  const logW = k.logW;
  const kinds = k.kinds;
  const ids = k.discreteIds;
  const bound = k.bound;
  const last = nk - 1;
  const normSum = k.normSum;
  // What a non-continuous dim adds to every kernel's cap: its bound (subtracted again as the dim is scored).
  let otherBounds = 0;
  for (let j = 0; j < d; j++) if (kinds[j] !== CONTINUOUS) otherBounds += bound[j]!;
  const { ms, sums, priors } = lseScratch(nc);
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
  }
  for (let k0 = 0; k0 < nk; k0 += BLOCK) {
    const k1 = Math.min(nk, k0 + BLOCK);
    for (let i = 0; i < nc; i++) {
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
  finishLse(ms, sums, nc, out);
}
