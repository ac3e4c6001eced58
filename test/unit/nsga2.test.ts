import { describe, expect, it } from "vitest";
import { type ChildContext, makeChild } from "../../src/algorithms/nsga2/child.js";
import { spaceCoords } from "../../src/algorithms/nsga2/coords.js";
import { Nsga2Session, nsga2 } from "../../src/algorithms/nsga2/index.js";
import type { CrossoverName, Nsga2Options } from "../../src/algorithms/nsga2/options.js";
import {
  constrainedDominates,
  constrainedRanks,
  crowdingDistance,
  type Individual,
  selectElite,
  violationOf,
} from "../../src/algorithms/nsga2/selection.js";
import type { Observation, ObservationState } from "../../src/algorithms/types.js";
import { ParzenError } from "../../src/errors.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { spaceScales } from "../../src/space/scale.js";
import type { Config, Scalar, Space } from "../../src/space/types.js";
import { checkConfig, everyKind, param, str } from "./tpe-helpers.js";

const ind = (values: number[], violation = 0): Individual => ({ values, violation });
const num = (value: number): Scalar => ({ kind: "double", value });
const text = (value: string): Scalar => ({ kind: "string", value });
const options = (raw: Record<string, Scalar> = {}): Nsga2Options => nsga2.parseOptions(raw);
const ask = (s: Nsga2Session, h: readonly Observation[], seed: number, t: number) =>
  s.suggest(h, createRng(seed, t), { seed, trialNumber: t });
const OPERATORS: CrossoverName[] = ["uniform", "blxalpha", "sbx", "spx", "undx"];

/** Sequential ask/tell: `f` gives each trial's state, values and constraints. */
function sequential(
  session: Nsga2Session,
  seed: number,
  n: number,
  f: (c: Config, t: number) => [ObservationState, number[] | undefined, number[]?],
): Observation[] {
  const h: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const config = ask(session, h, seed, t);
    const [state, values, constraints] = f(config, t);
    h.push({
      number: t,
      config,
      state,
      loss: values?.length === 1 ? values[0] : undefined,
      lastStep: undefined,
      ...(values !== undefined && values.length > 1 ? { values: Float64Array.from(values) } : {}),
      ...(constraints !== undefined ? { constraints: Float64Array.from(constraints) } : {}),
    });
  }
  return h;
}

/** Every bounded numeric value within its bounds and on its grid (checkConfig checks the round trip). */
function inBoundsAndOnGrid(space: Space, c: Config): void {
  for (const p of space.params) {
    const x = c[p.index]!;
    const d = p.domain;
    if (Number.isNaN(x) || d.type === "choice" || d.type === "normal") continue;
    expect(x >= d.low && x <= d.high, `${p.name} = ${x}`).toBe(true);
    if (d.type === "int") expect(Number.isInteger(x)).toBe(true);
    const step = d.type === "int" ? (d.log ? undefined : d.step) : d.step;
    if (step !== undefined) {
      const k = (x - d.low) / step;
      expect(Math.abs(k - Math.round(k)), `${p.name} = ${x} off its grid`).toBeLessThan(1e-9);
    }
  }
}

describe("nsga2 selection", () => {
  it("constrained domination: feasible beats infeasible, smaller violation wins, else Pareto dominance", () => {
    expect(violationOf([0.5, -1, 2], true)).toBe(2.5);
    expect(violationOf([-0.5, 0], true)).toBe(0);
    expect(violationOf(undefined, true)).toBe(Number.POSITIVE_INFINITY);
    expect(violationOf([3], false)).toBe(0);
    // Feasible beats infeasible whatever the objectives.
    expect(constrainedDominates(ind([9, 9]), ind([0, 0], 0.1))).toBe(true);
    expect(constrainedDominates(ind([0, 0], 0.1), ind([9, 9]))).toBe(false);
    // Both infeasible: the smaller violation, whatever the objectives.
    expect(constrainedDominates(ind([9, 9], 0.1), ind([0, 0], 0.2))).toBe(true);
    expect(constrainedDominates(ind([0, 0], 0.2), ind([9, 9], 0.1))).toBe(false);
    expect(constrainedDominates(ind([0, 0], 0.2), ind([9, 9], 0.2))).toBe(false);
    // Both feasible: Pareto dominance.
    expect(constrainedDominates(ind([1, 2]), ind([1, 3]))).toBe(true);
    expect(constrainedDominates(ind([1, 3]), ind([2, 2]))).toBe(false);
    expect(constrainedDominates(ind([1, 2]), ind([1, 2]))).toBe(false);
  });

  it("ranks feasible fronts first, then infeasible ones by violation, as Deb's sort under constrained domination", () => {
    const pop = [
      ind([1, 5]), // 0: front 0
      ind([2, 2]), // 1: front 0
      ind([3, 3]), // 2: dominated by 1 -> front 1
      ind([0, 0], 0.5), // 3: infeasible
      ind([0, 0], 0.1), // 4: least violation
      ind([5, 5], 0.1), // 5: same violation as 4
      ind([0, 0], Number.POSITIVE_INFINITY), // 6: no constraints reported
    ];
    expect([...constrainedRanks(pop)]).toEqual([0, 0, 1, 3, 2, 2, 4]);
    // The same ranks as peeling fronts by constrainedDominates directly.
    const brute = new Array<number>(pop.length).fill(-1);
    for (let r = 0; brute.includes(-1); r++) {
      const left = pop.map((_, i) => i).filter((i) => brute[i] === -1);
      for (const i of left)
        if (!left.some((j) => constrainedDominates(pop[j]!, pop[i]!)) && brute[i] === -1) brute[i] = r + 100;
      for (const i of left) if (brute[i]! >= 100) brute[i] = r;
    }
    expect([...constrainedRanks(pop)]).toEqual(brute);
  });

  it("crowding distance: reference values", () => {
    // Objective 0 spans 0..10, objective 1 spans 0..10; objective 2 is constant and adds nothing.
    const front = [
      [0, 10, 7],
      [1, 6, 7],
      [4, 3, 7],
      [10, 0, 7],
    ];
    const d = crowdingDistance(front);
    expect(d[0]).toBe(Number.POSITIVE_INFINITY);
    expect(d[3]).toBe(Number.POSITIVE_INFINITY);
    expect(d[1]).toBeCloseTo((4 - 0) / 10 + (10 - 3) / 10, 12); // 1.1
    expect(d[2]).toBeCloseTo((10 - 1) / 10 + (6 - 0) / 10, 12); // 1.5
    expect([
      ...crowdingDistance([
        [1, 2],
        [2, 1],
      ]),
    ]).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect([...crowdingDistance([[1], [1], [1]])]).toEqual([0, 0, 0]);
  });

  it("elitist survival keeps whole fronts, then the least crowded of the front that does not fit", () => {
    const pop = [
      ind([5, 5]), // front 1
      ind([0, 10]), // front 0, extreme
      ind([1, 6]), // front 0, crowding 1.1
      ind([4, 3]), // front 0, crowding 1.5
      ind([10, 0]), // front 0, extreme
      ind([0, 0], 1), // infeasible
    ];
    expect(selectElite(pop, 3)).toEqual([1, 3, 4]);
    expect(selectElite(pop, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(selectElite(pop, 9)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("nsga2 options", () => {
  it("fills Optuna's defaults", () => {
    expect(options()).toEqual({ population_size: 50, crossover: "uniform", crossover_prob: 0.9, swapping_prob: 0.5 });
  });

  it("refuses bad options with a precise message", () => {
    const cases: [Record<string, Scalar>, string][] = [
      [{ population_size: num(1) }, 'nsga2 options: "population_size" Too small: expected number to be >=2'],
      [{ population_size: num(2.5) }, 'nsga2 options: "population_size" Invalid input: expected int, received number'],
      [
        { population_size: num(2), crossover: text("undx") },
        'nsga2 options: "population_size" must be at least 3 (the parents crossover "undx" combines), got 2',
      ],
      [
        { crossover: text("blx") },
        'nsga2 options: "crossover" Invalid option: expected one of "uniform"|"blxalpha"|"sbx"|"spx"|"undx"',
      ],
      [{ crossover_prob: num(1.5) }, 'nsga2 options: "crossover_prob" Too big: expected number to be <=1'],
      [{ swapping_prob: num(-0.1) }, 'nsga2 options: "swapping_prob" Too small: expected number to be >=0'],
      [
        { mutation_prob: text("high") },
        'nsga2 options: "mutation_prob" Invalid input: expected number, received string',
      ],
      [{ alpha: num(0.3) }, 'nsga2 options: "alpha" applies to crossover "blxalpha" only, but crossover is "uniform"'],
      [
        { crossover: text("blxalpha"), eta: num(3) },
        'nsga2 options: "eta" applies to crossover "sbx" only, but crossover is "blxalpha"',
      ],
      [{ crossover: text("sbx"), eta: num(0) }, 'nsga2 options: "eta" Too small: expected number to be >0'],
      [{ crossover: text("undx"), sigma_xi: num(-1) }, 'nsga2 options: "sigma_xi" Too small: expected number to be >0'],
      [{ epsilon: num(1) }, 'nsga2 options: "epsilon" applies to crossover "spx" only, but crossover is "uniform"'],
      [{ populaton_size: num(10) }, 'nsga2 options: unknown option "populaton_size" (did you mean "population_size"?)'],
    ];
    for (const [raw, message] of cases) {
      let error: unknown;
      try {
        options(raw);
      } catch (e) {
        error = e;
      }
      expect(error instanceof ParzenError && error.code, message).toBe("INVALID_ARGUMENT");
      expect((error as Error).message).toBe(message);
    }
    expect(options({ crossover: text("undx"), sigma_xi: num(0.3), sigma_eta: num(0.1) })).toMatchObject({
      crossover: "undx",
      sigma_xi: 0.3,
      sigma_eta: 0.1,
    });
  });
});

describe("nsga2 children", () => {
  const mixed = compileSpace(everyKind);
  const context = (space: Space, name: CrossoverName, mutationProb = 0): ChildContext => ({
    space,
    scales: spaceScales(space),
    coords: spaceCoords(space),
    operator: {
      name,
      swappingProb: 0.5,
      alpha: 0.5,
      eta: 2,
      epsilon: undefined,
      sigmaXi: 0.5,
      sigmaEta: undefined,
    },
    crossoverProb: 1,
    mutationProb,
  });

  it("every operator keeps children inside the space, on grids, with a parent's choice", () => {
    const rng = createRng(7);
    const session = new Nsga2Session(mixed, options());
    const prior = () => session.suggest([], rng, { seed: 0, trialNumber: 0 });
    for (const name of OPERATORS) {
      const ctx = context(mixed, name);
      for (let k = 0; k < 300; k++) {
        const parents = [prior(), prior(), prior()];
        const child = makeChild(ctx, parents, rng, true)!;
        checkConfig(mixed, child);
        inBoundsAndOnGrid(mixed, child);
        for (const p of mixed.params) {
          const v = child[p.index]!;
          if (Number.isNaN(v) || p.domain.type !== "choice") continue;
          // A choice comes from a parent that has it (the first two when both do).
          const from = parents.filter((c) => !Number.isNaN(c[p.index]!));
          const both = !Number.isNaN(parents[0]![p.index]!) && !Number.isNaN(parents[1]![p.index]!);
          expect((both ? parents.slice(0, 2) : from).map((c) => c[p.index])).toContain(v);
        }
        // A parameter present in the child but in no parent can only come from the prior, which mutation 0
        // never draws unless no parent has it: so every child parameter some parent has came from a parent
        // (uniform) or the operator.
        if (name === "uniform") {
          for (const p of mixed.params) {
            const v = child[p.index]!;
            const had = parents.filter((c) => !Number.isNaN(c[p.index]!)).map((c) => c[p.index]);
            if (!Number.isNaN(v) && had.length > 0) expect(had).toContain(v);
          }
        }
      }
    }
  });

  it("rejects children whose operator coordinates leave the bounds unless clipping", () => {
    const space = compileSpace({
      parameters: [param("x", { $case: "uniform", value: { low: 0, high: 1 } })],
    });
    const rng = createRng(3);
    const ctx = context(space, "blxalpha");
    let out = 0;
    for (let k = 0; k < 200; k++) {
      const parents = [Float64Array.of(0.01), Float64Array.of(0.99)];
      const child = makeChild(ctx, parents, rng, false);
      if (child === undefined) out++;
      else expect(child[0]).toBeGreaterThanOrEqual(0);
      const clipped = makeChild(ctx, parents, rng, true)!;
      expect(clipped[0]! >= 0 && clipped[0]! <= 1).toBe(true);
    }
    // BLX-0.5 on nearly the whole range leaves it about half the time.
    expect(out).toBeGreaterThan(50);
    expect(out).toBeLessThan(150);
  });

  it("a child takes a conditional parameter only on its own branch, from the parents that have it", () => {
    const space = compileSpace({
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
    const rng = createRng(5);
    const pa = Float64Array.of(0, 0.25, Number.NaN);
    const pb = Float64Array.of(1, Number.NaN, 12.5);
    const seen = new Set<number>();
    for (let k = 0; k < 100; k++) {
      const child = makeChild(context(space, "sbx"), [pa, pb], rng, false)!;
      checkConfig(space, child);
      seen.add(child[0]!);
      // Only one parent has the branch's parameter: the child copies it.
      if (child[0] === 0) expect([...child]).toEqual([0, 0.25, Number.NaN]);
      else expect([...child]).toEqual([1, Number.NaN, 12.5]);
    }
    expect(seen).toEqual(new Set([0, 1]));
  });
});

describe("nsga2 sessions", () => {
  const box = (d: number) =>
    compileSpace({
      parameters: Array.from({ length: d }, (_, i) =>
        param(`x${i}`, { $case: "uniform", value: { low: -5, high: 5 } }),
      ),
    });
  const sphere = (c: Config) => c.reduce((s, x) => s + (x - 1) ** 2, 0);

  it("as a single-objective GA, beats random search on a 5-D sphere for every seed", () => {
    for (const seed of [1, 2, 3]) {
      const run = (o: Nsga2Options) => {
        const h = sequential(new Nsga2Session(box(5), o), seed, 400, (c) => ["complete", [sphere(c)]]);
        return Math.min(...h.map((x) => x.loss!));
      };
      const ga = run(options({ population_size: num(20), crossover: text("sbx") }));
      const random = run(options({ population_size: num(400) }));
      expect(ga).toBeLessThan(random / 3);
    }
  });

  it("every operator keeps a long run inside a mixed conditional space", () => {
    const space = compileSpace(everyKind);
    for (const name of OPERATORS) {
      sequential(new Nsga2Session(space, options({ population_size: num(10), crossover: text(name) })), 2, 60, (c) => {
        checkConfig(space, c);
        inBoundsAndOnGrid(space, c);
        return ["complete", [c[0]! ** 2, (c[0]! - 1) ** 2]];
      });
    }
  });

  it("a fresh session suggests what a long-lived one does, for the same history", () => {
    const space = box(3);
    const o = options({ population_size: num(8) });
    const long = new Nsga2Session(space, o);
    const h = sequential(long, 9, 60, (c, t) =>
      t % 9 === 4 ? ["fail", undefined] : ["complete", [sphere(c), (c[0]! + 1) ** 2], [c[1]! - 2]],
    );
    for (let t = 60; t < 70; t++) {
      expect([...ask(new Nsga2Session(space, o), h, 9, t)]).toEqual([...ask(long, h, 9, t)]);
    }
  });

  it("derives generations from trial numbers: RUNNING trials are never parents, stragglers join when they finish", () => {
    const space = box(2);
    const session = new Nsga2Session(space, options({ population_size: num(4) }));
    expect([0, 3, 4, 7, 8].map((t) => session.generationOf(t))).toEqual([0, 0, 1, 1, 2]);
    const obs = (number: number, state: ObservationState, v: number[] = [number, -number]): Observation => ({
      number,
      config: Float64Array.of(number, number),
      state,
      loss: undefined,
      lastStep: undefined,
      values: state === "complete" ? Float64Array.from(v) : undefined,
    });
    // Generation 0: trials 0-3, 1 and 3 still running; generation 1: 4-7 all running.
    const h = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => obs(n, n === 0 || n === 2 ? "complete" : "running"));
    expect(session.parentNumbers(1, h)).toEqual([0, 2]);
    expect(session.parentNumbers(2, h)).toEqual([0, 2]);
    // A suggestion for generation 2 while everything else runs is still a child of 0 and 2 (or a mutation).
    const child = ask(session, h, 1, 8);
    checkConfig(space, child);
    // Straggler 3 finishes, and two of generation 1 do.
    h[3] = obs(3, "complete");
    h[5] = obs(5, "complete", [10, 10]); // dominated by everything
    h[6] = obs(6, "complete", [-1, -100]); // dominates every other
    expect(session.parentNumbers(1, h)).toEqual([0, 2, 3]);
    expect(session.parentNumbers(2, h)).toEqual([0, 2, 3, 6]);
    // A fresh session agrees with the memoised one.
    expect(new Nsga2Session(space, options({ population_size: num(4) })).parentNumbers(2, h)).toEqual([0, 2, 3, 6]);
    // Failed trials never take part.
    h[0] = { ...obs(0, "fail") };
    expect(session.parentNumbers(2, h)).toEqual([2, 3, 5, 6]);
  });
});
