/**
 * The table of the `auto` stage from bench/auto-quick.ts's JSON lines: per
 * protocol problem, each algorithm's median regret [25th, 75th percentile]
 * at the budget, the best single algorithm (lowest median), and whether
 * auto's median lies within that algorithm's interquartile range (the issue's
 * target). A run repeated (same algorithm, problem and seed) counts once.
 *
 *   npx tsx bench/auto-report.ts FILE.jsonl [FILE.jsonl ...]
 */
import { readFileSync } from "node:fs";
import { median, quantile } from "./in-process.js";
import { PROBLEMS } from "./problems.js";

interface Run {
  algo: string;
  problem: string;
  seed: number;
  regret: number;
  proposers?: Record<string, number>;
}

const runs = new Map<string, Run>();
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line) as Run;
    runs.set(`${r.algo}/${r.problem}/${r.seed}`, r);
  }
}
const fmt = (v: number): string =>
  v === 0 ? "0" : Math.abs(v) >= 0.01 && Math.abs(v) < 1e4 ? v.toPrecision(3) : v.toExponential(2);
const singles = ["tpe", "gp", "cmaes"];
console.log("| problem (budget) | seeds | tpe | gp | cmaes | auto | auto's proposers | best single | target |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const p of PROBLEMS) {
  const of = (algo: string) => [...runs.values()].filter((r) => r.algo === algo && r.problem === p.name);
  const stats = (algo: string) => {
    const xs = of(algo).map((r) => r.regret);
    return xs.length === 0
      ? undefined
      : { n: xs.length, med: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) };
  };
  const cell = (algo: string) => {
    const s = stats(algo);
    return s === undefined ? "-" : `${fmt(s.med)} [${fmt(s.q1)}, ${fmt(s.q3)}]`;
  };
  const best = singles.filter((a) => stats(a) !== undefined).reduce((a, b) => (stats(b)!.med < stats(a)!.med ? b : a));
  const auto = stats("auto");
  const b = stats(best)!;
  const proposers = new Map<string, number>();
  for (const r of of("auto"))
    for (const [k, v] of Object.entries(r.proposers ?? {})) proposers.set(k, (proposers.get(k) ?? 0) + v);
  const seeds = [...new Set(singles.concat("auto").map((a) => of(a).length))].join("/");
  const met = auto === undefined ? "-" : auto.med >= b.q1 && auto.med <= b.q3 ? "met" : "NOT met";
  console.log(
    `| ${p.name} (${p.budget}) | ${seeds} | ${cell("tpe")} | ${cell("gp")} | ${cell("cmaes")} | ${cell("auto")} | ${[...proposers].map(([k, v]) => `${k} ${v}`).join(", ")} | ${best} | ${met} |`,
  );
}
