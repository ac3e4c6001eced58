/**
 * Quick in-process look at the deceptive and rugged problems (issue 21) for
 * Parzen's algorithms alone: success rate (best regret below the problem's
 * threshold within its budget) and the median best regret [quartiles]. The
 * side-by-side comparison with Optuna and hyperopt is `BENCH_STAGES=deceptive
 * npm run bench`.
 *
 *   npx tsx bench/deceptive-quick.ts [--seeds 20] [--first-seed 0] [--problems deceptive1d]
 *                                  [--algo tpe,random] [--set key=value ...]
 */
import { algorithmNamed } from "../src/algorithms/registry.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { parseScalar, quantile, regretTrace } from "./in-process.js";
import { DECEPTIVE } from "./problems.js";

function main(): void {
  const argv = process.argv.slice(2);
  let seeds = 20;
  let firstSeed = 0;
  let problems: string[] | undefined;
  let algos = ["tpe"];
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
  const fmt = (x: number): string => (x === 0 ? "0" : x.toPrecision(3));
  console.log(`seeds ${firstSeed}..${firstSeed + seeds - 1}; options ${JSON.stringify(set)}`);
  console.log(["problem", "budget", ...algos.flatMap((a) => [`${a} success`, `${a} median [q1, q3]`])].join("\t"));
  for (const p of DECEPTIVE) {
    if (problems && !problems.includes(p.name)) continue;
    const cells = [p.name, String(p.budget)];
    for (const algo of algos) {
      const space = compileSpace(p.space);
      const algorithm = algorithmNamed(algo);
      const finals = Array.from({ length: seeds }, (_, s) => {
        const session = algorithm.open(space, algorithm.parseOptions(algo === "random" ? {} : set));
        return regretTrace(session, space, p, firstSeed + s, p.budget)[p.budget - 1]!;
      });
      const ok = finals.filter((r) => r < p.success).length;
      cells.push(
        `${ok}/${seeds}`,
        `${fmt(quantile(finals, 0.5))} [${fmt(quantile(finals, 0.25))}, ${fmt(quantile(finals, 0.75))}]`,
      );
    }
    console.log(cells.join("\t"));
  }
}

main();
