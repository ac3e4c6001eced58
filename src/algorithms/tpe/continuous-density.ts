/**
 * The log density of a Parzen mixture whose every dimension is continuous,
 * at a batch of candidates. Kernel k's log density at x is
 *     s_k = log w_k + Σⱼ (logNormₖⱼ − ½ ((xⱼ − μₖⱼ)/σₖⱼ)²)
 * and the result is defined as the sum over the kernels within PRUNE of the
 * largest, M = maxₖ s_k:
 *     log p(x) ≈ M + log Σ_{k : s_k ≥ M − PRUNE} exp(s_k − M)   (k ascending).
 * Every kernel left out is below e^−PRUNE·exp(M), so this is the exact
 * mixture to a relative nk·e^−PRUNE (4e-15 with 1,000 kernels). Defined this
 * way, the value does not depend on how the kernels in the sum were found: a
 * linear scan (few kernels) and a k-d tree search (kernel-tree.ts) give
 * identical bits, so a cached tree can never change a suggestion.
 *
 * Both searches prune with caps (log w_k + Σⱼ logNormₖⱼ, an upper bound of
 * s_k) minus the squared distances seen so far, against the best value
 * known so far minus PRUNE; the prior kernel (the last) is scored first,
 * since it is always in the mixture and its broad density makes that floor
 * high from the start.
 *
 * A batch is scored in two steps: `beginContinuous` scores the prior
 * kernel at every candidate (its term is in every sum, so it bounds the
 * density from below: the sum is at least exp(prior − M) and M ≥ prior),
 * and `continuousAt` finishes the candidates asked for, in any order and
 * any subset: a candidate's value depends only on the kernels and its point.
 */
import { SearchStack, type KernelTree, type TreeVisitor } from "./kernel-tree.js";

export const PRUNE = 40;
/** Slack on the pruning test against rounding: a kernel with s_k ≥ M − PRUNE is never skipped. */
const MARGIN = 1e-6;

export interface ContinuousKernels {
  readonly nk: number;
  readonly d: number;
  readonly mu: Float64Array;
  readonly invSigma: Float64Array;
  readonly logNorm: Float64Array;
  readonly logW: Float64Array;
  /** Per kernel: Σⱼ logNormₖⱼ. */
  readonly normSum: Float64Array;
  /** The largest log w_k of kernels 0 .. nk−2. */
  readonly wMax: number;
}

/** Kept kernels beyond which truncatedSum sweeps the stamps instead of sorting the indices. */
const SWEEP_ABOVE = 32;

/**
 * The buffers a density call reuses (grown on demand, read only during the
 * call), and the tree search's state for one candidate, kept in this one
 * object so that a search allocates nothing. A session's workspace owns one.
 */
export class ContinuousScratch implements TreeVisitor {
  /** Kernels kept for the current candidate, and their scores by kernel index. */
  found = new Uint32Array(256);
  scoreOf = new Float64Array(256);
  /** Per kernel: the stamp of the last candidate whose tree search kept it (see truncatedSum). */
  keptBy = new Uint32Array(256);
  stamp = 0;
  readonly stack = new SearchStack();
  kr: ContinuousKernels | undefined = undefined;
  x: Float64Array = new Float64Array(0);
  xAt = 0;
  best = 0;
  count = 0;
  /** Kernels scored (kept or not), to tell whether the tree pruned much. */
  visited = 0;
  /** The batch begun last (beginContinuous): its tree, the prior kernel's term per candidate. */
  tree: KernelTree | undefined = undefined;
  priors = new Float64Array(64);
  readonly one = new Uint32Array(1);
  /** Of the batch: whether the tree is still searched, candidates finished and kernels the tree had scored for them. */
  useTree = false;
  finished = 0;
  treeVisited = 0;

  /** Room for nk kernels. */
  reserve(nk: number): void {
    if (this.found.length >= nk) return;
    this.found = new Uint32Array(2 * nk);
    this.scoreOf = new Float64Array(2 * nk);
    this.keptBy = new Uint32Array(2 * nk);
    this.stamp = 0;
  }

  /**
   * continuousUnless's watch: Σ exp(s − ref) over the prior and the kernels
   * kept so far, against `limit`; `stopped` once it is passed (the search
   * then prunes everything left).
   */
  watching = false;
  stopped = false;
  ref = 0;
  acc = 0;
  above = 0;
  limit = 0;

  floor(): number {
    return this.stopped ? Number.POSITIVE_INFINITY : this.best - PRUNE - MARGIN;
  }

  visit(k: number): void {
    if (this.stopped) return;
    this.visited++;
    const s = score(this.kr!, k, this.x, this.xAt, this.best - PRUNE - MARGIN);
    if (Number.isNaN(s)) return;
    this.found[this.count++] = k;
    this.scoreOf[k] = s;
    if (s > this.best) this.best = s;
    if (!this.watching) return;
    // Rescaled as terms grow, so that exp never overflows.
    if (s > this.ref + 30) {
      this.acc *= Math.exp(this.ref - s);
      this.ref = s;
      this.limit = Math.exp(this.above - s);
    }
    this.acc += Math.exp(s - this.ref);
    if (this.acc > this.limit) this.stopped = true;
  }
}

/** out[i] = log density at candidate i (x[i·d + j]), searching `tree` (over kernels 0 .. nk−2) when given. */
export function continuousLogDensity(
  kr: ContinuousKernels,
  tree: KernelTree | undefined,
  x: Float64Array,
  nc: number,
  out: Float64Array,
  sc: ContinuousScratch,
): void {
  beginContinuous(kr, tree, x, nc, out, sc);
  continuousAt(x, undefined, nc, out, sc);
}

/**
 * Begins a batch of nc candidates: lower[i] = the prior kernel's term at
 * candidate i, which its log density is never below (see above). The
 * batch's state stays in `sc` for continuousAt until the next batch begins.
 */
export function beginContinuous(
  kr: ContinuousKernels,
  tree: KernelTree | undefined,
  x: Float64Array,
  nc: number,
  lower: Float64Array,
  sc: ContinuousScratch,
): void {
  const { nk, d } = kr;
  sc.reserve(nk);
  if (sc.priors.length < nc) sc.priors = new Float64Array(2 * nc);
  sc.kr = kr;
  sc.tree = tree;
  sc.useTree = tree !== undefined;
  sc.finished = 0;
  sc.treeVisited = 0;
  sc.watching = false;
  sc.stopped = false;
  const priors = sc.priors;
  const last = nk - 1;
  for (let i = 0; i < nc; i++) {
    const p = score(kr, last, x, i * d, Number.NEGATIVE_INFINITY);
    priors[i] = p;
    lower[i] = p;
  }
}

/** out[i] = log density at candidate i of the batch begun last, for i in which[0, count) (which undefined: 0 .. count−1). */
export function continuousAt(
  x: Float64Array,
  which: Uint32Array | undefined,
  count: number,
  out: Float64Array,
  sc: ContinuousScratch,
): void {
  const kr = sc.kr!;
  const tree = sc.tree;
  const { nk, d } = kr;
  const priors = sc.priors;
  for (let q = 0; q < count; q++) {
    const i = which === undefined ? q : which[q]!;
    const xAt = i * d;
    const prior = priors[i]!;
    const useTree = sc.useTree;
    const kept = useTree ? searchTree(kr, tree!, x, xAt, prior, sc) : scanAll(kr, x, xAt, prior, sc);
    sc.finished++;
    if (!sc.stopped) out[i] = truncatedSum(sc, kept, prior, useTree, nk - 1);
    // The tree pays off only when it skips most kernels. When it has had to
    // score a third of them or more per candidate so far (candidates inside
    // the bulk of the kernels, as near an interior optimum) its overhead and
    // the sort exceed a plain scan, which keeps the same kernels, so the same
    // bits: the rest of the batch is scanned. Averaged over the batch, not
    // decided by one candidate: a few candidates in a dense stretch (as along
    // a Pareto front) should not cost the rest of the batch its pruning.
    if (useTree) {
      sc.treeVisited += sc.visited;
      if (sc.treeVisited > (sc.finished * nk) / 3) sc.useTree = false;
    }
  }
}

/**
 * out[i] = the log density at candidate i of the batch begun last, unless
 * it is found to be above `above` (then false, and out[i] is not set): the
 * tree search visits the nearest kernels first, and the terms kept so far
 * (with the prior's) already make the density more than `above`. Their
 * log-sum-exp is a lower bound of the density up to the kernels kept below
 * M − PRUNE, at most nk·e^−PRUNE relatively, and rounding, both far below
 * the margin (1e-6, relative beyond 1) added to `above`. Without a tree in
 * use it always finishes.
 */
export function continuousUnless(
  x: Float64Array,
  i: number,
  above: number,
  out: Float64Array,
  sc: ContinuousScratch,
): boolean {
  const which = sc.one;
  which[0] = i;
  if (!sc.useTree || !(above < Number.POSITIVE_INFINITY)) {
    continuousAt(x, which, 1, out, sc);
    return true;
  }
  const prior = sc.priors[i]!;
  sc.watching = true;
  sc.stopped = false;
  sc.ref = prior;
  sc.acc = 1;
  sc.above = above + MARGIN * (1 + Math.abs(above));
  sc.limit = Math.exp(sc.above - prior);
  continuousAt(x, which, 1, out, sc);
  sc.watching = false;
  if (!sc.stopped) return true;
  sc.stopped = false;
  return false;
}

/**
 * s_k at x, or NaN once the cap minus the squared distances so far falls
 * below `floor` (then s_k < floor + MARGIN: the kernel cannot be in the sum).
 */
function score(kr: ContinuousKernels, k: number, x: Float64Array, xAt: number, floor: number): number {
  const { d, mu, invSigma, logNorm } = kr;
  let ub = kr.logW[k]! + kr.normSum[k]!;
  if (ub < floor) return Number.NaN;
  let s = kr.logW[k]!;
  const kd = k * d;
  for (let j = 0; j < d; j++) {
    const z = (x[xAt + j]! - mu[kd + j]!) * invSigma[kd + j]!;
    const t = 0.5 * z * z;
    s += logNorm[kd + j]! - t;
    ub -= t;
    if (ub < floor) return Number.NaN;
  }
  return s;
}

/** Kernels 0 .. nk−2 in order; returns how many were kept (in sc.found, scores in sc.scoreOf by kernel). */
function scanAll(kr: ContinuousKernels, x: Float64Array, xAt: number, prior: number, sc: ContinuousScratch): number {
  const { found, scoreOf } = sc;
  let best = prior;
  let count = 0;
  for (let k = 0; k < kr.nk - 1; k++) {
    const s = score(kr, k, x, xAt, best - PRUNE - MARGIN);
    if (Number.isNaN(s)) continue; // pruned
    found[count++] = k;
    scoreOf[k] = s;
    if (s > best) best = s;
  }
  return count;
}

/** At least the kernels scanAll would keep, found by descending the tree. */
function searchTree(
  kr: ContinuousKernels,
  t: KernelTree,
  x: Float64Array,
  xAt: number,
  prior: number,
  sc: ContinuousScratch,
): number {
  sc.kr = kr;
  sc.x = x;
  sc.xAt = xAt;
  sc.best = prior;
  sc.count = 0;
  sc.visited = 0;
  t.search(x, xAt, kr.wMax, sc, sc.stack);
  return sc.count;
}

/**
 * M + log Σ exp(s − M) over the kept kernels within PRUNE of M, in ascending
 * kernel order, then the prior kernel. A tree search finds kernels out of
 * order: a few are sorted; when there are many (hundreds, near an interior
 * optimum), marking them and sweeping all `nk` kernel slots in order is
 * cheaper than sorting them, and sums in the same order.
 */
function truncatedSum(sc: ContinuousScratch, count: number, prior: number, unordered: boolean, nk: number): number {
  const kept = sc.found;
  const s = sc.scoreOf;
  let m = prior;
  for (let q = 0; q < count; q++) if (s[kept[q]!]! > m) m = s[kept[q]!]!;
  if (m === Number.NEGATIVE_INFINITY) return m;
  const floor = m - PRUNE;
  let sum = 0;
  if (unordered && count > SWEEP_ABOVE) {
    const keptBy = sc.keptBy;
    if (sc.stamp === 0xffffffff) {
      keptBy.fill(0);
      sc.stamp = 0;
    }
    const mark = ++sc.stamp;
    for (let q = 0; q < count; q++) keptBy[kept[q]!] = mark;
    for (let k = 0; k < nk; k++) {
      if (keptBy[k] !== mark) continue;
      const v = s[k]!;
      if (v >= floor) sum += Math.exp(v - m);
    }
  } else {
    if (unordered && count > 1) insertionSort(kept, count);
    for (let q = 0; q < count; q++) {
      const v = s[kept[q]!]!;
      if (v >= floor) sum += Math.exp(v - m);
    }
  }
  if (prior >= floor) sum += Math.exp(prior - m);
  return m + Math.log(sum);
}

/** Sorts a[0, count) ascending (count is small). */
function insertionSort(a: Uint32Array, count: number): void {
  for (let r = 1; r < count; r++) {
    const v = a[r]!;
    let q = r;
    while (q > 0 && a[q - 1]! > v) {
      a[q] = a[q - 1]!;
      q--;
    }
    a[q] = v;
  }
}
