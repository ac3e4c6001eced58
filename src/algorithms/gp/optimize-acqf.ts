/**
 * Maximises an acquisition (acqf.ts: log EI, or its constrained form) over the encoded space (see encode.ts) for mixed
 * continuous, grid and categorical dimensions:
 *
 * 1. score a scrambled-Sobol candidate set (grid values snapped, categorical
 *    indices floored) in one batched posterior call;
 * 2. pick starts: the best candidate, more by roulette (p ∝ EI) and any
 *    caller-given points (the incumbent);
 * 3. refine each start by alternating projected L-BFGS over the continuous
 *    dimensions (in length-scale units, x_d·√λ_d) with a coordinate sweep over
 *    each discrete dimension: every value when there are at most 32, else 16
 *    evenly spaced values plus geometric neighbours of the current one;
 *    until a sweep changes nothing.
 * Pure: randomness from the given Rng.
 */
import type { Rng } from "../../math/rng.js";
import { minimizeBox } from "../../math/optimize.js";
import { Sobol } from "../../math/sobol.js";
import type { Acquisition } from "./acqf.js";
import type { Encoding } from "./encode.js";

export interface AcqOptimizeOptions {
  readonly nCandidates: number;
  /** Local refinements from the best candidates (in addition to `extraStarts`). */
  readonly nStarts: number;
  /** Encoded points to refine as well (e.g. the best observed). */
  readonly extraStarts: readonly Float64Array[];
  readonly rng: Rng;
  readonly maxRounds?: number;
}

export interface AcqResult {
  readonly x: Float64Array;
  readonly value: number;
}

const EXHAUSTIVE_MAX = 32;

export function optimizeAcquisition(acq: Acquisition, enc: Encoding, opts: AcqOptimizeOptions): AcqResult {
  const D = enc.dims.length;
  const m = Math.max(1, opts.nCandidates);
  const P = new Sobol(D, opts.rng).take(m);
  for (let r = 0; r < m; r++) for (let d = 0; d < D; d++) P[r * D + d] = snap(enc, d, P[r * D + d]!, true);
  const values = acq.score(P, m);

  // Starts: the best, then roulette without replacement on EI.
  const order: number[] = [];
  let top = 0;
  for (let r = 1; r < m; r++) if (values[r]! > values[top]!) top = r;
  order.push(top);
  const weights = new Float64Array(m);
  let total = 0;
  for (let r = 0; r < m; r++) {
    weights[r] = r === top ? 0 : Math.exp(values[r]! - values[top]!);
    total += weights[r]!;
  }
  for (let s = 1; s < opts.nStarts && total > 0; s++) {
    let u = opts.rng.uniform() * total;
    let pick = -1;
    for (let r = 0; r < m; r++) {
      if (weights[r]! === 0) continue;
      u -= weights[r]!;
      pick = r;
      if (u <= 0) break;
    }
    if (pick < 0) break;
    order.push(pick);
    total -= weights[pick]!;
    weights[pick] = 0;
  }

  const starts: Float64Array[] = order.map((r) => P.slice(r * D, (r + 1) * D));
  for (const x of opts.extraStarts) starts.push(Float64Array.from(x));
  let bestX = starts[0]!;
  let bestV = values[top]!;
  const refiner = new Refiner(acq, enc, opts.maxRounds ?? 20);
  for (const x of starts) {
    const v = refiner.refine(x);
    if (v > bestV) {
      bestV = v;
      bestX = x;
    }
  }
  return { x: bestX, value: bestV };
}

/** Snaps u to the dimension's nearest valid value (index for categoricals). */
function snap(enc: Encoding, d: number, u: number, fromUnit: boolean): number {
  const dim = enc.dims[d]!;
  if (dim.kind === "continuous") return u;
  if (dim.kind === "categorical") return fromUnit ? Math.min(Math.floor(u * dim.count), dim.count - 1) : dim.indexOf(u);
  return dim.uAt(dim.indexOf(u));
}

class Refiner {
  private readonly D: number;
  private readonly contDims: number[];
  private readonly discDims: number[];
  private readonly active: Uint8Array;
  private readonly sqrtLambda: Float64Array;
  private readonly grad: Float64Array;

  constructor(
    private readonly acq: Acquisition,
    private readonly enc: Encoding,
    private readonly maxRounds: number,
  ) {
    this.D = enc.dims.length;
    this.contDims = [];
    this.discDims = [];
    enc.dims.forEach((d, i) => {
      (d.kind === "continuous" ? this.contDims : this.discDims).push(i);
    });
    this.active = Uint8Array.from(enc.dims, (d) => (d.kind === "continuous" ? 1 : 0));
    this.sqrtLambda = Float64Array.from(acq.post.hyper.lambda, Math.sqrt);
    this.grad = new Float64Array(this.D);
  }

  /** Improves x in place; returns its acquisition value. */
  refine(x: Float64Array): number {
    let value = this.value(x);
    for (let round = 0; round < this.maxRounds; round++) {
      if (this.contDims.length > 0) value = this.continuousStep(x, value);
      let changed = false;
      for (const d of this.discDims) {
        const v = this.discreteStep(x, d, value);
        if (v > value) {
          value = v;
          changed = true;
        }
      }
      if (!changed) break;
    }
    return value;
  }

  private value(x: Float64Array): number {
    return this.acq.score(x, 1)[0]!;
  }

  private continuousStep(x: Float64Array, value: number): number {
    const c = this.contDims;
    const z0 = new Float64Array(c.length);
    const lo = new Float64Array(c.length);
    const hi = new Float64Array(c.length);
    c.forEach((d, i) => {
      z0[i] = x[d]! * this.sqrtLambda[d]!;
      hi[i] = this.sqrtLambda[d]!;
    });
    const xt = Float64Array.from(x);
    const f = (z: Float64Array, g: Float64Array): number => {
      for (let i = 0; i < c.length; i++) xt[c[i]!] = z[i]! / this.sqrtLambda[c[i]!]!;
      const val = this.acq.valueAndGradient(xt, this.active, this.grad);
      for (let i = 0; i < c.length; i++) {
        const d = c[i]!;
        g[i] = -this.grad[d]! / this.sqrtLambda[d]!;
      }
      return -val;
    };
    // Each evaluation costs O(n²): beyond 200 observations the budget shrinks like 1/n.
    const maxEval = Math.max(30, Math.min(120, Math.round((120 * 200) / this.acq.post.n)));
    const r = minimizeBox(f, z0, lo, hi, { gtol: 1e-2, maxIter: maxEval / 2, maxEval, initialStep: 0.5 });
    if (!(-r.f > value)) return value;
    for (let i = 0; i < c.length; i++) x[c[i]!] = r.x[i]! / this.sqrtLambda[c[i]!]!;
    return -r.f;
  }

  private discreteStep(x: Float64Array, d: number, value: number): number {
    const dim = this.enc.dims[d]!;
    const current = dim.kind === "categorical" ? x[d]! : dim.indexOf(x[d]!);
    const ks = new Set<number>();
    if (dim.count <= EXHAUSTIVE_MAX) {
      for (let k = 0; k < dim.count; k++) ks.add(k);
    } else {
      for (let i = 0; i < 16; i++) ks.add(Math.round((i * (dim.count - 1)) / 15));
      for (let step = 1; step < dim.count; step *= 2) {
        if (current - step >= 0) ks.add(current - step);
        if (current + step < dim.count) ks.add(current + step);
      }
    }
    ks.delete(current);
    if (ks.size === 0) return value;
    const list = [...ks];
    const P = new Float64Array(list.length * this.D);
    list.forEach((k, r) => {
      P.set(x, r * this.D);
      P[r * this.D + d] = dim.uAt(k);
    });
    const scores = this.acq.score(P, list.length);
    let bestR = -1;
    let bestV = value;
    for (let r = 0; r < list.length; r++) {
      if (scores[r]! > bestV) {
        bestV = scores[r]!;
        bestR = r;
      }
    }
    if (bestR < 0) return value;
    x[d] = dim.uAt(list[bestR]!);
    return bestV;
  }
}
