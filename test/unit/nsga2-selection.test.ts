/**
 * NSGA-II's selection (src/algorithms/nsga2/selection.ts) at its edges: the crowded binary tournament (rank, then
 * crowding distance, then the first drawn; only entrants not taken), crowding distances with ties and a single
 * point, ranks of infeasible trials with equal violations, elitist survival's tie-breaks.
 */
import { describe, expect, it } from "vitest";
import {
  constrainedRanks,
  crowdingDistance,
  type Individual,
  rankAndCrowd,
  selectElite,
  tournament,
} from "../../src/algorithms/nsga2/selection.js";
import type { Rng } from "../../src/math/rng.js";

const ind = (values: number[], violation = 0): Individual => ({ values, violation });

/** An Rng whose int(n) returns the given values in order, recording each n it was asked for. */
function ints(values: number[]): Rng & { asked: number[] } {
  const q = [...values];
  const asked: number[] = [];
  return {
    asked,
    uniform: () => {
      throw new Error("unexpected uniform draw");
    },
    normal: () => {
      throw new Error("unexpected normal draw");
    },
    int: (n: number) => {
      asked.push(n);
      const v = q.shift();
      if (v === undefined) throw new Error("unexpected int draw");
      return v;
    },
  };
}

describe("crowded binary tournament", () => {
  const ranked = { rank: Int32Array.of(0, 1, 0, 0), crowding: Float64Array.of(1, 5, 2, 2) };

  it("the lower rank wins, whatever the crowding", () => {
    expect(tournament(ranked, new Set(), ints([1, 0]))).toBe(0);
    expect(tournament(ranked, new Set(), ints([0, 1]))).toBe(0);
  });

  it("on equal ranks the larger crowding distance wins; on equal distances the first drawn", () => {
    expect(tournament(ranked, new Set(), ints([0, 2]))).toBe(2);
    expect(tournament(ranked, new Set(), ints([2, 0]))).toBe(2);
    expect(tournament(ranked, new Set(), ints([2, 3]))).toBe(2);
    expect(tournament(ranked, new Set(), ints([3, 2]))).toBe(3);
    expect(tournament(ranked, new Set(), ints([3, 3]))).toBe(3);
  });

  it("draws both entrants among those not taken", () => {
    const rng = ints([0, 2]);
    // Open: 1, 2, 3; draws 0 and 2 are entrants 1 and 3; 3 has the lower rank.
    expect(tournament(ranked, new Set([0]), rng)).toBe(3);
    expect(rng.asked).toEqual([3, 3]);
    const last = ints([0, 0]);
    expect(tournament(ranked, new Set([0, 2, 3]), last)).toBe(1);
    expect(last.asked).toEqual([1, 1]);
  });
});

describe("crowding distance", () => {
  it("is infinite at a front of one or two points and at each objective's extremes; ties keep their order", () => {
    expect([...crowdingDistance([[3, 4]])]).toEqual([0]);
    expect([...crowdingDistance([])]).toEqual([]);
    // Objective 0: 0, 1, 1, 3 (the tie in the middle keeps its order); objective 1 the reverse.
    const d = crowdingDistance([
      [0, 3],
      [1, 2],
      [1, 1],
      [3, 0],
    ]);
    expect(d[0]).toBe(Number.POSITIVE_INFINITY);
    expect(d[3]).toBe(Number.POSITIVE_INFINITY);
    // Point 1: neighbours 0 and 2 in objective 0 ((1 − 0)/3), 2 and 0 in objective 1 ((3 − 1)/3).
    expect(d[1]).toBeCloseTo(1 / 3 + 2 / 3, 12);
    // Point 2: neighbours 1 and 3 in objective 0 ((3 − 1)/3), 3 and 1 in objective 1 ((2 − 0)/3).
    expect(d[2]).toBeCloseTo(2 / 3 + 2 / 3, 12);
  });

  it("is infinite at the extremes of every objective, not only where they coincide", () => {
    // Point 2 is extreme in objective 0 only, point 1 in objective 1 only.
    expect([
      ...crowdingDistance([
        [0, 0],
        [1, 2],
        [2, 1],
      ]),
    ]).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
  });

  it("sums over objectives, each divided by its own range", () => {
    const d = crowdingDistance([
      [0, 0],
      [5, 50],
      [6, 80],
      [10, 100],
    ]);
    expect(d[1]).toBeCloseTo(6 / 10 + 80 / 100, 12);
    expect(d[2]).toBeCloseTo(5 / 10 + 50 / 100, 12);
  });
});

describe("ranks and survival", () => {
  it("gives infeasible trials of equal violation one rank, after every feasible front", () => {
    const pop = [ind([0, 0], 0.3), ind([1, 1]), ind([5, 5], 0.3), ind([0, 0], 0.2), ind([2, 2])];
    expect([...constrainedRanks(pop)]).toEqual([3, 0, 3, 2, 1]);
    expect([...constrainedRanks([ind([1], 2), ind([0], 1)])]).toEqual([1, 0]);
  });

  it("measures crowding within each front separately", () => {
    const pop = [ind([0, 4]), ind([5, 5]), ind([2, 2]), ind([4, 0]), ind([6, 9]), ind([9, 6]), ind([1, 3])];
    const { rank, crowding } = rankAndCrowd(pop);
    expect([...rank]).toEqual([0, 1, 0, 0, 2, 2, 0]);
    // Front 0 sorted by objective 0: (0,4) (1,3) (2,2) (4,0); front 1 alone; front 2 two points.
    expect(crowding[6]).toBeCloseTo(2 / 4 + 2 / 4, 12);
    expect(crowding[2]).toBeCloseTo(3 / 4 + 3 / 4, 12);
    expect(crowding[1]).toBe(0);
    expect(crowding[4]).toBe(Number.POSITIVE_INFINITY);
  });

  it("cuts the last front by crowding, ties by position, and keeps the population's order", () => {
    // Four points of one front: two extremes and two inner points of equal crowding.
    const pop = [ind([1, 3]), ind([0, 4]), ind([3, 1]), ind([4, 0]), ind([2, 2])];
    expect([...rankAndCrowd(pop).crowding]).toEqual([1, Number.POSITIVE_INFINITY, 1, Number.POSITIVE_INFINITY, 1]);
    expect(selectElite(pop, 3)).toEqual([0, 1, 3]);
    expect(selectElite(pop, 4)).toEqual([0, 1, 2, 3]);
    expect(selectElite(pop, 5)).toEqual([0, 1, 2, 3, 4]);
  });
});
