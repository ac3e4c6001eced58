import { describe, expect, it } from "vitest";
import { gpAlgorithm, type GpOptions } from "../../src/algorithms/gp/sampler.js";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import type { Observation, ObservationState } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Parameter } from "@parzen/client/gen/parzen/v1/space";
import { onGrid } from "../../src/space/grid.js";
import type { Config, Space } from "../../src/space/types.js";

const str = (s: string) => ({
  value: { kind: { $case: "stringValue" as const, value: s } },
  children: [] as Parameter[],
});

/** Every domain kind, plus a conditional branch. */
const everyKind = compileSpace({
  parameters: [
    { name: "u", domain: { $case: "uniform", value: { low: -2, high: 3 } } },
    { name: "lu", domain: { $case: "logUniform", value: { low: 1e-4, high: 1 } } },
    { name: "qu", domain: { $case: "qUniform", value: { low: 0, high: 1, q: 0.25 } } },
    { name: "qlu", domain: { $case: "qLogUniform", value: { low: 1, high: 100, q: 1 } } },
    { name: "n", domain: { $case: "normal", value: { mu: 0, sigma: 2 } } },
    { name: "ln", domain: { $case: "logNormal", value: { mu: 0, sigma: 1 } } },
    { name: "qn", domain: { $case: "qNormal", value: { mu: 5, sigma: 3, q: 0.5 } } },
    { name: "qln", domain: { $case: "qLogNormal", value: { mu: 1, sigma: 0.5, q: 1 } } },
    { name: "i", domain: { $case: "intRange", value: { low: 1, high: 10, step: 1, log: false } } },
    { name: "i3", domain: { $case: "intRange", value: { low: 0, high: 300, step: 3, log: false } } },
    { name: "il", domain: { $case: "intRange", value: { low: 1, high: 1000, step: 1, log: true } } },
    { name: "one", domain: { $case: "choice", value: { options: [str("only")], weights: [] } } },
    {
      name: "model",
      domain: {
        $case: "choice",
        value: {
          options: [
            {
              ...str("svm"),
              children: [{ name: "C", domain: { $case: "logUniform", value: { low: 1e-3, high: 1e3 } } }],
            },
            {
              ...str("tree"),
              children: [
                { name: "depth", domain: { $case: "intRange", value: { low: 1, high: 20, step: 1, log: false } } },
              ],
            },
            str("knn"),
          ],
          weights: [],
        },
      },
    },
  ],
});

function expectValid(space: Space, c: Config): void {
  expect(c.length).toBe(space.params.length);
  for (const p of space.params) {
    const v = c[p.index]!;
    const active = p.condition === undefined || c[p.condition.parent] === p.condition.option;
    if (!active) {
      expect(Number.isNaN(v), `${p.name} inactive`).toBe(true);
      continue;
    }
    expect(Number.isFinite(v), `${p.name} = ${v}`).toBe(true);
    const d = p.domain;
    switch (d.type) {
      case "float":
        expect(v).toBeGreaterThanOrEqual(d.low);
        expect(v).toBeLessThanOrEqual(d.high);
        if (d.step !== undefined) expect(onGrid(d.low, d.step, v), `${p.name} = ${v} on grid`).toBe(true);
        break;
      case "int":
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(d.low);
        expect(v).toBeLessThanOrEqual(d.high);
        expect(onGrid(d.low, d.step, v)).toBe(true);
        break;
      case "normal":
        if (d.log && d.step === undefined) expect(v).toBeGreaterThan(0);
        if (d.step !== undefined) expect(onGrid(0, d.step, v)).toBe(true);
        break;
      case "choice":
        expect(Number.isInteger(v) && v >= 0 && v < d.options.length).toBe(true);
        break;
    }
  }
}

const defaults = (raw: Record<string, number | boolean> = {}): GpOptions =>
  gpAlgorithm.parseOptions(
    Object.fromEntries(
      Object.entries(raw).map(([k, v]) => [
        k,
        typeof v === "boolean" ? { kind: "bool", value: v } : { kind: "int", value: v },
      ]),
    ),
  );

function obs(number: number, config: Config, state: ObservationState, loss?: number): Observation {
  return { number, config, state, loss, lastStep: undefined };
}

/** A smooth loss on the every-kind space, defined on active values. */
function mixedLoss(space: Space, c: Config): number {
  const g = (name: string) => c[space.byName.get(name)!.index]!;
  return (g("u") - 1) ** 2 + Math.log10(g("lu")) ** 2 / 4 + (g("i") - 7) ** 2 / 10 + [1, 0, 2][g("model")]! + g("qu");
}

describe("gp options", () => {
  it("fills defaults and rejects unknown or invalid options by name", () => {
    expect(defaults()).toEqual({
      n_startup_trials: 10,
      deterministic: false,
      n_candidates: 2048,
      n_local_starts: 5,
      warp_outputs: true,
      max_observations: 400,
    });
    expect(defaults({ n_startup_trials: 3, deterministic: true }).deterministic).toBe(true);
    expect(() => defaults({ n_startup_trials: 0 })).toThrow(/n_startup_trials/);
    expect(() => defaults({ n_candidates: 2 })).toThrow(/n_candidates/);
    expect(() => gpAlgorithm.parseOptions({ deterministic: { kind: "int", value: 1 } })).toThrow(/deterministic/);
    expect(() => defaults({ bogus: 1 })).toThrow(/bogus/);
  });
});

describe("gp suggestions", () => {
  it("stay inside the space for every domain kind, in startup and model phases, with every trial state", () => {
    const options = defaults({ n_startup_trials: 5, n_candidates: 256 });
    const history: Observation[] = [];
    const states: ObservationState[] = ["complete", "complete", "fail", "complete", "pruned", "running", "lost"];
    const session = gpAlgorithm.open(everyKind, options);
    for (let t = 0; t < 24; t++) {
      const c = session.suggest(history, createRng(1, t));
      expectValid(everyKind, c);
      const state = states[t % states.length]!;
      const loss = state === "complete" ? mixedLoss(everyKind, c) : state === "pruned" ? 50 : undefined;
      history.push(obs(t, c, state, loss));
    }
  });

  it("are deterministic for a fixed seed and history", () => {
    const options = defaults({ n_startup_trials: 4, n_candidates: 128 });
    const run = () => {
      const history: Observation[] = [];
      const session = gpAlgorithm.open(everyKind, options);
      for (let t = 0; t < 8; t++) {
        const c = session.suggest(history, createRng(9, t));
        history.push(obs(t, c, "complete", mixedLoss(everyKind, c)));
      }
      return history.map((o) => Array.from(o.config));
    };
    expect(run()).toEqual(run());
  });

  it("do not depend on the fit memo: a memo hit equals a fresh fit", () => {
    const space = compileSpace({
      parameters: [
        { name: "x", domain: { $case: "uniform", value: { low: 0, high: 1 } } },
        { name: "k", domain: { $case: "intRange", value: { low: 1, high: 9, step: 1, log: false } } },
      ],
    });
    const rng = createRng(4);
    const history: Observation[] = [];
    for (let t = 0; t < 47; t++) {
      const c = Float64Array.of(rng.uniform(), 1 + rng.int(9));
      history.push(obs(t, c, "complete", (c[0]! - 0.4) ** 2 + (c[1]! - 3) ** 2 / 20));
    }
    const options = defaults({ n_candidates: 128 });
    const memos = createSharedMemos();
    const inSession = (session: ReturnType<typeof gpAlgorithm.open>) =>
      Array.from(session.suggest(history, createRng(4, 47)));
    const first = gpAlgorithm.open(space, options, memos);
    const fresh = inSession(first);
    expect(inSession(first)).toEqual(fresh); // memo hit, same session
    expect(inSession(gpAlgorithm.open(space, options, memos))).toEqual(fresh); // memo hit, another session
    expect(inSession(gpAlgorithm.open(space, options))).toEqual(fresh); // a memo of its own: a fresh fit
  });

  it("differ across a batch and across parallel startup trials (running trials are accounted for)", () => {
    const space = compileSpace({
      parameters: [
        { name: "x", domain: { $case: "uniform", value: { low: 0, high: 1 } } },
        { name: "y", domain: { $case: "uniform", value: { low: 0, high: 1 } } },
      ],
    });
    const f = (c: Config) => (c[0]! - 0.3) ** 2 + (c[1]! - 0.6) ** 2;
    const options = defaults({ n_startup_trials: 5 });
    const session = gpAlgorithm.open(space, options);
    const history: Observation[] = [];
    // Startup: four suggestions while all previous ones are still running.
    for (let t = 0; t < 4; t++) history.push(obs(t, session.suggest(history, createRng(3, t)), "running"));
    const startup = history.map((o) => Array.from(o.config).join());
    expect(new Set(startup).size).toBe(4);
    for (const o of history.splice(0)) history.push(obs(o.number, o.config, "complete", f(o.config)));
    for (let t = 4; t < 12; t++) history.push(obs(t, session.suggest(history, createRng(3, t)), "complete"));
    for (const o of history) (o as { loss: number | undefined }).loss = f(o.config);
    // A batch of 4 against the same completed history.
    const batch: Config[] = [];
    for (let k = 0; k < 4; k++) {
      const pending = batch.map((c, i) => obs(100 + i, c, "running"));
      batch.push(session.suggest([...history, ...pending], createRng(3, 100 + k)));
    }
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < a; b++) {
        const dist = Math.hypot(batch[a]![0]! - batch[b]![0]!, batch[a]![1]! - batch[b]![1]!);
        expect(dist, `batch members ${a} and ${b}`).toBeGreaterThan(1e-3);
      }
  });

  it("fall back to the prior for a space with no modelled dimension", () => {
    const space = compileSpace({
      parameters: [{ name: "k", domain: { $case: "choice", value: { options: [str("only")], weights: [] } } }],
    });
    const c = gpAlgorithm.open(space, defaults()).suggest([], createRng(1));
    expect(Array.from(c)).toEqual([0]);
  });

  it("reach Branin regret < 0.5 within 40 trials for most seeds", { timeout: 180_000 }, () => {
    const space = compileSpace({
      parameters: [
        { name: "x1", domain: { $case: "uniform", value: { low: -5, high: 10 } } },
        { name: "x2", domain: { $case: "uniform", value: { low: 0, high: 15 } } },
      ],
    });
    const branin = (c: Config) => {
      const [x1, x2] = [c[0]!, c[1]!];
      return (
        (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 +
        10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) +
        10
      );
    };
    const options = defaults();
    let successes = 0;
    const seeds = [0, 1, 2, 3, 4];
    for (const seed of seeds) {
      const history: Observation[] = [];
      const session = gpAlgorithm.open(space, options);
      let best = Infinity;
      for (let t = 0; t < 40 && best - 0.397887 >= 0.5; t++) {
        const c = session.suggest(history, createRng(seed, t));
        const y = branin(c);
        best = Math.min(best, y);
        history.push(obs(t, c, "complete", y));
      }
      if (best - 0.397887 < 0.5) successes++;
    }
    expect(successes).toBeGreaterThanOrEqual(4);
  });
});
