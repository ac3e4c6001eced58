/** Pruner decisions on hand-made histories whose right answer is known. */
import { describe, expect, it } from "vitest";
import { bracketBudget, bracketCount, bracketOf, hyperbandPruner } from "../../src/pruners/hyperband.js";
import { medianPruner, percentileOf, percentilePruner } from "../../src/pruners/percentile.js";
import { prunerNamed } from "../../src/pruners/registry.js";
import { successiveHalvingPruner } from "../../src/pruners/successive-halving.js";
import { thresholdPruner } from "../../src/pruners/threshold.js";
import type { TrialState } from "../../src/domain/trial-state.js";
import type { Pruner, TrialCurve } from "../../src/pruners/types.js";
import type { Scalar } from "../../src/space/types.js";

const int = (value: number): Scalar => ({ kind: "int", value });
const dbl = (value: number): Scalar => ({ kind: "double", value });

function curve(number: number, state: TrialState, values: number[], firstStep = 0): TrialCurve {
  return { number, state, curve: values.map((v, i) => [firstStep + i, v] as const) };
}

function decide<O>(
  pruner: Pruner<O>,
  raw: Record<string, Scalar>,
  trial: TrialCurve,
  others: TrialCurve[],
  step = trial.curve.at(-1)![0],
) {
  const trials = [...others, trial].sort((a, b) => a.number - b.number);
  return pruner.shouldPrune({
    trial,
    step,
    trials,
    options: pruner.parseOptions(raw),
    experiment: "e",
    maximize: false,
  });
}

describe("median pruner", () => {
  const completed = [1, 2, 3, 4, 5].map((k) => curve(k - 1, "complete", [k, k, k]));

  it("prunes a trial whose best value so far is worse than the median at that step", () => {
    expect(decide(medianPruner, {}, curve(5, "running", [3.5, 3.4]), completed)).toBe(true);
    expect(decide(medianPruner, {}, curve(5, "running", [2.5]), completed)).toBe(false);
    // The best value so far counts, not the last one.
    expect(decide(medianPruner, {}, curve(5, "running", [2.0, 9.0]), completed)).toBe(false);
  });

  it("waits for startup trials, warm-up steps and the interval", () => {
    expect(decide(medianPruner, {}, curve(5, "running", [9]), completed.slice(0, 4))).toBe(false);
    expect(decide(medianPruner, { n_startup_trials: int(4) }, curve(5, "running", [9]), completed.slice(0, 4))).toBe(
      true,
    );
    expect(decide(medianPruner, { n_warmup_steps: int(2) }, curve(5, "running", [9, 9]), completed)).toBe(false);
    expect(decide(medianPruner, { n_warmup_steps: int(2) }, curve(5, "running", [9, 9, 9]), completed)).toBe(true);
    expect(decide(medianPruner, { interval_steps: int(2) }, curve(5, "running", [9, 9]), completed)).toBe(false);
    expect(decide(medianPruner, { interval_steps: int(2) }, curve(5, "running", [9, 9, 9]), completed)).toBe(true);
  });

  it("needs n_min_trials values at the step, ignores running and pruned trials, and prunes NaN at once", () => {
    const shortOnes = [1, 2, 3, 4, 5].map((k) => curve(k - 1, "complete", [k]));
    expect(decide(medianPruner, {}, curve(5, "running", [9, 9]), shortOnes)).toBe(false);
    const noise = [curve(6, "running", [0, 0]), curve(7, "pruned", [0, 0])];
    expect(decide(medianPruner, {}, curve(5, "running", [2.5]), [...completed, ...noise])).toBe(false);
    expect(decide(medianPruner, {}, curve(5, "running", [Number.NaN]), [])).toBe(true);
  });

  it("compares maximised curves once they are negated", () => {
    const trials = [1, 2, 3, 4, 5].map((k) => curve(k - 1, "complete", [-k]));
    expect(decide(medianPruner, {}, curve(5, "running", [-1.5]), trials)).toBe(true); // raw 1.5 < median 3 when maximising
    expect(decide(medianPruner, {}, curve(5, "running", [-4]), trials)).toBe(false);
  });
});

describe("percentile pruner", () => {
  it("interpolates percentiles like NumPy and prunes against the chosen one", () => {
    expect(percentileOf([1, 2, 3, 4], 25)).toBe(1.75);
    expect(percentileOf([5, Number.NaN, 1], 50)).toBe(3);
    const completed = [1, 2, 3, 4, 5].map((k) => curve(k - 1, "complete", [k]));
    expect(decide(percentilePruner, { percentile: dbl(25) }, curve(5, "running", [2.5]), completed)).toBe(true);
    expect(decide(percentilePruner, { percentile: dbl(75) }, curve(5, "running", [2.5]), completed)).toBe(false);
  });

  it("validates its options", () => {
    expect(() => percentilePruner.parseOptions({})).toThrow(/percentile/);
    expect(() => percentilePruner.parseOptions({ percentile: dbl(120) })).toThrow(/percentile/);
    expect(() => medianPruner.parseOptions({ n_warmup_steps: dbl(-1) })).toThrow(/n_warmup_steps/);
    expect(() => medianPruner.parseOptions({ bogus: int(1) })).toThrow(/unknown option "bogus"/);
  });
});

describe("successive halving (ASHA)", () => {
  const opts = { min_resource: int(1), reduction_factor: int(2) };

  it("promotes the top 1/η at each rung and stops the rest", () => {
    // Rung 0 at step 1, rung 1 at step 2, rung 2 at step 4.
    const others = [
      curve(0, "complete", [0.1, 0.1, 0.1, 0.1, 0.1]),
      curve(1, "complete", [0.5, 0.5, 0.5, 0.5, 0.5]),
      curve(2, "complete", [0.9, 0.9, 0.9, 0.9, 0.9]),
    ];
    // At rung 0 (step 1) the values there are 0.1, 0.5, 0.9 plus ours; top half = best 2.
    expect(decide(successiveHalvingPruner, opts, curve(3, "running", [0.3, 0.3]), others)).toBe(false);
    expect(decide(successiveHalvingPruner, opts, curve(3, "running", [0.7, 0.7]), others)).toBe(true);
    // Between rungs nothing is decided.
    expect(decide(successiveHalvingPruner, opts, curve(3, "running", [0.7, 0.7, 0.7], 1), others, 3)).toBe(false);
  });

  it("lets the very first trial run and prunes NaN", () => {
    expect(decide(successiveHalvingPruner, opts, curve(0, "running", [5, 5]), [])).toBe(false);
    expect(decide(successiveHalvingPruner, opts, curve(0, "running", [5, Number.NaN]), [])).toBe(true);
  });

  it("with min_resource auto waits for a completed trial", () => {
    const running = [curve(0, "running", [0.1, 0.1])];
    expect(decide(successiveHalvingPruner, { reduction_factor: int(2) }, curve(1, "running", [9, 9]), running)).toBe(
      false,
    );
    const done = [curve(0, "complete", [0.1, 0.1, 0.1])];
    expect(decide(successiveHalvingPruner, { reduction_factor: int(2) }, curve(1, "running", [9, 9]), done)).toBe(true);
  });
});

describe("hyperband", () => {
  it("splits trials over brackets in proportion to their budgets", () => {
    expect(bracketCount(1, 81, 3)).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => bracketBudget(i, 5, 3))).toEqual([81, 34, 15, 8, 5]);
    const counts = [0, 0, 0, 0, 0];
    for (let n = 0; n < 14_100; n++) counts[bracketOf("exp", n, 5, 3)]!++;
    const total = 81 + 34 + 15 + 8 + 5;
    [81, 34, 15, 8, 5].forEach((b, i) => {
      expect(Math.abs(counts[i]! / 14_100 - b / total)).toBeLessThan(0.02);
    });
    expect(bracketOf("exp", 7, 5, 3)).toBe(bracketOf("exp", 7, 5, 3));
  });

  it("decides within a trial's bracket only", () => {
    const opts = { min_resource: int(1), max_resource: int(9), reduction_factor: int(3) };
    const parsed = hyperbandPruner.parseOptions(opts);
    const brackets = bracketCount(1, 9, 3);
    // Find two trial numbers in bracket 0 and one in another bracket.
    const inZero = [...Array(200).keys()].filter((n) => bracketOf("e", n, brackets, 3) === 0);
    const other = [...Array(200).keys()].find((n) => bracketOf("e", n, brackets, 3) !== 0)!;
    const good = curve(inZero[0]!, "complete", [0.1, 0.1]);
    const outsider = curve(other, "complete", [0.0, 0.0, 0.0, 0.0]);
    const me = curve(inZero[1]!, "running", [0.5, 0.5]);
    const trials = [good, outsider, me].sort((a, b) => a.number - b.number);
    // Bracket 0: rung 0 at step 1 with competitors {0.1, 0.5}: floor(2/3)-1 < 0 → only the best continues.
    expect(
      hyperbandPruner.shouldPrune({ trial: me, step: 1, trials, options: parsed, experiment: "e", maximize: false }),
    ).toBe(true);
    const better = curve(inZero[1]!, "running", [0.05, 0.05]);
    expect(
      hyperbandPruner.shouldPrune({
        trial: better,
        step: 1,
        trials: [good, outsider, better],
        options: parsed,
        experiment: "e",
        maximize: false,
      }),
    ).toBe(false);
    expect(() => hyperbandPruner.parseOptions({ min_resource: int(10), max_resource: int(5) })).toThrow(/max_resource/);
  });
});

describe("threshold pruner", () => {
  it("prunes values outside the bounds or NaN, on raw values", () => {
    expect(decide(thresholdPruner, { upper: dbl(1) }, curve(0, "running", [0.5]), [])).toBe(false);
    expect(decide(thresholdPruner, { upper: dbl(1) }, curve(0, "running", [1.5]), [])).toBe(true);
    expect(decide(thresholdPruner, { lower: dbl(0) }, curve(0, "running", [-0.1]), [])).toBe(true);
    expect(decide(thresholdPruner, { lower: dbl(0) }, curve(0, "running", [Number.NaN]), [])).toBe(true);
    expect(decide(thresholdPruner, { upper: dbl(1), n_warmup_steps: int(3) }, curve(0, "running", [5, 5]), [])).toBe(
      false,
    );
    // Maximising: the curve is negated, the bound applies to the raw value 0.5.
    const t = curve(0, "running", [-0.5]);
    expect(
      thresholdPruner.shouldPrune({
        trial: t,
        step: 0,
        trials: [t],
        options: thresholdPruner.parseOptions({ lower: dbl(0.8) }),
        experiment: "e",
        maximize: true,
      }),
    ).toBe(true);
  });

  it("needs a bound and consistent bounds", () => {
    expect(() => thresholdPruner.parseOptions({})).toThrow(/lower/);
    expect(() => thresholdPruner.parseOptions({ lower: dbl(2), upper: dbl(1) })).toThrow(/must not exceed/);
  });
});

it("the registry knows every pruner and rejects others", () => {
  for (const name of ["none", "median", "percentile", "successive_halving", "hyperband", "threshold"])
    expect(prunerNamed(name).name).toBe(name);
  expect(() => prunerNamed("oracle")).toThrow(/unknown pruner "oracle"/);
});
