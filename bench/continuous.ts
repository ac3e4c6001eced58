/**
 * The continuous problems of the cmaes/qmc stages, in any dimension. The
 * same definitions are in bench/continuous.py for Optuna's samplers: keep
 * the two in step. Every optimum is 0.
 */
import type { SearchSpace } from "@parzen/client/gen/parzen/v1/space";
import { createRng } from "../src/math/rng.js";
import type { Problem, Values } from "./problems.js";

type F = (x: number[]) => number;

const ellipsoid: F = (x) => x.reduce((s, t, i) => s + 10 ** ((3 * i) / (x.length - 1)) * (t - 1) ** 2, 0);
const rosenbrock: F = (x) => {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
};
const ackley: F = (x) => {
  const d = x.length;
  const sq = x.reduce((s, t) => s + t * t, 0) / d;
  const cs = x.reduce((s, t) => s + Math.cos(2 * Math.PI * t), 0) / d;
  return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cs) + 20 + Math.E;
};
const rastrigin: F = (x) => x.reduce((s, t) => s + t * t - 10 * Math.cos(2 * Math.PI * t) + 10, 0);

/**
 * The ellipsoid in a fixed random orthonormal basis (Gram–Schmidt on normal draws, one per
 * dimension): the same conditioning, no longer aligned with the axes, so a diagonal covariance
 * cannot fit it. Parzen only (not in algo_compare.py): it measures what cmaes' diagonal phase costs.
 */
const rotations = new Map<number, Float64Array[]>();
function rotation(d: number): Float64Array[] {
  let q = rotations.get(d);
  if (q === undefined) {
    const rng = createRng(20261203, d);
    q = [];
    for (let k = 0; k < d; k++) {
      const v = Float64Array.from({ length: d }, () => rng.normal());
      for (const u of q) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += u[i]! * v[i]!;
        for (let i = 0; i < d; i++) v[i] = v[i]! - dot * u[i]!;
      }
      const norm = Math.hypot(...v);
      q.push(v.map((t) => t / norm));
    }
    rotations.set(d, q);
  }
  return q;
}
const rotEllipsoid: F = (x) => {
  const q = rotation(x.length);
  const y = q.map((u) => u.reduce((s, t, i) => s + t * (x[i]! - 1), 0));
  return y.reduce((s, t, i) => s + 10 ** ((3 * i) / (x.length - 1)) * t * t, 0);
};

const BASE: readonly [string, F, number, number][] = [
  ["ellipsoid", ellipsoid, -5, 5],
  ["rotellipsoid", rotEllipsoid, -5, 5],
  ["rosenbrock", rosenbrock, -5, 10],
  ["ackley", ackley, -32.768, 32.768],
  ["rastrigin", rastrigin, -5.12, 5.12],
];

function box(d: number, low: number, high: number): SearchSpace {
  return {
    parameters: Array.from({ length: d }, (_, i) => ({
      name: `x${i}`,
      domain: { $case: "uniform", value: { low, high } },
    })),
  };
}

/** e.g. "ellipsoid20": the base problem in 20 dimensions. */
export function continuousProblem(name: string, budget: number): Problem {
  const m = /^([a-z]+)(\d+)$/.exec(name);
  const base = m === null ? undefined : BASE.find((b) => b[0] === m[1]);
  if (m === null || base === undefined) throw new Error(`unknown continuous problem ${name}`);
  const d = Number(m[2]);
  const [, f, low, high] = base;
  return {
    name,
    space: box(d, low, high),
    budget,
    optimum: 0,
    f: (v: Values) => f(Array.from({ length: d }, (_, i) => v[`x${i}`] as number)),
  };
}
