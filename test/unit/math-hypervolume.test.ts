/**
 * Hypervolume edge cases (src/math/hypervolume.ts) that pareto-hypervolume.test.ts's random sets do not reach: one
 * objective, points outside the reference point in three dimensions, greedy selection in three dimensions, 2-D
 * contributions with ties in either coordinate, and sets large enough that only a pruned WFG finishes. References are
 * computed independently here: removing a point and recomputing, inclusion–exclusion, and slicing along the last axis.
 */
import { describe, expect, it } from "vitest";
import { greedySubset, hypervolume, hypervolumeContributions } from "../../src/math/hypervolume.js";
import { createRng } from "../../src/math/rng.js";

/** Exact hypervolume by inclusion–exclusion over every non-empty subset (small sets only). */
function inclusionExclusion(points: number[][], ref: number[]): number {
  let total = 0;
  for (let mask = 1; mask < 1 << points.length; mask++) {
    const corner = ref.map(() => -Infinity);
    let size = 0;
    points.forEach((p, i) => {
      if ((mask & (1 << i)) === 0) return;
      size++;
      p.forEach((v, k) => {
        corner[k] = Math.max(corner[k]!, v);
      });
    });
    const v = ref.reduce((acc, r, k) => acc * Math.max(0, r - corner[k]!), 1);
    total += size % 2 === 1 ? v : -v;
  }
  return total;
}

/** 2-D hypervolume by a staircase over the points sorted by x (points outside the reference dropped). */
function staircase(points: number[][], ref: number[]): number {
  const inside = points.filter((p) => p[0]! < ref[0]! && p[1]! < ref[1]!).sort((a, b) => a[0]! - b[0]!);
  let v = 0;
  let y = ref[1]!;
  for (const p of inside) {
    if (p[1]! >= y) continue;
    v += (ref[0]! - p[0]!) * (y - p[1]!);
    y = p[1]!;
  }
  return v;
}

/** 3-D hypervolume by slicing along z: each slab between consecutive z values times the 2-D volume below it. */
function slices(points: number[][], ref: number[]): number {
  const inside = points.filter((p) => p.every((v, k) => v < ref[k]!));
  const zs = [...new Set(inside.map((p) => p[2]!))].sort((a, b) => a - b);
  let v = 0;
  zs.forEach((z, i) => {
    const top = i + 1 < zs.length ? zs[i + 1]! : ref[2]!;
    v +=
      (top - z) *
      staircase(
        inside.filter((p) => p[2]! <= z),
        ref,
      );
  });
  return v;
}

/** Each point's exclusive contribution by definition: the volume lost when it alone is removed. */
function removals(points: number[][], ref: number[], hv: (p: number[][], r: number[]) => number): number[] {
  const all = hv(points, ref);
  return points.map(
    (_, i) =>
      all -
      hv(
        points.filter((__, j) => j !== i),
        ref,
      ),
  );
}

/** The plain greedy rule: each step the point adding the most hypervolume to those chosen, ties to the lower index. */
function plainGreedy(points: number[][], k: number, ref: number[]): number[] {
  const picked: number[] = [];
  for (let step = 0; step < Math.min(k, points.length); step++) {
    const base = slices(
      picked.map((j) => points[j]!),
      ref,
    );
    let best = -1;
    let bestGain = -Infinity;
    points.forEach((p, i) => {
      if (picked.includes(i)) return;
      const gain = slices([...picked.map((j) => points[j]!), p], ref) - base;
      if (gain > bestGain) [best, bestGain] = [i, gain];
    });
    picked.push(best);
  }
  return picked;
}

/** n points on the simplex x + y + z = 1 (none dominates another), on a grid of 1/64 so volumes are exact. */
function simplexFront(n: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const a = Math.floor(rng.uniform() * 64);
    const b = Math.floor(rng.uniform() * (64 - a));
    return [a / 64, b / 64, (64 - a - b) / 64];
  });
}

describe("one objective", () => {
  it("is the distance from the best point inside to the reference", () => {
    expect(hypervolume([[3], [1], [5], [2]], [4])).toBe(3);
    expect(hypervolume([[-2]], [4])).toBe(6);
    // Nothing strictly below the reference: nothing dominated.
    expect(hypervolume([[4], [7]], [4])).toBe(0);
    expect(hypervolume([], [4])).toBe(0);
  });

  it("gives the contribution to the best point alone, and nothing to copies of it", () => {
    expect([...hypervolumeContributions([[3], [1], [2]], [4])]).toEqual([0, 1, 0]);
    expect([...hypervolumeContributions([[1], [1], [2]], [4])]).toEqual([0, 0, 0]);
    expect([...hypervolumeContributions([[5], [0.5]], [4])]).toEqual([0, 3.5]);
  });

  it("picks the best point first", () => {
    expect(greedySubset([[3], [1], [2]], 1, [4])).toEqual([1]);
    expect(greedySubset([[3], [1], [2]], 3, [4])[0]).toBe(1);
  });
});

describe("three objectives", () => {
  it("gives points outside the reference point no contribution, even outside it in two coordinates", () => {
    const ref = [1, 1, 1];
    const points = [
      [0.25, 0.5, 0.5],
      [2, 2, 0.5], // outside in x and y: its box's signed volume would be positive
      [2, 0.25, 0.25], // outside in x
      [0.5, 0.25, 0.75],
      [1, 1, 1], // on the reference point
    ];
    const c = hypervolumeContributions(points, ref);
    expect(c[1]).toBe(0);
    expect(c[2]).toBe(0);
    expect(c[4]).toBe(0);
    const expected = removals(points, ref, inclusionExclusion);
    for (let i = 0; i < points.length; i++) expect(c[i], `point ${i}`).toBeCloseTo(expected[i]!, 14);
  });

  it("selects greedily by 3-D gains, not by the first two coordinates", () => {
    // (x, y) alone form a front on which the 2-D gains would pick A before C; in 3-D, C adds 1 and A 0.05.
    const A = [0, 1, 1.9];
    const B = [0.5, 0.5, 0];
    const C = [1, 0, 0];
    expect(greedySubset([A, B, C], 3, [2, 2, 2])).toEqual([1, 2, 0]);
  });

  it("selects what the plain greedy rule selects on 3-D fronts", () => {
    for (let seed = 0; seed < 8; seed++) {
      const front = simplexFront(9, 40 + seed);
      const ref = [1.25, 1.25, 1.25];
      expect(greedySubset(front, 5, ref), `seed ${seed}`).toEqual(plainGreedy(front, 5, ref));
    }
  });

  it("matches slicing on fronts of 60 points, where an unpruned WFG would take exponential time", () => {
    // WFG recurses on the points limited by each point; without dropping the dominated ones, 24 points already take
    // seconds, 60 would take longer than the universe has had.
    for (let seed = 0; seed < 3; seed++) {
      const front = simplexFront(60, 7 + seed);
      const ref = [1.5, 1.25, 1.125];
      expect(hypervolume(front, ref), `seed ${seed}`).toBeCloseTo(slices(front, ref), 12);
    }
  });
});

describe("2-D contributions with ties", () => {
  const cases: [string, number[][]][] = [
    [
      "points sharing a first coordinate",
      [
        [0, 3],
        [1, 2.5],
        [1, 1.5], // dominates (1, 2.5)
        [2, 1],
        [3, 0.5],
        [3, 0],
      ],
    ],
    [
      "points sharing a second coordinate",
      [
        [0, 3],
        [1, 2],
        [2, 2], // dominated by (1, 2) only through the tie
        [3, 1],
        [3.5, 1],
      ],
    ],
    [
      "dominated points at a front point's first coordinate, below its left neighbour",
      [
        [0, 3],
        [1, 2],
        [2, 1],
        [2, 1.5], // inside (2, 1)'s exclusive region, up to (1, 2)'s height
        [1, 2.75],
      ],
    ],
    [
      "dominated points right of the first front point",
      [
        [0, 2],
        [0.5, 3], // above the first front point, left of the second
        [1, 1],
        [0.25, 2.5],
      ],
    ],
    [
      "copies and near-copies",
      [
        [1, 1],
        [1, 1],
        [1, 1.5],
        [1.5, 1],
        [0.5, 2],
        [0.5, 2],
      ],
    ],
  ];
  for (const [name, points] of cases) {
    it(name, () => {
      const ref = [4, 4];
      const c = hypervolumeContributions(points, ref);
      const expected = removals(points, ref, staircase);
      for (let i = 0; i < points.length; i++) expect(c[i], `point ${i}`).toBe(expected[i]);
    });
  }

  it("agree with removal on random sets with many ties", () => {
    for (let seed = 0; seed < 40; seed++) {
      const rng = createRng(300 + seed);
      const points = Array.from({ length: 12 }, () => [
        Math.floor(rng.uniform() * 5) / 4,
        Math.floor(rng.uniform() * 5) / 4,
      ]);
      const ref = [1.125, 1.125];
      const c = hypervolumeContributions(points, ref);
      const expected = removals(points, ref, staircase);
      for (let i = 0; i < points.length; i++) expect(c[i], `seed ${seed}, point ${i}`).toBe(expected[i]);
    }
  });
});
