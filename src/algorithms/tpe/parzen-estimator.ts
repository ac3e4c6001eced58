/**
 * A Parzen estimator over one group of parameters: a weighted mixture of
 * product kernels, one per observation plus one prior kernel (the last).
 *
 * Notation: n observations, nk = n + 1 kernels, d dimensions, nc candidates.
 * Kernel arrays are flat and kernel-major: mu[k·d + j], sigma[k·d + j].
 *   - continuous j: N(mu, sigma²) truncated to the coordinate domain [lo, hi]
 *     (untruncated for normal domains); logNorm = −log σ − log√(2π) − log Z.
 *   - discrete j (int, quantized): the same kernel, but a value scores the
 *     kernel's mass over its grid cell; logNorm = −log Z.
 *   - categorical j: mu holds the observed option v; the kernel puts
 *     (a·pᶜ + [c = v]) / (a + 1) on option c, with a = prior_weight·C/(n+1)
 *     and pᶜ the choice weights (the prior kernel is p itself).
 * Pure: randomness comes from the Rng passed to `sample`.
 */
import type { Rng } from "../../math/rng.js";
import { LOG_SQRT_2PI } from "../../math/special.js";
import { logNormMass, logNormMassApprox, sampleTruncNormal } from "../../math/truncnorm.js";
import { sampleCategorical } from "../../space/prior.js";
import type { Config } from "../../space/types.js";
import { neighbourGapBandwidths, type BandwidthRule } from "./bandwidth.js";
import { CATEGORICAL, CONTINUOUS, DISCRETE, type Dim } from "./dims.js";

export interface BandwidthOptions {
  readonly considerEndpoints: boolean;
  readonly floor: number;
  readonly clipExponent: number | undefined;
  /** Discrete dims: least σ in units of the kernel's own grid cell. */
  readonly gridFloor: number;
}

/** A batch of candidate points for one group, flat and candidate-major (i·d + j). */
export interface Candidates {
  n: number;
  /** Domain values (option index for categoricals). */
  readonly values: Float64Array;
  /** Continuous: the coordinate. Discrete: the lower cell edge. */
  readonly lo: Float64Array;
  /** Discrete: the upper cell edge. */
  readonly hi: Float64Array;
}

export function allocateCandidates(n: number, d: number): Candidates {
  return { n, values: new Float64Array(n * d), lo: new Float64Array(n * d), hi: new Float64Array(n * d) };
}

/** Standardised bounds beyond ±9 σ hold all but 2e-19 of the mass: skip the exact normaliser. */
const FAR = 9;

let accScratch = new Float64Array(1024);
let maxScratch = new Float64Array(64);
let sumScratch = new Float64Array(64);
let uniqScratch = new Float64Array(64);
let uniqIdScratch = new Int32Array(64);
let tableScratch = new Float64Array(1024);

export class ParzenEstimator {
  readonly d: number;
  /** Kernels, the prior last. */
  readonly nk: number;
  private readonly dims: readonly Dim[];
  private readonly logW: Float64Array;
  private readonly cumW: Float64Array;
  private readonly mu: Float64Array;
  private readonly sigma: Float64Array;
  private readonly logNorm: Float64Array;
  /** Per categorical dim: a, log(a·p + 1) − log(a + 1), log(a·p) − log(a + 1), log p. */
  private readonly catA: Float64Array;
  private readonly catOn: (Float64Array | undefined)[];
  private readonly catOff: (Float64Array | undefined)[];
  private readonly catPrior: (Float64Array | undefined)[];
  /**
   * Per discrete dim: kernels with identical (μ, σ), common on grids, share
   * one id so each distinct kernel scores a cell once: id per kernel, and
   * the distinct kernels' μ, 1/σ, logNorm.
   */
  private readonly discreteIds: (Int32Array | undefined)[];
  private readonly discreteKernels: (Float64Array | undefined)[];

  constructor(
    dims: readonly Dim[],
    members: readonly Config[],
    rawWeights: Float64Array,
    priorRawWeight: number,
    categoricalPriorWeight: number,
    bw: BandwidthOptions,
  ) {
    const n = members.length;
    const d = dims.length;
    const nk = n + 1;
    this.d = d;
    this.nk = nk;
    this.dims = dims;

    // Mixture weights; an empty or all-zero set falls back to the prior alone.
    let total = priorRawWeight;
    for (let i = 0; i < n; i++) total += rawWeights[i]!;
    this.logW = new Float64Array(nk);
    this.cumW = new Float64Array(nk);
    let acc = 0;
    for (let k = 0; k < nk; k++) {
      const w = total > 0 ? (k < n ? rawWeights[k]! : priorRawWeight) / total : k === n ? 1 : 0;
      this.logW[k] = Math.log(w);
      acc += w;
      this.cumW[k] = acc;
    }

    this.mu = new Float64Array(nk * d);
    this.sigma = new Float64Array(nk * d);
    this.logNorm = new Float64Array(nk * d);
    this.catA = new Float64Array(d);
    this.catOn = new Array(d);
    this.catOff = new Array(d);
    this.catPrior = new Array(d);
    this.discreteIds = new Array(d);
    this.discreteKernels = new Array(d);

    for (let j = 0; j < d; j++) {
      const dim = dims[j]!;
      const p = dim.param.index;
      if (dim.kind === CATEGORICAL) {
        this.buildCategorical(j, dim, members, categoricalPriorWeight);
        continue;
      }
      const scale = dim.scale!;
      for (let i = 0; i < n; i++) {
        const t = scale.toCoord(members[i]![p]!);
        this.mu[i * d + j] = t < dim.lo ? dim.lo : t > dim.hi ? dim.hi : t;
      }
      const rule: BandwidthRule = {
        lo: dim.lo,
        hi: dim.hi,
        range: dim.priorSigma,
        considerEndpoints: bw.considerEndpoints,
        floor: bw.floor,
        clipExponent: bw.clipExponent,
      };
      neighbourGapBandwidths(this.mu, n, d, j, rule, this.sigma);
      if (dim.kind === DISCRETE && bw.gridFloor > 0) {
        // A kernel narrower than its grid cell puts almost no mass on the
        // neighbouring values, so the search could never step off it.
        for (let i = 0; i < n; i++) {
          const [lo, hi] = scale.cell(members[i]![p]!);
          const floor = bw.gridFloor * (hi - lo);
          if (this.sigma[i * d + j]! < floor) this.sigma[i * d + j] = Math.min(floor, dim.priorSigma);
        }
      }
      this.mu[n * d + j] = dim.priorMu;
      this.sigma[n * d + j] = dim.priorSigma;
      const bounded = Number.isFinite(dim.lo) && Number.isFinite(dim.hi);
      for (let k = 0; k < nk; k++) {
        const m = this.mu[k * d + j]!;
        const s = this.sigma[k * d + j]!;
        let logZ = 0;
        if (bounded) {
          const a = (dim.lo - m) / s;
          const b = (dim.hi - m) / s;
          if (a > -FAR || b < FAR) logZ = logNormMass(a, b);
        }
        this.logNorm[k * d + j] = dim.kind === CONTINUOUS ? -Math.log(s) - LOG_SQRT_2PI - logZ : -logZ;
      }
      if (dim.kind === DISCRETE) this.dedupeDiscrete(j);
    }
  }

  private dedupeDiscrete(j: number): void {
    const { d, nk } = this;
    const ids = new Int32Array(nk);
    const next = new Int32Array(nk);
    const uniq = new Float64Array(3 * nk);
    const head = new Map<number, number>();
    let nu = 0;
    for (let k = 0; k < nk; k++) {
      const m = this.mu[k * d + j]!;
      const sInv = 1 / this.sigma[k * d + j]!;
      const first = head.get(m);
      let u = first ?? -1;
      while (u >= 0 && uniq[3 * u + 1] !== sInv) u = next[u]!;
      if (u < 0) {
        u = nu++;
        uniq[3 * u] = m;
        uniq[3 * u + 1] = sInv;
        uniq[3 * u + 2] = this.logNorm[k * d + j]!;
        next[u] = first ?? -1;
        head.set(m, u);
      }
      ids[k] = u;
    }
    this.discreteIds[j] = ids;
    this.discreteKernels[j] = uniq.slice(0, 3 * nu);
  }

  private buildCategorical(j: number, dim: Dim, members: readonly Config[], priorWeight: number): void {
    const n = members.length;
    const d = this.d;
    const c = dim.options;
    const a = (priorWeight * c) / (n + 1);
    const logDen = Math.log(a + 1);
    const on = new Float64Array(c);
    const off = new Float64Array(c);
    const prior = new Float64Array(c);
    for (let o = 0; o < c; o++) {
      const p = dim.choiceWeights[o]!;
      on[o] = Math.log(a * p + 1) - logDen;
      off[o] = Math.log(a * p) - logDen;
      prior[o] = Math.log(p);
    }
    for (let i = 0; i < n; i++) this.mu[i * d + j] = members[i]![dim.param.index]!;
    this.mu[n * d + j] = -1;
    this.catA[j] = a;
    this.catOn[j] = on;
    this.catOff[j] = off;
    this.catPrior[j] = prior;
  }

  /** Fills `out` with `out.n` draws: pick a kernel by weight, then draw every dimension from it. */
  sample(rng: Rng, out: Candidates): void {
    const d = this.d;
    const n = this.nk - 1;
    for (let i = 0; i < out.n; i++) {
      const k = this.pickKernel(rng.uniform());
      for (let j = 0; j < d; j++) {
        const dim = this.dims[j]!;
        const at = i * d + j;
        if (dim.kind === CATEGORICAL) {
          const a = this.catA[j]!;
          const v = this.mu[k * d + j]!;
          const pick = k === n || rng.uniform() * (a + 1) >= 1 ? sampleCategorical(dim.choiceWeights, rng) : v;
          out.values[at] = pick;
          continue;
        }
        const scale = dim.scale!;
        const t = sampleTruncNormal(this.mu[k * d + j]!, this.sigma[k * d + j]!, dim.lo, dim.hi, rng.uniform());
        const x = scale.fromCoord(t);
        out.values[at] = x;
        if (dim.kind === DISCRETE) {
          const [lo, hi] = scale.cell(x);
          out.lo[at] = lo;
          out.hi[at] = hi;
        } else {
          out.lo[at] = scale.toCoord(x);
        }
      }
    }
  }

  private pickKernel(u: number): number {
    const target = u * this.cumW[this.nk - 1]!;
    let a = 0;
    let b = this.nk - 1;
    while (a < b) {
      const h = (a + b) >>> 1;
      if (this.cumW[h]! <= target) a = h + 1;
      else b = h;
    }
    // Skip zero-weight kernels that share a cumulative value.
    while (a < this.nk - 1 && this.logW[a] === Number.NEGATIVE_INFINITY) a++;
    return a;
  }

  /** out[i] = log of the mixture density (mass, for discrete dims) at candidate i. */
  logDensity(c: Candidates, out: Float64Array): void {
    const nc = c.n;
    const nk = this.nk;
    const d = this.d;
    if (accScratch.length < nk * nc) accScratch = new Float64Array(2 * nk * nc);
    if (maxScratch.length < nc) {
      maxScratch = new Float64Array(2 * nc);
      sumScratch = new Float64Array(2 * nc);
      uniqScratch = new Float64Array(2 * nc);
      uniqIdScratch = new Int32Array(2 * nc);
    }
    const acc = accScratch;
    for (let k = 0; k < nk; k++) acc.fill(this.logW[k]!, k * nc, (k + 1) * nc);
    const mu = this.mu;
    const sigma = this.sigma;
    const logNorm = this.logNorm;

    for (let j = 0; j < d; j++) {
      const dim = this.dims[j]!;
      if (dim.kind === CONTINUOUS) {
        const x = c.lo;
        for (let k = 0; k < nk; k++) {
          const m = mu[k * d + j]!;
          const inv = 1 / sigma[k * d + j]!;
          const ln = logNorm[k * d + j]!;
          const row = k * nc;
          for (let i = 0; i < nc; i++) {
            const z = (x[i * d + j]! - m) * inv;
            acc[row + i] = acc[row + i]! + ln - 0.5 * z * z;
          }
        }
      } else if (dim.kind === DISCRETE) {
        // Candidates often share a grid cell: score each distinct cell once per kernel.
        const ids = uniqIdScratch;
        let nu = 0;
        for (let i = 0; i < nc; i++) {
          const v = c.values[i * d + j]!;
          let u = 0;
          while (u < nu && c.values[uniqScratch[u]! * d + j] !== v) u++;
          if (u === nu) uniqScratch[nu++] = i;
          ids[i] = u;
        }
        const kernelIds = this.discreteIds[j]!;
        const uniq = this.discreteKernels[j]!;
        const nUniq = uniq.length / 3;
        if (tableScratch.length < nUniq * nu) tableScratch = new Float64Array(2 * nUniq * nu);
        const table = tableScratch;
        for (let q = 0; q < nUniq; q++) {
          const m = uniq[3 * q]!;
          const inv = uniq[3 * q + 1]!;
          const ln = uniq[3 * q + 2]!;
          for (let u = 0; u < nu; u++) {
            const at = uniqScratch[u]! * d + j;
            table[q * nu + u] = ln + logNormMassApprox((c.lo[at]! - m) * inv, (c.hi[at]! - m) * inv);
          }
        }
        for (let k = 0; k < nk; k++) {
          const base = kernelIds[k]! * nu;
          const row = k * nc;
          for (let i = 0; i < nc; i++) acc[row + i] = acc[row + i]! + table[base + ids[i]!]!;
        }
      } else {
        const on = this.catOn[j]!;
        const off = this.catOff[j]!;
        const prior = this.catPrior[j]!;
        for (let k = 0; k < nk; k++) {
          const row = k * nc;
          if (k === nk - 1) {
            for (let i = 0; i < nc; i++) acc[row + i] = acc[row + i]! + prior[c.values[i * d + j]!]!;
            continue;
          }
          const v = mu[k * d + j]!;
          for (let i = 0; i < nc; i++) {
            const o = c.values[i * d + j]!;
            acc[row + i] = acc[row + i]! + (o === v ? on[o]! : off[o]!);
          }
        }
      }
    }

    // log-sum-exp over kernels, streaming kernel-major.
    const mx = maxScratch;
    const sm = sumScratch;
    mx.fill(Number.NEGATIVE_INFINITY, 0, nc);
    sm.fill(0, 0, nc);
    for (let k = 0; k < nk; k++) {
      const row = k * nc;
      for (let i = 0; i < nc; i++) if (acc[row + i]! > mx[i]!) mx[i] = acc[row + i]!;
    }
    for (let k = 0; k < nk; k++) {
      const row = k * nc;
      for (let i = 0; i < nc; i++) {
        const t = acc[row + i]! - mx[i]!;
        if (t > -50) sm[i] = sm[i]! + Math.exp(t);
      }
    }
    for (let i = 0; i < nc; i++) out[i] = mx[i] === Number.NEGATIVE_INFINITY ? mx[i]! : mx[i]! + Math.log(sm[i]!);
  }
}
