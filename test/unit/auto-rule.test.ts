/** `auto`'s rule (src/algorithms/auto/rule.ts): its table of decisions, and the in-process session that follows it. */
import { describe, expect, it } from "vitest";
import { AutoSession } from "../../src/algorithms/auto/session.js";
import { type AutoOptions, autoChoice, historyFacts, spaceShape } from "../../src/algorithms/auto/rule.js";
import { algorithmNamed } from "../../src/algorithms/registry.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { choice, intRange, uniform } from "../integration/fixtures.js";

const defaults = algorithmNamed("auto").parseOptions({}) as AutoOptions;
// Shapes are computed inside the tests (functions, not module constants), so that the tests check spaceShape too.
const flat = () => spaceShape(compileSpace({ parameters: [uniform("x", 0, 1), uniform("y", 0, 1)] }));
const withChoice = () =>
  spaceShape(
    compileSpace({
      parameters: [uniform("x", 0, 1), choice("c", [{ value: { kind: { $case: "stringValue", value: "a" } } }])],
    }),
  );
const conditional = () =>
  spaceShape(
    compileSpace({
      parameters: [
        choice("m", [
          { value: { kind: { $case: "stringValue", value: "a" } }, children: [uniform("x", 0, 1)] },
          { value: { kind: { $case: "stringValue", value: "b" } } },
        ]),
      ],
    }),
  );
const wide = (n = 21) =>
  spaceShape(compileSpace({ parameters: Array.from({ length: n }, (_, i) => uniform(`x${i}`, 0, 1)) }));
const one = { objectives: 1 };
const facts = (finished: number, constrained = false) => ({ finished, constrained });

describe("auto's rule", () => {
  it("has the documented defaults", () => {
    expect(defaults).toEqual({
      gp_trials: 250,
      gp_max_params: 20,
      cmaes_after_gp: expect.any(Boolean),
      gp_constraints: true,
    });
  });

  it.each([
    ["flat space, no trials", flat, one, facts(0), defaults, "gp"],
    ["flat space, last GP trial", flat, one, facts(249), defaults, "gp"],
    ["flat space with a choice, GP phase", withChoice, one, facts(10), defaults, "gp"],
    ["several objectives", flat, { objectives: 2 }, facts(0), defaults, "tpe"],
    ["conditional parameters", conditional, one, facts(0), defaults, "tpe"],
    ["constraints reported, GP phase", flat, one, facts(3, true), defaults, "gp"],
    [
      "constraints reported, gp_constraints off",
      flat,
      one,
      facts(3, true),
      { ...defaults, gp_constraints: false },
      "tpe",
    ],
    [
      "constraints reported, after the GP, CMA-ES on",
      flat,
      one,
      facts(250, true),
      { ...defaults, cmaes_after_gp: true },
      "tpe",
    ],
    ["constraints reported, more than gp_max_params", wide, one, facts(3, true), defaults, "tpe"],
    ["more parameters than gp_max_params", wide, one, facts(0), defaults, "tpe"],
    ["flat space after the GP, CMA-ES on", flat, one, facts(250), { ...defaults, cmaes_after_gp: true }, "cmaes"],
    ["flat space after the GP, CMA-ES off", flat, one, facts(250), { ...defaults, cmaes_after_gp: false }, "tpe"],
    ["a choice after the GP, CMA-ES on", withChoice, one, facts(250), { ...defaults, cmaes_after_gp: true }, "tpe"],
    ["gp_trials 0: never the GP", flat, one, facts(0), { ...defaults, gp_trials: 0 }, "tpe"],
    ["exactly gp_max_params parameters", () => wide(20), one, facts(0), defaults, "gp"],
    ["gp_max_params 3, 3 parameters", () => wide(3), one, facts(0), { ...defaults, gp_max_params: 3 }, "gp"],
    ["gp_max_params 3, 4 parameters", () => wide(4), one, facts(0), { ...defaults, gp_max_params: 3 }, "tpe"],
  ] as const)("%s: %s", (_label, shape, settings, f, options, want) => {
    const c = autoChoice(shape(), settings, f, options);
    expect(c.algorithm).toBe(want);
    expect(c.reason).not.toBe("");
  });

  it("sees a space's size, conditional parameters and choice parameters", () => {
    expect(flat()).toEqual({ params: 2, conditional: false, choices: false });
    expect(withChoice()).toEqual({ params: 2, conditional: false, choices: true });
    // One conditional parameter among unconditional ones is enough; so is one choice.
    expect(conditional()).toEqual({ params: 2, conditional: true, choices: true });
    expect(wide(4)).toEqual({ params: 4, conditional: false, choices: false });
  });

  it("counts COMPLETE and PRUNED trials as finished, and notices constraints", () => {
    const o = (state: Observation["state"], constraints?: Float64Array): Observation => ({
      number: 0,
      config: new Float64Array(1),
      state,
      loss: undefined,
      lastStep: undefined,
      ...(constraints === undefined ? {} : { constraints }),
    });
    expect(historyFacts([o("complete"), o("pruned"), o("running"), o("fail"), o("lost")])).toEqual(facts(2));
    expect(historyFacts([o("fail", Float64Array.of(1))]).constrained).toBe(true);
  });
});

describe("AutoSession", () => {
  it("the registry's auto opens a single-objective session that starts with the GP", () => {
    const space = compileSpace({ parameters: [uniform("x", -2, 2), uniform("y", 0, 1)] });
    const auto = algorithmNamed("auto");
    const gp = algorithmNamed("gp");
    const session = auto.open(space, auto.parseOptions({}));
    const context = { seed: 3, trialNumber: 0 };
    const alone = gp.open(space, gp.parseOptions({})).suggest([], createRng(3, 0), context);
    expect([...session.suggest([], createRng(3, 0), context)]).toEqual([...alone]);
    expect((session as AutoSession).last?.algorithm).toBe("gp");
  });

  it("suggests what the chosen algorithm's own session does, and switches at gp_trials", () => {
    const space = compileSpace({ parameters: [uniform("x", -2, 2), intRange("k", 0, 5)] });
    const options = { ...defaults, gp_trials: 12, cmaes_after_gp: true };
    const auto = new AutoSession(space, one, options);
    const gp = algorithmNamed("gp");
    const cmaes = algorithmNamed("cmaes");
    const gpSession = gp.open(space, gp.parseOptions({}));
    const cmaesSession = cmaes.open(space, cmaes.parseOptions({}));
    const history: Observation[] = [];
    for (let t = 0; t < 20; t++) {
      const context = { seed: 7, trialNumber: t };
      const config = auto.suggest(history, createRng(7, t), context);
      const alone = (t < 12 ? gpSession : cmaesSession).suggest(history, createRng(7, t), context);
      expect([...config]).toEqual([...alone]);
      expect(auto.last?.algorithm).toBe(t < 12 ? "gp" : "cmaes");
      expect(config[0]).toBeGreaterThanOrEqual(-2);
      expect(config[0]).toBeLessThanOrEqual(2);
      expect(Number.isInteger(config[1])).toBe(true);
      history.push({ number: t, config, state: "complete", loss: config[0]! ** 2 + config[1]!, lastStep: undefined });
    }
    expect(auto.proposerCounts()).toEqual({ gp: 12, cmaes: 8 });
  });
});
