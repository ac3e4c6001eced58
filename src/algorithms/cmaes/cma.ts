/**
 * One CMA-ES distribution and its update (Hansen's 2016 tutorial with
 * active/negative weights, as the `cmaes` package implements it), plus the
 * margin correction of CMA-ES with Margin (Hamano et al. 2022) for discrete
 * coordinates. Pure data and arithmetic: no randomness of its own (a
 * sample takes its normal draws from the caller), no knowledge of trials.
 * test/fixtures/gen_cma_goldens.py checks `tell` against the `cmaes`
 * package on fixed inputs.
 */
import { symmetricEigen } from "../../math/eigen.js";
import { ndtr, ndtri } from "../../math/special.js";

const EPS = 1e-8;
const SIGMA_MAX = 1e32;

/** Constants of one population size and dimension (eqs. 48–56 of the tutorial). */
export interface CmaParams {
  readonly n: number;
  readonly popsize: number;
  readonly mu: number;
  readonly muEff: number;
  readonly weights: Float64Array;
  readonly weightSum: number;
  readonly c1: number;
  readonly cmu: number;
  readonly cc: number;
  readonly cSigma: number;
  readonly dSigma: number;
  readonly cm: number;
  readonly chiN: number;
  readonly funhistTerm: number;
  /** Separable CMA-ES (Ros & Hansen 2008): C stays diagonal, c1 and cμ are (n + 2)/3 times larger. */
  readonly diagonal: boolean;
}

/**
 * `diagonal`: sep-CMA-ES's learning rates. Only c1 and cμ change (each times
 * (n + 2)/3, capped so that c1 + cμ stays below 1); the negative weights are
 * then bounded with those rates, as the full update's are with its own.
 * `damping`: a factor on the step size's damping dσ (1: the tutorial's).
 */
export function cmaParams(
  n: number,
  popsize = 4 + Math.floor(3 * Math.log(n)),
  diagonal = false,
  damping = 1,
): CmaParams {
  const mu = Math.floor(popsize / 2);
  const wp = Float64Array.from({ length: popsize }, (_, i) => Math.log((popsize + 1) / 2) - Math.log(i + 1));
  const sum = (a: ArrayLike<number>, from: number, to: number, f: (x: number) => number) => {
    let s = 0;
    for (let i = from; i < to; i++) s += f(a[i]!);
    return s;
  };
  const muEff = sum(wp, 0, mu, (x) => x) ** 2 / sum(wp, 0, mu, (x) => x * x);
  const muEffMinus = sum(wp, mu, popsize, (x) => x) ** 2 / sum(wp, mu, popsize, (x) => x * x);
  const alphaCov = 2;
  const sep = diagonal ? (n + 2) / 3 : 1;
  const c1 = Math.min((sep * alphaCov) / ((n + 1.3) ** 2 + muEff), 0.5);
  const cmu = Math.min(
    1 - c1 - 1e-8,
    (sep * alphaCov * (muEff - 2 + 1 / muEff)) / ((n + 2) ** 2 + (alphaCov * muEff) / 2),
  );
  const minAlpha = Math.min(1 + c1 / cmu, 1 + (2 * muEffMinus) / (muEff + 2), (1 - c1 - cmu) / (n * cmu));
  let positive = 0;
  let negative = 0;
  for (const w of wp) {
    if (w > 0) positive += w;
    else if (w < 0) negative -= w;
  }
  const weights = wp.map((w) => (w >= 0 ? w / positive : (minAlpha / negative) * w));
  let weightSum = 0;
  for (const w of weights) weightSum += w;
  const cSigma = (muEff + 2) / (n + muEff + 5);
  return {
    n,
    popsize,
    mu,
    muEff,
    weights,
    weightSum,
    c1,
    cmu,
    cc: (4 + muEff / n) / (n + 4 + (2 * muEff) / n),
    cSigma,
    dSigma: damping * (1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma),
    cm: 1,
    chiN: Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n)),
    funhistTerm: 10 + Math.ceil((30 * n) / popsize),
    diagonal,
  };
}

/** A discrete coordinate: values low, low+step, ..., low+(size−1)·step (CMA-ES with Margin). */
export interface DiscreteAxis {
  readonly index: number;
  readonly low: number;
  readonly step: number;
  readonly size: number;
}

/** The distribution N(m, σ²C) with its evolution paths, generation count and margin scaling A. */
export class CmaState {
  /** Eigendecomposition of C, computed on first use after each update. */
  private eig: { B: Float64Array; D: Float64Array } | undefined;

  constructor(
    readonly p: CmaParams,
    readonly mean: Float64Array,
    public sigma: number,
    readonly C: Float64Array,
    readonly pSigma = new Float64Array(p.n),
    readonly pc = new Float64Array(p.n),
    public g = 0,
    readonly funhist = new Float64Array(p.funhistTerm * 2),
    /** Per coordinate: the margin's scaling of discrete coordinates (1 elsewhere). */
    readonly A = new Float64Array(p.n).fill(1),
    readonly discrete: readonly DiscreteAxis[] = [],
    readonly margin = 1 / (p.n * p.popsize),
  ) {}

  static initial(
    p: CmaParams,
    mean: Float64Array,
    sigma: number,
    cov?: Float64Array,
    discrete: readonly DiscreteAxis[] = [],
  ): CmaState {
    const C = cov ?? new Float64Array(p.n * p.n);
    if (cov === undefined) for (let i = 0; i < p.n; i++) C[i * p.n + i] = 1;
    return new CmaState(p, Float64Array.from(mean), sigma, C, undefined, undefined, 0, undefined, undefined, discrete);
  }

  /** B and D with C = B·diag(D²)·Bᵀ; C itself is symmetrised and rebuilt from them, as the package does. */
  eigen(): { B: Float64Array; D: Float64Array } {
    if (this.eig !== undefined) return this.eig;
    const n = this.p.n;
    const C = this.C;
    if (this.p.diagonal) {
      const B = new Float64Array(n * n);
      for (let i = 0; i < n; i++) B[i * n + i] = 1;
      const D = Float64Array.from({ length: n }, (_, i) => Math.sqrt(C[i * n + i]! < 0 ? EPS : C[i * n + i]!));
      this.eig = { B, D };
      return this.eig;
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const s = (C[i * n + j]! + C[j * n + i]!) / 2;
        C[i * n + j] = s;
        C[j * n + i] = s;
      }
    }
    const { values, vectors: B } = symmetricEigen(C, n);
    const D = values.map((v) => Math.sqrt(v < 0 ? EPS : v));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += B[i * n + k]! * D[k]! * D[k]! * B[j * n + k]!;
        C[i * n + j] = s;
      }
    }
    this.eig = { B, D };
    return this.eig;
  }

  /**
   * The same distribution, paths and generation under other constants (same
   * n and λ): the end of a diagonal phase, after which the full update goes on
   * from the diagonal C.
   */
  withParams(p: CmaParams): CmaState {
    if (p.n !== this.p.n || p.popsize !== this.p.popsize) throw new Error("withParams: n and popsize must not change");
    return new CmaState(
      p,
      Float64Array.from(this.mean),
      this.sigma,
      Float64Array.from(this.C),
      Float64Array.from(this.pSigma),
      Float64Array.from(this.pc),
      this.g,
      Float64Array.from(this.funhist),
      Float64Array.from(this.A),
      this.discrete,
      this.margin,
    );
  }

  /** m + σ·B·diag(D)·z for the standard normal draws `z`. */
  sample(z: Float64Array): Float64Array {
    const n = this.p.n;
    const { B, D } = this.eigen();
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let y = 0;
      for (let k = 0; k < n; k++) y += B[i * n + k]! * D[k]! * z[k]!;
      x[i] = this.mean[i]! + this.sigma * y;
    }
    return x;
  }

  /** A raw sample's discrete coordinates as their values: the nearest grid value of m + A·(x − m). */
  encodeDiscrete(x: Float64Array): Float64Array {
    const out = Float64Array.from(x);
    for (const d of this.discrete) {
      const v = (x[d.index]! - this.mean[d.index]!) * this.A[d.index]! + this.mean[d.index]!;
      out[d.index] = d.low + nearestIndex(d, v) * d.step;
    }
    return out;
  }

  /** The next generation's state from `popsize` raw solutions and their losses (this state is left as it was). */
  tell(solutions: readonly { x: Float64Array; loss: number }[]): CmaState {
    const p = this.p;
    const n = p.n;
    if (solutions.length !== p.popsize)
      throw new Error(`tell: expected ${p.popsize} solutions, got ${solutions.length}`);
    const g = this.g + 1;
    const sorted = [...solutions].sort((a, b) => a.loss - b.loss);
    const funhist = Float64Array.from(this.funhist);
    const fi = 2 * (g % p.funhistTerm);
    funhist[fi] = sorted[0]!.loss;
    funhist[fi + 1] = sorted[sorted.length - 1]!.loss;
    const { B, D } = this.eigen();
    const sigma0 = this.sigma;
    const y = sorted.map((s) => s.x.map((xi, i) => (xi - this.mean[i]!) / sigma0));
    const yw = new Float64Array(n);
    for (let k = 0; k < p.mu; k++) for (let i = 0; i < n; i++) yw[i] = yw[i]! + p.weights[k]! * y[k]![i]!;
    const mean = this.mean.map((m, i) => m + p.cm * sigma0 * yw[i]!);
    // C^(−1/2) = B·diag(1/D)·Bᵀ
    const invSqrt = (v: Float64Array): Float64Array => {
      const t = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += B[i * n + k]! * v[i]!;
        t[k] = s / D[k]!;
      }
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += B[i * n + k]! * t[k]!;
        out[i] = s;
      }
      return out;
    };
    const cy = invSqrt(yw);
    const ks = Math.sqrt(p.cSigma * (2 - p.cSigma) * p.muEff);
    const pSigma = this.pSigma.map((v, i) => (1 - p.cSigma) * v + ks * cy[i]!);
    let norm = 0;
    for (const v of pSigma) norm += v * v;
    norm = Math.sqrt(norm);
    const sigma = Math.min(sigma0 * Math.exp((p.cSigma / p.dSigma) * (norm / p.chiN - 1)), SIGMA_MAX);
    const left = norm / Math.sqrt(1 - (1 - p.cSigma) ** (2 * (g + 1)));
    const hSigma = left < (1.4 + 2 / (n + 1)) * p.chiN ? 1 : 0;
    const kc = hSigma * Math.sqrt(p.cc * (2 - p.cc) * p.muEff);
    const pc = this.pc.map((v, i) => (1 - p.cc) * v + kc * yw[i]!);
    const wio = p.weights.map((w, k) => {
      if (w >= 0) return w;
      const t = invSqrt(y[k]!);
      let s = 0;
      for (const v of t) s += v * v;
      return (w * n) / (s + EPS);
    });
    const deltaH = (1 - hSigma) * p.cc * (2 - p.cc);
    const keep = 1 + p.c1 * deltaH - p.c1 - p.cmu * p.weightSum;
    const C = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        // A diagonal C's off-diagonal entries stay 0.
        if (p.diagonal && i !== j) continue;
        let rankMu = 0;
        for (let k = 0; k < p.popsize; k++) rankMu += wio[k]! * y[k]![i]! * y[k]![j]!;
        C[i * n + j] = keep * this.C[i * n + j]! + p.c1 * pc[i]! * pc[j]! + p.cmu * rankMu;
      }
    }
    const next = new CmaState(
      p,
      mean,
      sigma,
      C,
      pSigma,
      pc,
      g,
      funhist,
      Float64Array.from(this.A),
      this.discrete,
      this.margin,
    );
    next.correctMargin();
    return next;
  }

  /**
   * CMA-ES with Margin: after an update, keep each discrete coordinate's
   * probability of leaving the mean's grid value at least `margin`, by
   * moving the mean (at the grid's edges) or scaling A (inside).
   */
  private correctMargin(): void {
    const n = this.p.n;
    const alpha = this.margin;
    for (const d of this.discrete) {
      const i = d.index;
      const m = this.mean[i]!;
      const [lo, hi] = limits(d, m);
      const scale = this.sigma * this.A[i]! * Math.sqrt(this.C[i * n + i]!);
      let low = ndtr((lo - m) / scale);
      let up = 1 - ndtr((hi - m) / scale);
      const mid = 1 - (low + up);
      if (Math.max(low, up) > 0.5) {
        // The mean sits beyond the first or last threshold: pull it to where the margin holds.
        if (Math.min(low, up) < alpha) {
          const dist = this.sigma * this.A[i]! * Math.sqrt(this.C[i * n + i]!) * -ndtri(alpha);
          this.mean[i] = hi + Math.sign(m - hi) * dist;
        }
      }
      if (Math.max(low, up) <= 0.5) {
        low = Math.max(low, alpha / 2);
        up = Math.max(up, alpha / 2);
        const denom = low + mid + up - (3 * alpha) / 2;
        const rest = 1 - low - up - mid;
        const ml = clip(low + (rest * (low - alpha / 2)) / denom, 1e-10, 0.5 - 1e-10);
        const mu = clip(up + (rest * (up - alpha / 2)) / denom, 1e-10, 0.5 - 1e-10);
        // sqrt(χ²₁ quantile at 1 − 2p) is the normal quantile at 1 − p.
        const cl = -ndtri(ml);
        const cu = -ndtri(mu);
        const cd = Math.sqrt(this.C[i * n + i]!);
        this.A[i] = (hi - lo) / ((cl + cu) * this.sigma * cd);
        this.mean[i] = (lo * cu + hi * cl) / (cl + cu);
      }
    }
  }

  /** The package's termination tests (tolfun, tolx, divergence, no-effect coordinate/axis, condition number). */
  shouldStop(initialSigma: number): boolean {
    const p = this.p;
    const n = p.n;
    const { B, D } = this.eigen();
    if (this.g > p.funhistTerm) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const v of this.funhist) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (hi - lo < 1e-12) return true;
    }
    const tolx = 1e-12 * initialSigma;
    let allSmall = true;
    for (let i = 0; i < n; i++) {
      if (!(this.sigma * this.C[i * n + i]! < tolx && this.sigma * this.pc[i]! < tolx)) allSmall = false;
    }
    if (allSmall) return true;
    let maxD = 0;
    let minD = Number.POSITIVE_INFINITY;
    for (const d of D) {
      maxD = Math.max(maxD, d);
      minD = Math.min(minD, d);
    }
    if (this.sigma * maxD > 1e4) return true;
    for (let i = 0; i < n; i++) {
      const m = this.mean[i]!;
      if (m === m + 0.2 * this.sigma * Math.sqrt(this.C[i * n + i]!)) return true;
    }
    const axis = this.g % n;
    let noEffect = true;
    for (let i = 0; i < n; i++) {
      const m = this.mean[i]!;
      if (m !== m + 0.1 * this.sigma * D[axis]! * B[i * n + axis]!) noEffect = false;
    }
    if (noEffect) return true;
    return maxD / minD > 1e14;
  }
}

function clip(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** Index of the nearest value (ties to the lower one), clipped to the axis. */
function nearestIndex(d: DiscreteAxis, v: number): number {
  let k = Math.floor((v - d.low) / d.step + 0.5);
  k = Math.min(Math.max(k, 0), d.size - 1);
  if (k > 0 && v <= d.low + (k - 0.5) * d.step) k--;
  else if (k < d.size - 1 && v > d.low + (k + 0.5) * d.step) k++;
  return k;
}

/** The thresholds around the grid value nearest `v` (the first/last pair at the edges). */
function limits(d: DiscreteAxis, v: number): [number, number] {
  const k = nearestIndex(d, v);
  const lower = Math.min(Math.max(k - 1, 0), d.size - 2);
  const upper = Math.min(Math.max(k, 0), d.size - 2);
  return [d.low + (lower + 0.5) * d.step, d.low + (upper + 0.5) * d.step];
}
