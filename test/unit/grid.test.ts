import { describe, expect, it } from "vitest";
import { GridDesign } from "../../src/algorithms/grid/design.js";
import { grid } from "../../src/algorithms/grid/index.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { checkConfig, param, str } from "./tpe-helpers.js";

const space = compileSpace({
  parameters: [
    param("q", { $case: "qUniform", value: { low: 0.1, high: 1.05, q: 0.2 } }),
    param("il", { $case: "intRange", value: { low: 1, high: 4, step: 1, log: true } }),
    param("c", {
      $case: "choice",
      value: {
        options: [
          str("a"),
          str("b", [
            param("k", { $case: "intRange", value: { low: 0, high: 10, step: 5, log: false } }),
            param("sub", {
              $case: "choice",
              value: {
                options: [
                  str("p"),
                  str("r", [param("z", { $case: "intRange", value: { low: 1, high: 2, step: 1, log: false } })]),
                ],
                weights: [],
              },
            }),
          ]),
          str("never"),
        ],
        weights: [1, 1, 0],
      },
    }),
  ],
});

describe("grid design", () => {
  it("numbers every combination of the conditional tree once, and encode inverts decode", () => {
    const d = new GridDesign(space, new Map());
    // q: 5 points, il: 4, c: a (1) + b (k: 3 × sub: p (1) + r (2)) = 1 + 9 = 10; "never" has weight 0.
    expect(d.size).toBe(5 * 4 * 10);
    const keys = new Set<string>();
    for (let k = 0; k < d.size; k++) {
      const c = d.decode(k);
      checkConfig(space, c);
      expect(d.encode(c)).toBe(k);
      keys.add(c.join());
    }
    expect(keys.size).toBe(d.size);
    expect(d.encode(Float64Array.from([0.2, 1, 0, Number.NaN, Number.NaN, Number.NaN]))).toBeUndefined();
  });
});

describe("grid sessions", () => {
  const options = grid.parseOptions({});

  it("walk a seeded permutation, skipping points any trial took, and a fresh session agrees", () => {
    const session = grid.open(space, options);
    const history: Observation[] = [];
    for (let t = 0; t < 200; t++) {
      const config = session.suggest(history, createRng(3, t), { seed: 3, trialNumber: t });
      history.push({
        number: t,
        config,
        state: t % 2 === 0 ? "running" : "fail",
        loss: undefined,
        lastStep: undefined,
      });
    }
    expect(new Set(history.map((o) => o.config.join())).size).toBe(200);
    const again = grid
      .open(space, options)
      .suggest(history.slice(0, 50), createRng(3, 50), { seed: 3, trialNumber: 50 });
    expect(again).toEqual(history[50]!.config);
    const firsts = [3, 4, 5, 6].map((seed) =>
      grid.open(space, options).suggest([], createRng(seed, 0), { seed, trialNumber: 0 }).join(),
    );
    expect(new Set(firsts).size).toBeGreaterThan(1);
  });

  it("counts what is left with a tally of the trials' points", () => {
    const tally = grid.exhaustible!(space, options);
    const d = new GridDesign(space, new Map());
    expect(tally.remaining()).toBe(200);
    tally.add(d.decode(7));
    tally.add(d.decode(7));
    tally.add(Float64Array.from([0.2, 1, 0, Number.NaN, Number.NaN, Number.NaN]));
    expect(tally.remaining()).toBe(199);
  });
});
