/**
 * src/math/pareto.ts beyond pareto-hypervolume.test.ts: the 2-D order (first coordinate, then second, then index)
 * against a plain comparator sort on value ranges that break a bucket pass (overflowing, subnormal, infinite, one
 * value), ranks with ties and `enough` on both the 2-D sweep and the general sort, and dominance's definition.
 */
import { describe, expect, it } from "vitest";
import { dominates, nonDominationRanks, orderByFirstCoordinate, paretoFront } from "../../src/math/pareto.js";
import { createRng } from "../../src/math/rng.js";

function comparatorOrder(points: number[][]): number[] {
  return points
    .map((_, i) => i)
    .sort((a, b) => points[a]![0]! - points[b]![0]! || points[a]![1]! - points[b]![1]! || a - b);
}

/** Ranks by repeatedly peeling the points no remaining point dominates, stopping once `enough` are ranked. */
function peel(points: number[][], enough = Infinity): number[] {
  const rank = points.map(() => -1);
  let ranked = 0;
  for (let r = 0; rank.includes(-1) && ranked < enough; r++) {
    const rest = points.map((_, i) => i).filter((i) => rank[i] === -1);
    const front = rest.filter((i) => !rest.some((j) => dominates(points[j]!, points[i]!)));
    for (const i of front) rank[i] = r;
    ranked += front.length;
  }
  return rank;
}

describe("dominates", () => {
  it("needs no worse in every coordinate and better in one", () => {
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 3], [1, 3])).toBe(false);
    expect(dominates([0, 4], [1, 3])).toBe(false);
    expect(dominates([1, 3], [1, 2])).toBe(false);
    expect(dominates([0, 0, 1], [0, 0, 2])).toBe(true);
    expect(dominates([0, 0, 3], [1, 1, 2])).toBe(false);
    expect(dominates([Number.NEGATIVE_INFINITY], [0])).toBe(true);
  });
});

describe("orderByFirstCoordinate", () => {
  const sets: [string, number[][]][] = [
    ["empty", []],
    ["one point", [[3, 1]]],
    [
      "one first coordinate",
      [
        [2, 5],
        [2, 1],
        [2, 3],
        [2, 1],
      ],
    ],
    [
      "a range that overflows",
      [
        [1e308, 0],
        [-1e308, 2],
        [0, 1],
        [-1e308, 1],
        [5e307, 3],
      ],
    ],
    [
      "a subnormal range",
      [
        [5e-324, 1],
        [0, 2],
        [1e-323, 0],
        [0, 1],
        [5e-324, 0],
      ],
    ],
    [
      "infinities",
      [
        [Number.POSITIVE_INFINITY, 0],
        [1, 1],
        [Number.NEGATIVE_INFINITY, 2],
        [0, 5],
        [Number.NEGATIVE_INFINITY, 1],
      ],
    ],
    [
      "signed zeros",
      [
        [0, 1],
        [-0, 0],
        [-0, 1],
        [1, 0],
      ],
    ],
  ];
  for (const [name, points] of sets)
    it(`sorts ${name} as a comparator sort does`, () => {
      expect([...orderByFirstCoordinate(points)]).toEqual(comparatorOrder(points));
    });

  it("sorts random sets with crowded buckets, outliers and ties as a comparator sort does", () => {
    for (let seed = 0; seed < 30; seed++) {
      const rng = createRng(50 + seed);
      const n = 1 + Math.floor(rng.uniform() * 200);
      const points = Array.from({ length: n }, (_, i) => {
        // Most values crowd one bucket (more than 32 there), a few far away; seconds on a coarse grid.
        const x = i % 17 === 0 ? 1e3 * rng.uniform() - 500 : Math.floor(rng.uniform() * 50) / 1e5;
        return [x, Math.floor(rng.uniform() * 4)];
      });
      expect([...orderByFirstCoordinate(points)], `seed ${seed}`).toEqual(comparatorOrder(points));
    }
  });
});

describe("non-domination ranks", () => {
  it("stop after enough points, in two and three dimensions, as peeling does", () => {
    for (const m of [2, 3]) {
      for (let seed = 0; seed < 10; seed++) {
        const rng = createRng(80 + seed);
        const points = Array.from({ length: 30 }, () => Array.from({ length: m }, () => Math.floor(rng.uniform() * 6)));
        for (const enough of [1, 5, 12, 30])
          expect([...nonDominationRanks(points, enough)], `m ${m}, seed ${seed}, enough ${enough}`).toEqual(
            peel(points, enough),
          );
      }
    }
  });

  it("rank 2-D points tied in the second coordinate behind the one with the smallest first", () => {
    const points = [
      [3, 1],
      [1, 1],
      [2, 1],
      [1, 1],
      [0, 2],
    ];
    expect([...nonDominationRanks(points)]).toEqual([2, 0, 1, 0, 0]);
    expect(paretoFront(points)).toEqual([1, 3, 4]);
  });

  it("of one point and of no points", () => {
    expect([...nonDominationRanks([[1, 2]])]).toEqual([0]);
    expect([...nonDominationRanks([[1, 2, 3]])]).toEqual([0]);
    expect([...nonDominationRanks([])]).toEqual([]);
    expect(paretoFront([])).toEqual([]);
  });
});
