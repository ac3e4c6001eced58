/**
 * A Parzen estimator over one group of parameters: a weighted mixture of
 * product kernels, one per observation plus one prior kernel (the last).
 *
 * Notation: n observations, nk = n + 1 kernels, d dimensions, nc candidates.
 * Kernel arrays are flat and kernel-major: mu[k·d + j], sigma[k·d + j].
 *   - continuous j: N(mu, sigma²) truncated to the coordinate domain [lo, hi]
 *     (untruncated for normal domains); logNorm = −log σ − log√(2π) − log Z.
 *   - discrete j (int, quantized): the same kernel, but a value scores the
 *     kernel's mass over its grid cell (discrete-kernels.ts).
 *   - categorical j: mu holds the observed option v; the kernel puts
 *     (a·pᶜ + [c = v]) / (a + 1) on option c, with a = categorical_prior_weight·C/(n+1)
 *     and pᶜ the choice weights (the prior kernel is p itself; categorical-kernels.ts).
 * Densities: continuous-density.ts (and kernel-tree.ts), mixed-density.ts;
 * mixture weights: mixture-weights.ts.
 * Pure: randomness comes from the Rng passed to `sample`, and scratch memory
 * from the session's workspace passed to the methods that need it. The one
 * mutation, editInPlace (used by the estimator memo, estimator-memo.ts), leaves
 * the estimator exactly as a fresh build over the new member list would be.
 */
import type { Rng } from "../../math/rng.js";
import { sampleTruncNormalFrom, truncNormalParts, type TruncNormalParts } from "../../math/truncnorm.js";
import { sampleCategorical } from "../../space/prior.js";
import type { Config } from "../../space/types.js";
import { bandwidthLimits, gapBandwidthAt, gapBandwidths, type BandwidthRule } from "./bandwidth.js";
import { allocateCandidates, type Candidates } from "./candidates.js";
import { CategoricalKernels } from "./categorical-kernels.js";
import { beginContinuous, continuousAt, continuousUnless, type ContinuousKernels } from "./continuous-density.js";
import { CATEGORICAL, CONTINUOUS, DISCRETE, type Dim } from "./dims.js";
import { DiscreteKernels, gridFloored } from "./discrete-kernels.js";
import { grow, take } from "./float-buffers.js";
import {
  continuousLogNorm,
  editMaps,
  gatherCoords,
  inverseMap,
  type KernelEdit,
  moveRows,
  normalisers,
  rowRuns,
  type PrevKernels,
} from "./kernel-arrays.js";
import { KernelTree } from "./kernel-tree.js";
import { beginMixed, mixedAt } from "./mixed-density.js";
import { fillMixtureWeights, pickKernel } from "./mixture-weights.js";
import { editedSorted, positionOf, sortedBy, updatedSorted, type Sorted } from "./sorted-order.js";
import type { TpeWorkspace } from "./workspace.js";

export { allocateCandidates, type Candidates };

export interface BandwidthOptions {
  readonly considerEndpoints: boolean;
  /** With considerEndpoints: the share of the gap to the domain edge an outermost kernel reaches (default 1). */
  readonly endpointReach?: number;
  readonly floor: number;
  readonly clipExponent: number | undefined;
  /** Discrete dims: least σ in units of the kernel's own grid cell. */
  readonly gridFloor: number;
}

/** All-continuous groups with at least this many observation kernels are searched with a k-d tree. */
const TREE_MIN = 128;

/**
 * Parts of a previous estimator to carry over (see estimator-memo.ts): it
 * must have been built with the same dims, bandwidth options and
 * categorical prior weight, and oldOf[i] ≥ 0 says that observation kernel i
 * has the same configuration as the previous estimator's kernel oldOf[i]
 * (increasing over the kept kernels). The result is identical to a fresh build.
 */
export interface Reuse {
  readonly prev: ParzenEstimator | undefined;
  readonly oldOf: Int32Array | undefined;
  /** An estimator no longer in use (not `prev`) whose arrays may be overwritten, saving fresh allocations. */
  readonly recycle: ParzenEstimator | undefined;
}

function ruleOf(dim: Dim, bw: BandwidthOptions): BandwidthRule {
  return {
    lo: dim.lo,
    hi: dim.hi,
    range: dim.priorSigma,
    considerEndpoints: bw.considerEndpoints,
    endpointReach: bw.endpointReach,
    floor: bw.floor,
    clipExponent: bw.clipExponent,
  };
}

export class ParzenEstimator {
  readonly d: number;
  /** Kernels, the prior last; changes with editInPlace. */
  nk: number;
  private readonly dims: readonly Dim[];
  private readonly kinds: Int8Array;
  private readonly allContinuous: boolean;
  private logW: Float64Array;
  private cumW: Float64Array;
  private mu: Float64Array;
  private sigma: Float64Array;
  private invSigma: Float64Array;
  /** Continuous: −log σ − log√(2π) − log Z. Unused for other kinds. */
  private logNorm: Float64Array;
  /** Whether dimension j has a bounded domain (truncated kernels). */
  private readonly bounded: boolean[];
  /** Discrete and categorical dim j: an upper bound of its term in any kernel's log density (discrete: set per logDensity call). */
  private readonly bound: Float64Array;
  /**
   * Per kernel: the sum of its continuous normalisers, so that log weight +
   * normSum bounds its log density over the continuous dims (each adds
   * logNorm − z²/2) from above.
   */
  private normSum: Float64Array;
  /** The largest log weight of an observation kernel (all but the prior). */
  private wMax = Number.NEGATIVE_INFINITY;
  /**
   * All-continuous groups: a k-d tree over the observation kernels, built on
   * the second use, carried over updates and refitted on the next use after one.
   */
  private tree: KernelTree | undefined;
  private densityCalls = 0;
  /** Numeric dims: what a draw from kernel k needs besides the uniform, by k·d + j, kept until the next change (setWeights). */
  private readonly drawParts = new Map<number, TruncNormalParts>();
  /** Whether the tree must be refitted in full before use (after a renumbering), rather than only where touched. */
  private treeRenumbered = false;
  /** Categorical dims' option log-probabilities. */
  private readonly categorical: CategoricalKernels;
  /** Discrete dims' cell widths and kernel ids. */
  private readonly discrete: DiscreteKernels;
  /** Numeric dims: the observation kernels in (μ, index) order, kept for updates. */
  private readonly orders: (Sorted | undefined)[];
  private readonly bw: BandwidthOptions;

  constructor(
    dims: readonly Dim[],
    members: readonly Config[],
    rawWeights: Float64Array,
    priorRawWeight: number,
    categoricalPriorWeight: number,
    bw: BandwidthOptions,
    ws: TpeWorkspace,
    reuse?: Reuse,
  ) {
    const n = members.length;
    const d = dims.length;
    const nk = n + 1;
    this.d = d;
    this.nk = nk;
    this.dims = dims;
    this.bw = bw;
    this.kinds = Int8Array.from(dims, (dim) => dim.kind);
    this.allContinuous = dims.every((dim) => dim.kind === CONTINUOUS);

    const spare = reuse?.recycle !== reuse?.prev ? reuse?.recycle : undefined;
    this.logW = take(spare?.logW, nk);
    this.cumW = take(spare?.cumW, nk);
    this.setWeights(n, rawWeights, priorRawWeight);

    this.mu = take(spare?.mu, nk * d);
    this.sigma = take(spare?.sigma, nk * d);
    this.invSigma = take(spare?.invSigma, nk * d);
    this.logNorm = take(spare?.logNorm, nk * d);
    this.normSum = take(spare?.normSum, nk);
    this.bounded = dims.map((dim) => Number.isFinite(dim.lo) && Number.isFinite(dim.hi));
    this.bound = new Float64Array(d);
    this.categorical = new CategoricalKernels(d, categoricalPriorWeight);
    this.discrete = new DiscreteKernels(d);

    // Gather every member's coordinates in one pass over the members: each
    // config is its own small array, so visiting them once per dimension
    // would miss the cache d times over. A kept kernel copies its row.
    const oldOf = reuse?.oldOf;
    const prev = reuse?.prev;
    const added = gatherCoords(dims, members, this.mu, oldOf, prev?.mu);
    const inv = prev !== undefined && oldOf !== undefined ? inverseMap(oldOf, prev.nk - 1, added) : undefined;
    const prevKernels: PrevKernels | undefined = prev && {
      nk: prev.nk,
      mu: prev.mu,
      sigma: prev.sigma,
      logNorm: prev.logNorm,
    };
    if (prev?.tree !== undefined && inv !== undefined && this.allContinuous) {
      // The previous kernels' tree, renumbered (prev is not handed out again: the memo replaces it).
      this.tree = prev.tree;
      prev.tree = undefined;
      this.tree.renumber(inv.newOf);
      for (const k of inv.addedIdx) this.tree.insert(k, this.mu);
      this.treeRenumbered = true;
    }

    this.orders = new Array(d);
    for (let j = 0; j < d; j++) {
      const dim = dims[j]!;
      if (dim.kind === CATEGORICAL) {
        this.setCategorical(j, dim, n);
        continue;
      }
      const rule = ruleOf(dim, bw);
      const prevOrder = prev?.orders[j];
      const order =
        prevOrder !== undefined && inv !== undefined && 2 * added < n
          ? updatedSorted(this.mu, n, d, j, prevOrder, inv.newOf, inv.addedIdx)
          : sortedBy(this.mu, n, d, j, ws.sort);
      this.orders[j] = order;
      gapBandwidths(this.mu, n, d, j, order, rule, this.sigma);
      if (dim.kind === DISCRETE && bw.gridFloor > 0) {
        const widths = this.discrete.setCellWidths(j, dim, members, oldOf, prev?.discrete);
        const sigma = this.sigma;
        for (let i = 0; i < n; i++)
          sigma[i * d + j] = gridFloored(sigma[i * d + j]!, widths[i]!, bw.gridFloor, dim.priorSigma);
      }
      this.mu[n * d + j] = dim.priorMu;
      this.sigma[n * d + j] = dim.priorSigma;
      const continuous = dim.kind === CONTINUOUS;
      const truncated = continuous && this.bounded[j]!;
      normalisers(
        nk,
        d,
        j,
        continuous,
        truncated,
        dim.lo,
        dim.hi,
        this.mu,
        this.sigma,
        this.invSigma,
        this.logNorm,
        oldOf,
        prevKernels,
      );
      if (dim.kind === DISCRETE) this.discrete.dedupe(j, dim, this.mu, this.sigma, d, nk, order.order);
    }
    for (let k = 0; k < nk; k++) this.sumNormalisers(k);
  }

  /** normSum[k] from logNorm. */
  private sumNormalisers(k: number): void {
    const d = this.d;
    let c = 0;
    for (let j = 0; j < d; j++) if (this.kinds[j] === CONTINUOUS) c += this.logNorm[k * d + j]!;
    this.normSum[k] = c;
  }

  /** The mixture weights of n observation kernels and the prior; every build and edit passes here, so it also forgets the draw parts. */
  private setWeights(n: number, rawWeights: Float64Array, priorRawWeight: number): void {
    const nk = n + 1;
    this.drawParts.clear();
    if (this.logW.length !== nk) {
      this.logW = grow(this.logW, nk);
      this.cumW = grow(this.cumW, nk);
    }
    this.wMax = fillMixtureWeights(n, rawWeights, priorRawWeight, this.logW, this.cumW);
  }

  /**
   * Edits the kernels in place into those of `members` (their configs): oldOf[i] is the
   * current kernel of member i (the same configuration) or −1 for a new one,
   * increasing over the kept ones; kernels not referenced are removed. The
   * same result as a fresh build over `members`, for e kernels added or
   * removed in O(e·d·log n) plus a few cheap O(n·d) passes (moving rows,
   * renumbering the sorted orders) and O(n) for the weights and per discrete
   * dimension (its kernel dedupe): a Report appends one kernel, and a change
   * of the good set moves one kernel in or out. Only while the bandwidth
   * clip limits do not move with n; returns false (and changes nothing) otherwise.
   */
  editInPlace(
    members: readonly { readonly config: Config }[],
    oldOf: Int32Array,
    rawWeights: Float64Array,
    priorRawWeight: number,
    ws: TpeWorkspace,
  ): boolean {
    const n0 = this.nk - 1;
    const n = members.length;
    if (n < 2 || n0 < 2 || oldOf.length !== n || !this.sameClipLimits(n0, n)) return false;
    // src: each new kernel's current row (the prior kernel's too), −1 for new ones; newOf: the inverse.
    const nk = n + 1;
    if (ws.edit.length < nk + n0) ws.edit = new Int32Array(2 * (nk + n0));
    const src = ws.edit.subarray(0, nk);
    const newOf = ws.edit.subarray(nk, nk + n0).fill(-1);
    const added: number[] = [];
    if (!editMaps(oldOf, n0, src, newOf, added)) return false;

    const edit: KernelEdit = { members, src, n0, added };
    this.moveKernelRows(edit);
    // Kernels only appended: every index stays, nothing to renumber.
    const renamed = added.length > 0 ? added[0]! < n0 || n0 + added.length !== n : n !== n0;
    if (renamed) this.tree?.renumber(newOf);
    for (const k of added) this.tree?.insert(k, this.mu);

    /** Kernels whose bandwidth may have changed: the new ones and the sorted neighbours of every change. */
    const changed = new Set<number>(added);
    for (let j = 0; j < this.d; j++) {
      const dim = this.dims[j]!;
      if (dim.kind === CATEGORICAL) this.setCategorical(j, dim, n);
      else this.editNumericDim(j, dim, edit, renamed ? newOf : undefined, changed);
    }
    for (const k of changed) {
      this.sumNormalisers(k);
      this.tree?.touch(k);
    }
    this.setWeights(n, rawWeights, priorRawWeight);
    return true;
  }

  /**
   * The edit's kernel rows: row i becomes the current row src[i] (i ≤ n, the
   * prior last), or for a member in `added` a new row, zeroed like a fresh
   * build's but for its coordinates; nk becomes n + 1.
   */
  private moveKernelRows({ members, src, n0, added }: KernelEdit): void {
    const d = this.d;
    const nk = members.length + 1;
    // Room for both the old rows (read) and the new ones (written), then views of the new length.
    this.resizeRows(Math.max(nk, n0 + 1));
    const runs = rowRuns(src, nk);
    for (const a of [this.mu, this.sigma, this.invSigma, this.logNorm]) moveRows(a, d, runs);
    moveRows(this.normSum, 1, runs);
    this.resizeRows(nk);
    const { mu, sigma, invSigma, logNorm } = this;
    for (const k of added) {
      sigma.fill(0, k * d, (k + 1) * d);
      invSigma.fill(0, k * d, (k + 1) * d);
      logNorm.fill(0, k * d, (k + 1) * d);
      gatherCoords(this.dims, [members[k]!.config], mu.subarray(k * d, (k + 1) * d), undefined, undefined);
    }
    this.nk = nk;
  }

  /**
   * The edit in numeric dimension j, after the rows moved: the sorted order
   * updated (dropping and renaming by newOf when given), and σ with its
   * derived values refitted for every kernel whose sorted neighbours
   * changed; those kernels are added to `changed`.
   */
  private editNumericDim(
    j: number,
    dim: Dim,
    edit: KernelEdit,
    newOf: Int32Array | undefined,
    changed: Set<number>,
  ): void {
    const { src, added } = edit;
    const { d, nk, bw, mu, sigma, invSigma, logNorm } = this;
    const n = nk - 1;
    const touched = new Set<number>();
    const sorted = editedSorted(this.orders[j]!, newOf, added, mu, d, j, touched);
    this.orders[j] = sorted;
    const discrete = dim.kind === DISCRETE;
    const widths = discrete && bw.gridFloor > 0 ? this.discrete.editCellWidths(j, dim, edit) : undefined;
    const rule = ruleOf(dim, bw);
    const [sMin, sMax] = bandwidthLimits(n, rule);
    const { order, values } = sorted;
    const truncated = !discrete && this.bounded[j]!;
    for (const k of touched) {
      const r = positionOf(sorted, k, mu[k * d + j]!);
      let sg = gapBandwidthAt(values, r, n, rule, sMin, sMax);
      changed.add(k);
      if (widths !== undefined) sg = gridFloored(sg, widths[k]!, bw.gridFloor, dim.priorSigma);
      const idx = k * d + j;
      if (src[k]! >= 0 && sigma[idx] === sg) continue;
      sigma[idx] = sg;
      invSigma[idx] = 1 / sg;
      if (!discrete) logNorm[idx] = continuousLogNorm(values[r]!, sg, dim.lo, dim.hi, truncated);
    }
    if (discrete) this.discrete.dedupe(j, dim, mu, sigma, d, nk, order);
  }

  /** Whether every numeric dimension's bandwidth limits are the same for n0 and n observation kernels (the edit keeps untouched kernels' σ). */
  private sameClipLimits(n0: number, n: number): boolean {
    for (const dim of this.dims) {
      if (dim.kind === CATEGORICAL) continue;
      const rule = ruleOf(dim, this.bw);
      const [a0, b0] = bandwidthLimits(n0, rule);
      const [a1, b1] = bandwidthLimits(n, rule);
      if (a0 !== a1 || b0 !== b1) return false;
    }
    return true;
  }

  /** The kernel arrays as views of `rows` kernels (contents kept). */
  private resizeRows(rows: number): void {
    const d = this.d;
    this.mu = grow(this.mu, rows * d);
    this.sigma = grow(this.sigma, rows * d);
    this.invSigma = grow(this.invSigma, rows * d);
    this.logNorm = grow(this.logNorm, rows * d);
    this.normSum = grow(this.normSum, rows);
  }

  /** The prior kernel's placeholder option and the option log-probabilities of categorical dimension j, for n observation kernels. */
  private setCategorical(j: number, dim: Dim, n: number): void {
    this.mu[n * this.d + j] = -1;
    this.bound[j] = this.categorical.set(j, dim, n);
  }

  /** Fills `out` with `out.n` draws: pick a kernel by weight, then draw every dimension from it. */
  sample(rng: Rng, out: Candidates): void {
    const d = this.d;
    const nk = this.nk;
    const n = nk - 1;
    const { cumW, logW } = this;
    const catA = this.categorical.a;
    for (let i = 0; i < out.n; i++) {
      const k = pickKernel(cumW, logW, nk, rng.uniform());
      for (let j = 0; j < d; j++) {
        const dim = this.dims[j]!;
        const at = i * d + j;
        if (dim.kind === CATEGORICAL) {
          const a = catA[j]!;
          const v = this.mu[k * d + j]!;
          const pick = k === n || rng.uniform() * (a + 1) >= 1 ? sampleCategorical(dim.choiceWeights, rng) : v;
          out.values[at] = pick;
          continue;
        }
        const scale = dim.scale!;
        const m = this.mu[k * d + j]!;
        const sg = this.sigma[k * d + j]!;
        let parts = this.drawParts.get(k * d + j);
        if (parts === undefined) {
          parts = truncNormalParts(m, sg, dim.lo, dim.hi);
          this.drawParts.set(k * d + j, parts);
        }
        const t = sampleTruncNormalFrom(parts, m, sg, dim.lo, dim.hi, rng.uniform());
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

  /** out[i] = log of the mixture density (mass, for discrete dims) at candidate i, exact to a relative nk·e^−40. */
  logDensity(c: Candidates, out: Float64Array, ws: TpeWorkspace): void {
    this.beginDensity(c, out, ws);
    this.densityAt(c, undefined, c.n, out, ws);
  }

  /**
   * Begins scoring the batch `c`: lower[i] = the prior kernel's log term at
   * candidate i, below which its log density never is (continuous-density.ts).
   * densityAt then gives the densities asked for; nothing else may be scored
   * on `ws` in between.
   */
  beginDensity(c: Candidates, lower: Float64Array, ws: TpeWorkspace): void {
    if (this.allContinuous) {
      this.beginContinuousDensity(c, lower, ws);
      return;
    }
    const { nk, d, dims, kinds, mu, invSigma, logNorm, logW, normSum, bound } = this;
    const { ids: discreteIds, unique: discreteKernels } = this.discrete;
    const { on: catOn, off: catOff, prior: catPrior } = this.categorical;
    beginMixed(
      {
        nk,
        d,
        dims,
        kinds,
        mu,
        invSigma,
        logNorm,
        logW,
        normSum,
        bound,
        discreteIds,
        discreteKernels,
        catOn,
        catOff,
        catPrior,
      },
      c,
      lower,
      ws.mixed,
    );
  }

  /**
   * out[i] = log density at candidate i of the batch begun last, unless it is
   * found to be above `above` on the way (all-continuous groups; then false
   * and out[i] not set).
   */
  densityUnless(c: Candidates, i: number, above: number, out: Float64Array, ws: TpeWorkspace): boolean {
    if (this.allContinuous) return continuousUnless(c.lo, i, above, out, ws.continuous);
    const one = ws.mixed.one;
    one[0] = i;
    mixedAt(c, one, 1, out, ws.mixed);
    return true;
  }

  /** out[i] = log density at candidate i of the batch begun last, for i in which[0, count) (undefined: 0 .. count−1). */
  densityAt(c: Candidates, which: Uint32Array | undefined, count: number, out: Float64Array, ws: TpeWorkspace): void {
    if (this.allContinuous) continuousAt(c.lo, which, count, out, ws.continuous);
    else mixedAt(c, which, count, out, ws.mixed);
  }

  /** beginDensity for groups whose every dimension is continuous: the same loop without per-kind dispatch. */
  private beginContinuousDensity(c: Candidates, lower: Float64Array, ws: TpeWorkspace): void {
    const nk = this.nk;
    const { mu, invSigma, normSum } = this;
    const kernels: ContinuousKernels = {
      nk,
      d: this.d,
      mu,
      invSigma,
      logNorm: this.logNorm,
      logW: this.logW,
      normSum,
      wMax: this.wMax,
    };
    let tree: KernelTree | undefined;
    // Built on the second call to this estimator (the memo reused it), not the first: a tree
    // pays for its build over many suggestions, and an estimator used once is cheaper scanned.
    this.densityCalls++;
    if (nk - 1 >= TREE_MIN && (this.tree !== undefined || this.densityCalls >= 2)) {
      if (this.tree === undefined || this.tree.worn) this.tree = new KernelTree(mu, invSigma, normSum, nk - 1, this.d);
      else if (this.treeRenumbered) this.tree.refit(mu, invSigma, normSum);
      else this.tree.refresh(mu, invSigma, normSum);
      this.treeRenumbered = false;
      tree = this.tree;
    }
    beginContinuous(kernels, tree, c.lo, c.n, lower, ws.continuous);
  }
}
