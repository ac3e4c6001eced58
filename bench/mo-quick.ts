/**
 * Quick in-process look at bench/multi_objective.py's problems for one of
 * Parzen's algorithms (TPE unless `--algorithm` says otherwise; issue 20's
 * stage without the server): hypervolume of the
 * feasible trials at each checkpoint, or for the single-objective constrained
 * sphere the best feasible value; median [quartiles] over the seeds. Trials
 * are seeded as the server seeds them, so the figures are the stage's.
 *
 *   npx tsx bench/mo-quick.ts [--seeds 20] [--first-seed 0] [--problems csphere,zdt1]
 *                             [--checkpoints 100,200,300] [--set key=value ...] [--algorithm tpe|auto|gp|...]
 */
import type { Parameter, SearchSpace } from "@parzen/client/gen/parzen/v1/space";
import { algorithmNamed } from "../src/algorithms/registry.js";
import type { Observation } from "../src/algorithms/types.js";
import { hypervolume } from "../src/math/hypervolume.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { decode, parseScalar, quantile } from "./in-process.js";
import type { Values } from "./problems.js";

interface MoProblem {
  readonly name: string;
  readonly space: SearchSpace;
  readonly f: (v: Values) => number[];
  readonly g?: (v: Values) => number[];
  /** Hypervolume reference point (several objectives); none: the best feasible value is the figure. */
  readonly ref?: readonly number[];
}

const uniform = (name: string, low: number, high: number): Parameter =>
  ({ name, domain: { $case: "uniform", value: { low, high } } }) as Parameter;
// As the Python client's hp.loguniform sends it: bounds exp(log(·)).
const logUniform = (name: string, low: number, high: number): Parameter =>
  ({
    name,
    domain: { $case: "logUniform", value: { low: Math.exp(Math.log(low)), high: Math.exp(Math.log(high)) } },
  }) as Parameter;
const intRange = (name: string, low: number, high: number): Parameter =>
  ({ name, domain: { $case: "intRange", value: { low, high, step: 1, log: false } } }) as Parameter;
const choice = (name: string, options: (string | number)[]): Parameter =>
  ({
    name,
    domain: {
      $case: "choice",
      value: {
        options: options.map((o) => ({
          value: { kind: typeof o === "number" ? { $case: "intValue", value: o } : { $case: "stringValue", value: o } },
          children: [],
        })),
        weights: [],
      },
    },
  }) as unknown as Parameter;

const xs = (v: Values, d: number): number[] => Array.from({ length: d }, (_, i) => v[`x${i}`] as number);
const unit = (d: number): SearchSpace => ({ parameters: Array.from({ length: d }, (_, i) => uniform(`x${i}`, 0, 1)) });

function zdt(kind: 1 | 2 | 3, d = 6): (v: Values) => number[] {
  return (v) => {
    const x = xs(v, d);
    const g = 1 + (9 * x.slice(1).reduce((a, b) => a + b, 0)) / (d - 1);
    const f1 = x[0]!;
    const h =
      kind === 1
        ? 1 - Math.sqrt(f1 / g)
        : kind === 2
          ? 1 - (f1 / g) ** 2
          : 1 - Math.sqrt(f1 / g) - (f1 / g) * Math.sin(10 * Math.PI * f1);
    return [f1, g * h];
  };
}

function dtlz2(v: Values, d = 6, m = 3): number[] {
  const x = xs(v, d);
  const g = x.slice(m - 1).reduce((s, t) => s + (t - 0.5) ** 2, 0);
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    let f = 1 + g;
    for (let j = 0; j < m - 1 - i; j++) f *= Math.cos((x[j]! * Math.PI) / 2);
    if (i > 0) f *= Math.sin((x[m - 1 - i]! * Math.PI) / 2);
    out.push(f);
  }
  return out;
}

const LR_BEST: Record<string, number> = { adam: -3, sgd: -1.5, rmsprop: -2.5 };
const OPT_ERR: Record<string, number> = { adam: 0, sgd: 0.05, rmsprop: 0.02 };

function mixed(v: Values): number[] {
  const layers = v.layers as number;
  const width = v.width as number;
  const opt = v.optimizer as string;
  const lr = v.lr as number;
  let err = 0.05 * (Math.log10(lr) - LR_BEST[opt]!) ** 2 + 1 / (1 + 0.3 * layers * Math.log2(width)) + OPT_ERR[opt]!;
  if (v.activation === "sigmoid") err += 0.1;
  return [err, (layers * width) / 8192];
}

const x12 = (v: Values): [number, number] => [v.x1 as number, v.x2 as number];

export const MO_PROBLEMS: readonly MoProblem[] = [
  { name: "zdt1", space: unit(6), f: zdt(1), ref: [1.1, 11] },
  { name: "zdt2", space: unit(6), f: zdt(2), ref: [1.1, 11] },
  { name: "zdt3", space: unit(6), f: zdt(3), ref: [1.1, 11] },
  { name: "dtlz2", space: unit(6), f: (v) => dtlz2(v), ref: [2.2, 2.2, 2.2] },
  {
    name: "mixed",
    space: {
      parameters: [
        intRange("layers", 1, 8),
        choice("width", [16, 32, 64, 128, 256, 512, 1024]),
        choice("optimizer", ["adam", "sgd", "rmsprop"]),
        choice("activation", ["relu", "tanh", "sigmoid"]),
        logUniform("lr", 1e-5, 1),
      ],
    },
    f: mixed,
    ref: [3, 1.1],
  },
  {
    name: "bnh",
    space: { parameters: [uniform("x1", 0, 5), uniform("x2", 0, 3)] },
    f: (v) => {
      const [a, b] = x12(v);
      return [4 * a * a + 4 * b * b, (a - 5) ** 2 + (b - 5) ** 2];
    },
    g: (v) => {
      const [a, b] = x12(v);
      return [(a - 5) ** 2 + b * b - 25, 7.7 - (a - 8) ** 2 - (b + 3) ** 2];
    },
    ref: [140, 50],
  },
  {
    name: "czdt1",
    space: unit(6),
    f: zdt(1),
    g: (v) => {
      const x = xs(v, 6);
      return [0.8 - x[0]! - x[1]!, x[1]! - 0.2];
    },
    ref: [1.1, 11],
  },
  {
    name: "csphere",
    space: { parameters: Array.from({ length: 4 }, (_, i) => uniform(`x${i}`, -5, 5)) },
    f: (v) => [xs(v, 4).reduce((s, t) => s + t * t, 0)],
    g: (v) => [2 - xs(v, 4).reduce((s, t) => s + t, 0)],
  },
];

interface Outcome {
  readonly v: number[];
  readonly g: number[];
}

/** One sequential run of `budget` trials, reported as the stage's Python client reports them. */
export function runMo(
  p: MoProblem,
  options: Record<string, Scalar>,
  seed: number,
  budget: number,
  algorithmName = "tpe",
): Outcome[] {
  const space = compileSpace(p.space);
  const algorithm = algorithmNamed(algorithmName);
  const session = algorithm.open(space, algorithm.parseOptions(options));
  const history: Observation[] = [];
  const out: Outcome[] = [];
  for (let t = 0; t < budget; t++) {
    const config = session.suggest(history, createRng(seed, t), { seed, trialNumber: t });
    const vals = decode(space, config);
    const v = p.f(vals);
    const g = p.g ? p.g(vals) : [];
    history.push({
      number: t,
      config,
      state: "complete",
      loss: v.length === 1 ? v[0] : undefined,
      lastStep: undefined,
      ...(v.length > 1 ? { values: Float64Array.from(v) } : {}),
      ...(g.length > 0 ? { constraints: Float64Array.from(g) } : {}),
    });
    out.push({ v, g });
  }
  return out;
}

/** The stage's figure over the first n trials: hypervolume of the feasible ones, or the best feasible value. */
export function moQuality(p: MoProblem, run: readonly Outcome[], n: number): number {
  const feas = run.slice(0, n).filter((o) => o.g.every((c) => c <= 0));
  if (p.ref === undefined) return Math.min(...feas.map((o) => o.v[0]!));
  return hypervolume(
    feas.map((o) => o.v),
    p.ref,
  );
}

function main(): void {
  const argv = process.argv.slice(2);
  let seeds = 20;
  let firstSeed = 0;
  let problems: string[] | undefined;
  let checkpoints = [100, 200, 300];
  let algorithm = "tpe";
  const set: Record<string, Scalar> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => argv[++i] ?? "";
    if (a === "--seeds") seeds = Number(next());
    else if (a === "--first-seed") firstSeed = Number(next());
    else if (a === "--problems") problems = next().split(",");
    else if (a === "--checkpoints") checkpoints = next().split(",").map(Number);
    else if (a === "--algorithm") algorithm = next();
    else if (a === "--set") {
      const [k, raw] = next().split("=") as [string, string];
      set[k] = parseScalar(raw);
    }
  }
  const fmt = (x: number): string => x.toPrecision(4);
  const budget = Math.max(...checkpoints);
  console.log(`${algorithm}, seeds ${firstSeed}..${firstSeed + seeds - 1}; options ${JSON.stringify(set)}`);
  console.log(["problem", ...checkpoints.map((c) => `@${c} median [q1, q3]`)].join("\t"));
  for (const p of MO_PROBLEMS) {
    if (problems && !problems.includes(p.name)) continue;
    const runs = Array.from({ length: seeds }, (_, s) => runMo(p, set, firstSeed + s, budget, algorithm));
    const cells = [p.name];
    for (const c of checkpoints) {
      const q = runs.map((r) => moQuality(p, r, c));
      cells.push(`${fmt(quantile(q, 0.5))} [${fmt(quantile(q, 0.25))}, ${fmt(quantile(q, 0.75))}]`);
    }
    console.log(cells.join("\t"));
  }
}

main();
