/**
 * Hypervolume (the Lebesgue measure of the region dominated by a set of
 * points and bounded by a reference point), all coordinates minimised.
 * Points not strictly better than the reference in every coordinate add
 * nothing. 2-D: an exact O(n log n) sweep. More dimensions: the exact WFG
 * algorithm (While, Bradstreet and Barone 2012): the volume is the sum of each
 * point's exclusive volume against the points after it, which is its box less
 * the volume of those points "limited" by it, recursively, ending in 2-D sweeps.
 */
import { dominates, orderByFirstCoordinate } from "./pareto.js";

type Point = ArrayLike<number>;

/** Hypervolume of `points` against `ref`. */
export function hypervolume(points: readonly Point[], ref: Point): number {
  const inside = points.filter((p) => strictlyBelow(p, ref));
  if (inside.length === 0) return 0;
  if (ref.length === 1) return ref[0]! - Math.min(...inside.map((p) => p[0]!));
  if (ref.length === 2) return sweep2d(inside, ref);
  return wfg(nondominated(inside), ref);
}

/**
 * Each point's exclusive contribution: the hypervolume lost when it alone is
 * removed (0 for a dominated point or a duplicate).
 */
export function hypervolumeContributions(points: readonly Point[], ref: Point): Float64Array {
  const n = points.length;
  if (ref.length === 2) return contributions2d(points, ref);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    if (!strictlyBelow(p, ref)) continue;
    const others: Point[] = [];
    for (let j = 0; j < n; j++) if (j !== i) others.push(limit(p, points[j]!));
    out[i] = Math.max(0, box(p, ref) - hypervolume(others, ref));
  }
  return out;
}

/**
 * Greedy hypervolume subset selection: `k` of `points` chosen one at a time,
 * each the one adding the most hypervolume to those already chosen (ties to
 * the lower index). Returns indices into `points` in the order chosen.
 */
export function greedySubset(points: readonly Point[], k: number, ref: Point): number[] {
  if (ref.length === 2) {
    const order = orderByFirstCoordinate(points);
    if (isFront2d(points, order)) return greedySubset2d(points, k, ref, order);
  }
  const chosen: number[] = [];
  const taken = new Uint8Array(points.length);
  for (let step = 0; step < Math.min(k, points.length); step++) {
    let best = -1;
    let bestGain = -Infinity;
    for (let i = 0; i < points.length; i++) {
      if (taken[i] === 1) continue;
      const p = points[i]!;
      const gain = strictlyBelow(p, ref)
        ? box(p, ref) -
          hypervolume(
            chosen.map((j) => limit(p, points[j]!)),
            ref,
          )
        : 0;
      if (gain > bestGain) {
        bestGain = gain;
        best = i;
      }
    }
    taken[best] = 1;
    chosen.push(best);
  }
  return chosen;
}

/**
 * Optuna's reference point for a set of loss vectors: 1.1 × the worst value
 * of each coordinate (0.9 × when it is negative), and a tiny positive value
 * where that is 0, so every point of the set lies strictly inside.
 */
export function referencePoint(points: readonly Point[]): Float64Array {
  const m = points[0]!.length;
  const ref = new Float64Array(m).fill(-Infinity);
  for (const p of points) for (let k = 0; k < m; k++) ref[k] = Math.max(ref[k]!, p[k]!);
  for (let k = 0; k < m; k++) {
    const w = ref[k]!;
    ref[k] = w === 0 ? 1e-12 : Math.max(1.1 * w, 0.9 * w);
  }
  return ref;
}

function strictlyBelow(p: Point, ref: Point): boolean {
  for (let k = 0; k < ref.length; k++) if (!(p[k]! < ref[k]!)) return false;
  return true;
}

function box(p: Point, ref: Point): number {
  let v = 1;
  for (let k = 0; k < ref.length; k++) v *= ref[k]! - p[k]!;
  return v;
}

/** `q` limited by `p`: the part of q's box inside p's (componentwise maximum). */
function limit(p: Point, q: Point): Float64Array {
  const out = new Float64Array(p.length);
  for (let k = 0; k < p.length; k++) out[k] = Math.max(p[k]!, q[k]!);
  return out;
}

/** The non-dominated points, duplicates kept once. */
function nondominated(points: readonly Point[]): Point[] {
  const out: Point[] = [];
  outer: for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    for (let j = 0; j < points.length; j++) {
      if (j === i) continue;
      const q = points[j]!;
      if (dominates(q, p) || (j < i && same(p, q))) continue outer;
    }
    out.push(p);
  }
  return out;
}

function same(a: Point, b: Point): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function sweep2d(points: readonly Point[], ref: Point): number {
  const sorted = [...points].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let volume = 0;
  let y = ref[1]!;
  for (const p of sorted) {
    if (p[1]! < y) {
      volume += (ref[0]! - p[0]!) * (y - p[1]!);
      y = p[1]!;
    }
  }
  return volume;
}

/** WFG on non-dominated points strictly inside `ref`; sorting by the last coordinate keeps the limited sets small. */
function wfg(points: readonly Point[], ref: Point): number {
  if (points.length === 0) return 0;
  if (ref.length === 2) return sweep2d(points, ref);
  const m = ref.length;
  const sorted = [...points].sort((a, b) => b[m - 1]! - a[m - 1]!);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    const limited: Point[] = [];
    for (let j = i + 1; j < sorted.length; j++) limited.push(limit(p, sorted[j]!));
    volume += box(p, ref) - wfg(nondominated(limited.filter((q) => strictlyBelow(q, ref))), ref);
  }
  return volume;
}

/**
 * 2-D contributions in O(n log n). On the front sorted by the first
 * coordinate, a point's exclusive region is the rectangle between it, its
 * right neighbour's first coordinate and its left neighbour's second one;
 * the rectangles are disjoint, so each point off the front lies in at most
 * one, and what such points cover of it stays covered when the front point
 * is removed. Copies of a front point contribute nothing.
 */
function contributions2d(points: readonly Point[], ref: Point): Float64Array {
  const out = new Float64Array(points.length);
  const order = points
    .map((_, i) => i)
    .filter((i) => strictlyBelow(points[i]!, ref))
    .sort((a, b) => points[a]![0]! - points[b]![0]! || points[a]![1]! - points[b]![1]! || a - b);
  const front: number[] = [];
  const copies: number[] = [];
  const rest: number[] = [];
  let minY = Infinity;
  for (const i of order) {
    const p = points[i]!;
    const last = front.length > 0 ? points[front[front.length - 1]!]! : undefined;
    if (last !== undefined && last[0] === p[0] && last[1] === p[1]) copies[copies.length - 1]!++;
    else if (p[1]! < minY) {
      front.push(i);
      copies.push(1);
      minY = p[1]!;
    } else rest.push(i);
  }
  const xs = front.map((i) => points[i]![0]!);
  const inside: Point[][] = front.map(() => []);
  for (const i of rest) {
    const q = points[i]!;
    // The last front point whose first coordinate is at most q's.
    let lo = 0;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (xs[mid]! <= q[0]!) lo = mid;
      else hi = mid - 1;
    }
    const up = lo > 0 ? points[front[lo - 1]!]![1]! : ref[1]!;
    if (q[1]! < up) inside[lo]!.push(q);
  }
  for (let j = 0; j < front.length; j++) {
    if (copies[j]! > 1) continue;
    const p = points[front[j]!]!;
    const corner = [j + 1 < front.length ? xs[j + 1]! : ref[0]!, j > 0 ? points[front[j - 1]!]![1]! : ref[1]!];
    const covered = inside[j]!.length === 0 ? 0 : sweep2d(inside[j]!, corner);
    out[front[j]!] = (corner[0]! - p[0]!) * (corner[1]! - p[1]!) - covered;
  }
  return out;
}

/**
 * Whether no 2-D point dominates another (duplicates allowed): one front, as
 * MOTPE's subset selection has. In `order` (first coordinate, then second), a
 * point is dominated exactly when an earlier one has a lower second
 * coordinate, or the same one at a lower first.
 */
function isFront2d(points: readonly Point[], order: Uint32Array): boolean {
  let minY = Infinity;
  let minYAtX = Infinity;
  for (const i of order) {
    const [x, y] = [points[i]![0]!, points[i]![1]!];
    if (minY < y || (minY === y && minYAtX < x)) return false;
    if (y < minY) {
      minY = y;
      minYAtX = x;
    }
  }
  return true;
}

/**
 * Greedy selection on one 2-D front: a candidate's gain is the rectangle
 * between it and its nearest chosen neighbours by the first coordinate (on a
 * front, the second coordinate falls as the first grows). Gains are kept,
 * and a choice recomputes only the candidates between the new point's chosen
 * neighbours, the only ones whose neighbours changed: each step is a scan
 * for the largest gain plus that interval, with no hypervolume recomputed.
 * `order` is the points' orderByFirstCoordinate.
 */
function greedySubset2d(points: readonly Point[], k: number, ref: Point, order: Uint32Array): number[] {
  const n = points.length;
  const [r0, r1] = [ref[0]!, ref[1]!];
  const rankOf = new Uint32Array(n);
  for (let s = 0; s < n; s++) rankOf[order[s]!] = s;
  const inside = new Uint8Array(n);
  const gain = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    if (!strictlyBelow(p, ref)) continue;
    inside[i] = 1;
    gain[i] = Math.max(0, r0 - p[0]!) * Math.max(0, r1 - p[1]!);
  }
  const taken = new Uint8Array(n);
  const chosen: number[] = [];
  for (let step = 0; step < Math.min(k, n); step++) {
    let best = -1;
    let bestGain = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 0 && gain[i]! > bestGain) {
        bestGain = gain[i]!;
        best = i;
      }
    }
    taken[best] = 1;
    chosen.push(best);
    // The chosen neighbours of the new point, by rank along the first coordinate.
    const at = rankOf[best]!;
    let left = at - 1;
    while (left >= 0 && taken[order[left]!] === 0) left--;
    let right = at + 1;
    while (right < n && taken[order[right]!] === 0) right++;
    const [bx, by] = [points[best]![0]!, points[best]![1]!];
    const upLeft = left >= 0 ? Math.min(r1, points[order[left]!]![1]!) : r1;
    const rightRight = right < n ? Math.min(r0, points[order[right]!]![0]!) : r0;
    for (let s = left + 1; s < right; s++) {
      const i = order[s]!;
      if (taken[i] === 1 || inside[i] === 0) continue;
      const p = points[i]!;
      // An equal first coordinate on a front means an equal point: it adds nothing.
      if (p[0] === bx) gain[i] = 0;
      else if (p[0]! < bx) gain[i] = Math.max(0, Math.min(r0, bx) - p[0]!) * Math.max(0, upLeft - p[1]!);
      else gain[i] = Math.max(0, rightRight - p[0]!) * Math.max(0, Math.min(r1, by) - p[1]!);
    }
  }
  return chosen;
}
