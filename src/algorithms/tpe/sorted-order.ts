/**
 * Kernel indices ordered by one coordinate, ties by index: the order the
 * neighbour-gap bandwidths and the discrete-kernel dedupe walk. Built from
 * scratch in expected O(n) (bucket pass), or updated from the order of a
 * previous kernel set in O(n) plus a sort of the new kernels only; both give
 * exactly the same (value, index) order.
 */

/** sortedOrder's bucket starts and cursors, reused from call to call (a session's workspace owns one). */
export class SortScratch {
  start = new Uint32Array(130);
}

/** Indices 0..n−1 ordered by (mu[i·stride + offset], i), in a new array. */
export function sortedOrder(
  mu: Float64Array,
  n: number,
  stride: number,
  offset: number,
  scratch: SortScratch,
): Uint32Array {
  const order = new Uint32Array(n);
  if (n === 0) return order;
  if (scratch.start.length < 2 * n + 2) scratch.start = new Uint32Array(4 * n + 2);
  const start = scratch.start;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const m = mu[i * stride + offset]!;
    if (m < min) min = m;
    if (m > max) max = m;
  }
  const scale = max > min ? (n - 1) / (max - min) : 0;
  start.fill(0, 0, n + 1);
  for (let i = 0; i < n; i++) {
    const b = Math.floor((mu[i * stride + offset]! - min) * scale) + 1;
    start[b] = start[b]! + 1;
  }
  for (let b = 1; b <= n; b++) start[b] = start[b]! + start[b - 1]!;
  // start[b] is now where bucket b begins; fill in index order, advancing a cursor per bucket.
  const cursor = start.subarray(n + 1, 2 * n + 2);
  cursor.set(start.subarray(0, n + 1));
  for (let i = 0; i < n; i++) {
    const b = Math.floor((mu[i * stride + offset]! - min) * scale);
    order[cursor[b]!] = i;
    cursor[b] = cursor[b]! + 1;
  }
  for (let b = 0; b < n; b++) {
    const lo = start[b]!;
    const hi = b + 1 < n ? start[b + 1]! : n;
    if (hi - lo < 2) continue;
    if (hi - lo > 32) {
      // Array.prototype.sort is stable: equal values stay in index order.
      order.subarray(lo, hi).sort((x, y) => mu[x * stride + offset]! - mu[y * stride + offset]!);
      continue;
    }
    insertionSort(order, lo, hi, mu, stride, offset);
  }
  return order;
}

/** Stable insertion sort of order[lo, hi) by mu. */
function insertionSort(
  order: Uint32Array,
  lo: number,
  hi: number,
  mu: Float64Array,
  stride: number,
  offset: number,
): void {
  for (let r = lo + 1; r < hi; r++) {
    const idx = order[r]!;
    const v = mu[idx * stride + offset]!;
    let q = r;
    while (q > lo && mu[order[q - 1]! * stride + offset]! > v) {
      order[q] = order[q - 1]!;
      q--;
    }
    order[q] = idx;
  }
}

/** An order and the values in that order (read sequentially by the bandwidth rule and by updates). */
export interface Sorted {
  readonly order: Uint32Array;
  readonly values: Float64Array;
}

/** sortedOrder with its values. */
export function sortedBy(mu: Float64Array, n: number, stride: number, offset: number, scratch: SortScratch): Sorted {
  const order = sortedOrder(mu, n, stride, offset, scratch);
  const values = new Float64Array(n);
  for (let r = 0; r < n; r++) values[r] = mu[order[r]! * stride + offset]!;
  return { order, values };
}

/**
 * The (value, index) order of n new kernels, given the order `prev` of the
 * previous kernels and `newOf` mapping each previous kernel to its new index
 * (−1 when gone). Kept kernels must have the same value as before and
 * `newOf` must be increasing over them, so their relative order (ties
 * included) carries over; the kernels without a previous one (`added`, in
 * increasing index order) are sorted and merged in.
 */
export function updatedSorted(
  mu: Float64Array,
  n: number,
  stride: number,
  offset: number,
  prev: Sorted,
  newOf: Int32Array,
  added: Uint32Array,
): Sorted {
  const fresh = added.slice();
  if (fresh.length > 32) fresh.sort((x, y) => mu[x * stride + offset]! - mu[y * stride + offset]! || x - y);
  else insertionSort(fresh, 0, fresh.length, mu, stride, offset);
  const order = new Uint32Array(n);
  const values = new Float64Array(n);
  const prevOrder = prev.order;
  const prevValues = prev.values;
  let r = 0;
  let f = 0;
  let a = f < fresh.length ? fresh[f]! : -1;
  let va = a >= 0 ? mu[a * stride + offset]! : Number.NaN;
  for (let p = 0; p < prevOrder.length; p++) {
    const k = newOf[prevOrder[p]!]!;
    if (k < 0) continue;
    const v = prevValues[p]!;
    while (a >= 0 && (va < v || (va === v && a < k))) {
      order[r] = a;
      values[r++] = va;
      f++;
      a = f < fresh.length ? fresh[f]! : -1;
      va = a >= 0 ? mu[a * stride + offset]! : Number.NaN;
    }
    order[r] = k;
    values[r++] = v;
  }
  while (a >= 0) {
    order[r] = a;
    values[r++] = va;
    f++;
    a = f < fresh.length ? fresh[f]! : -1;
    va = a >= 0 ? mu[a * stride + offset]! : Number.NaN;
  }
  if (r !== n) throw new Error(`updatedSorted: ${r} kernels placed, expected ${n}`);
  return { order, values };
}

/** The position at which kernel k with value v is, or would go, in the (value, index) order. */
export function positionOf(sorted: Sorted, k: number, v: number): number {
  const { order, values } = sorted;
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const h = (lo + hi) >>> 1;
    if (values[h]! < v || (values[h] === v && order[h]! < k)) lo = h + 1;
    else hi = h;
  }
  return lo;
}

/**
 * Inserts kernel k (not present) with value v at its (value, index)
 * position; reuses the arrays' spare room. Returns the new view and the position.
 */
export function insertSorted(sorted: Sorted, k: number, v: number): { sorted: Sorted; at: number } {
  const { order, values } = sorted;
  const n = order.length;
  const lo = positionOf(sorted, k, v);
  let o2: Uint32Array;
  let v2: Float64Array;
  if (order.buffer.byteLength >= 4 * (n + 1) && values.buffer.byteLength >= 8 * (n + 1)) {
    o2 = new Uint32Array(order.buffer, order.byteOffset, n + 1);
    v2 = new Float64Array(values.buffer, values.byteOffset, n + 1);
  } else {
    const cap = n + 1 + ((n + 1) >> 2);
    o2 = new Uint32Array(new ArrayBuffer(4 * cap), 0, n + 1);
    v2 = new Float64Array(new ArrayBuffer(8 * cap), 0, n + 1);
    o2.set(order);
    v2.set(values);
  }
  o2.copyWithin(lo + 1, lo, n);
  v2.copyWithin(lo + 1, lo, n);
  o2[lo] = k;
  v2[lo] = v;
  return { sorted: { order: o2, values: v2 }, at: lo };
}

/**
 * The order after an in-place edit of the kernels: with newOf, those with
 * newOf[k] = −1 dropped and the others renamed (as dropRenumbered), then
 * `added` (value mu[k·stride + offset] each) inserted. Adds to `touched`
 * the kernels whose sorted neighbours changed: the kept ones next to a
 * dropped one, and every added one with its new neighbours.
 */
export function editedSorted(
  sorted: Sorted,
  newOf: Int32Array | undefined,
  added: readonly number[],
  mu: Float64Array,
  stride: number,
  offset: number,
  touched: Set<number>,
): Sorted {
  let edited = newOf !== undefined ? dropRenumbered(sorted, newOf, touched) : sorted;
  for (const k of added) edited = insertSorted(edited, k, mu[k * stride + offset]!).sorted;
  const n = edited.order.length;
  for (const k of added) {
    const r = positionOf(edited, k, mu[k * stride + offset]!);
    touched.add(k);
    if (r > 0) touched.add(edited.order[r - 1]!);
    if (r < n - 1) touched.add(edited.order[r + 1]!);
  }
  return edited;
}

/**
 * In place: drops the kernels with newOf[k] = −1 and renames the others k →
 * newOf[k] (increasing over them, so the order stays the (value, index)
 * order); adds to `touched` the new names of the kept kernels that were
 * next to a dropped one. Returns the shortened view.
 */
export function dropRenumbered(sorted: Sorted, newOf: Int32Array, touched: Set<number>): Sorted {
  const { order, values } = sorted;
  let w = 0;
  let afterDropped = false;
  for (let r = 0; r < order.length; r++) {
    const k = newOf[order[r]!]!;
    if (k < 0) {
      if (w > 0) touched.add(order[w - 1]!);
      afterDropped = true;
      continue;
    }
    if (afterDropped) touched.add(k);
    afterDropped = false;
    order[w] = k;
    values[w] = values[r]!;
    w++;
  }
  if (w === order.length) return sorted;
  return {
    order: new Uint32Array(order.buffer, order.byteOffset, w),
    values: new Float64Array(values.buffer, values.byteOffset, w),
  };
}
