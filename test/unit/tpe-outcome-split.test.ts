/**
 * TPE's split with several objectives or constraints (outcome-split.ts, README "Several objectives and
 * constraints"), case by case: which finished trials are counted and in which order, where unfinished trials
 * go, the good set's size without the cap, feasible trials first (COMPLETE, then PRUNED, then the least
 * violating), and the good-set weights (hypervolume contributions, EI over the best feasible loss, uniform).
 */
import { describe, expect, it } from "vitest";
import { tpe } from "../../src/algorithms/tpe/index.js";
import { hasOutcomes, splitWithOutcomes } from "../../src/algorithms/tpe/outcome-split.js";
import type { Observation, ObservationState } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { param } from "./tpe-helpers.js";

const defaults = tpe.parseOptions({});

function obs(
  number: number,
  state: ObservationState,
  outcome: { loss?: number; values?: number[]; constraints?: number[] },
): Observation {
  return {
    number,
    state,
    loss: outcome.loss,
    lastStep: state === "pruned" ? 1 : undefined,
    config: Float64Array.of(number),
    ...(outcome.values === undefined ? {} : { values: Float64Array.from(outcome.values) }),
    ...(outcome.constraints === undefined ? {} : { constraints: Float64Array.from(outcome.constraints) }),
  };
}

const numbers = (os: readonly Observation[]) => os.map((o) => o.number);

describe("which trials the split counts", () => {
  it("has outcomes when any trial carries objective values or constraints", () => {
    expect(hasOutcomes([])).toBe(false);
    expect(hasOutcomes([obs(0, "complete", { loss: 1 }), obs(1, "complete", { loss: 2 })])).toBe(false);
    expect(hasOutcomes([obs(0, "complete", { loss: 1 }), obs(1, "complete", { values: [1, 2] })])).toBe(true);
    expect(hasOutcomes([obs(0, "complete", { loss: 1 }), obs(1, "complete", { loss: 2, constraints: [0] })])).toBe(
      true,
    );
  });

  it("reads the history in trial-number order, whatever order it comes in", () => {
    const history = Array.from({ length: 20 }, (_, i) => obs(i, "complete", { loss: (i * 7) % 20, constraints: [-1] }));
    const forward = splitWithOutcomes(history, defaults);
    const shuffled = splitWithOutcomes([...history.slice(10), ...history.slice(0, 10)].reverse(), defaults);
    expect(numbers(shuffled.good)).toEqual(numbers(forward.good));
    expect(numbers(shuffled.bad)).toEqual(numbers(forward.bad));
    expect(numbers(shuffled.bad)).toEqual([...numbers(shuffled.bad)].sort((a, b) => a - b));
    expect([...shuffled.goodWeights]).toEqual([...forward.goodWeights]);
  });

  it("counts COMPLETE and PRUNED trials only; RUNNING ones join the bad set with the constant liar alone", () => {
    const history = [
      ...Array.from({ length: 10 }, (_, i) => obs(i, "complete", { loss: i, constraints: [-1] })),
      obs(10, "running", {}),
      obs(11, "fail", {}),
      obs(12, "lost", {}),
      obs(13, "pruned", { loss: 0.5, constraints: [-1] }),
    ];
    const liar = splitWithOutcomes(history, defaults);
    expect(liar.finished).toBe(11);
    expect(numbers(liar.good)).toEqual([0, 1]);
    expect(numbers(liar.bad)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 13]);
    const honest = splitWithOutcomes(history, { ...defaults, constant_liar: false });
    expect(honest.finished).toBe(11);
    expect(numbers(honest.bad)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 13]);
  });
});

describe("the good set", () => {
  it("with several objectives is ⌈β·N⌉ without gamma_cap; with one objective the cap holds", () => {
    // 100 trials on one front: every one non-dominated, so the front is cut to the good set's size.
    const front = Array.from({ length: 100 }, (_, i) => obs(i, "complete", { values: [i, 100 - i] }));
    expect(splitWithOutcomes(front, defaults).good).toHaveLength(10);
    const single = Array.from({ length: 100 }, (_, i) => obs(i, "complete", { loss: i, constraints: [-1] }));
    expect(numbers(splitWithOutcomes(single, defaults).good)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("takes feasible COMPLETE trials, then feasible PRUNED ones, then the least violating", () => {
    // 30 finished trials: a good set of 3.
    const history = [
      obs(0, "complete", { loss: -100, constraints: [0.5] }),
      obs(1, "pruned", { loss: 50, constraints: [-1] }),
      obs(2, "complete", { loss: 10, constraints: [0] }),
      ...Array.from({ length: 27 }, (_, i) => obs(3 + i, "complete", { loss: -50, constraints: [1 + i] })),
    ];
    expect(numbers(splitWithOutcomes(history, defaults).good)).toEqual([0, 1, 2]);
    // Without the PRUNED trial, the least violating infeasible trial takes its place.
    const noPruned = history.filter((o) => o.number !== 1);
    noPruned.push(obs(30, "complete", { loss: -50, constraints: [100] }));
    expect(numbers(splitWithOutcomes(noPruned, defaults).good)).toEqual([0, 2, 3]);
  });

  it("ranks feasible PRUNED trials as split.ts does: the furthest first", () => {
    // No feasible COMPLETE trial; three feasible PRUNED ones for a good set of 2: the two that reached step 10.
    const history = [
      { ...obs(0, "pruned", { loss: 1, constraints: [-1] }), lastStep: 1 },
      { ...obs(1, "pruned", { loss: 5, constraints: [-1] }), lastStep: 10 },
      { ...obs(2, "pruned", { loss: 3, constraints: [-1] }), lastStep: 10 },
      ...Array.from({ length: 17 }, (_, i) => obs(3 + i, "complete", { loss: 0, constraints: [1 + i] })),
    ];
    expect(numbers(splitWithOutcomes(history, defaults).good)).toEqual([1, 2]);
  });

  // Found by mutation testing (branch mutalg7): the feasible PRUNED trials came back from split.ts in number order,
  // so when fewer places were left than such trials the earliest-numbered took them. Fixed in definition version 9;
  // experiments stored before it keep pruned_fill "by_number".
  it("fills the last places with the PRUNED trials that got furthest, as split.ts ranks them", () => {
    const history = [
      obs(0, "complete", { loss: 1, constraints: [-1] }),
      { ...obs(1, "pruned", { loss: 5, constraints: [-1] }), lastStep: 1 },
      { ...obs(2, "pruned", { loss: 5, constraints: [-1] }), lastStep: 10 },
      ...Array.from({ length: 17 }, (_, i) => obs(3 + i, "complete", { loss: 0, constraints: [1 + i] })),
    ];
    // Twenty finished trials: a good set of 2, the COMPLETE feasible one and the PRUNED one that reached step 10.
    expect(numbers(splitWithOutcomes(history, defaults).good)).toEqual([0, 2]);
    // Before version 9: the lowest-numbered of split.ts's top PRUNED trials.
    const byNumber = tpe.parseOptions({ pruned_fill: { kind: "string", value: "by_number" } });
    expect(numbers(splitWithOutcomes(history, byNumber).good)).toEqual([0, 1]);
  });

  it("ranks infeasible trials by the sum of their positive constraint values; none reported is the worst", () => {
    // Twenty infeasible trials: a good set of 2, the two least violating.
    const history = [
      obs(0, "complete", { loss: 0, constraints: [3, -10] }), // violation 3
      obs(1, "complete", { loss: 0, constraints: [1, 1] }), // 2
      obs(2, "complete", { loss: 0 }), // none reported: +∞
      obs(3, "complete", { loss: 0, constraints: [2.5, -100] }), // 2.5
      ...Array.from({ length: 16 }, (_, i) => obs(4 + i, "complete", { loss: 0, constraints: [10 + i, 0] })),
    ];
    expect(numbers(splitWithOutcomes(history, defaults).good)).toEqual([1, 3]);
    const withoutConstraints = history.map((o) =>
      o.number === 2 ? o : obs(o.number, "complete", { loss: 0, constraints: [1000] }),
    );
    // Every other trial violates by 1000; the one without constraints still ranks last.
    expect(numbers(splitWithOutcomes(withoutConstraints, defaults).good)).not.toContain(2);
  });

  it("with several objectives, a COMPLETE trial without values is not ranked with those that have them", () => {
    const history = [
      obs(0, "complete", {}),
      ...Array.from({ length: 19 }, (_, i) => obs(1 + i, "complete", { values: [i, 19 - i] })),
    ];
    // Twenty trials: a good set of 2, cut from the front of 19; trial 0 is not among them.
    const s = splitWithOutcomes(history, defaults);
    expect(s.good).toHaveLength(2);
    expect(numbers(s.good)).not.toContain(0);
  });
});

describe("the good set's weights", () => {
  it("several objectives: each member's exclusive hypervolume contribution relative to the largest", () => {
    // Ten trials: a good set of 1 by β, so take β = 0.3 for three: the front (0,2), (1,1), (2,0).
    const history = [
      obs(0, "complete", { values: [0, 2] }),
      obs(1, "complete", { values: [1, 1] }),
      obs(2, "complete", { values: [2, 0] }),
      ...Array.from({ length: 7 }, (_, i) => obs(3 + i, "complete", { values: [5 + i, 5 + i] })),
    ];
    const s = splitWithOutcomes(history, { ...defaults, gamma_beta: 0.3 });
    expect(numbers(s.good)).toEqual([0, 1, 2]);
    // Reference point 1.1 × the worst of each objective, (2.2, 2.2): contributions 0.2, 1, 0.2.
    expect(s.goodWeights[0]).toBeCloseTo(0.2, 12);
    expect(s.goodWeights[1]).toBe(1);
    expect(s.goodWeights[2]).toBeCloseTo(0.2, 12);
    expect([...splitWithOutcomes(history, { ...defaults, gamma_beta: 0.3, weights: "uniform" }).goodWeights]).toEqual([
      1, 1, 1,
    ]);
  });

  it("several objectives: one feasible member gets 1 and the rest the floor; no feasible member, all 1", () => {
    const history = [
      // Objective values so small that the member's own hypervolume is below the weights' floor: still 1.
      obs(0, "complete", { values: [1e-7, 1e-7], constraints: [-1] }),
      obs(1, "complete", { values: [0, 0], constraints: [1] }),
      obs(2, "complete", { values: [0, 0], constraints: [2] }),
      ...Array.from({ length: 7 }, (_, i) => obs(3 + i, "complete", { values: [0, 0], constraints: [10 + i] })),
    ];
    const s = splitWithOutcomes(history, { ...defaults, gamma_beta: 0.3 });
    expect(numbers(s.good)).toEqual([0, 1, 2]);
    expect([...s.goodWeights]).toEqual([1, 1e-12, 1e-12]);
    const none = history.map((o) => obs(o.number, "complete", { values: [0, 0], constraints: [1 + o.number] }));
    const n = splitWithOutcomes(none, { ...defaults, gamma_beta: 0.3 });
    expect(numbers(n.good)).toEqual([0, 1, 2]);
    expect([...n.goodWeights]).toEqual([1, 1, 1]);
  });

  it("one objective with constraints: EI over the best feasible COMPLETE loss of the bad set", () => {
    // Twenty trials, a good set of 2: the only feasible one (loss 4) and the least violating one.
    const history = [
      obs(0, "complete", { loss: 4, constraints: [-1] }),
      obs(1, "complete", { loss: 0, constraints: [0.1] }),
      ...Array.from({ length: 18 }, (_, i) => obs(2 + i, "complete", { loss: 0, constraints: [1 + i] })),
    ];
    const s = splitWithOutcomes(history, defaults);
    expect(numbers(s.good)).toEqual([0, 1]);
    // No feasible trial is left in the bad set: no threshold, every weight 1.
    expect([...s.goodWeights]).toEqual([1, 1]);
    // Feasible trials of loss 4 and 6 in the good set, one of loss 9 in the bad set: weights 9 − 4 and 9 − 6.
    const feasible = [
      obs(0, "complete", { loss: 4, constraints: [-1] }),
      obs(1, "complete", { loss: 6, constraints: [0] }),
      obs(2, "complete", { loss: 9, constraints: [-2] }),
      ...Array.from({ length: 17 }, (_, i) => obs(3 + i, "complete", { loss: 0, constraints: [1 + i] })),
    ];
    const t = splitWithOutcomes(feasible, defaults);
    expect(numbers(t.good)).toEqual([0, 1]);
    expect([...t.goodWeights]).toEqual([5, 3]);
    // A PRUNED feasible trial in the bad set sets no threshold.
    const pruned = feasible.map((o) => (o.number === 2 ? obs(2, "pruned", { loss: 9, constraints: [-2] }) : o));
    expect([...splitWithOutcomes(pruned, defaults).goodWeights]).toEqual([1, 1]);
  });

  it("the bad set's weights follow weights_bad", () => {
    const history = Array.from({ length: 60 }, (_, i) => obs(i, "complete", { loss: i, constraints: [-1] }));
    expect([...splitWithOutcomes(history, defaults).badWeights].every((w) => w === 1)).toBe(true);
    const decayed = splitWithOutcomes(history, { ...defaults, weights_bad: "old_decay" }).badWeights;
    expect(decayed[0]).toBeLessThan(1);
    expect(decayed[decayed.length - 1]).toBe(1);
  });
});

describe("c-TPE's constraint factors in the suggestions", () => {
  const space = compileSpace({
    parameters: [
      param("x", { $case: "uniform", value: { low: -5, high: 5 } }),
      param("y", { $case: "uniform", value: { low: -5, high: 5 } }),
    ],
  });
  /** 30 trials on a seeded grid of configurations, with the constraint values `g` gives. */
  const history = (g: (x: number, y: number, t: number) => number[]): Observation[] => {
    const rng = createRng(17);
    return Array.from({ length: 30 }, (_, t) => {
      const x = -5 + 10 * rng.uniform();
      const y = -5 + 10 * rng.uniform();
      return {
        number: t,
        config: Float64Array.of(x, y),
        state: "complete",
        loss: x * x + y * y,
        lastStep: undefined,
        constraints: Float64Array.from(g(x, y, t)),
      };
    });
  };
  const suggestions = (h: readonly Observation[], model: "density" | "split"): number[][] => {
    const options = { ...defaults, constraint_model: model };
    return Array.from({ length: 20 }, (_, t) => Array.from(tpe.open(space, options).suggest(h, createRng(3, t))));
  };

  it("a constraint value of exactly 0 is met, as a negative one", () => {
    // Trials with x > 0 break the constraint; among the others, every third sits exactly on its boundary.
    const onBoundary = history((x, _y, t) => [x > 0 ? x : t % 3 === 0 ? 0 : -1]);
    const inside = history((x) => [x > 0 ? x : -1]);
    expect(suggestions(onBoundary, "density")).toEqual(suggestions(inside, "density"));
  });

  it("a constraint every trial breaks, or every trial meets, adds nothing", () => {
    const broken = history((x, y) => [1 + Math.abs(x + y), -1]);
    expect(suggestions(broken, "density")).toEqual(suggestions(broken, "split"));
  });
});
