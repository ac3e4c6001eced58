/**
 * A k-d tree over the observation kernels of an all-continuous Parzen
 * estimator, for finding, per candidate, the few kernels whose log density
 * comes within PRUNE of the largest: with a thousand trials of history
 * almost every kernel is tens of nats below the best at any given point,
 * and a linear scan spends nearly all its time proving that one kernel at
 * a time.
 *
 * Each node keeps, over its kernels, the bounding box of the centres μ, the
 * least 1/σ per dimension and the largest Σⱼ log normaliser, so that for a
 * point x no kernel below it can have a log density above
 *     max log w + maxNorm − ½ Σⱼ (gapⱼ(x, box) · min 1/σⱼ)²,
 * which lets a whole subtree be skipped with one test. The tree decides only
 * which kernels are scored; the score and the sum are defined without it
 * (continuous-density.ts), so the result does not depend on its shape.
 *
 * Kept across the estimator's updates (a Report adds a kernel and changes a
 * few bandwidths; a change of the good set renumbers the kernels): the
 * partition stays, new kernels go to the leaf their centre falls in, and
 * `refresh` recomputes the boxes, 1/σ and normalisers of the leaves whose
 * kernels were touched or removed and of their ancestors (`refit`: of every
 * node, in O(n·d)), instead of a build's O(n·d·log n). After n/4 insertions
 * it is rebuilt, so the leaves stay small.
 */

export interface TreeVisitor {
  floor(): number;
  visit(k: number): void;
}

/** Kernels per leaf at a build: small enough to prune finely, large enough that node tests stay a minor cost. */
const LEAF = 8;

export class KernelTree {
  readonly d: number;
  /** Nodes in heap order: v's children are 2v + 1 and 2v + 2. */
  private readonly size: number;
  private readonly isLeaf: Uint8Array;
  /** Internal nodes: the median split (kernels with μ below it went left). */
  private readonly splitDim: Uint32Array;
  private readonly splitAt: Float64Array;
  /** Leaves: a linked list of kernels, head[v] → next[k] → … → −1; and each kernel's leaf. */
  private readonly head: Int32Array;
  private next: Int32Array;
  private leafOf: Int32Array;
  /** The previous `next`, reused by the next renumbering. */
  private spareNext: Int32Array | undefined;
  /** Leaves to refresh. */
  private readonly dirty: Uint8Array;
  private anyDirty = false;
  /** Per node and dimension (v·d + j): box of the centres, least 1/σ; per node: the largest Σⱼ log normaliser. */
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly minInv: Float64Array;
  private readonly maxNorm: Float64Array;
  /** Kernels when built, and inserted since. */
  private readonly built: number;
  private inserted = 0;

  /** The tree over kernels 0 .. n−1 of the kernel-major arrays (k·d + j), with Σⱼ log normaliser per kernel. */
  constructor(mu: Float64Array, invSigma: Float64Array, normSum: Float64Array, n: number, d: number) {
    let leaves = 1;
    while (leaves * LEAF < n) leaves *= 2;
    const size = 2 * leaves - 1;
    this.d = d;
    this.size = size;
    this.built = n;
    this.isLeaf = new Uint8Array(size);
    this.splitDim = new Uint32Array(size);
    this.splitAt = new Float64Array(size);
    this.head = new Int32Array(size).fill(-1);
    this.next = new Int32Array(n + (n >> 1) + 16).fill(-1);
    this.leafOf = new Int32Array(this.next.length).fill(-1);
    this.dirty = new Uint8Array(size);
    this.lo = new Float64Array(size * d);
    this.hi = new Float64Array(size * d);
    this.minInv = new Float64Array(size * d);
    this.maxNorm = new Float64Array(size);
    const perm = new Uint32Array(n);
    for (let k = 0; k < n; k++) perm[k] = k;
    this.partition(perm, mu, invSigma, 0, 0, n);
    this.refit(mu, invSigma, normSum);
  }

  /** Whether `refit` would leave the tree too unbalanced: rebuild instead. */
  get worn(): boolean {
    return 4 * this.inserted > this.built;
  }

  private partition(
    perm: Uint32Array,
    mu: Float64Array,
    invSigma: Float64Array,
    v: number,
    s: number,
    e: number,
  ): void {
    const d = this.d;
    if (e - s <= LEAF || 2 * v + 2 >= this.size) {
      this.isLeaf[v] = 1;
      for (let r = e - 1; r >= s; r--) this.push(v, perm[r]!);
      return;
    }
    // Split the dimension in which the centres spread widest, in units of their σ, at the median.
    let split = 0;
    let widest = -1;
    for (let j = 0; j < d; j++) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      let inv = Number.POSITIVE_INFINITY;
      for (let r = s; r < e; r++) {
        const at = perm[r]! * d + j;
        const m = mu[at]!;
        if (m < lo) lo = m;
        if (m > hi) hi = m;
        if (invSigma[at]! < inv) inv = invSigma[at]!;
      }
      const spread = (hi - lo) * inv;
      if (spread > widest) {
        widest = spread;
        split = j;
      }
    }
    const mid = (s + e) >>> 1;
    select(perm, s, e, mid, mu, d, split);
    this.splitDim[v] = split;
    this.splitAt[v] = mu[perm[mid]! * d + split]!;
    this.partition(perm, mu, invSigma, 2 * v + 1, s, mid);
    this.partition(perm, mu, invSigma, 2 * v + 2, mid, e);
  }

  private push(v: number, k: number): void {
    if (k >= this.next.length) {
      const grown = new Int32Array(2 * k + 16).fill(-1);
      grown.set(this.next);
      this.next = grown;
      const leafOf = new Int32Array(grown.length).fill(-1);
      leafOf.set(this.leafOf);
      this.leafOf = leafOf;
    }
    this.next[k] = this.head[v]!;
    this.head[v] = k;
    this.leafOf[k] = v;
  }

  /** Marks kernel k (in the tree) as changed: its leaf and the leaf's ancestors are recomputed by the next refresh. */
  touch(k: number): void {
    const v = k < this.leafOf.length ? this.leafOf[k]! : -1;
    if (v < 0) return;
    this.dirty[v] = 1;
    this.anyDirty = true;
  }

  /** Adds kernel k (its centre in mu), into the leaf of the cell its centre falls in; call refit before searching. */
  insert(k: number, mu: Float64Array): void {
    let v = 0;
    while (this.isLeaf[v] === 0) v = mu[k * this.d + this.splitDim[v]!]! < this.splitAt[v]! ? 2 * v + 1 : 2 * v + 2;
    this.push(v, k);
    this.touch(k);
    this.inserted++;
  }

  /** Renumbers the kernels: k becomes newOf[k], or leaves the tree when −1 (its leaf is then marked for refresh). */
  renumber(newOf: Int32Array): void {
    const old = this.next;
    let next = this.spareNext;
    if (next === undefined || next.length < old.length) next = new Int32Array(old.length);
    next.fill(-1);
    this.spareNext = old;
    this.next = next;
    this.leafOf.fill(-1);
    for (let v = 0; v < this.size; v++) {
      if (this.isLeaf[v] === 0) continue;
      let k = this.head[v]!;
      this.head[v] = -1;
      for (; k >= 0; k = old[k]!) {
        const to = k < newOf.length ? newOf[k]! : -1;
        if (to >= 0) {
          this.push(v, to); // (reverses the list: its order does not matter)
        } else {
          this.dirty[v] = 1;
          this.anyDirty = true;
        }
      }
    }
  }

  /** Recomputes every node's box, least 1/σ and largest normaliser sum from the kernels' current values. */
  refit(mu: Float64Array, invSigma: Float64Array, normSum: Float64Array): void {
    for (let v = this.size - 1; v >= 0; v--) {
      if (this.isLeaf[v] === 1) this.fitLeaf(v, mu, invSigma, normSum);
      else this.merge(v);
    }
    this.dirty.fill(0);
    this.anyDirty = false;
  }

  /** Recomputes the touched leaves and their ancestors (children before parents: heap order, descending). */
  refresh(mu: Float64Array, invSigma: Float64Array, normSum: Float64Array): void {
    if (!this.anyDirty) return;
    const dirty = this.dirty;
    for (let v = this.size - 1; v >= 0; v--) {
      if (dirty[v] === 0) continue;
      dirty[v] = 0;
      if (this.isLeaf[v] === 1) this.fitLeaf(v, mu, invSigma, normSum);
      else this.merge(v);
      if (v > 0) dirty[(v - 1) >> 1] = 1;
    }
    this.anyDirty = false;
  }

  private fitLeaf(v: number, mu: Float64Array, invSigma: Float64Array, normSum: Float64Array): void {
    const { d, lo, hi, minInv, next } = this;
    const vd = v * d;
    lo.fill(Number.POSITIVE_INFINITY, vd, vd + d);
    hi.fill(Number.NEGATIVE_INFINITY, vd, vd + d);
    minInv.fill(Number.POSITIVE_INFINITY, vd, vd + d);
    let norm = Number.NEGATIVE_INFINITY;
    for (let k = this.head[v]!; k >= 0; k = next[k]!) {
      if (normSum[k]! > norm) norm = normSum[k]!;
      const kd = k * d;
      for (let j = 0; j < d; j++) {
        const m = mu[kd + j]!;
        const inv = invSigma[kd + j]!;
        if (m < lo[vd + j]!) lo[vd + j] = m;
        if (m > hi[vd + j]!) hi[vd + j] = m;
        if (inv < minInv[vd + j]!) minInv[vd + j] = inv;
      }
    }
    this.maxNorm[v] = norm;
  }

  private merge(v: number): void {
    const { d, lo, hi, minInv } = this;
    const vd = v * d;
    const ad = (2 * v + 1) * d;
    const bd = ad + d;
    for (let j = 0; j < d; j++) {
      lo[vd + j] = Math.min(lo[ad + j]!, lo[bd + j]!);
      hi[vd + j] = Math.max(hi[ad + j]!, hi[bd + j]!);
      minInv[vd + j] = Math.min(minInv[ad + j]!, minInv[bd + j]!);
    }
    this.maxNorm[v] = Math.max(this.maxNorm[2 * v + 1]!, this.maxNorm[2 * v + 2]!);
  }

  /**
   * Calls visitor.visit(k) for every kernel whose node bound at x (x[xAt + j]),
   * with wMax the largest log weight, is not below visitor.floor() at the
   * time, nearer subtrees first; the floor may rise as kernels are visited.
   * `stack`: the caller's scratch for the descent.
   */
  search(x: Float64Array, xAt: number, wMax: number, visitor: TreeVisitor, stack: SearchStack): void {
    let top = 0;
    stack.reserve(this.size);
    const { nodes, bounds } = stack;
    nodes[top] = 0;
    bounds[top++] = this.bound(0, x, xAt, wMax, Number.NEGATIVE_INFINITY);
    const next = this.next;
    while (top > 0) {
      top--;
      const v = nodes[top]!;
      const f = visitor.floor();
      if (bounds[top]! < f) continue;
      if (this.isLeaf[v] === 1) {
        for (let k = this.head[v]!; k >= 0; k = next[k]!) visitor.visit(k);
        continue;
      }
      const a = 2 * v + 1;
      const b = a + 1;
      const ba = this.bound(a, x, xAt, wMax, f);
      const bb = this.bound(b, x, xAt, wMax, f);
      // The farther child goes first onto the stack, so the nearer one is searched first and raises the floor sooner.
      const nearA = ba >= bb;
      const first = nearA ? b : a;
      const second = nearA ? a : b;
      const bFirst = nearA ? bb : ba;
      const bSecond = nearA ? ba : bb;
      if (bFirst >= f) {
        nodes[top] = first;
        bounds[top++] = bFirst;
      }
      if (bSecond >= f) {
        nodes[top] = second;
        bounds[top++] = bSecond;
      }
    }
  }

  /**
   * An upper bound of the log density at x of every kernel under node v, or
   * −∞ as soon as it is known to be below `floor`.
   */
  private bound(v: number, x: Float64Array, xAt: number, wMax: number, floor: number): number {
    const d = this.d;
    const vd = v * d;
    const cap = wMax + this.maxNorm[v]!;
    const limit = 2 * (cap - floor);
    let q = 0;
    for (let j = 0; j < d; j++) {
      const xj = x[xAt + j]!;
      const lo = this.lo[vd + j]!;
      const hi = this.hi[vd + j]!;
      const gap = xj < lo ? lo - xj : xj > hi ? xj - hi : 0;
      const z = gap * this.minInv[vd + j]!;
      q += z * z;
      if (q > limit) return Number.NEGATIVE_INFINITY;
    }
    return cap - 0.5 * q;
  }
}

/**
 * A depth-first stack (node, its bound) for searching a tree of `size` nodes in heap order, where depth + 1
 * entries suffice; reused from search to search (a session's workspace owns one).
 */
export class SearchStack {
  nodes = new Uint32Array(64);
  bounds = new Float64Array(64);

  reserve(size: number): void {
    let depth = 1;
    while (1 << depth <= size) depth++;
    if (this.nodes.length < depth + 2) {
      this.nodes = new Uint32Array(2 * depth + 4);
      this.bounds = new Float64Array(2 * depth + 4);
    }
  }
}

/** Rearranges perm[s, e) so that perm[mid] holds the kernel of rank mid − s in dimension j, smaller ones before it (Hoare quickselect). */
function select(perm: Uint32Array, s: number, e: number, mid: number, mu: Float64Array, d: number, j: number): void {
  let lo = s;
  let hi = e - 1;
  while (hi > lo) {
    // Median of three as pivot: deterministic, and no quadratic case on sorted input.
    const c = (lo + hi) >>> 1;
    const x = mu[perm[lo]! * d + j]!;
    const y = mu[perm[c]! * d + j]!;
    const z = mu[perm[hi]! * d + j]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let k = hi;
    while (i <= k) {
      while (mu[perm[i]! * d + j]! < pivot) i++;
      while (mu[perm[k]! * d + j]! > pivot) k--;
      if (i <= k) {
        const tmp = perm[i]!;
        perm[i] = perm[k]!;
        perm[k] = tmp;
        i++;
        k--;
      }
    }
    if (mid <= k) hi = k;
    else if (mid >= i) lo = i;
    else return;
  }
}
