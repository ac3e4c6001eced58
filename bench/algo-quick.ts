/**
 * In-process quality of Parzen's algorithms on the continuous problems of
 * bench/continuous.ts: best value after `budget` trials per seed, as JSON
 * lines for bench/algo-compare.py (which runs Optuna's samplers on the same
 * problems and writes the table).
 *
 *   npx tsx bench/algo-quick.ts ALGORITHM PROBLEM[,PROBLEM...] BUDGET SEEDS [--first SEED] [--label NAME]
 *                               [--set key=value ...]
 *   e.g. npx tsx bench/algo-quick.ts cmaes ellipsoid10,rosenbrock20 1000 5
 * --first: seeds SEED, SEED+1, ... (held-out seeds); --label: the sampler's name in the output (variants).
 */
import { algorithmNamed } from "../src/algorithms/registry.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { continuousProblem } from "./continuous.js";
import { parseScalar, regretTrace } from "./in-process.js";

const [algorithm, problems, budgetText, seedsText, ...rest] = process.argv.slice(2);
if (algorithm === undefined || problems === undefined) {
  console.error("usage: algo-quick.ts ALGORITHM PROBLEMS BUDGET SEEDS [--set key=value ...]");
  process.exit(2);
}
const options: Record<string, Scalar> = {};
let firstSeed = 0;
let label = `parzen_${algorithm}`;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === "--set") {
    const [k, v] = rest[++i]!.split("=") as [string, string];
    options[k] = parseScalar(v);
  } else if (rest[i] === "--first") firstSeed = Number(rest[++i]);
  else if (rest[i] === "--label") label = rest[++i]!;
}
const budget = Number(budgetText ?? 1000);
const seeds = Number(seedsText ?? 5);
const algo = algorithmNamed(algorithm);
for (const name of problems.split(",")) {
  const p = continuousProblem(name, budget);
  const space = compileSpace(p.space);
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const t0 = performance.now();
    const trace = regretTrace(algo.open(space, algo.parseOptions(options)), space, p, seed, budget);
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ sampler: label, problem: name, seed, best: trace[trace.length - 1], seconds }));
  }
}
