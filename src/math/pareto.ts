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
 * 2-D ranks by peeling fronts: sorted by the first coordinate (then the
 * second), a point is on the current front when its second coordinate is
 * below every earlier remaining point's, or ties the last front point exactly.
 */
function ranks2d(points: readonly ArrayLike<number>[], enough: number): Int32Array {
  const n = points.length;
  const rank = new Int32Array(n).fill(-1);
  let rest = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => points[a]![0]! - points[b]![0]! || points[a]![1]! - points[b]![1]!,
  );
  let ranked = 0;
  for (let r = 0; rest.length > 0 && ranked < enough; r++) {
    const left: number[] = [];
    let minY = Infinity;
    let lastX = Number.NaN;
    let lastY = Number.NaN;
    for (const i of rest) {
      const x = points[i]![0]!;
      const y = points[i]![1]!;
      if (y < minY || (x === lastX && y === lastY)) {
        rank[i] = r;
        ranked++;
        if (y < minY) minY = y;
        lastX = x;
        lastY = y;
      } else left.push(i);
    }
    rest = left;
  }
  return rank;
}

/** Indices of the non-dominated points (rank 0), ascending. */
export function paretoFront(points: readonly ArrayLike<number>[]): number[] {
  const ranks = nonDominationRanks(points, 1);
  const out: number[] = [];
  for (let i = 0; i < ranks.length; i++) if (ranks[i] === 0) out.push(i);
  return out;
}
