/** Search spaces built in code for the in-process benches (tpe-speed.ts, tpe-fingerprint.ts). */
import type { Parameter, SearchSpace } from "@parzen/client/gen/parzen/v1/space";

export const uniform = (name: string, low: number, high: number): Parameter => ({
  name,
  domain: { $case: "uniform", value: { low, high } },
});

/** [low, high]^d, parameters x0..x(d-1). */
export const box = (d: number, low: number, high: number): SearchSpace => ({
  parameters: Array.from({ length: d }, (_, i) => uniform(`x${i}`, low, high)),
});

/** Integers 1..100 named i0.., every other one on a log scale. */
export const ints = (count: number): Parameter[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `i${i}`,
    domain: { $case: "intRange", value: { low: 1, high: 100, step: 1, log: i % 2 === 1 } },
  }));

/** [0, 1] in steps of 0.05, named q0.. */
export const quantized = (count: number): Parameter[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `q${i}`,
    domain: { $case: "qUniform", value: { low: 0, high: 1, q: 0.05 } },
  }));

export const logUniform = (name: string): Parameter => ({
  name,
  domain: { $case: "logUniform", value: { low: 1e-5, high: 1 } },
});

/** A choice among strings, unweighted, no nested parameters. */
export const choice = (name: string, options: string[]): Parameter => ({
  name,
  domain: {
    $case: "choice",
    value: {
      options: options.map((s) => ({ value: { kind: { $case: "stringValue", value: s } }, children: [] })),
      weights: [],
    },
  },
});
