/**
 * grid's documented contract (src/algorithms/grid/index.ts, README "Grid search") at its edges: the exact refusals
 * of option `values` and of spaces it cannot walk, the 2^20-point limit, the walk (each point once, then the point at
 * the trial number's position), a uniformly drawn order, and the tally of points taken.
 */
import { describe, expect, it } from "vitest";
import { GridDesign, MAX_GRID_POINTS } from "../../src/algorithms/grid/design.js";
import { grid } from "../../src/algorithms/grid/index.js";
import type { Observation } from "../../src/algorithms/types.js";
import { ParzenError } from "../../src/errors.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Space } from "../../src/space/types.js";
import { param, str } from "./tpe-helpers.js";

const text = (value: string) => ({ kind: "string" as const, value });
const intRange = (name: string, low: number, high: number, step = 1) =>
  param(name, { $case: "intRange", value: { low, high, step, log: false } });

/** The INVALID_ARGUMENT message `f` throws (fails the test when it throws anything else, or nothing). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("INVALID_ARGUMENT");
    return (err as Error).message;
  }
  throw new Error("no refusal");
}

/** Checks the space with `values` (a JSON text) as grid's option, as experiment creation does. */
const check = (space: Space, values?: string) =>
  grid.checkSpace!(space, grid.parseOptions(values === undefined ? {} : { values: text(values) }));

const ints = compileSpace({ parameters: [intRange("a", 0, 2), intRange("b", 0, 1)] });
const withChoice = compileSpace({
  parameters: [
    param("c", { $case: "choice", value: { options: [str("p"), str("q"), str("r")], weights: [1, 0, 2] } }),
    param("x", { $case: "uniform", value: { low: 0, high: 1 } }),
  ],
});

describe("grid option values", () => {
  it("refuses text that is not a JSON object of arrays of scalars, saying what is wrong", () => {
    expect(refusal(() => grid.parseOptions({ values: text("{") }))).toMatch(
      /^grid options: "values" is not valid JSON \(.+\)$/,
    );
    const notObject = 'grid options: "values" must be a JSON object of parameter name → array of values';
    for (const v of ["[1, 2]", "null", "3", '"a"', "true"]) {
      expect(refusal(() => grid.parseOptions({ values: text(v) }))).toBe(notObject);
    }
    expect(refusal(() => grid.parseOptions({ values: text('{"a": 1}') }))).toBe(
      'grid options: "values" for "a" must be an array',
    );
    expect(refusal(() => grid.parseOptions({ values: text('{"a": "12"}') }))).toBe(
      'grid options: "values" for "a" must be an array',
    );
    expect(refusal(() => grid.parseOptions({ values: text('{"a": [1, null]}') }))).toBe(
      'grid options: "values" for "a" holds null, not a number, string or boolean',
    );
    expect(refusal(() => grid.parseOptions({ values: text('{"a": [{"v": 1}]}') }))).toBe(
      'grid options: "values" for "a" holds {"v":1}, not a number, string or boolean',
    );
  });

  it("reads numbers as ints or doubles, strings and booleans as themselves", () => {
    const o = grid.parseOptions({ values: text('{"a": [1, 2.5, "s", true, false]}') });
    expect(o.values).toEqual({
      a: [
        { kind: "int", value: 1 },
        { kind: "double", value: 2.5 },
        { kind: "string", value: "s" },
        { kind: "bool", value: true },
        { kind: "bool", value: false },
      ],
    });
    expect(grid.parseOptions({}).values).toEqual({});
  });

  it("walks exactly the given values, which must name known parameters, be non-empty and of positive weight", () => {
    expect(refusal(() => check(ints, '{"nope": [1]}'))).toBe('grid options: "values" names unknown parameter "nope"');
    expect(refusal(() => check(ints, '{"a": []}'))).toBe('grid options: "values" for "a" is empty');
    expect(refusal(() => check(withChoice, '{"c": ["q"], "x": [0.5]}'))).toBe(
      'grid options: "values" for "c" names an option whose weight is 0',
    );
    expect(() => check(withChoice, '{"c": ["r", "p"], "x": [0.5]}')).not.toThrow();
    // Given values replace the domain's: a has 3 integers, 2 are given (one twice).
    const tally = grid.exhaustible!(ints, grid.parseOptions({ values: text('{"a": [2, 0, 2]}') }));
    expect(tally.remaining()).toBe(2 * 2);
  });

  it("refuses continuous and unbounded parameters without values, naming them", () => {
    expect(refusal(() => check(withChoice))).toBe(
      'grid: parameter "x" is continuous; give its values (option "values") or declare it with a step',
    );
    const normal = compileSpace({ parameters: [param("n", { $case: "normal", value: { mu: 0, sigma: 1 } })] });
    expect(refusal(() => check(normal))).toBe(
      'grid: parameter "n" has an unbounded (normal) domain; give its values (option "values")',
    );
    expect(() => check(normal, '{"n": [0, 1.5]}')).not.toThrow();
  });

  it("takes every choice option of positive weight, every integer on its step, every point of a step grid", () => {
    expect(grid.exhaustible!(withChoice, grid.parseOptions({ values: text('{"x": [0.1]}') })).remaining()).toBe(2);
    const stepped = compileSpace({
      parameters: [
        intRange("k", 3, 20, 5), // 3, 8, 13, 18
        param("q", { $case: "qUniform", value: { low: 0, high: 1, q: 0.25 } }), // 0 … 1: 5 points
      ],
    });
    const d = new GridDesign(stepped, new Map());
    expect(d.size).toBe(4 * 5);
    const seen = new Set<string>();
    for (let k = 0; k < d.size; k++) seen.add(Array.from(d.decode(k)).join());
    expect([...seen].sort()).toEqual(
      [3, 8, 13, 18].flatMap((k) => [0, 0.25, 0.5, 0.75, 1].map((q) => `${k},${q}`)).sort(),
    );
    const logInt = compileSpace({
      parameters: [param("l", { $case: "intRange", value: { low: 1, high: 6, step: 1, log: true } })],
    });
    expect(new GridDesign(logInt, new Map()).size).toBe(6);
  });
});

const sequential = grid.parseOptions({ order: text("sequential") });
const observed = (number: number, config: Float64Array): Observation => ({
  number,
  config,
  state: "complete",
  loss: 0,
  lastStep: undefined,
});

describe("grid walk", () => {
  it("hands out the first point in order that no trial took, then the point at the trial number's position", () => {
    const d = new GridDesign(ints, new Map());
    const session = grid.open(ints, sequential);
    const history: Observation[] = [];
    // The history takes points 2 and 0 first (enqueued trials, say): the walk skips them.
    history.push(observed(0, d.decode(2)), observed(1, d.decode(0)));
    const got: number[] = [];
    for (let t = 2; t < 6; t++) {
      const c = session.suggest(history, createRng(0, t), { seed: 0, trialNumber: t });
      got.push(d.encode(c)!);
      history.push(observed(t, c));
    }
    expect(got).toEqual([1, 3, 4, 5]);
    // Exhausted: trial n gets the point at position n mod 6 of the order.
    for (const t of [6, 9, 13]) {
      const c = session.suggest(history, createRng(0, t), { seed: 0, trialNumber: t });
      expect(d.encode(c)).toBe(t % 6);
    }
  });

  it("without a context, starts at trial 0 on an empty history and follows the history's last number", () => {
    const d = new GridDesign(ints, new Map());
    const session = grid.open(ints, sequential);
    expect(d.encode(session.suggest([], createRng(0)))).toBe(0);
    const full = Array.from({ length: 6 }, (_, k) => observed(k + 10, d.decode(k)));
    // Exhausted, the last trial is number 15: the next is 16, at position 16 mod 6 = 4.
    expect(d.encode(session.suggest(full, createRng(0)))).toBe(4);
  });

  it("draws the shuffled order uniformly from the seed: every permutation of three points, about equally often", () => {
    const three = compileSpace({ parameters: [intRange("a", 0, 2)] });
    const d = new GridDesign(three, new Map());
    const shuffled = grid.parseOptions({});
    const counts = new Map<string, number>();
    const seeds = 1200;
    for (let seed = 0; seed < seeds; seed++) {
      const session = grid.open(three, shuffled);
      const history: Observation[] = [];
      for (let t = 0; t < 3; t++) {
        const c = session.suggest(history, createRng(seed, t), { seed, trialNumber: t });
        history.push(observed(t, c));
      }
      const order = history.map((o) => d.encode(o.config)).join("");
      counts.set(order, (counts.get(order) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["012", "021", "102", "120", "201", "210"]);
    // Each has probability 1/6: 200 expected, σ ≈ 13.
    for (const n of counts.values()) expect(Math.abs(n - seeds / 6)).toBeLessThan(60);
  });

  it("a session serving another seed walks that seed's order, as a fresh session does", () => {
    const space = compileSpace({ parameters: [intRange("a", 0, 30)] });
    const shuffled = grid.parseOptions({});
    const kept = grid.open(space, shuffled);
    for (const seed of [1, 2, 1, 3]) {
      const fresh = grid.open(space, shuffled).suggest([], createRng(seed, 0), { seed, trialNumber: 0 });
      expect(kept.suggest([], createRng(seed, 0), { seed, trialNumber: 0 })).toEqual(fresh);
    }
  });

  it("counts as taken only points of the grid, each once", () => {
    const d = new GridDesign(ints, new Map());
    const tally = grid.exhaustible!(ints, sequential);
    expect(tally.remaining()).toBe(6);
    tally.add(d.decode(5));
    tally.add(Float64Array.of(7, 0)); // off the grid: an enqueued configuration
    expect(tally.remaining()).toBe(5);
    tally.add(d.decode(5));
    tally.add(d.decode(0));
    expect(tally.remaining()).toBe(4);
  });

  it("does not count a configuration whose conditional parameter is off the grid", () => {
    const tree = compileSpace({
      parameters: [
        param("c", { $case: "choice", value: { options: [str("p"), str("r", [intRange("k", 0, 2)])], weights: [] } }),
      ],
    });
    const d = new GridDesign(tree, new Map());
    expect(d.size).toBe(1 + 3);
    expect(d.encode(Float64Array.of(1, 2))).toBe(3);
    expect(d.encode(Float64Array.of(1, 9))).toBeUndefined();
    const tally = grid.exhaustible!(tree, sequential);
    tally.add(Float64Array.of(1, 9));
    expect(tally.remaining()).toBe(4);
    tally.add(Float64Array.of(1, 2));
    expect(tally.remaining()).toBe(3);
  });
});

describe("grid size limit", () => {
  const one = (high: number) => compileSpace({ parameters: [intRange("i", 1, high)] });
  const q = (n: number) =>
    compileSpace({ parameters: [param("q", { $case: "qUniform", value: { low: 0, high: n - 1, q: 1 } })] });

  it("refuses a parameter of 2^20 + 1 values, and a product of factors past 2^20 (or 2^53)", () => {
    expect(MAX_GRID_POINTS).toBe(1048576);
    expect(refusal(() => check(one(MAX_GRID_POINTS + 1)))).toBe(
      'grid: parameter "i" has more than 1048576 values; give its values (option "values")',
    );
    expect(refusal(() => check(q(MAX_GRID_POINTS + 1)))).toBe(
      'grid: parameter "q" has more than 1048576 values; give its values (option "values")',
    );
    // The product of the factors, with given values (cheap to build): exactly 2^20, then 1024 more.
    const ab = compileSpace({ parameters: [intRange("a", 1, 2000), intRange("b", 1, 2000)] });
    const upTo = (n: number) => JSON.stringify(Array.from({ length: n }, (_, k) => k + 1));
    expect(() => check(ab, `{"a": ${upTo(1024)}, "b": ${upTo(1024)}}`)).not.toThrow();
    expect(refusal(() => check(ab, `{"a": ${upTo(1024)}, "b": ${upTo(1025)}}`))).toBe(
      'grid: the space has 1049600 points, more than 1048576; give fewer values (option "values") or coarser steps',
    );
    const huge = compileSpace({ parameters: [1, 2, 3, 4, 5, 6].map((i) => intRange(`p${i}`, 1, 2000)) });
    const all = `{${[1, 2, 3, 4, 5, 6].map((i) => `"p${i}": ${upTo(1000)}`).join(", ")}}`;
    expect(refusal(() => check(huge, all))).toBe(
      'grid: the space has more than 2^53 points, more than 1048576; give fewer values (option "values") or coarser steps',
    );
  });

  // A parameter of exactly 2^20 values is accepted. Building one takes seconds on a busy machine (last in the file,
  // so that cheaper tests kill a mutant first).
  it("accepts an int range of exactly 2^20 values", { timeout: 120_000 }, () => {
    expect(() => check(one(MAX_GRID_POINTS))).not.toThrow();
  });

  it("accepts a step grid of exactly 2^20 points", { timeout: 120_000 }, () => {
    expect(() => check(q(MAX_GRID_POINTS))).not.toThrow();
  });
});
