/**
 * NSGA-II's session, populations, options and coordinates against their module comments (index.ts,
 * population.ts, options.ts, coords.ts): exact option bounds, prior draws until a generation has parents,
 * generations and the trial number from the context, the memo never changing an answer, duplicates redrawn, and
 * the unit coordinates crossover works in.
 */
import { describe, expect, it } from "vitest";
import { spaceCoords } from "../../src/algorithms/nsga2/coords.js";
import { Nsga2Session, nsga2 } from "../../src/algorithms/nsga2/index.js";
import { type Nsga2Options, PARENTS } from "../../src/algorithms/nsga2/options.js";
import { memberOf, Populations, readingOf } from "../../src/algorithms/nsga2/population.js";
import type { Observation, ObservationState } from "../../src/algorithms/types.js";
import { ParzenError } from "../../src/errors.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import { spaceScales } from "../../src/space/scale.js";
import type { Scalar } from "../../src/space/types.js";
import { param, str } from "./tpe-helpers.js";

const num = (value: number): Scalar => ({ kind: "double", value });
const text = (value: string): Scalar => ({ kind: "string", value });
const options = (raw: Record<string, Scalar> = {}): Nsga2Options => nsga2.parseOptions(raw);

function refusal(raw: Record<string, Scalar>): string {
  try {
    options(raw);
  } catch (e) {
    expect(e instanceof ParzenError && e.code).toBe("INVALID_ARGUMENT");
    return (e as Error).message;
  }
  return "accepted";
}

describe("nsga2 options at their bounds", () => {
  it("accepts each documented bound and refuses one step past it", () => {
    expect(PARENTS).toEqual({ uniform: 2, blxalpha: 2, sbx: 2, spx: 3, undx: 3 });
    const accepted: Record<string, Scalar>[] = [
      { population_size: num(2) },
      { population_size: num(100_000) },
      { population_size: num(3), crossover: text("spx") },
      { crossover_prob: num(0) },
      { crossover_prob: num(1) },
      { swapping_prob: num(0) },
      { swapping_prob: num(1) },
      { mutation_prob: num(0) },
      { mutation_prob: num(1) },
      { crossover: text("blxalpha"), alpha: num(0) },
      { crossover: text("blxalpha"), alpha: num(100) },
      { crossover: text("sbx"), eta: num(1000) },
      { crossover: text("spx"), epsilon: num(1000) },
      { crossover: text("undx"), sigma_xi: num(100), sigma_eta: num(100) },
    ];
    for (const raw of accepted) expect(refusal(raw), JSON.stringify(raw)).toBe("accepted");
    const refused: [Record<string, Scalar>, string][] = [
      [{ population_size: num(100_001) }, '"population_size" Too big: expected number to be <=100000'],
      [
        { population_size: num(2), crossover: text("spx") },
        '"population_size" must be at least 3 (the parents crossover "spx" combines), got 2',
      ],
      [{ crossover_prob: num(-0.01) }, '"crossover_prob" Too small: expected number to be >=0'],
      [{ swapping_prob: num(1.01) }, '"swapping_prob" Too big: expected number to be <=1'],
      [{ mutation_prob: num(-0.01) }, '"mutation_prob" Too small: expected number to be >=0'],
      [{ mutation_prob: num(1.01) }, '"mutation_prob" Too big: expected number to be <=1'],
      [{ crossover: text("blxalpha"), alpha: num(-0.01) }, '"alpha" Too small: expected number to be >=0'],
      [{ crossover: text("blxalpha"), alpha: num(100.01) }, '"alpha" Too big: expected number to be <=100'],
      [{ crossover: text("sbx"), eta: num(1000.5) }, '"eta" Too big: expected number to be <=1000'],
      [{ crossover: text("spx"), epsilon: num(0) }, '"epsilon" Too small: expected number to be >0'],
      [{ crossover: text("spx"), epsilon: num(1001) }, '"epsilon" Too big: expected number to be <=1000'],
      [{ crossover: text("undx"), sigma_xi: num(101) }, '"sigma_xi" Too big: expected number to be <=100'],
      [{ crossover: text("undx"), sigma_eta: num(0) }, '"sigma_eta" Too small: expected number to be >0'],
      [{ crossover: text("undx"), sigma_eta: num(100.5) }, '"sigma_eta" Too big: expected number to be <=100'],
      [
        { crossover: text("sbx"), sigma_eta: num(1) },
        '"sigma_eta" applies to crossover "undx" only, but crossover is "sbx"',
      ],
      [
        { crossover: text("undx"), alpha: num(1) },
        '"alpha" applies to crossover "blxalpha" only, but crossover is "undx"',
      ],
    ];
    for (const [raw, message] of refused) expect(refusal(raw)).toBe(`nsga2 options: ${message}`);
    // The operator's own options are kept as given.
    expect(options({ crossover: text("spx"), epsilon: num(2) }).epsilon).toBe(2);
    expect(options({ crossover: text("blxalpha"), alpha: num(0.25) }).alpha).toBe(0.25);
    expect(options({ crossover: text("sbx"), eta: num(7) }).eta).toBe(7);
    expect(options({ mutation_prob: num(0.3) }).mutation_prob).toBe(0.3);
  });
});

describe("nsga2 coordinates", () => {
  const space = compileSpace({
    parameters: [
      param("u", { $case: "uniform", value: { low: -2, high: 3 } }),
      param("lu", { $case: "logUniform", value: { low: 1e-3, high: 10 } }),
      param("i", { $case: "intRange", value: { low: 0, high: 10, step: 1, log: false } }),
      param("n", { $case: "normal", value: { mu: 1, sigma: 2 } }),
      param("ln", { $case: "logNormal", value: { mu: 0.5, sigma: 0.5 } }),
      param("c", { $case: "choice", value: { options: [str("a"), str("b")], weights: [] } }),
    ],
  });
  const [u, lu, i, n, ln, c] = spaceCoords(space);

  it("map bounded parameters' modelling coordinate onto [0, 1], clamped on the way back", () => {
    expect([u!.lower, u!.upper]).toEqual([0, 1]);
    expect(u!.toUnit(-2)).toBe(0);
    expect(u!.toUnit(3)).toBe(1);
    expect(u!.toUnit(0.5)).toBeCloseTo(0.5, 15);
    expect(u!.fromUnit(0.25)).toBeCloseTo(-0.75, 14);
    expect(u!.fromUnit(-0.5)).toBe(-2);
    expect(u!.fromUnit(1.5)).toBe(3);
    expect(lu!.toUnit(0.1)).toBeCloseTo(0.5, 14);
    expect(lu!.fromUnit(0.75)).toBeCloseTo(1, 13);
    // Grids widened by half a step: 0..10 spans [−0.5, 10.5].
    expect(i!.toUnit(0)).toBeCloseTo(0.5 / 11, 15);
    expect(i!.toUnit(10)).toBeCloseTo(10.5 / 11, 15);
    expect(i!.fromUnit(0)).toBe(0);
    expect(i!.fromUnit(1)).toBe(10);
    expect(i!.fromUnit(5.4 / 11)).toBe(5); // snapped to the grid
    expect(c).toBeUndefined();
  });

  it("standardise unbounded (log-)normal parameters, without bounds", () => {
    expect([n!.lower, n!.upper]).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(n!.toUnit(1)).toBe(0);
    expect(n!.toUnit(5)).toBe(2);
    expect(n!.fromUnit(-1.5)).toBe(-2);
    expect(n!.fromUnit(40)).toBe(81); // no clamp
    expect(ln!.toUnit(Math.exp(1.5))).toBeCloseTo(2, 14);
    expect(ln!.fromUnit(-1)).toBeCloseTo(1, 14);
  });
});

const obs = (
  number: number,
  state: ObservationState,
  loss?: number,
  extra: Partial<Pick<Observation, "values" | "constraints">> = {},
): Observation => ({ number, config: Float64Array.of(number / 10, 0.5), state, loss, lastStep: undefined, ...extra });

describe("nsga2 populations", () => {
  it("read several objectives from values, one from the loss, and only COMPLETE trials", () => {
    expect(readingOf([])).toEqual({ multi: false, constrained: false });
    expect(
      readingOf([obs(0, "complete", 1), obs(1, "complete", undefined, { values: Float64Array.of(1, 2) })]),
    ).toEqual({ multi: true, constrained: false });
    expect(readingOf([obs(0, "fail", undefined, { constraints: Float64Array.of(1) })])).toEqual({
      multi: false,
      constrained: true,
    });
    const single = { multi: false, constrained: false };
    expect(memberOf(obs(0, "complete", 3), single)).toMatchObject({ values: [3], violation: 0 });
    expect(memberOf(obs(0, "complete"), single)).toBeUndefined();
    expect(memberOf(obs(0, "pruned", 3), single)).toBeUndefined();
    expect(memberOf(obs(0, "running", 3), single)).toBeUndefined();
    const multi = { multi: true, constrained: false };
    expect(memberOf(obs(0, "complete", 3), multi)).toBeUndefined();
    expect(memberOf(obs(0, "complete", undefined, { values: Float64Array.of(1, 2) }), multi)?.values).toEqual(
      Float64Array.of(1, 2),
    );
    const constrained = { multi: false, constrained: true };
    expect(memberOf(obs(0, "complete", 1, { constraints: Float64Array.of(2, -1, 0.5) }), constrained)?.violation).toBe(
      2.5,
    );
    // Without constraints in a constrained history: infeasible.
    expect(memberOf(obs(0, "complete", 1), constrained)?.violation).toBe(Number.POSITIVE_INFINITY);
  });

  it("are recomputed when the reading changes, and agree with a fresh derivation after every change", () => {
    const pops = new Populations(3);
    expect([0, 2, 3, 5, 6, 9].map((t) => pops.generationOf(t))).toEqual([0, 0, 1, 1, 2, 3]);
    const h: Observation[] = [0, 1, 2, 3, 4, 5].map((t) => obs(t, "complete", 10 - t));
    const numbers = (p: Populations, g: number, hist: Observation[]) => p.parentsOf(g, hist).map((m) => m.obs.number);
    expect(numbers(pops, 0, h)).toEqual([]);
    expect(numbers(pops, 1, h)).toEqual([0, 1, 2]);
    expect(numbers(pops, 2, h)).toEqual([3, 4, 5]);
    // A constraint reported on trial 5 (infeasible) and 3 (feasible): the others, without constraints, count as
    // infeasible; the memo must not keep the unconstrained populations.
    h[5] = obs(5, "complete", 5, { constraints: Float64Array.of(1) });
    h[3] = obs(3, "complete", 7, { constraints: Float64Array.of(-1) });
    const fresh = () => new Populations(3);
    expect(numbers(pops, 2, h)).toEqual(numbers(fresh(), 2, h));
    expect(numbers(pops, 2, h)).toContain(3);
    // The same number of trials in a generation, another one finished: recomputed.
    const h2 = [0, 1, 2].map((t) => obs(t, "complete", t));
    const p2 = new Populations(2);
    expect(numbers(p2, 2, [h2[0]!, obs(1, "running"), h2[2]!])).toEqual([0, 2]);
    expect(numbers(p2, 2, [obs(0, "running"), h2[1]!, h2[2]!])).toEqual([1, 2]);
    // Values changed without a change of numbers keep the memo: the history is append-only for finished trials.
    // A later generation asked first, then an earlier one: both as derived from scratch.
    const long = Array.from({ length: 12 }, (_, t) => obs(t, "complete", (t * 7) % 5));
    const p3 = new Populations(3);
    expect(numbers(p3, 4, long)).toEqual(numbers(fresh(), 4, long));
    expect(numbers(p3, 2, long)).toEqual(numbers(fresh(), 2, long));
    expect(numbers(p3, 3, long.slice(0, 8))).toEqual(numbers(fresh(), 3, long.slice(0, 8)));
  });
});

describe("nsga2 populations, memo edge cases", () => {
  const numbers = (p: Populations, g: number, hist: Observation[]) => p.parentsOf(g, hist).map((m) => m.obs.number);

  it("recompute a later generation when only an earlier one changed (a straggler finished)", () => {
    const pops = new Populations(2);
    // Generation 0: trials 0, 1 (1 still running); generation 1: trials 2, 3.
    const h = [obs(0, "complete", 5), obs(1, "running"), obs(2, "complete", 3), obs(3, "complete", 4)];
    expect(numbers(pops, 2, h)).toEqual([2, 3]);
    // Trial 1 finishes with the best loss; generation 1's trials are the same: P(2) must still include it.
    h[1] = obs(1, "complete", 0);
    expect(numbers(pops, 2, h)).toEqual(numbers(new Populations(2), 2, h));
    expect(numbers(pops, 2, h)).toContain(1);
  });

  it("leave a COMPLETE trial without objective values out of the parents", () => {
    const h = [obs(0, "complete", 2), obs(1, "complete"), obs(2, "complete", 1)];
    expect(numbers(new Populations(3), 1, h)).toEqual([0, 2]);
  });
});

describe("nsga2 suggestions", () => {
  const box = compileSpace({
    parameters: [0, 1].map((k) => param(`x${k}`, { $case: "uniform", value: { low: 0, high: 1 } })),
  });
  const scales = spaceScales(box);

  it("are prior draws in generation 0 and until a generation has as many parents as the operator combines", () => {
    const o = options({ population_size: num(4), crossover: text("undx") });
    const s = new Nsga2Session(box, o);
    const prior = (seed: number) => Array.from(samplePrior(box, createRng(seed), scales));
    // Generation 0 (trial 3), whatever the history.
    const h = [0, 1, 2].map((t) => obs(t, "complete", t));
    expect(Array.from(s.suggest(h, createRng(7), { seed: 0, trialNumber: 3 }))).toEqual(prior(7));
    // Generation 1 with only two finished parents: UNDX needs three.
    const h4 = [obs(0, "complete", 1), obs(1, "complete", 2), obs(2, "fail"), obs(3, "running")];
    expect(Array.from(s.suggest(h4, createRng(8), { seed: 0, trialNumber: 4 }))).toEqual(prior(8));
    // With three: a child, not the prior draw.
    const h5 = [obs(0, "complete", 1), obs(1, "complete", 2), obs(2, "complete", 3), obs(3, "running")];
    expect(Array.from(s.suggest(h5, createRng(8), { seed: 0, trialNumber: 4 }))).not.toEqual(prior(8));
    // Without a context the trial is the one after the history's last: trial 4 here, generation 1.
    expect(Array.from(s.suggest(h5, createRng(8)))).toEqual(
      Array.from(s.suggest(h5, createRng(8), { seed: 0, trialNumber: 4 })),
    );
    expect(Array.from(s.suggest(h5.slice(0, 3), createRng(8)))).toEqual(prior(8));
  });

  it("redraw a child that repeats a configuration some trial already has", () => {
    // Two binary choices: 4 configurations. Three are taken; crossover of the parents alone only repeats them,
    // so the child must be the fourth (reached through mutation within the attempts).
    const tiny = compileSpace({
      parameters: ["a", "b"].map((n) =>
        param(n, { $case: "choice", value: { options: [str("0"), str("1")], weights: [] } }),
      ),
    });
    const s = new Nsga2Session(tiny, options({ population_size: num(3) }));
    const h: Observation[] = [
      [0, 0],
      [0, 1],
      [1, 0],
    ].map((c, t) => ({ number: t, config: Float64Array.from(c), state: "complete", loss: t, lastStep: undefined }));
    for (let seed = 0; seed < 20; seed++) {
      expect(Array.from(s.suggest(h, createRng(seed), { seed, trialNumber: 3 }))).toEqual([1, 1]);
    }
  });

  it("keep the last attempt, clipped, when every child of the parents leaves the bounds", () => {
    // BLX-α with α = 100 on [0, 1]: a child lands inside with probability about 1/201 per attempt, so most
    // suggestions exhaust the attempts and keep the last child clipped onto a bound; some find one inside.
    const line = compileSpace({ parameters: [param("x", { $case: "uniform", value: { low: 0, high: 1 } })] });
    const o = options({
      population_size: num(2),
      crossover: text("blxalpha"),
      alpha: num(100),
      crossover_prob: num(1),
      mutation_prob: num(0),
    });
    const s = new Nsga2Session(line, o);
    const h: Observation[] = [0.05, 0.95].map((x, t) => ({
      number: t,
      config: Float64Array.of(x),
      state: "complete",
      loss: t,
      lastStep: undefined,
    }));
    let inside = 0;
    let onBound = 0;
    for (let seed = 0; seed < 40; seed++) {
      const x = s.suggest(h, createRng(seed), { seed, trialNumber: 2 })[0]!;
      expect(x >= 0 && x <= 1, `seed ${seed}: ${x}`).toBe(true);
      if (x === 0 || x === 1) onBound++;
      else inside++;
    }
    expect(onBound).toBeGreaterThan(10);
    expect(inside).toBeGreaterThan(5);
  });

  it("count configurations equal when their inactive parameters are both unset", () => {
    // a ∈ {x, y}, b ∈ {0, 1} only under x: three configurations, two of them taken, [x, 1] the one left.
    const cond = compileSpace({
      parameters: [
        param("a", {
          $case: "choice",
          value: {
            options: [
              str("x", [param("b", { $case: "choice", value: { options: [str("0"), str("1")], weights: [] } })]),
              str("y"),
            ],
            weights: [],
          },
        }),
      ],
    });
    const s = new Nsga2Session(cond, options({ population_size: num(2) }));
    const h: Observation[] = [
      [0, 0],
      [1, Number.NaN],
    ].map((c, t) => ({ number: t, config: Float64Array.from(c), state: "complete", loss: t, lastStep: undefined }));
    for (let seed = 0; seed < 20; seed++) {
      expect(Array.from(s.suggest(h, createRng(seed), { seed, trialNumber: 2 }))).toEqual([0, 1]);
    }
  });
});
