/**
 * NSGA-II's crossover operators (src/algorithms/nsga2/crossover.ts) on fixed random draws: BLX-α and SPX against
 * Optuna's own operators, SBX against Optuna's spread equations (test/fixtures/nsga2-goldens.json,
 * gen_nsga2_goldens.py), uniform crossover and UNDX against their definitions; and how a child is assembled
 * (child.ts): crossover_prob, mutation_prob, children outside the bounds.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ChildContext, makeChild } from "../../src/algorithms/nsga2/child.js";
import { spaceCoords } from "../../src/algorithms/nsga2/coords.js";
import { type CrossoverParams, crossover } from "../../src/algorithms/nsga2/crossover.js";
import type { Rng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { spaceScales } from "../../src/space/scale.js";
import { param, str } from "./tpe-helpers.js";

interface Goldens {
  blxalpha: { alpha: number; parents: number[][]; uniforms: number[]; child: number[] }[];
  spx: { epsilon: number | null; parents: number[][]; uniforms: number[]; child: number[] }[];
  sbx: { eta: number; parents: number[][]; uniforms: number[]; below: number[]; above: number[] }[];
}

const goldens = JSON.parse(readFileSync(new URL("../fixtures/nsga2-goldens.json", import.meta.url), "utf8")) as Goldens;

/** An Rng that returns the given draws in order and fails the test on any draw it was not given. */
function scripted(uniforms: number[], normals: number[] = [], ints: number[] = []): Rng & { left(): number } {
  const u = [...uniforms];
  const z = [...normals];
  const k = [...ints];
  const next = (q: number[], what: string) => {
    if (q.length === 0) throw new Error(`unexpected ${what} draw`);
    return q.shift()!;
  };
  return {
    uniform: () => next(u, "uniform"),
    normal: () => next(z, "normal"),
    int: () => next(k, "int"),
    left: () => u.length + z.length + k.length,
  };
}

const params = (over: Partial<CrossoverParams>): CrossoverParams => ({
  name: "uniform",
  swappingProb: 0.5,
  alpha: 0.5,
  eta: 2,
  epsilon: undefined,
  sigmaXi: 0.5,
  sigmaEta: undefined,
  ...over,
});

const vec = (xs: number[]) => Float64Array.from(xs);
const unitBounds = (n: number) => [new Float64Array(n).fill(0), new Float64Array(n).fill(1)] as const;

function expectClose(got: Float64Array, want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  for (const [i, w] of want.entries()) {
    expect(Math.abs(got[i]! - w), `coordinate ${i}: ${got[i]} vs ${w}`).toBeLessThan(tol);
  }
}

describe("crossover operators on fixed draws", () => {
  it("uniform: each coordinate from the second parent when its draw is below swapping_prob", () => {
    const [lo, hi] = unitBounds(4);
    const rng = scripted([0.2, 0.7, 0.5, 0.49]);
    const child = crossover([vec([0.1, 0.2, 0.3, 0.4]), vec([0.6, 0.7, 0.8, 0.9])], lo, hi, params({}), rng);
    expect(Array.from(child)).toEqual([0.6, 0.2, 0.3, 0.9]);
    const skewed = scripted([0.2, 0.7]);
    const c2 = crossover([vec([0.1, 0.2]), vec([0.6, 0.7])], lo, hi, params({ swappingProb: 0.75 }), skewed);
    expect(Array.from(c2)).toEqual([0.6, 0.7]);
    expect(skewed.left()).toBe(0);
  });

  it("blxalpha: Optuna's BLX-α child for the same uniforms", () => {
    for (const g of goldens.blxalpha) {
      const [lo, hi] = unitBounds(g.child.length);
      const rng = scripted(g.uniforms);
      const child = crossover(g.parents.map(vec), lo, hi, params({ name: "blxalpha", alpha: g.alpha }), rng);
      expectClose(child, g.child);
      expect(rng.left()).toBe(0);
    }
  });

  it("spx: Optuna's simplex crossover child for the same uniforms, ε = √(n + 2) by default", () => {
    for (const g of goldens.spx) {
      const [lo, hi] = unitBounds(g.child.length);
      const rng = scripted(g.uniforms);
      const p = params({ name: "spx", epsilon: g.epsilon ?? undefined });
      expectClose(crossover(g.parents.map(vec), lo, hi, p, rng), g.child);
      expect(rng.left()).toBe(0);
    }
  });

  it("sbx: the child below or above the parents by Optuna's bounded spread equations, clipped to the bounds", () => {
    for (const g of goldens.sbx) {
      const [lo, hi] = unitBounds(g.below.length);
      // Per coordinate: its spread uniform, then the pick (below 0.5: the child below the parents).
      const draws = g.uniforms.flatMap((u, i) => [u, i % 2 === 0 ? 0.25 : 0.5]);
      const rng = scripted(draws);
      const child = crossover(g.parents.map(vec), lo, hi, params({ name: "sbx", eta: g.eta }), rng);
      const want = g.below.map((b, i) => Math.min(Math.max(i % 2 === 0 ? b : g.above[i]!, 0), 1));
      expectClose(child, want);
      expect(rng.left()).toBe(0);
    }
  });

  it("sbx spreads children further from their parents the smaller eta is", () => {
    const [lo, hi] = unitBounds(1);
    const spread = (eta: number, u: number, pick: number) =>
      crossover([vec([0.4]), vec([0.6])], lo, hi, params({ name: "sbx", eta }), scripted([u, pick]))[0]!;
    // u = 0.9: beyond the parents; the child below moves further down as eta falls.
    expect(spread(2, 0.9, 0.25)).toBeLessThan(spread(20, 0.9, 0.25));
    expect(spread(2, 0.9, 0.75)).toBeGreaterThan(spread(20, 0.9, 0.75));
    expect(spread(20, 0.9, 0.25)).toBeLessThan(0.4);
    expect(spread(20, 0.9, 0.75)).toBeGreaterThan(0.6);
  });

  it("undx: the midpoint plus σξ·ξ along the parents' line and ση·η across it, scaled by the third parent's distance", () => {
    const [lo, hi] = unitBounds(3);
    const a = vec([0.2, 0.2, 0.5]);
    const b = vec([0.6, 0.2, 0.5]);
    const c = vec([0.3, 0.6, 0.5]); // 0.4 from the line through a and b
    const mid = [0.4, 0.2, 0.5];
    // ξ only: along d = a − b = (−0.4, 0, 0); one ξ, then one η per direction across.
    const along = crossover([a, b, c], lo, hi, params({ name: "undx", sigmaXi: 0.5 }), scripted([], [0.8, 0, 0]));
    expectClose(along, [0.4 + 0.5 * 0.8 * -0.4, 0.2, 0.5]);
    // η only: orthogonal to d, of length |η|·ση·distance, ση = 0.35/√3 by default.
    for (const [e1, e2] of [
      [1, 0],
      [0, -2],
      [1, 1],
    ] as const) {
      const rng = scripted([], [0, e1, e2]);
      const across = crossover([a, b, c], lo, hi, params({ name: "undx" }), rng);
      const step = Array.from(across, (x, i) => x - mid[i]!);
      expect(Math.abs(step[0]!)).toBeLessThan(1e-12);
      const length = Math.hypot(...step);
      expect(Math.abs(length - Math.hypot(e1, e2) * 0.4 * (0.35 / Math.sqrt(3)))).toBeLessThan(1e-12);
      expect(rng.left()).toBe(0);
    }
    const given = crossover([a, b, c], lo, hi, params({ name: "undx", sigmaEta: 0.1 }), scripted([], [0, 0, 3]));
    expect(Math.abs(Math.hypot(...Array.from(given, (x, i) => x - mid[i]!)) - 3 * 0.4 * 0.1)).toBeLessThan(1e-12);
  });

  it("undx: along the line only, with one ξ for every coordinate, whatever the line's direction", () => {
    const [lo, hi] = unitBounds(2);
    const a = vec([0.2, 0.3]);
    const b = vec([0.6, 0.5]);
    // The third parent on the line: no step across it.
    const c = vec([1.0, 0.7]);
    const child = crossover([a, b, c], lo, hi, params({ name: "undx", sigmaXi: 0.5 }), scripted([], [1.2, 0.7]));
    // mid (0.4, 0.4) + 0.5·1.2·(−0.4, −0.2)
    expectClose(child, [0.4 - 0.24, 0.4 - 0.12]);
  });

  it("undx steps across a slanted line by exactly |η|·ση·distance (a unit basis across it)", () => {
    const [lo, hi] = unitBounds(2);
    const a = vec([0.2, 0.3]);
    const b = vec([0.6, 0.5]);
    // The third parent 0.08/√0.2 ≈ 0.179 from the line through a and b (|(c − a) × d| / |d|).
    const c = vec([0.3, 0.55]);
    const rng = scripted([], [0, 1.5]);
    const child = crossover([a, b, c], lo, hi, params({ name: "undx", sigmaEta: 0.4 }), rng);
    const step = [child[0]! - 0.4, child[1]! - 0.4];
    // Across the line (orthogonal to d = (−0.4, −0.2)), of length 1.5 · 0.4 · 0.08/√0.2.
    expect(Math.abs(step[0]! * -0.4 + step[1]! * -0.2)).toBeLessThan(1e-12);
    expect(Math.hypot(step[0]!, step[1]!)).toBeCloseTo((1.5 * 0.4 * 0.08) / Math.sqrt(0.2), 12);
  });

  it("undx in one dimension: the line is all there is, no draw across it", () => {
    const [lo, hi] = unitBounds(1);
    const one = scripted([], [1.5]);
    const child = crossover([vec([0.2]), vec([0.6]), vec([0.9])], lo, hi, params({ name: "undx" }), one);
    expectClose(child, [0.4 + 0.5 * 1.5 * -0.4]);
    expect(one.left()).toBe(0);
  });

  it("undx with identical first parents steps across in every direction (no line to follow)", () => {
    const [lo, hi] = unitBounds(2);
    const a = vec([0.5, 0.5]);
    const c = vec([0.5, 0.9]);
    // d = 0: the basis is the unit vectors less one; the third parent is 0.4 away.
    const child = crossover([a, a, c], lo, hi, params({ name: "undx", sigmaEta: 1 }), scripted([], [0.3, 1]));
    expect(Math.hypot(child[0]! - 0.5, child[1]! - 0.5)).toBeCloseTo(0.4, 12);
  });
});

describe("a child's assembly", () => {
  it("without crossover, draws a parameter the first parent lacks from the prior, not from another parent", () => {
    const tree = compileSpace({
      parameters: [
        param("c", {
          $case: "choice",
          value: {
            options: [
              str("a", [param("ax", { $case: "uniform", value: { low: 0, high: 1 } })]),
              str("b", [param("bx", { $case: "uniform", value: { low: 10, high: 20 } })]),
            ],
            weights: [],
          },
        }),
      ],
    });
    const c: ChildContext = {
      space: tree,
      scales: spaceScales(tree),
      coords: spaceCoords(tree),
      operator: params({}),
      crossoverProb: 0.9,
      mutationProb: 0.2,
    };
    const first = Float64Array.of(1, Number.NaN, 12.5);
    const second = Float64Array.of(0, 0.25, Number.NaN);
    // No crossover (0.95); c mutates (0.1) to option a (prior draw 0.1); ax keeps (0.5) but the first parent has
    // none: the prior draws it (0.6).
    const child = makeChild(c, [first, second], scripted([0.95, 0.1, 0.1, 0.5, 0.6]), false)!;
    expect(Array.from(child)).toEqual([0, 0.6, Number.NaN]);
  });

  it("keeps a parent's value exactly when the operator hands it back (no round trip through the unit scale)", () => {
    const logSpace = compileSpace({
      parameters: [
        param("l", { $case: "logUniform", value: { low: 1e-3, high: 7 } }),
        param("m", { $case: "logUniform", value: { low: 0.01, high: 3 } }),
      ],
    });
    const c: ChildContext = {
      space: logSpace,
      scales: spaceScales(logSpace),
      coords: spaceCoords(logSpace),
      operator: params({}),
      crossoverProb: 1,
      mutationProb: 0,
    };
    const first = Float64Array.of(0.3, 0.7);
    const second = Float64Array.of(0.1, 2.9);
    // Uniform crossover: l from the first parent (0.9 ≥ 0.5), m from the second (0.1 < 0.5).
    const child = makeChild(c, [first, second], scripted([0.2, 0.9, 0.1, 0.5, 0.5]), false)!;
    expect(Array.from(child)).toEqual([0.3, 2.9]);
  });

  const space = compileSpace({
    parameters: [
      param("x", { $case: "uniform", value: { low: 0, high: 10 } }),
      param("y", { $case: "uniform", value: { low: -1, high: 1 } }),
    ],
  });
  const ctx = (over: Partial<ChildContext>): ChildContext => ({
    space,
    scales: spaceScales(space),
    coords: spaceCoords(space),
    operator: params({ name: "blxalpha", alpha: 0 }),
    crossoverProb: 0.9,
    mutationProb: 0,
    ...over,
  });
  const parents = [Float64Array.of(2, -0.5), Float64Array.of(6, 0.5)];

  it("crosses with probability crossover_prob, else copies the first parent", () => {
    // 0.95 ≥ 0.9: no crossover; each parameter then draws its mutation uniform.
    expect(Array.from(makeChild(ctx({}), parents, scripted([0.95, 0.5, 0.5]), false)!)).toEqual([2, -0.5]);
    // 0.85 < 0.9: BLX-0 between the parents at 0.25 and 0.75 of their interval.
    const crossed = makeChild(ctx({}), parents, scripted([0.85, 0.25, 0.75, 0.5, 0.5]), false)!;
    expect(crossed[0]).toBeCloseTo(3, 12);
    expect(crossed[1]).toBeCloseTo(0.25, 12);
    const notBelow = makeChild(ctx({ crossoverProb: 0.85 }), parents, scripted([0.85, 0.5, 0.5]), false)!;
    expect(Array.from(notBelow)).toEqual([2, -0.5]);
  });

  it("mutates a parameter when its draw is below mutation_prob: a fresh draw from the prior", () => {
    // No crossover; x's mutation draw 0.1 < 0.2 mutates it (the prior takes the next uniform), y's 0.2 does not.
    const child = makeChild(ctx({ mutationProb: 0.2 }), parents, scripted([0.95, 0.1, 0.5, 0.2]), false)!;
    expect(child[0]).toBeCloseTo(5, 12);
    expect(child[1]).toBe(-0.5);
  });

  it("returns no child when the operator leaves the bounds, unless clipping", () => {
    const wide = ctx({ operator: params({ name: "blxalpha", alpha: 1 }) });
    // x: interval [2, 6] widened by 4 each side: a draw of 0 lands at −2.
    expect(makeChild(wide, parents, scripted([0.5, 0, 0.5]), false)).toBeUndefined();
    const clipped = makeChild(wide, parents, scripted([0.5, 0, 0.5, 0.5, 0.5]), true)!;
    expect(clipped[0]).toBe(0);
    expect(clipped[1]).toBeCloseTo(0, 12);
    // Past the upper bound: x between 4 and 6 widened by 2 each side, a draw of 0.99 lands at 7.92 (0.79 of 10)… and
    // y's interval [0, 1] widened by 1 each side, 0.99 lands at 2.96, past 1.
    const high = [Float64Array.of(4, 0), Float64Array.of(6, 1)];
    expect(makeChild(wide, high, scripted([0.5, 0.99, 0.99]), false)).toBeUndefined();
    // Both parents on the upper bound: BLX-0 hands back exactly 1, which is inside.
    const top = [Float64Array.of(10, 1), Float64Array.of(10, 1)];
    expect(Array.from(makeChild(ctx({}), top, scripted([0.5, 0.3, 0.7, 0.5, 0.5]), false)!)).toEqual([10, 1]);
    // Exactly on the bound is inside: BLX-0 between the bounds with a draw of 0 lands on the lower one.
    const spanning = [Float64Array.of(0, -1), Float64Array.of(10, 1)];
    const edge = makeChild(ctx({}), spanning, scripted([0.5, 0, 0, 0.5, 0.5]), false)!;
    expect(Array.from(edge)).toEqual([0, -1]);
  });
});
