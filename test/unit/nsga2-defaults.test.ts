/**
 * NSGA-II's documented option defaults (README "NSGA-II", src/algorithms/nsga2/options.ts) act as documented: a
 * session without the option suggests exactly what one with the documented default spelled out does, and a different
 * value changes the suggestions. eta's default depends on the experiment: 2 for one objective, 20 for several.
 */
import { describe, expect, it } from "vitest";
import { Nsga2Session, nsga2 } from "../../src/algorithms/nsga2/index.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config, Scalar } from "../../src/space/types.js";
import { param } from "./tpe-helpers.js";

const num = (value: number): Scalar => ({ kind: "double", value });
const text = (value: string): Scalar => ({ kind: "string", value });

const space = compileSpace({
  parameters: [
    param("a", { $case: "uniform", value: { low: -5, high: 5 } }),
    param("b", { $case: "uniform", value: { low: 0, high: 3 } }),
    param("c", { $case: "logUniform", value: { low: 0.01, high: 10 } }),
    param("d", { $case: "uniform", value: { low: -1, high: 1 } }),
  ],
});
const N = space.params.length;

/** Two generations of 10 (prior draws), finished with one or two objectives. */
function history(objectives: 1 | 2): Observation[] {
  const seeder = new Nsga2Session(space, nsga2.parseOptions({ population_size: num(10) }));
  const h: Observation[] = [];
  for (let t = 0; t < 20; t++) {
    const config = seeder.suggest(h, createRng(11, t), { seed: 11, trialNumber: t });
    const f1 = config.reduce((s, x) => s + x * x, 0);
    const f2 = config.reduce((s, x) => s + (x - 1) ** 2, 0);
    h.push({
      number: t,
      config,
      state: "complete",
      loss: objectives === 1 ? f1 : undefined,
      lastStep: undefined,
      ...(objectives === 2 ? { values: Float64Array.of(f1, f2) } : {}),
    });
  }
  return h;
}

/** The suggestions for trials 20–39 (generations 2 and 3) with these options. */
function suggestions(raw: Record<string, Scalar>, h: readonly Observation[]): string[] {
  const s = new Nsga2Session(space, nsga2.parseOptions({ population_size: num(10), crossover_prob: num(1), ...raw }));
  const out: string[] = [];
  for (let t = 20; t < 40; t++)
    out.push(Array.from(s.suggest(h, createRng(5, t), { seed: 5, trialNumber: t }) as Config).join());
  return out;
}

describe("nsga2 option defaults", () => {
  const single = history(1);
  const multi = history(2);

  it.each([
    ["sbx: eta 2 with one objective", { crossover: text("sbx") }, { eta: num(2) }, { eta: num(20) }, single],
    ["sbx: eta 20 with several", { crossover: text("sbx") }, { eta: num(20) }, { eta: num(2) }, multi],
    ["blxalpha: alpha 0.5", { crossover: text("blxalpha") }, { alpha: num(0.5) }, { alpha: num(0.25) }, single],
    [
      "spx: epsilon √(n + 2)",
      { crossover: text("spx") },
      { epsilon: num(Math.sqrt(N + 2)) },
      { epsilon: num(1) },
      single,
    ],
    ["undx: sigma_xi 0.5", { crossover: text("undx") }, { sigma_xi: num(0.5) }, { sigma_xi: num(0.2) }, single],
    [
      "undx: sigma_eta 0.35/√n",
      { crossover: text("undx") },
      { sigma_eta: num(0.35 / Math.sqrt(N)) },
      { sigma_eta: num(0.1) },
      single,
    ],
    ["mutation_prob 1/n", {}, { mutation_prob: num(1 / N) }, { mutation_prob: num(0.5) }, single],
    ["swapping_prob 0.5", {}, { swapping_prob: num(0.5) }, { swapping_prob: num(0.9) }, single],
  ] as const)("%s", (_label, base, spelled, other, h) => {
    const byDefault = suggestions(base, h);
    expect(suggestions({ ...base, ...spelled }, h)).toEqual(byDefault);
    expect(suggestions({ ...base, ...other }, h)).not.toEqual(byDefault);
  });

  it("crossover_prob 0.9 by default; 0 copies parents (and mutates), never crossing", () => {
    const h = single;
    const s = (raw: Record<string, Scalar>) => {
      const session = new Nsga2Session(space, nsga2.parseOptions({ population_size: num(10), ...raw }));
      return Array.from({ length: 20 }, (_, k) =>
        Array.from(session.suggest(h, createRng(5, 20 + k), { seed: 5, trialNumber: 20 + k }) as Config).join(),
      );
    };
    expect(s({ crossover_prob: num(0.9) })).toEqual(s({}));
    expect(s({ crossover_prob: num(0.5) })).not.toEqual(s({}));
    // Without crossover or mutation a child repeats a parent, which the session avoids while it can: the
    // suggestions are parents' configurations only when every attempt failed.
    const copies = s({ crossover_prob: num(0), mutation_prob: num(0) });
    const configs = new Set(h.map((o) => Array.from(o.config).join()));
    for (const c of copies) expect(configs.has(c)).toBe(true);
  });
});
