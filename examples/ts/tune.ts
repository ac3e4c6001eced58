/**
 * Tunes ridge regression on generated data with the Parzen TypeScript
 * client: a conditional space (polynomial or RBF features, each with its
 * own parameters) plus the ridge penalty, validation MSE as the loss.
 *
 *     npm start                                  # a server on 127.0.0.1:50051
 *     npx tsx examples/ts/tune.ts --trials 40    # --address host:port | unix:///path.sock
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ParzenClient, choice, int, logUniform, when, type Params } from "@parzen/client";

export interface TuneOptions {
  address: string;
  trials: number;
  experiment?: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface TuneResult {
  loss: number;
  params: Params;
  trials: number;
}

/** Runs `trials` suggest-evaluate-report rounds and returns the best trial found. */
export async function main(opts: TuneOptions): Promise<TuneResult> {
  const log = opts.log ?? console.log;
  const data = makeData(opts.seed ?? 1);
  const client = await ParzenClient.connect(opts.address);
  try {
    const exp = await client.createExperiment({
      name: opts.experiment ?? "ridge-example",
      seed: opts.seed ?? 1,
      space: [
        logUniform("lambda", 1e-8, 10),
        choice("basis", [
          when("poly", int("degree", 1, 15)),
          when("rbf", int("centers", 2, 40), logUniform("width", 0.01, 2)),
        ]),
      ],
    });
    log(`experiment ${exp.name} (${exp.created ? "new" : "resumed"})`);
    for (let i = 0; i < opts.trials; i++) {
      const trial = await exp.suggest();
      try {
        const { val, train } = evaluate(trial.params, data);
        await trial.report(val, { train_mse: train });
        log(`trial ${trial.number}: val mse ${val.toFixed(5)}  ${JSON.stringify(trial.params)}`);
      } catch (err) {
        await trial.fail(String(err));
      }
    }
    const best = await exp.best();
    if (best === undefined || best.loss === undefined) throw new Error("no trial completed");
    log(`best: val mse ${best.loss.toFixed(5)} with ${JSON.stringify(best.params)}`);
    return { loss: best.loss, params: best.params, trials: opts.trials };
  } finally {
    client.close();
  }
}

interface Data {
  xTrain: number[];
  yTrain: number[];
  xVal: number[];
  yVal: number[];
}

/** y = sin(3x) + x²/2 + noise on [-1, 1], split 80 / 40. */
function makeData(seed: number): Data {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const sample = (n: number) => {
    const x = Array.from({ length: n }, () => 2 * rand() - 1);
    return { x, y: x.map((v) => Math.sin(3 * v) + 0.5 * v * v + 0.1 * gauss()) };
  };
  const train = sample(80);
  const val = sample(40);
  return { xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y };
}

/** Fits ridge regression on the chosen features; returns train and validation MSE. */
export function evaluate(p: Params, d: Data): { train: number; val: number } {
  const features = featurizer(p);
  const X = d.xTrain.map(features);
  const w = ridge(X, d.yTrain, Number(p.lambda));
  const mse = (xs: number[], ys: number[]) =>
    xs.reduce((s, x, i) => s + (dot(features(x), w) - ys[i]!) ** 2, 0) / xs.length;
  return { train: mse(d.xTrain, d.yTrain), val: mse(d.xVal, d.yVal) };
}

function featurizer(p: Params): (x: number) => number[] {
  if (p.basis === "poly") {
    const degree = Number(p.degree);
    return (x) => Array.from({ length: degree + 1 }, (_, k) => x ** k);
  }
  const n = Number(p.centers);
  const width = Number(p.width);
  const centers = Array.from({ length: n }, (_, k) => -1 + (2 * k) / (n - 1));
  return (x) => [1, ...centers.map((c) => Math.exp(-((x - c) ** 2) / (2 * width * width)))];
}

/** Solves (XᵀX + λI) w = Xᵀy by Cholesky (the matrix is positive definite for λ > 0). */
function ridge(X: number[][], y: number[], lambda: number): number[] {
  const m = X[0]!.length;
  const A = Array.from({ length: m }, (_, i) =>
    Array.from({ length: m }, (_, j) => X.reduce((s, r) => s + r[i]! * r[j]!, 0) + (i === j ? lambda : 0)),
  );
  const b = Array.from({ length: m }, (_, i) => X.reduce((s, r, k) => s + r[i]! * y[k]!, 0));
  const L = A.map(() => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error("ill-conditioned system");
        L[i]![i] = Math.sqrt(s);
      } else L[i]![j] = s / L[j]![j]!;
    }
  }
  const z = new Array<number>(m).fill(0);
  for (let i = 0; i < m; i++) z[i] = (b[i]! - L[i]!.slice(0, i).reduce((s, l, k) => s + l * z[k]!, 0)) / L[i]![i]!;
  const w = new Array<number>(m).fill(0);
  for (let i = m - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < m; k++) s -= L[k]![i]! * w[k]!;
    w[i] = s / L[i]![i]!;
  }
  return w;
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      address: { type: "string", default: process.env.PARZEN_ADDRESS ?? "127.0.0.1:50051" },
      trials: { type: "string", default: "30" },
      experiment: { type: "string", default: "ridge-example" },
    },
  });
  main({ address: values.address, trials: Number(values.trials), experiment: values.experiment }).catch(
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
