/**
 * Pareto dominance and non-domination ranks for points to be minimised in
 * every coordinate. Points are rows of equal length; identical points do not
 * dominate each other, so they share a rank.
 */

/** Whether `a` dominates `b`: no worse in every coordinate and better in one. */
export function dominates(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/**
 * Non-domination rank of every point (0 = the Pareto front, 1 = the front
 * once rank 0 is removed, ...). Deb's fast non-dominated sort, O(m·n²);
 * 2-D points take an O(n log n) sweep per front instead. Ranking stops once
 * at least `enough` points are ranked: the rest get rank −1 (Infinity: all).
 */
export function nonDominationRanks(points: readonly ArrayLike<number>[], enough = Infinity): Int32Array {
  const n = points.length;
  const rank = new Int32Array(n).fill(-1);
  if (n === 0) return rank;
  if (points[0]!.length === 2) return ranks2d(points, enough);
  const dominatedBy = new Int32Array(n);
  const dominating: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i]!, points[j]!)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominates(points[j]!, points[i]!)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  let front: number[] = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) front.push(i);
  let ranked = 0;
  for (let r = 0; front.length > 0 && ranked < enough; r++) {
    const next: number[] = [];
    for (const i of front) {
      rank[i] = r;
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    }
    ranked += front.length;
    front = next;
  }
  return rank;
}

/**
 * 2-D ranks in one sweep, O(n log n): in order of the first coordinate (then
 * the second), a point joins the first front whose lowest second coordinate
 * so far is above its own (the fronts' lowest values only grow with the
 * rank, so a binary search finds it), or equal to it when the point is the
 * very one that set it (identical points share a rank). This is what peeling
 * the fronts one by one gives, without a pass over the rest per front.
 */
function ranks2d(points: readonly ArrayLike<number>[], enough: number): Int32Array {
  const n = points.length;
  const order = orderByFirstCoordinate(points);
  const rank = new Int32Array(n);
  const frontMinY: number[] = [];
  const frontLastX: number[] = [];
  const frontSize: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const x = points[i]![0]!;
    const y = points[i]![1]!;
    let lo = 0;
    let hi = frontMinY.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (frontMinY[mid]! < y) lo = mid + 1;
      else hi = mid;
    }
    // A front whose lowest point has this y and a smaller x dominates the point.
    while (lo < frontMinY.length && frontMinY[lo] === y && frontLastX[lo] !== x) lo++;
    if (lo === frontMinY.length) {
      frontMinY.push(y);
      frontLastX.push(x);
      frontSize.push(1);
    } else {
      frontMinY[lo] = y;
      frontLastX[lo] = x;
      frontSize[lo]!++;
    }
    rank[i] = lo;
  }
  // Keep the contract of the general sort: fronts past the first `enough` points are not ranked.
  let ranked = 0;
  let last = 0;
  while (last < frontSize.length && ranked < enough) ranked += frontSize[last++]!;
  if (last < frontSize.length) for (let i = 0; i < n; i++) if (rank[i]! >= last) rank[i] = -1;
  return rank;
}

/**
 * Indices of 2-D points ordered by the first coordinate, then the second, then
 * the index: a bucket pass over the range of the first (expected O(n) for any
 * spread of values), each bucket then sorted on its own; the comparator sort
 * of everything when a value is not finite.
 */
export function orderByFirstCoordinate(points: readonly ArrayLike<number>[]): Uint32Array {
  const n = points.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = points[i]![0]!;
    ys[i] = points[i]![1]!;
  }
  const order = new Uint32Array(n);
  const before = (a: number, b: number) => xs[a]! - xs[b]! || ys[a]! - ys[b]! || a - b;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    min = Math.min(min, xs[i]!);
    max = Math.max(max, xs[i]!);
  }
  const scale = max > min ? (n - 1) / (max - min) : 0;
  if (!Number.isFinite(scale) || !Number.isFinite(max - min)) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort(before);
  }
  const start = new Uint32Array(n + 1);
  const bucketOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = Math.min(n - 1, Math.floor((xs[i]! - min) * scale));
    bucketOf[i] = b;
    start[b + 1]!++;
  }
  for (let b = 0; b < n; b++) start[b + 1]! += start[b]!;
  const cursor = start.slice(0, n);
  for (let i = 0; i < n; i++) order[cursor[bucketOf[i]!]!++] = i;
  for (let b = 0; b < n; b++) {
    const lo = start[b]!;
    const hi = start[b + 1]!;
    if (hi - lo > 32) order.subarray(lo, hi).sort(before);
    else
      for (let k = lo + 1; k < hi; k++) {
        const v = order[k]!;
        let j = k - 1;
        for (; j >= lo && before(order[j]!, v) > 0; j--) order[j + 1] = order[j]!;
        order[j + 1] = v;
      }
  }
  return order;
}

/** Indices of the non-dominated points (rank 0), ascending. */
export function paretoFront(points: readonly ArrayLike<number>[]): number[] {
  const ranks = nonDominationRanks(points, 1);
  const out: number[] = [];
  for (let i = 0; i < ranks.length; i++) if (ranks[i] === 0) out.push(i);
  return out;
}
