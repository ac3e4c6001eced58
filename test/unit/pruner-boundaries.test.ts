/**
 * The pruners' exact boundaries and documented rules, on hand-made curves: a value exactly at a bound or at the
 * percentile is not pruned, warm-up and interval steps count from the warm-up, NaN and missing values are handled
 * as documented, options are validated with the pruner's name, and Hyperband's brackets follow their budgets.
 * (Found by mutation testing: docs/testing.md.)
 */
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bracketBudget, bracketCount, bracketOf, hyperbandPruner } from "../../src/pruners/hyperband.js";
import { medianPruner, percentileOf, percentilePruner } from "../../src/pruners/percentile.js";
import { prunerNamed } from "../../src/pruners/registry.js";
import { resolveMinResource, successiveHalvingPruner } from "../../src/pruners/successive-halving.js";
import { thresholdPruner } from "../../src/pruners/threshold.js";
import { maxCompletedStep, type Pruner, type TrialCurve, valueAt } from "../../src/pruners/types.js";
import type { TrialState } from "../../src/domain/trial-state.js";
import type { Scalar } from "../../src/space/types.js";

const int = (value: number): Scalar => ({ kind: "int", value });
const dbl = (value: number): Scalar => ({ kind: "double", value });
const curve = (number: number, state: TrialState, values: number[], firstStep = 0): TrialCurve => ({
  number,
  state,
  curve: values.map((v, i) => [firstStep + i, v] as const),
});
const at = (number: number, state: TrialState, points: [number, number][]): TrialCurve => ({
  number,
  state,
  curve: points,
});

function decide<O>(
  pruner: Pruner<O>,
  raw: Record<string, Scalar>,
  trial: TrialCurve,
  others: TrialCurve[],
  step?: number,
) {
  const trials = [...others, trial].sort((a, b) => a.number - b.number);
  return pruner.shouldPrune({
    trial,
    step: step ?? trial.curve.at(-1)![0],
    trials,
    options: pruner.parseOptions(raw),
    experiment: "e",
    maximize: false,
  });
}

describe("threshold pruner", () => {
  it("keeps a value exactly at either bound", () => {
    expect(decide(thresholdPruner, { lower: dbl(0), upper: dbl(1) }, curve(0, "running", [1]), [])).toBe(false);
    expect(decide(thresholdPruner, { lower: dbl(0), upper: dbl(1) }, curve(0, "running", [0]), [])).toBe(false);
    expect(decide(thresholdPruner, { lower: dbl(0), upper: dbl(1) }, curve(0, "running", [1.000001]), [])).toBe(true);
  });

  it("decides at the warm-up step and every interval_steps after it, not between", () => {
    const raw = { upper: dbl(1), n_warmup_steps: int(2), interval_steps: int(3) };
    const out = curve(0, "running", [5, 5, 5, 5, 5, 5, 5, 5, 5]);
    const decided = [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((s) => decide(thresholdPruner, raw, out, [], s));
    expect(decided).toEqual([2, 5, 8]);
  });

  it("does not prune at a step the trial has no value for", () => {
    expect(decide(thresholdPruner, { upper: dbl(1) }, curve(0, "running", [5]), [], 3)).toBe(false);
  });

  it("accepts equal bounds and lower < upper", () => {
    expect(thresholdPruner.parseOptions({ lower: dbl(1), upper: dbl(1) })).toMatchObject({ lower: 1, upper: 1 });
    expect(thresholdPruner.parseOptions({ lower: dbl(0), upper: dbl(1) })).toMatchObject({ lower: 0, upper: 1 });
  });
});

describe("median and percentile pruners", () => {
  const done = [1, 2, 3].map((v, i) => curve(i, "complete", [v, v]));

  it("interpolate percentiles of unsorted values like NumPy", () => {
    expect(percentileOf([3, 1, 2], 50)).toBe(2);
    expect(percentileOf([4, 1, 3, 2], 25)).toBe(1.75);
    expect(percentileOf([5, 1, 4, 2, 3], 60)).toBeCloseTo(3.4, 12);
    expect(percentileOf([Number.NaN, 2, 1], 100)).toBe(2);
    expect(percentileOf([], 50)).toBeNaN();
  });

  it("keep a trial exactly at the median, prune one just worse", () => {
    const raw = { n_startup_trials: int(3) };
    expect(decide(medianPruner, raw, curve(3, "running", [2]), done)).toBe(false);
    expect(decide(medianPruner, raw, curve(3, "running", [2.001]), done)).toBe(true);
  });

  it("need n_min_trials values at the step: exactly that many suffice", () => {
    const raw = (n: number) => ({ n_startup_trials: int(0), n_min_trials: int(n) });
    expect(decide(medianPruner, raw(3), curve(3, "running", [9]), done)).toBe(true);
    expect(decide(medianPruner, raw(4), curve(3, "running", [9]), done)).toBe(false);
  });

  it("compare only completed trials that have a value at that step", () => {
    // Two completed trials stopped after step 0: at step 1 only 1, 2, 3 (with 10 and 20 absent) set the median.
    const short = [curve(5, "complete", [10]), curve(6, "complete", [20])];
    expect(
      decide(medianPruner, { n_startup_trials: int(0) }, curve(7, "running", [2.5, 2.5]), [...done, ...short]),
    ).toBe(true);
  });

  it("use the trial's best value up to the step, not a later one", () => {
    // Step 0 re-reported after step 1: the value at step 1 (0.1) is not "so far" at step 0.
    const me = at(3, "running", [
      [0, 5],
      [1, 0.1],
    ]);
    expect(decide(medianPruner, { n_startup_trials: int(3) }, me, done, 0)).toBe(true);
    expect(decide(medianPruner, { n_startup_trials: int(3) }, me, done, 1)).toBe(false);
  });

  it("decide at the warm-up step and every interval_steps after it", () => {
    const raw = { n_startup_trials: int(0), n_warmup_steps: int(1), interval_steps: int(3) };
    const long = [1, 2, 3].map((v, i) => curve(i, "complete", [v, v, v, v, v, v, v, v]));
    const bad = curve(3, "running", [9, 9, 9, 9, 9, 9, 9, 9]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].filter((s) => decide(medianPruner, raw, bad, long, s))).toEqual([1, 4, 7]);
  });

  it("make no decision for a trial with no value up to the step", () => {
    const later = at(3, "running", [[2, 9]]);
    expect(decide(medianPruner, { n_startup_trials: int(3) }, later, done, 1)).toBe(false);
  });

  it("prune at the 25th percentile what the median would keep", () => {
    const me = curve(3, "running", [1.6]); // 25th percentile of 1, 2, 3: 1.5; median: 2
    expect(decide(percentilePruner, { percentile: dbl(25), n_startup_trials: int(3) }, me, done)).toBe(true);
    expect(decide(medianPruner, { n_startup_trials: int(3) }, me, done)).toBe(false);
  });
});

describe("successive halving", () => {
  const opts = { min_resource: int(1), reduction_factor: int(2) };

  it("auto min_resource is a hundredth of the longest completed curve, at least 1", () => {
    expect(resolveMinResource("auto", [])).toBeUndefined();
    expect(resolveMinResource("auto", [curve(0, "running", [1, 1, 1])])).toBeUndefined();
    const long = { number: 0, state: "complete" as const, curve: [[249, 0] as const] };
    expect(resolveMinResource("auto", [long])).toBe(3);
    expect(resolveMinResource("auto", [curve(0, "complete", [1, 1])])).toBe(1);
    expect(resolveMinResource(7, [long])).toBe(7);
  });

  it("prunes a NaN at a rung even when it has competitors", () => {
    expect(
      decide(successiveHalvingPruner, opts, curve(1, "running", [5, Number.NaN]), [curve(0, "complete", [9, 9])]),
    ).toBe(true);
  });

  it("ignores competitors whose rung value is NaN", () => {
    // At rung 0 (step 1): competitors 0.5 and NaN. Without the NaN, {0.5, 0.7}: the top half is 0.5 alone.
    const others = [curve(0, "complete", [0.5, 0.5]), curve(1, "complete", [Number.NaN, Number.NaN])];
    expect(decide(successiveHalvingPruner, opts, curve(2, "running", [0.7, 0.7]), others)).toBe(true);
    expect(decide(successiveHalvingPruner, opts, curve(2, "running", [0.4, 0.4]), others)).toBe(false);
  });

  it("counts only competitors that reached the rung", () => {
    // Two completed trials stopped before rung 0 (step 1): at the rung only 0.5 and ours (0.7), so 0.7 is pruned.
    const others = [curve(0, "complete", [0.5, 0.5]), curve(1, "complete", [0.1]), curve(2, "complete", [0.1])];
    expect(decide(successiveHalvingPruner, opts, curve(3, "running", [0.7, 0.7]), others)).toBe(true);
  });

  it("prunes while no more than bootstrap_count trials reached the rung, then compares", () => {
    const raw = { ...opts, bootstrap_count: int(2) };
    const one = [curve(0, "complete", [0.9, 0.9])];
    expect(decide(successiveHalvingPruner, raw, curve(1, "running", [0.1, 0.1]), one)).toBe(true);
    const two = [...one, curve(1, "complete", [0.8, 0.8])];
    expect(decide(successiveHalvingPruner, raw, curve(2, "running", [0.1, 0.1]), two)).toBe(false);
  });

  it("ranks competitors by value whatever their order", () => {
    const others = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3].map((v, i) => curve(i, "complete", [v, v]));
    // With 0.45: 7 at the rung, floor(7/2) − 1 = 2 → the third best (0.3) is the bar.
    expect(decide(successiveHalvingPruner, opts, curve(6, "running", [0.25, 0.25]), others)).toBe(false);
    expect(decide(successiveHalvingPruner, opts, curve(6, "running", [0.45, 0.45]), others)).toBe(true);
  });
});

describe("hyperband", () => {
  it("counts brackets as ⌊log_η(max/min)⌋ + 1", () => {
    expect(bracketCount(1, 16, 2)).toBe(5);
    expect(bracketCount(2, 8, 2)).toBe(3);
    expect(bracketCount(3, 3, 3)).toBe(1);
    expect(bracketCount(1, 26, 3)).toBe(3);
    expect(bracketCount(1, 27, 3)).toBe(4);
  });

  it("assigns a trial to the bracket its CRC-32 falls into, budgets laid end to end", () => {
    const budgets = [0, 1, 2, 3, 4].map((i) => bracketBudget(i, 5, 3));
    const total = budgets.reduce((a, b) => a + b);
    for (let n = 0; n < 300; n++) {
      let h = crc32(`exp_${n}`) % total;
      let want = 0;
      while (h >= budgets[want]!) h -= budgets[want++]!;
      expect(bracketOf("exp", n, 5, 3), `trial ${n}`).toBe(want);
    }
  });

  it("with max_resource auto waits for a completed trial at least min_resource long", () => {
    const raw = { min_resource: int(2), reduction_factor: int(2) };
    const me = curve(5, "running", [9, 9, 9]);
    expect(decide(hyperbandPruner, raw, me, [curve(0, "running", [0, 0, 0])], 2)).toBe(false);
    expect(decide(hyperbandPruner, raw, me, [curve(0, "complete", [0])], 2)).toBe(false);
  });

  it("with max_resource auto, sizes its brackets from the longest completed curve", () => {
    // min 2, longest completed curve ends at step 2: one bracket, every trial in it, its rung at step 2.
    const raw = { min_resource: int(2), reduction_factor: int(2) };
    const good = curve(0, "complete", [0.1, 0.1, 0.1]);
    expect(decide(hyperbandPruner, raw, curve(1, "running", [0.9, 0.9, 0.9]), [good])).toBe(true);
    expect(decide(hyperbandPruner, raw, curve(1, "running", [0.05, 0.05, 0.05]), [good])).toBe(false);
    // The same with max_resource given explicitly.
    const fixed = { ...raw, max_resource: int(2) };
    expect(decide(hyperbandPruner, fixed, curve(1, "running", [0.9, 0.9, 0.9]), [good])).toBe(true);
  });

  it("an explicit max_resource is used, not the longest completed curve", () => {
    // max_resource 1: one bracket, rung 0 at step 1 for everyone. (The 9-step curve would give 4 brackets, and this
    // trial number lands outside bracket 0 there, where nothing is decided at step 1.)
    const me = [...Array(100).keys()].find((n) => n > 0 && bracketOf("e", n, 4, 2) !== 0)!;
    const good = curve(0, "complete", [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    const raw = { min_resource: int(1), max_resource: int(1), reduction_factor: int(2) };
    expect(decide(hyperbandPruner, raw, curve(me, "running", [0.9, 0.9]), [good])).toBe(true);
  });

  it("accepts max_resource equal to min_resource", () => {
    expect(hyperbandPruner.parseOptions({ min_resource: int(4), max_resource: int(4) })).toMatchObject({
      min_resource: 4,
      max_resource: 4,
    });
  });
});

describe("options and the registry", () => {
  it("name the pruner in every option error", () => {
    for (const name of ["none", "median", "percentile", "successive_halving", "hyperband", "threshold"]) {
      expect(() => prunerNamed(name).parseOptions({ bogus: int(1) }), name).toThrow(`pruner ${name}`);
    }
  });

  it("an empty name is the default (none); an unknown one lists the known ones, sorted", () => {
    expect(prunerNamed("").name).toBe("none");
    expect(prunerNamed("").shouldPrune({} as never)).toBe(false);
    expect(() => prunerNamed("oracle")).toThrow(
      'pruner: unknown pruner "oracle" (known: hyperband, median, none, percentile, successive_halving, threshold)',
    );
  });
});

describe("curve helpers", () => {
  it("valueAt finds every step of a curve and nothing between", () => {
    const c: [number, number][] = [
      [0, 10],
      [2, 12],
      [3, 13],
      [7, 17],
      [9, 19],
    ];
    for (const [s, v] of c) expect(valueAt(c, s)).toBe(v);
    for (const s of [1, 4, 8, 10, -1]) expect(valueAt(c, s)).toBeUndefined();
  });

  it("maxCompletedStep is the longest completed curve, skipping empty ones", () => {
    expect(
      maxCompletedStep([
        curve(0, "complete", [1, 1, 1]),
        curve(1, "complete", []),
        curve(2, "complete", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        curve(4, "complete", [1, 1, 1, 1, 1]),
        curve(3, "running", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
      ]),
    ).toBe(9);
  });
});
