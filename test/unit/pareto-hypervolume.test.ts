/** Non-domination ranks and hypervolumes against reference values and brute-force computations. */
import { describe, expect, it } from "vitest";
import { greedySubset, hypervolume, hypervolumeContributions, referencePoint } from "../../src/math/hypervolume.js";
import { dominates, nonDominationRanks, paretoFront } from "../../src/math/pareto.js";
import { createRng } from "../../src/math/rng.js";

/** Exact hypervolume by inclusion–exclusion over every non-empty subset (small sets only). */
function bruteHypervolume(points: number[][], ref: number[]): number {
  const n = points.length;
  let total = 0;
  for (let mask = 1; mask < 1 << n; mask++) {
    const corner = ref.map(() => -Infinity);
    let size = 0;
    for (let i = 0; i < n; i++) {
      if ((mask & (1 << i)) === 0) continue;
      size++;
      for (let k = 0; k < ref.length; k++) corner[k] = Math.max(corner[k]!, points[i]![k]!);
    }
    let v = 1;
    for (let k = 0; k < ref.length; k++) v *= Math.max(0, ref[k]! - corner[k]!);
    total += size % 2 === 1 ? v : -v;
  }
  return total;
}

/** Ranks by repeatedly peeling the points no remaining point dominates. */
function bruteRanks(points: number[][]): number[] {
  const rank = points.map(() => -1);
  for (let r = 0; rank.includes(-1); r++) {
    const rest = points.map((_, i) => i).filter((i) => rank[i] === -1);
    const front = rest.filter((i) => !rest.some((j) => dominates(points[j]!, points[i]!)));
    for (const i of front) rank[i] = r;
  }
  return rank;
}

function randomPoints(seed: number, n: number, m: number, grid = 0): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: m }, () => (grid > 0 ? Math.floor(rng.uniform() * grid) / grid : rng.uniform())),
  );
}

describe("non-domination ranks", () => {
  it("ranks a known 2-D set, duplicates sharing a rank", () => {
    const pts = [
      [1, 5],
      [2, 3],
      [3, 1],
      [2, 4],
      [4, 4],
      [2, 3],
      [5, 5],
      [1, 6],
    ];
    expect([...nonDominationRanks(pts)]).toEqual([0, 0, 0, 1, 2, 0, 3, 1]);
    expect(paretoFront(pts)).toEqual([0, 1, 2, 5]);
  });

  it("agrees with peeling fronts by brute force, in 2, 3 and 4 dimensions, with ties", () => {
    for (const m of [2, 3, 4]) {
      for (let seed = 0; seed < 20; seed++) {
        const pts = randomPoints(seed, 40, m, seed % 2 === 0 ? 5 : 0);
        expect([...nonDominationRanks(pts)], `m=${m} seed=${seed}`).toEqual(bruteRanks(pts));
      }
    }
  });

  it("ranks large 2-D sets with clustered values, outliers, ties and infinities as peeling does", () => {
    for (let seed = 0; seed < 6; seed++) {
      const rng = createRng(700 + seed);
      const pts = Array.from({ length: 300 }, (_, i) => {
        // Most points in a narrow band (one bucket holds many), some far out, ties on a coarse grid.
        const x = i % 10 === 0 ? 1e6 * rng.uniform() : Math.floor(rng.uniform() * 40) / 1e4;
        return [x, Math.floor(rng.uniform() * 25)];
      });
      if (seed % 2 === 1) pts.push([Number.POSITIVE_INFINITY, 0], [Number.NEGATIVE_INFINITY, 30], [0, -Infinity]);
      expect([...nonDominationRanks(pts)], `seed ${seed}`).toEqual(bruteRanks(pts));
    }
  });

  it("stops once enough points are ranked, leaving the rest at -1", () => {
    const pts = Array.from({ length: 10 }, (_, i) => [i, i, i]);
    expect([...nonDominationRanks(pts, 3)]).toEqual([0, 1, 2, -1, -1, -1, -1, -1, -1, -1]);
    expect([
      ...nonDominationRanks(
        pts.map((p) => [p[0]!, p[1]!]),
        2,
      ),
    ]).toEqual([0, 1, -1, -1, -1, -1, -1, -1, -1, -1]);
  });
});

describe("hypervolume", () => {
  it("matches hand-computed 2-D and 3-D values", () => {
    // Staircase (1,3),(2,2),(3,1) against (4,4): 3 + 2 + 1.
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
    ).toBe(6);
    // A dominated point and one outside the reference add nothing.
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
          [3, 3],
          [5, 0],
        ],
        [4, 4],
      ),
    ).toBe(6);
    expect(hypervolume([], [1, 1])).toBe(0);
    expect(hypervolume([[0, 0, 0]], [2, 2, 2])).toBe(8);
    // Three 2×1×1 slabs; each pair and all three meet in the unit cube at (1,1,1).
    expect(
      hypervolume(
        [
          [0, 1, 1],
          [1, 0, 1],
          [1, 1, 0],
        ],
        [2, 2, 2],
      ),
    ).toBe(2 + 2 + 2 - 1 - 1 - 1 + 1);
  });

  it("agrees with inclusion-exclusion in 2 to 5 dimensions", () => {
    for (const m of [2, 3, 4, 5]) {
      for (let seed = 0; seed < 15; seed++) {
        const pts = randomPoints(100 + seed, 10, m, seed % 3 === 0 ? 4 : 0);
        const ref = Array.from({ length: m }, () => 1.1);
        expect(hypervolume(pts, ref), `m=${m} seed=${seed}`).toBeCloseTo(bruteHypervolume(pts, ref), 12);
      }
    }
  });

  it("gives each point's exclusive contribution: the loss when it alone is removed", () => {
    for (const m of [2, 3, 4]) {
      const pts = randomPoints(7 + m, 9, m, m === 3 ? 4 : 0);
      const ref = Array.from({ length: m }, () => 1.2);
      const all = bruteHypervolume(pts, ref);
      const c = hypervolumeContributions(pts, ref);
      for (let i = 0; i < pts.length; i++) {
        const without = pts.filter((_, j) => j !== i);
        expect(c[i], `m=${m} i=${i}`).toBeCloseTo(all - bruteHypervolume(without, ref), 12);
      }
    }
  });

  it("selects a subset greedily by hypervolume gain", () => {
    // The middle point of the staircase adds most first; then either end adds 1.
    const pts = [
      [0, 4],
      [2, 2],
      [4, 0],
    ];
    expect(greedySubset(pts, 1, [5, 5])).toEqual([1]);
    expect(greedySubset(pts, 3, [5, 5])).toEqual([1, 0, 2]);
  });

  it("places Optuna's reference point strictly beyond the worst value of each coordinate", () => {
    expect([
      ...referencePoint([
        [1, -2, 0],
        [3, -4, 0],
      ]),
    ]).toEqual([1.1 * 3, 0.9 * -2, 1e-12]);
  });
});

describe("2-D fast paths", () => {
  it("give the same contributions and greedy subsets as the general computation", () => {
    for (let seed = 0; seed < 10; seed++) {
      const rng = createRng(500 + seed);
      // One front (x rising, y falling) with duplicates, plus dominated and outside points for the contributions.
      const front: number[][] = [];
      for (let i = 0; i < 9; i++) {
        const x = Math.floor(rng.uniform() * 12) / 12;
        front.push([x, 1 - x * x]);
      }
      const mixed = [...front, [0.5, 0.99], [2, 0.1], [0.3, 0.95]];
      const ref = [1.2, 1.2];
      const all = bruteHypervolume(mixed, ref);
      const c = hypervolumeContributions(mixed, ref);
      for (let i = 0; i < mixed.length; i++) {
        const without = mixed.filter((_, j) => j !== i);
        expect(c[i], `seed ${seed} point ${i}`).toBeCloseTo(all - bruteHypervolume(without, ref), 12);
      }
      // Greedy on the front: each pick adds the most hypervolume, checked against brute force.
      const picked = greedySubset(front, 5, ref);
      const chosen: number[][] = [];
      for (const i of picked) {
        const gain = (p: number[]) => bruteHypervolume([...chosen, p], ref) - bruteHypervolume(chosen, ref);
        const best = Math.max(...front.filter((_, j) => !picked.slice(0, chosen.length).includes(j)).map(gain));
        expect(gain(front[i]!), `seed ${seed}`).toBeCloseTo(best, 12);
        chosen.push(front[i]!);
      }
    }
  });

  it("picks exactly what the plain greedy picks, ties to the lower index, on fronts and on sets with dominated points", () => {
    // Coordinates on a grid of 1/8: every area is exact in floating point, so equal gains are exact ties.
    const reference = (pts: number[][], k: number, ref: number[]): number[] => {
      const picked: number[] = [];
      for (let step = 0; step < Math.min(k, pts.length); step++) {
        const base = hypervolume(
          picked.map((j) => pts[j]!),
          ref,
        );
        let best = -1;
        let bestGain = -Infinity;
        pts.forEach((p, i) => {
          if (picked.includes(i)) return;
          const gain = hypervolume([...picked.map((j) => pts[j]!), p], ref) - base;
          if (gain > bestGain) [best, bestGain] = [i, gain];
        });
        picked.push(best);
      }
      return picked;
    };
    for (let seed = 0; seed < 30; seed++) {
      const rng = createRng(900 + seed);
      const n = 3 + Math.floor(rng.uniform() * 30);
      const xs = Array.from({ length: n }, () => Math.floor(rng.uniform() * 12));
      // A front: y falls as x rises (equal x, equal point); some points at or beyond the reference (1.5, 1.5).
      const front = xs.map((x) => [x / 8, (12 - x) / 8]);
      const ref = [1.25, 1.25];
      for (const k of [1, 3, n])
        expect(greedySubset(front, k, ref), `front, seed ${seed}, k ${k}`).toEqual(reference(front, k, ref));
      // Not a front: the general computation must be used, with the same rule.
      const cloud = xs.map((x, i) => [x / 8, Math.floor(rng.uniform() * 12) / 8 + (i % 3 === 0 ? 0 : 0.125)]);
      expect(greedySubset(cloud, Math.min(n, 6), ref), `cloud, seed ${seed}`).toEqual(
        reference(cloud, Math.min(n, 6), ref),
      );
    }
  });

  it("greedy selection on a larger 2-D front, with points beyond the reference point, adds the most hypervolume at every pick", () => {
    for (const seed of [3, 4, 5]) {
      const rng = createRng(seed);
      const front: number[][] = [];
      for (let i = 0; i < 40; i++) {
        const x = Math.floor(rng.uniform() * 30) / 20; // up to 1.45: some beyond the reference's 1.2
        front.push([x, 1 - x * x]);
      }
      const ref = [1.2, 1.2];
      const picked = greedySubset(front, 25, ref);
      expect(new Set(picked).size).toBe(25);
      const chosen: number[][] = [];
      for (const i of picked) {
        // The exact hypervolume (tested against brute force above): brute force is exponential at this size.
        const gain = (p: number[]) => hypervolume([...chosen, p], ref) - hypervolume(chosen, ref);
        const best = Math.max(...front.filter((_, j) => !picked.slice(0, chosen.length).includes(j)).map(gain));
        expect(gain(front[i]!), `seed ${seed}, pick ${chosen.length}`).toBeCloseTo(best, 12);
        chosen.push(front[i]!);
      }
    }
  });
});
