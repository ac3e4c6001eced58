/**
 * The discrete (int, quantized) dimensions of a Parzen estimator: a value
 * scores the kernel's mass over its grid cell, so the kernels need two
 * things the continuous ones do not. Their bandwidth has a floor in units
 * of the kernel's own cell width (cellWidths, kept across updates), and
 * kernels with identical (μ, σ), common on grids, share one id so each
 * distinct kernel scores a candidate cell once (mixed-density.ts).
 */
import { logNormMass } from "../../math/truncnorm.js";
import type { Config } from "../../space/types.js";
import type { Dim } from "./dims.js";
import { grow } from "./float-buffers.js";
import { FAR, type KernelEdit, moveRows, rowRuns } from "./kernel-arrays.js";

/**
 * σ raised to gridFloor cells of `width` (but not past the prior's σ) when
 * below that: a kernel narrower than its grid cell puts almost no mass on
 * the neighbouring values, so the search could never step off it.
 */
export function gridFloored(sigma: number, width: number, gridFloor: number, priorSigma: number): number {
  const floor = gridFloor * width;
  return sigma < floor ? Math.min(floor, priorSigma) : sigma;
}

function cellWidth(dim: Dim, value: number): number {
  const [lo, hi] = dim.scale!.cell(value);
  return hi - lo;
}

/** −log Z of the kernel N(m, s²) in a dimension of domain [lo, hi]: its mass on the widened domain (1 when unbounded). */
function discreteLogNorm(m: number, s: number, lo: number, hi: number, bounded: boolean): number {
  if (!bounded) return 0;
  const a = (lo - m) / s;
  const b = (hi - m) / s;
  return a > -FAR || b < FAR ? -logNormMass(a, b) : 0;
}

export class DiscreteKernels {
  /** Per discrete dim: each kernel's id (the prior kernel's is its own). */
  readonly ids: (Int32Array | undefined)[];
  /** Per discrete dim: the distinct kernels' μ, 1/σ and −log Z, at 3·id. */
  readonly unique: (Float64Array | undefined)[];
  /** Per discrete dim, with a grid floor: each observation kernel's grid-cell width. */
  private readonly cellWidths: (Float64Array | undefined)[];

  constructor(d: number) {
    this.ids = new Array(d);
    this.unique = new Array(d);
    this.cellWidths = new Array(d);
  }

  /**
   * Dimension j's cell widths of `members`' values, carried over from
   * `prev` for kept kernels (oldOf[i] ≥ 0, as in the estimator's Reuse).
   */
  setCellWidths(
    j: number,
    dim: Dim,
    members: readonly Config[],
    oldOf: Int32Array | undefined,
    prev: DiscreteKernels | undefined,
  ): Float64Array {
    const n = members.length;
    const p = dim.param.index;
    const widths = new Float64Array(n);
    const prevWidths = prev?.cellWidths[j];
    for (let i = 0; i < n; i++) {
      const o = oldOf === undefined ? -1 : oldOf[i]!;
      widths[i] = o >= 0 && prevWidths !== undefined ? prevWidths[o]! : cellWidth(dim, members[i]![p]!);
    }
    this.cellWidths[j] = widths;
    return widths;
  }

  /** Dimension j's cell widths after an in-place edit of the kernels. */
  editCellWidths(j: number, dim: Dim, { members, src, n0, added }: KernelEdit): Float64Array {
    const n = members.length;
    const moved = grow(this.cellWidths[j]!, Math.max(n, n0));
    moveRows(moved, 1, rowRuns(src, n));
    for (const k of added) moved[k] = cellWidth(dim, members[k]!.config[dim.param.index]!);
    const widths = grow(moved, n);
    this.cellWidths[j] = widths;
    return widths;
  }

  /**
   * Gives the nk kernels (the prior last) of dimension j identical (μ, 1/σ)
   * one id. Equal μ are adjacent in the dimension's (value, index) order of
   * the observation kernels, so each run of equal μ is deduped on its own;
   * the prior kernel gets its own id.
   */
  dedupe(j: number, dim: Dim, mu: Float64Array, sigma: Float64Array, d: number, nk: number, order: Uint32Array): void {
    const n = nk - 1;
    const bounded = Number.isFinite(dim.lo) && Number.isFinite(dim.hi);
    const ids = new Int32Array(nk);
    const uniq = new Float64Array(3 * nk);
    let nu = 0;
    let runStart = 0;
    let runMu = Number.NaN;
    for (let r = 0; r <= n; r++) {
      const k = r < n ? order[r]! : n;
      const m = mu[k * d + j]!;
      const s = sigma[k * d + j]!;
      const sInv = 1 / s;
      if (r === n || m !== runMu) {
        runStart = nu;
        runMu = r === n ? Number.NaN : m;
      }
      let u = runStart;
      while (u < nu && uniq[3 * u + 1] !== sInv) u++;
      if (u === nu) {
        nu++;
        uniq[3 * u] = m;
        uniq[3 * u + 1] = sInv;
        uniq[3 * u + 2] = discreteLogNorm(m, s, dim.lo, dim.hi, bounded);
      }
      ids[k] = u;
    }
    this.ids[j] = ids;
    this.unique[j] = uniq.slice(0, 3 * nu);
  }
}
