/**
 * Quick in-process evaluation of the pure TPE algorithm (no server): runs
 * each problem of bench/problems.ts for its budget over several seeds and
 * prints the median simple regret at 25%, 50% and 100% of the budget, next
 * to random search. For tuning defaults; the real comparison against Optuna
 * and hyperopt is `npm run bench`.
 *
 *   npx tsx bench/tpe-quick.ts [--seeds 10] [--first-seed 0] [--problems branin,mixed]
 *                              [--algo tpe|random] [--set key=value ...]
 */
import { algorithmNamed } from "../src/algorithms/registry.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { median, parseScalar, regretTrace } from "./in-process.js";
import { PROBLEMS, type Problem } from "./problems.js";

/** Best true regret after each trial of one run. */
export function runOnce(problem: Problem, algo: string, options: Record<string, Scalar>, seed: number): number[] {
  const space = compileSpace(problem.space);
  const algorithm = algorithmNamed(algo);
  return regretTrace(algorithm.open(space, algorithm.parseOptions(options)), space, problem, seed, problem.budget);
}

function parseArgs(argv: string[]): {
  seeds: number;
  firstSeed: number;
  problems: string[] | undefined;
  algos: string[];
  set: Record<string, Scalar>;
} {
  let seeds = 10;
  let firstSeed = 0;
  let problems: string[] | undefined;
  let algos = ["random", "tpe"];
  const set: Record<string, Scalar> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => argv[++i] ?? "";
    if (a === "--seeds") seeds = Number(next());
    else if (a === "--first-seed") firstSeed = Number(next());
    else if (a === "--problems") problems = next().split(",");
    else if (a === "--algo") algos = next().split(",");
    else if (a === "--set") {
      const [k, raw] = next().split("=") as [string, string];
      set[k] = parseScalar(raw);
    }
  }
  return { seeds, firstSeed, problems, algos, set };
}

function main(): void {
  const { seeds, firstSeed, problems, algos, set } = parseArgs(process.argv.slice(2));
  const fmt = (x: number): string => (x === 0 ? "0" : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
  console.log(
    `seeds ${firstSeed}..${firstSeed + seeds - 1}; options ${JSON.stringify(Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v.value])))}`,
  );
  console.log(["problem", "budget", ...algos.flatMap((a) => [`${a}@25%`, `${a}@50%`, `${a}@100%`])].join("\t"));
  const logRatios: number[] = [];
  const solved: string[] = [];
  for (const p of PROBLEMS) {
    if (problems && !problems.includes(p.name)) continue;
    const cells: string[] = [p.name, String(p.budget)];
    const finals: number[] = [];
    for (const algo of algos) {
      const traces = Array.from({ length: seeds }, (_, s) =>
        runOnce(p, algo, algo === "random" ? {} : set, firstSeed + s),
      );
      for (const frac of [0.25, 0.5, 1]) {
        const at = Math.max(1, Math.round(p.budget * frac)) - 1;
        cells.push(fmt(median(traces.map((t) => t[at]!))));
      }
      finals.push(median(traces.map((t) => t[p.budget - 1]!)));
    }
    // A median regret of exactly 0 (optimum found) has no meaningful ratio: counted apart.
    if (algos[0] === "random" && finals.length > 1 && finals[0]! > 0) {
      if (finals[1]! > 0) logRatios.push(Math.log(finals[1]! / finals[0]!));
      else solved.push(p.name);
    }
    console.log(cells.join("\t"));
  }
  if (logRatios.length > 0) {
    const gm = Math.exp(logRatios.reduce((a, b) => a + b, 0) / logRatios.length).toFixed(3);
    const note =
      solved.length > 0 ? ` (over ${logRatios.length} problems; median regret 0 on ${solved.join(", ")})` : "";
    console.log(`geometric-mean regret ratio ${algos[1]}/random: ${gm}${note}`);
  }
}

main();
