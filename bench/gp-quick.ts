/**
 * Quick evaluation of the pure GP algorithm (no server): median simple
 * regret on problems of bench/problems.ts (default Branin and Hartmann6)
 * over a few seeds at 25/50/100% of the budget, and per-suggest timings from
 * 100/200/500/1000 random completed trials in a 10-D box (each timed suggestion
 * is then reported, so refits happen on their schedule: max ≈ a refit).
 *
 *   npx tsx bench/gp-quick.ts [--seeds 5] [--budget 100] [--problems branin,hartmann6]
 *                             [--seed-list 0,4,7] [--set key=value ...] [--timing-only] [--quality-only]
 *                             [--json out.json]   (per-seed regret traces, for paired comparisons)
 */
import { writeFileSync } from "node:fs";
import { gpAlgorithm } from "../src/algorithms/gp/sampler.js";
import { createSharedMemos } from "../src/algorithms/shared-memos.js";
import type { Observation } from "../src/algorithms/types.js";
import { inverseFromCholesky } from "../src/math/linalg.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import { samplePrior } from "../src/space/prior.js";
import type { Scalar } from "../src/space/types.js";
import { median, parseScalar, quantile, regretTrace } from "./in-process.js";
import { PROBLEMS, type Problem } from "./problems.js";

const fmt = (v: number): string => v.toExponential(2);

/** Best true regret after each trial, and the run's wall time. */
function run(
  p: Problem,
  seed: number,
  budget: number,
  options: Record<string, Scalar>,
): { trace: number[]; ms: number } {
  const space = compileSpace(p.space);
  const session = gpAlgorithm.open(space, gpAlgorithm.parseOptions(options));
  const t0 = performance.now();
  const trace = regretTrace(session, space, p, seed, budget);
  return { trace, ms: performance.now() - t0 };
}

type Traces = Record<string, Record<number, number[]>>;

function quality(
  names: string[],
  seeds: number[],
  budgetOverride: number | undefined,
  options: Record<string, Scalar>,
): Traces {
  const traces: Traces = {};
  for (const name of names) {
    const p = PROBLEMS.find((q) => q.name === name);
    if (p === undefined) throw new Error(`unknown problem ${name}`);
    const budget = budgetOverride ?? p.budget;
    const checkpoints = [...new Set([Math.round(budget / 4), Math.round(budget / 2), budget])];
    const per: number[][] = checkpoints.map(() => []);
    let ms = 0;
    for (const s of seeds) {
      const r = run(p, s, budget, options);
      traces[name] ??= {};
      traces[name][s] = r.trace;
      checkpoints.forEach((c, i) => {
        per[i]!.push(r.trace[c - 1]!);
      });
      ms += r.ms;
    }
    const cols = checkpoints
      .map(
        (c, i) => `@${c}: ${fmt(median(per[i]!))} [${fmt(quantile(per[i]!, 0.25))}, ${fmt(quantile(per[i]!, 0.75))}]`,
      )
      .join("  ");
    const finals = per[per.length - 1]!.map((v) => v.toExponential(1)).join(" ");
    console.log(
      `${name.padEnd(18)} median regret ${cols}   (final per seed: ${finals}; ${(ms / seeds.length / budget).toFixed(1)} ms/suggest avg)`,
    );
  }
  return traces;
}

/**
 * Milliseconds (best of 3) for the GP's own inverse of an n = 500 Cholesky
 * factor (src/math/linalg.ts): printed as an indicator of how loaded the
 * machine was, to compare runs; not calibrated against an idle machine.
 */
function yardstick(): number {
  const n = 500;
  // A well-conditioned fixed lower-triangular factor.
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) L[i * n + j] = ((i * 7919 + j) % 1000) / 1000 / n;
    L[i * n + i] = 1 + (i % 7) / 10;
  }
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    const inv = inverseFromCholesky(L, n);
    if (inv[0]! > 0) best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function timing(): void {
  const y = yardstick();
  console.log(`load yardstick ${y.toFixed(1)} ms (lower = less loaded; compare between runs)`);
  const space = compileSpace({
    parameters: Array.from({ length: 10 }, (_, i) => ({
      name: `x${i}`,
      domain: { $case: "uniform" as const, value: { low: 0, high: 1 } },
    })),
  });
  const f = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < 10; i++) s += (x[i]! - 0.3) ** 2 + 0.1 * Math.sin(7 * x[i]!);
    return s;
  };
  const options = gpAlgorithm.parseOptions({});
  // As on the service's worker thread: a session per suggestion, the fit memo kept by the thread.
  const memos = createSharedMemos();
  const ns = (process.env.GP_TIMING_NS ?? "100,200,500,1000").split(",").map(Number);
  for (const n of ns) {
    const rng = createRng(42, n);
    const history: Observation[] = [];
    for (let t = 0; t < n; t++) {
      const config = samplePrior(space, rng);
      history.push({ number: t, config, state: "complete", loss: f(config), lastStep: undefined });
    }
    const times: number[] = [];
    const cpu: number[] = [];
    const reps = n >= 1000 ? 6 : n >= 500 ? 12 : 20;
    for (let r = 0; r < reps + 1; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const config = gpAlgorithm.open(space, options, memos).suggest(history, createRng(7, n + r));
      const c1 = process.cpuUsage(c0);
      // Suggest + report, as a real run does: the fit schedule refits every few trials.
      history.push({ number: history.length, config, state: "complete", loss: f(config), lastStep: undefined });
      if (r === 0) continue; // the first call warms the JIT
      times.push(performance.now() - t0);
      cpu.push((c1.user + c1.system) / 1000);
    }
    // CPU time is shown beside wall time: on a shared machine it is the better guide to unloaded latency.
    console.log(
      `10-D, ${n} complete trials: suggest wall p50 ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)}), cpu p50 ${median(cpu).toFixed(1)} ms`,
    );
  }
}

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const set: Record<string, Scalar> = {};
args.forEach((a, i) => {
  if (a !== "--set") return;
  const [k, raw] = (args[i + 1] ?? "").split("=") as [string, string];
  set[k] = parseScalar(raw);
});
if (!args.includes("--quality-only")) timing();
if (!args.includes("--timing-only")) {
  const budget = arg("--budget");
  const seedList = arg("--seed-list");
  const seeds =
    seedList !== undefined
      ? seedList.split(",").map(Number)
      : Array.from({ length: Number(arg("--seeds") ?? 5) }, (_, i) => i);
  const traces = quality(
    (arg("--problems") ?? "branin,hartmann6").split(","),
    seeds,
    budget === undefined ? undefined : Number(budget),
    set,
  );
  const json = arg("--json");
  if (json !== undefined) writeFileSync(json, JSON.stringify(traces));
}
