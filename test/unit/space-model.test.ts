/**
 * The space model: prior sampling matches each declared distribution
 * (binned frequencies within 5 standard errors of the exact cell masses),
 * quantization grids are anchored at low with every point reachable with its
 * fair mass, and conditional parameters exist exactly when their branch is
 * chosen.
 */
import { describe, expect, it } from "vitest";
import type { Parameter } from "@parzen/client/gen/parzen/v1/space";
import { createRng } from "../../src/math/rng.js";
import { ndtr } from "../../src/math/special.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import { conditionHolds } from "../../src/space/types.js";
import { configFromProto, configToProto } from "../../src/space/values.js";

const N = 40_000;

function draws(param: Parameter, seed = 1): number[] {
  const space = compileSpace({ parameters: [param] });
  const rng = createRng(seed);
  return Array.from({ length: N }, () => samplePrior(space, rng)[0]!);
}

/** Asserts the frequency of each value/bin is within 5 standard errors of its expected probability. */
function expectFrequencies(values: number[], bins: { p: number; hit: (x: number) => boolean }[]): void {
  let total = 0;
  for (const { p, hit } of bins) {
    const freq = values.filter(hit).length / values.length;
    const se = Math.sqrt((p * (1 - p)) / values.length) + 1e-9;
    expect(Math.abs(freq - p), `bin with p=${p.toFixed(4)} got ${freq.toFixed(4)}`).toBeLessThan(5 * se);
    total += p;
  }
  expect(total).toBeCloseTo(1, 6);
}

/** Each integer of low..high with the log-uniform mass of [k − 0.5, k + 0.5] (log-scaled integer grids). */
function logCells(low: number, high: number): { p: number; hit: (x: number) => boolean }[] {
  const z = Math.log(high + 0.5) - Math.log(low - 0.5);
  return Array.from({ length: high - low + 1 }, (_, i) => low + i).map((k) => ({
    p: (Math.log(k + 0.5) - Math.log(k - 0.5)) / z,
    hit: (x) => x === k,
  }));
}

const dom = (name: string, domain: Parameter["domain"]): Parameter => ({ name, domain });

describe("prior sampling follows each declared distribution", () => {
  it("uniform(-2, 3)", () => {
    const xs = draws(dom("x", { $case: "uniform", value: { low: -2, high: 3 } }));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThanOrEqual(3);
    expectFrequencies(
      xs,
      Array.from({ length: 10 }, (_, i) => ({ p: 0.1, hit: (x) => x >= -2 + i * 0.5 && x < -2 + (i + 1) * 0.5 })),
    );
  });

  it("log_uniform(1e-4, 1) is uniform in log space", () => {
    const xs = draws(dom("x", { $case: "logUniform", value: { low: 1e-4, high: 1 } }));
    expectFrequencies(
      xs,
      [0, 1, 2, 3].map((k) => ({ p: 0.25, hit: (x) => x >= 10 ** (k - 4) && x < 10 ** (k - 3) })),
    );
  });

  it("q_uniform(0, 1, 0.25) gives every grid point, ends included, equal mass", () => {
    const xs = draws(dom("x", { $case: "qUniform", value: { low: 0, high: 1, q: 0.25 } }));
    expectFrequencies(
      xs,
      [0, 0.25, 0.5, 0.75, 1].map((g) => ({ p: 0.2, hit: (x) => x === g })),
    );
  });

  it("q_uniform with high off the grid stops at the last grid point below high", () => {
    const xs = draws(dom("x", { $case: "qUniform", value: { low: 0, high: 1, q: 0.3 } }));
    expectFrequencies(
      xs,
      [0, 0.3, 0.6, 0.9].map((g) => ({ p: 0.25, hit: (x) => x === g })),
    );
  });

  it("q_uniform grid values are clean decimals", () => {
    const xs = new Set(draws(dom("x", { $case: "qUniform", value: { low: 0.1, high: 0.9, q: 0.1 } })));
    expect([...xs].sort()).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  });

  it("q_log_uniform(1, 10, 1) gives each integer the log-uniform mass of its cell", () => {
    const xs = draws(dom("x", { $case: "qLogUniform", value: { low: 1, high: 10, q: 1 } }));
    expectFrequencies(xs, logCells(1, 10));
  });

  it("normal(1, 2) and log_normal(0, 0.5)", () => {
    const xs = draws(dom("x", { $case: "normal", value: { mu: 1, sigma: 2 } }));
    const edges = [-Infinity, -3, -1, 0, 1, 2, 3, 5, Infinity];
    expectFrequencies(
      xs,
      edges
        .slice(1)
        .map((hi, i) => ({ p: ndtr((hi - 1) / 2) - ndtr((edges[i]! - 1) / 2), hit: (x) => x >= edges[i]! && x < hi })),
    );
    const ys = draws(dom("y", { $case: "logNormal", value: { mu: 0, sigma: 0.5 } }));
    expect(Math.min(...ys)).toBeGreaterThan(0);
    expectFrequencies(
      ys,
      edges.slice(1).map((hi, i) => ({
        p: ndtr(hi) - ndtr(edges[i]!),
        hit: (y) => Math.log(y) / 0.5 >= edges[i]! && Math.log(y) / 0.5 < hi,
      })),
    );
  });

  it("q_normal(0, 1, 0.5) rounds to multiples of q with the normal mass of each cell", () => {
    const xs = draws(dom("x", { $case: "qNormal", value: { mu: 0, sigma: 1, q: 0.5 } }));
    const grid = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5];
    const bins = grid.map((g) => ({ p: ndtr(g + 0.25) - ndtr(g - 0.25), hit: (x: number) => x === g }));
    const inner = bins.reduce((s, b) => s + b.p, 0);
    expectFrequencies(xs, [...bins, { p: 1 - inner, hit: (x: number) => Math.abs(x) > 1.5 }]);
    expect(xs.every((x) => Number.isInteger(x * 2))).toBe(true);
  });

  it("q_log_normal values are non-negative multiples of q", () => {
    const xs = draws(dom("x", { $case: "qLogNormal", value: { mu: 0, sigma: 1, q: 0.5 } }));
    expect(xs.every((x) => x >= 0 && Number.isInteger(x * 2))).toBe(true);
    // P(round(e^Z / 0.5) = 0) = P(e^Z < 0.25)
    expectFrequencies(xs, [
      { p: ndtr(Math.log(0.25)), hit: (x) => x === 0 },
      { p: 1 - ndtr(Math.log(0.25)), hit: (x) => x > 0 },
    ]);
  });

  it("int(1, 10, step 3) is uniform over 1, 4, 7, 10", () => {
    const xs = draws(dom("n", { $case: "intRange", value: { low: 1, high: 10, step: 3, log: false } }));
    expectFrequencies(
      xs,
      [1, 4, 7, 10].map((g) => ({ p: 0.25, hit: (x) => x === g })),
    );
  });

  it("log int(1, 20) gives k the log-uniform mass of [k-0.5, k+0.5]", () => {
    const xs = draws(dom("n", { $case: "intRange", value: { low: 1, high: 20, step: 1, log: true } }));
    expectFrequencies(xs, logCells(1, 20));
  });

  it("weighted choice follows its normalised weights", () => {
    const opt = (s: string) => ({ value: { kind: { $case: "stringValue" as const, value: s } }, children: [] });
    const xs = draws(
      dom("c", { $case: "choice", value: { options: [opt("a"), opt("b"), opt("c")], weights: [7, 2, 1] } }),
    );
    expectFrequencies(
      xs,
      [0.7, 0.2, 0.1].map((p, i) => ({ p, hit: (x) => x === i })),
    );
  });
});

describe("conditional spaces", () => {
  const str = (s: string) => ({ kind: { $case: "stringValue" as const, value: s } });
  const space = compileSpace({
    parameters: [
      {
        name: "model",
        domain: {
          $case: "choice",
          value: {
            weights: [],
            options: [
              {
                value: str("svm"),
                children: [
                  dom("C", { $case: "logUniform", value: { low: 1e-3, high: 1e3 } }),
                  {
                    name: "kernel",
                    domain: {
                      $case: "choice",
                      value: {
                        weights: [],
                        options: [
                          {
                            value: str("rbf"),
                            children: [dom("gamma", { $case: "logUniform", value: { low: 1e-4, high: 1 } })],
                          },
                          { value: str("linear"), children: [] },
                        ],
                      },
                    },
                  },
                ],
              },
              {
                value: str("tree"),
                children: [dom("depth", { $case: "intRange", value: { low: 1, high: 20, step: 1, log: false } })],
              },
            ],
          },
        },
      },
    ],
  });

  it("flattens parents before children", () => {
    expect(space.params.map((p) => p.name)).toEqual(["model", "C", "kernel", "gamma", "depth"]);
    expect(space.byName.get("gamma")!.condition).toEqual({ parent: 2, option: 0 });
  });

  it("samples a conditional parameter exactly when its branch is chosen, at any depth", () => {
    const rng = createRng(5);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const c = samplePrior(space, rng);
      for (const p of space.params) {
        const parentActive = p.condition === undefined || !Number.isNaN(c[p.condition.parent]!);
        expect(!Number.isNaN(c[p.index]!)).toBe(parentActive && conditionHolds(p, c));
      }
      seen.add(
        space.params
          .filter((p) => !Number.isNaN(c[p.index]!))
          .map((p) => p.name)
          .join(","),
      );
    }
    expect([...seen].sort()).toEqual(["model,C,kernel", "model,C,kernel,gamma", "model,depth"]);
  });

  it("round-trips a configuration through its proto form", () => {
    const rng = createRng(9);
    for (let i = 0; i < 200; i++) {
      const c = samplePrior(space, rng);
      expect(configFromProto(space, configToProto(space, c), "test")).toEqual(c);
    }
  });
});
