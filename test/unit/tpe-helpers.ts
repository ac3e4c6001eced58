/** Shared builders for the TPE tests: proto parameters, a run loop, validity checks. */
import type { Parameter, SearchSpace } from "@parzen/client/gen/parzen/v1/space";
import type { Algorithm, Observation } from "../../src/algorithms/types.js";
import { createRng, type Rng } from "../../src/math/rng.js";
import { externalValue, internalValue } from "../../src/space/values.js";
import type { Config, Space } from "../../src/space/types.js";

type Domain = NonNullable<Parameter["domain"]>;

export const param = (name: string, domain: Domain): Parameter => ({ name, domain });

export const str = (value: string, children: Parameter[] = []) => ({
  value: { kind: { $case: "stringValue" as const, value } },
  children,
});

/** A space with every domain kind, and a two-level conditional. */
export const everyKind: SearchSpace = {
  parameters: [
    param("u", { $case: "uniform", value: { low: -2, high: 3 } }),
    param("lu", { $case: "logUniform", value: { low: 1e-4, high: 10 } }),
    param("qu", { $case: "qUniform", value: { low: 0.1, high: 1.05, q: 0.2 } }),
    param("qlu", { $case: "qLogUniform", value: { low: 1, high: 1000, q: 5 } }),
    param("n", { $case: "normal", value: { mu: 2, sigma: 3 } }),
    param("ln", { $case: "logNormal", value: { mu: 0, sigma: 1 } }),
    param("qn", { $case: "qNormal", value: { mu: 0, sigma: 5, q: 0.5 } }),
    param("qln", { $case: "qLogNormal", value: { mu: 1, sigma: 1, q: 1 } }),
    param("i", { $case: "intRange", value: { low: -3, high: 7, step: 1, log: false } }),
    param("is", { $case: "intRange", value: { low: 0, high: 100, step: 7, log: false } }),
    param("il", { $case: "intRange", value: { low: 1, high: 4096, step: 1, log: true } }),
    param("c", {
      $case: "choice",
      value: {
        options: [
          str("a", [param("a_x", { $case: "uniform", value: { low: 0, high: 1 } })]),
          str("b", [
            param("b_k", { $case: "intRange", value: { low: 1, high: 5, step: 1, log: false } }),
            param("b_sub", {
              $case: "choice",
              value: {
                options: [str("p"), str("q", [param("q_y", { $case: "logUniform", value: { low: 1, high: 2 } })])],
                weights: [],
              },
            }),
          ]),
          str("never"),
        ],
        weights: [0.5, 0.5, 0],
      },
    }),
  ],
};

/** Throws unless the config is a valid assignment: every active parameter in its domain, inactive ones NaN. */
export function checkConfig(space: Space, config: Config): void {
  for (const p of space.params) {
    const c = p.condition;
    const active = c === undefined || config[c.parent] === c.option;
    const x = config[p.index]!;
    if (!active) {
      if (!Number.isNaN(x)) throw new Error(`${p.name} is set (${x}) but inactive`);
      continue;
    }
    if (Number.isNaN(x)) throw new Error(`${p.name} is active but missing`);
    const back = internalValue(p, externalValue(p, x));
    if (back !== x) throw new Error(`${p.name}: ${x} does not round-trip (${back})`);
    if (p.domain.type === "choice" && !(p.domain.weights[x]! > 0))
      throw new Error(`${p.name}: chose zero-weight option ${x}`);
  }
}

/** Runs `trials` sequential suggest/complete cycles; `f` gives the loss of a config. */
export function run<O>(
  algorithm: Algorithm<O>,
  space: Space,
  options: O,
  seed: number,
  trials: number,
  f: (c: Config) => number,
  onSuggest?: (c: Config) => void,
): Observation[] {
  const history: Observation[] = [];
  const session = algorithm.open(space, options);
  for (let t = 0; t < trials; t++) {
    const config = session.suggest(history, createRng(seed, t));
    onSuggest?.(config);
    history.push({ number: t, config, state: "complete", loss: f(config), lastStep: undefined });
  }
  return history;
}

export function obs(
  number: number,
  state: Observation["state"],
  loss: number | undefined,
  config: number[] = [0],
  lastStep?: number,
): Observation {
  return { number, state, loss, lastStep, config: Float64Array.from(config) };
}

/**
 * A random edit of a list of values, the way a history changes between two
 * calls: in order, each old value is kept with probability `keep`, and before
 * it a new value() is inserted with probability `insert` (again and again
 * while `repeat`). `newOf[i]`: where old value i went (−1: dropped); `added`:
 * the positions of the new values.
 */
export function randomEdit(
  rng: Rng,
  old: Float64Array,
  value: () => number,
  { insert, keep, repeat }: { insert: number; keep: number; repeat: boolean },
): { next: Float64Array; newOf: Int32Array; added: number[] } {
  const next: number[] = [];
  const newOf = new Int32Array(old.length).fill(-1);
  const added: number[] = [];
  for (let i = 0; i < old.length; i++) {
    while (rng.uniform() < insert) {
      added.push(next.length);
      next.push(value());
      if (!repeat) break;
    }
    if (rng.uniform() < keep) {
      newOf[i] = next.length;
      next.push(old[i]!);
    }
  }
  return { next: Float64Array.from(next), newOf, added };
}
