/**
 * Benchmark problems from reference/benchmarks.md, defined once for the
 * quick in-process TPE evaluation (bench/tpe-quick.ts) and the full bench.
 * Each problem has a proto search space, an objective over named values and
 * its known optimum.
 */
import type { Parameter, SearchSpace } from "@parzen/client/gen/parzen/v1/space";

export type Values = Record<string, number | string | boolean>;

export interface Problem {
  readonly name: string;
  readonly space: SearchSpace;
  readonly budget: number;
  readonly optimum: number;
  /** The true (noise-free) objective. */
  readonly f: (v: Values) => number;
  /** What the optimizer observes (defaults to f); gets a noise draw N(0, 1). */
  readonly observe?: (v: Values, noise: number) => number;
}

const uniform = (name: string, low: number, high: number): Parameter =>
  ({ name, domain: { $case: "uniform", value: { low, high } } }) as Parameter;
const logUniform = (name: string, low: number, high: number): Parameter =>
  ({ name, domain: { $case: "logUniform", value: { low, high } } }) as Parameter;
const intRange = (name: string, low: number, high: number): Parameter =>
  ({ name, domain: { $case: "intRange", value: { low, high, step: 1, log: false } } }) as Parameter;
const choice = (name: string, options: { value: string; children?: Parameter[] }[]): Parameter =>
  ({
    name,
    domain: {
      $case: "choice",
      value: {
        options: options.map((o) => ({
          value: { kind: { $case: "stringValue", value: o.value } },
          children: o.children ?? [],
        })),
        weights: [],
      },
    },
  }) as unknown as Parameter;

const num = (v: Values, k: string): number => v[k] as number;

function branin(v: Values): number {
  const x1 = num(v, "x1");
  const x2 = num(v, "x2");
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];

function hartmann6(v: Values): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) {
      const x = num(v, `x${j}`);
      inner += H6_A[i]![j]! * (x - H6_P[i]![j]! * 1e-4) ** 2;
    }
    s += H6_ALPHA[i]! * Math.exp(-inner);
  }
  return -s;
}

const vec = (v: Values, d: number): number[] => Array.from({ length: d }, (_, i) => num(v, `x${i}`));

function rosenbrock(v: Values): number {
  const x = vec(v, 10);
  let s = 0;
  for (let i = 0; i < 9; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
}

function styblinskiTang(v: Values): number {
  return 0.5 * vec(v, 10).reduce((s, x) => s + x ** 4 - 16 * x * x + 5 * x, 0);
}

function ackley(v: Values): number {
  const x = vec(v, 10);
  const d = x.length;
  const sq = x.reduce((s, t) => s + t * t, 0) / d;
  const cs = x.reduce((s, t) => s + Math.cos(2 * Math.PI * t), 0) / d;
  return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cs) + 20 + Math.E;
}

function mixed(v: Values): number {
  const x = num(v, "x");
  const n = num(v, "n");
  const c = ({ a: 1, b: 0, c: 2 } as Record<string, number>)[v.c as string]!;
  return (x - 1) ** 2 + (n - 7) ** 2 / 10 + c;
}

function conditional(v: Values): number {
  switch (v.model) {
    case "svm":
      return (Math.log10(num(v, "C")) - 1.5) ** 2 + (Math.log10(num(v, "gamma")) + 2) ** 2 + 0.2;
    case "tree":
      return ((num(v, "depth") - 12) / 5) ** 2 + ((num(v, "min_leaf") - 5) / 20) ** 2;
    default:
      return ((num(v, "k") - 30) / 40) ** 2 + 0.1;
  }
}

const box = (d: number, lo: number, hi: number): SearchSpace => ({
  parameters: Array.from({ length: d }, (_, i) => uniform(`x${i}`, lo, hi)),
});

export const PROBLEMS: readonly Problem[] = [
  {
    name: "branin",
    space: { parameters: [uniform("x1", -5, 10), uniform("x2", 0, 15)] },
    budget: 100,
    optimum: 0.397887,
    f: branin,
  },
  { name: "hartmann6", space: box(6, 0, 1), budget: 100, optimum: -3.32237, f: hartmann6 },
  { name: "rosenbrock10", space: box(10, -5, 10), budget: 200, optimum: 0, f: rosenbrock },
  { name: "styblinski_tang10", space: box(10, -5, 5), budget: 200, optimum: -391.66166, f: styblinskiTang },
  { name: "ackley10", space: box(10, -32.768, 32.768), budget: 200, optimum: 0, f: ackley },
  {
    name: "mixed",
    space: {
      parameters: [
        uniform("x", -5, 5),
        intRange("n", 1, 10),
        choice("c", [{ value: "a" }, { value: "b" }, { value: "c" }]),
      ],
    },
    budget: 100,
    optimum: 0,
    f: mixed,
  },
  {
    name: "conditional",
    space: {
      parameters: [
        choice("model", [
          { value: "svm", children: [logUniform("C", 1e-3, 1e3), logUniform("gamma", 1e-4, 1)] },
          { value: "tree", children: [intRange("depth", 1, 20), intRange("min_leaf", 1, 50)] },
          { value: "knn", children: [intRange("k", 1, 100)] },
        ]),
      ],
    },
    budget: 100,
    optimum: 0,
    f: conditional,
  },
  {
    name: "noisy_hartmann6",
    space: box(6, 0, 1),
    budget: 100,
    optimum: -3.32237,
    f: hartmann6,
    observe: (v, noise) => hartmann6(v) + 0.1 * noise,
  },
];

// ------------------------------------------------- deceptive and rugged (issue 21)
// Held out from the protocol (same formulas as bench/problems.py's DECEPTIVE):
// landscapes where a TPE that stops exploring too early is fooled. A run
// succeeds when its best regret falls below `success` within `budget` trials.

export interface DeceptiveProblem extends Problem {
  readonly success: number;
}

function deceptive1d(v: Values): number {
  const x = num(v, "x");
  return Math.min(0.1 + 0.5 * (x - 0.3) ** 2, 1000 * (x - 0.85) ** 2);
}

function deceptive3d(v: Values): number {
  const x = [0, 1, 2].map((i) => num(v, `x${i}`));
  const c = [0.8, 0.75, 0.85];
  const a = x.reduce((s, t) => s + (t - 0.3) ** 2, 0);
  const b = x.reduce((s, t, i) => s + (t - c[i]!) ** 2, 0);
  return Math.min(0.1 + 0.5 * a, 4 * b);
}

function phaseWave(v: Values): number {
  const x = num(v, "x");
  const ph = ({ a: 0, b: 0.25, c: 0.5, d: 0.75 } as Record<string, number>)[v.c as string]!;
  return 0.25 * (1 - Math.cos(2 * Math.PI * (8 * x - ph))) + 4 * (x - 0.71) ** 2;
}

function ruggedFunnel6(v: Values): number {
  let s = 0;
  for (let i = 0; i < 6; i++) {
    const t = num(v, `x${i}`) - 1.3;
    s += t * t + 3 * (1 - Math.cos(2 * Math.PI * t));
  }
  return s;
}

function needleCliff(v: Values): number {
  const x = num(v, "x");
  const y = num(v, "y");
  if (x > 0.7) return 1;
  const needle = 0.4 * Math.exp(-((x - 0.68) ** 2 + (y - 0.15) ** 2) / (2 * 0.03 ** 2));
  return 0.5 * (0.7 - x) + (y - 0.5) ** 2 - needle;
}

export const DECEPTIVE: readonly DeceptiveProblem[] = [
  { name: "deceptive1d", space: box1("x"), budget: 100, optimum: 0, f: deceptive1d, success: 0.1 },
  { name: "deceptive3d", space: box(3, 0, 1), budget: 100, optimum: 0, f: deceptive3d, success: 0.1 },
  {
    name: "phase_wave",
    space: {
      parameters: [uniform("x", 0, 1), choice("c", [{ value: "a" }, { value: "b" }, { value: "c" }, { value: "d" }])],
    },
    budget: 50,
    optimum: 0.00030242,
    f: phaseWave,
    success: 0.0015,
  },
  { name: "rugged_funnel6", space: box(6, -5, 5), budget: 100, optimum: 0, f: ruggedFunnel6, success: 4 },
  {
    name: "needle_cliff",
    space: { parameters: [uniform("x", 0, 1), uniform("y", 0, 1)] },
    budget: 100,
    optimum: -0.268331,
    f: needleCliff,
    success: 0.268331,
  },
];

function box1(name: string): SearchSpace {
  return { parameters: [uniform(name, 0, 1)] };
}
