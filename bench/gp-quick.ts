/**
 * Quick evaluation of the pure GP algorithm (no server): median simple
 * regret on Branin and Hartmann6 over a few seeds, and per-suggest timings
 * with 100/200/500 random completed trials in 10-D.
 *
 *   npx tsx bench/gp-quick.ts [--seeds 5] [--budget 100] [--timing-only] [--quality-only]
 */
import { gpAlgorithm } from "../src/algorithms/gp/sampler.js";
import type { Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import { samplePrior } from "../src/space/prior.js";
import type { Space } from "../src/space/types.js";

interface Problem {
  name: string;
  space: Space;
  f: (x: Float64Array) => number;
  optimum: number;
}

function uniformSpace(bounds: [number, number][]): Space {
  return compileSpace({
    parameters: bounds.map(([low, high], i) => ({ name: `x${i}`, domain: { $case: "uniform", value: { low, high } } })),
  });
}

const branin: Problem = {
  name: "branin",
  space: uniformSpace([[-5, 10], [0, 15]]),
  optimum: 0.397887,
  f: (x) => {
    const [x1, x2] = [x[0]!, x[1]!];
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
  },
};

const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const hartmann6: Problem = {
  name: "hartmann6",
  space: uniformSpace(Array.from({ length: 6 }, () => [0, 1] as [number, number])),
  optimum: -3.32237,
  f: (x) => {
    let s = 0;
    for (let i = 0; i < 4; i++) {
      let e = 0;
      for (let j = 0; j < 6; j++) e += H_A[i]![j]! * (x[j]! - H_P[i]![j]! * 1e-4) ** 2;
      s += H_ALPHA[i]! * Math.exp(-e);
    }
    return -s;
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function run(p: Problem, seed: number, budget: number, checkpoints: number[]): { regrets: number[]; ms: number } {
  const options = gpAlgorithm.parseOptions({});
  const history: Observation[] = [];
  let best = Infinity;
  const regrets: number[] = [];
  const t0 = performance.now();
  for (let t = 0; t < budget; t++) {
    const config = gpAlgorithm.suggest({ space: p.space, history, rng: createRng(seed, t), options });
    const loss = p.f(config);
    best = Math.min(best, loss);
    history.push({ number: t, config, state: "complete", loss, lastStep: undefined });
    if (checkpoints.includes(t + 1)) regrets.push(best - p.optimum);
  }
  return { regrets, ms: performance.now() - t0 };
}

function quality(seeds: number, budget: number): void {
  const checkpoints = [25, 50, budget].filter((c, i, a) => c <= budget && a.indexOf(c) === i);
  for (const p of [branin, hartmann6]) {
    const per: number[][] = checkpoints.map(() => []);
    let ms = 0;
    for (let s = 0; s < seeds; s++) {
      const r = run(p, s, budget, checkpoints);
      r.regrets.forEach((v, i) => per[i]!.push(v));
      ms += r.ms;
    }
    const cols = checkpoints.map((c, i) => `@${c}: ${median(per[i]!).toExponential(2)}`).join("  ");
    const finals = per[per.length - 1]!.map((v) => v.toExponential(1)).join(" ");
    console.log(`${p.name.padEnd(10)} median regret ${cols}   (final per seed: ${finals}; ${(ms / seeds / budget).toFixed(1)} ms/suggest avg)`);
  }
}

/**
 * Milliseconds for a fixed 2.1e7 multiply-add loop (the shape of an n = 500
 * Cholesky): a yardstick for how loaded the machine is. About 20 ms on an
 * idle core of the reference 2-core machine.
 */
function yardstick(): number {
  const n = 500;
  const U = new Float64Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000);
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    let tot = 0;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let j = i; j < n; j++) {
        const rj = j * n;
        let s = 0;
        for (let k = j; k < n; k++) s += U[ri + k]! * U[rj + k]!;
        tot += s;
      }
    }
    if (tot > 0) best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function timing(): void {
  const y = yardstick();
  console.log(`yardstick ${y.toFixed(1)} ms (≈20 when idle; scale timings by 20/${y.toFixed(0)} for an idle estimate)`);
  const space = uniformSpace(Array.from({ length: 10 }, () => [0, 1] as [number, number]));
  const f = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < 10; i++) s += (x[i]! - 0.3) ** 2 + 0.1 * Math.sin(7 * x[i]!);
    return s;
  };
  const options = gpAlgorithm.parseOptions({});
  for (const n of [100, 200, 500]) {
    const rng = createRng(42, n);
    const history: Observation[] = [];
    for (let t = 0; t < n; t++) {
      const config = samplePrior(space, rng);
      history.push({ number: t, config, state: "complete", loss: f(config), lastStep: undefined });
    }
    const times: number[] = [];
    const cpu: number[] = [];
    const reps = n >= 500 ? 5 : 10;
    for (let r = 0; r < reps + 1; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      gpAlgorithm.suggest({ space, history, rng: createRng(7, n + r), options });
      const c1 = process.cpuUsage(c0);
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
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
if (!args.includes("--quality-only")) timing();
if (!args.includes("--timing-only")) quality(arg("--seeds", 5), arg("--budget", 100));
