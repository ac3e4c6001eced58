/**
 * The `auto` stage of issue 21, in process (no server): each algorithm named
 * runs every protocol problem of bench/problems.ts for its budget, one
 * sequential run per seed, seeded as the server seeds an experiment's trials.
 * Writes one JSON line per run (final regret, regret at 25/50% of the budget,
 * and for `auto` the proposers' trial counts); bench/auto-report.ts turns
 * them into the table of bench/RESULTS.md.
 *
 *   npx tsx bench/auto-quick.ts --algos tpe,gp,cmaes,auto [--seeds 20] [--first-seed 0] [--problems branin,mixed]
 *                               [--set key=value ...] [--label auto-variant]   (options of `auto`)
 */
import { algorithmNamed } from "../src/algorithms/registry.js";
import type { AlgorithmSession } from "../src/algorithms/types.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { parseScalar, regretTrace } from "./in-process.js";
import { PROBLEMS } from "./problems.js";

let algos = ["tpe", "gp", "cmaes", "auto"];
let seeds = 20;
let firstSeed = 0;
let problems = PROBLEMS.map((p) => p.name);
let label = "auto";
const set: Record<string, Scalar> = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const next = (): string => argv[++i] ?? "";
  if (argv[i] === "--algos") algos = next().split(",");
  else if (argv[i] === "--seeds") seeds = Number(next());
  else if (argv[i] === "--first-seed") firstSeed = Number(next());
  else if (argv[i] === "--problems") problems = next().split(",");
  else if (argv[i] === "--label") label = next();
  else if (argv[i] === "--set") {
    const [k, raw] = next().split("=") as [string, string];
    set[k] = parseScalar(raw);
  }
}

for (const algo of algos) {
  for (const name of problems) {
    const p = PROBLEMS.find((q) => q.name === name);
    if (p === undefined) throw new Error(`unknown problem ${name}`);
    const space = compileSpace(p.space);
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      let session: AlgorithmSession;
      let auto: { proposerCounts(): Record<string, number> } | undefined;
      if (algo === "auto") {
        // The experiment's settings the rule reads: the budget, one objective.
        const { AutoSession } = await import("../src/algorithms/auto/session.js");
        const s = new AutoSession(space, { objectives: 1 }, algorithmNamed("auto").parseOptions(set) as never);
        auto = s;
        session = s;
      } else {
        const a = algorithmNamed(algo);
        session = a.open(space, a.parseOptions({}));
      }
      const t0 = performance.now();
      const trace = regretTrace(session, space, p, seed, p.budget);
      const seconds = (performance.now() - t0) / 1000;
      const at = (f: number): number => trace[Math.round(p.budget * f) - 1]!;
      console.log(
        JSON.stringify({
          algo: algo === "auto" ? label : algo,
          problem: name,
          seed,
          regret: trace[trace.length - 1],
          at25: at(0.25),
          at50: at(0.5),
          seconds,
          proposers: auto?.proposerCounts(),
        }),
      );
    }
  }
}
