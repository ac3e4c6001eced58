/**
 * In-process cost of one TPE suggestion, single- against bi-objective, over a
 * growing history of N trials (6-D): where the bi-objective's extra time goes.
 * Bench-only.   npx tsx bench/mo-cost.ts [N] [suggestions]
 */
import { TpeSession } from "../src/algorithms/tpe/sampler.js";
import { parseTpeOptions } from "../src/algorithms/tpe/options.js";
import type { Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";

const n = Number(process.argv[2] ?? 1000);
const count = Number(process.argv[3] ?? 300);
const space = compileSpace({
  parameters: Array.from({ length: 6 }, (_, i) => ({
    name: `x${i}`,
    domain: { $case: "uniform" as const, value: { low: 0, high: 1, log: false } },
  })),
});

function run(objectives: 1 | 2): number[] {
  const rng = createRng(3);
  const session = new TpeSession(space, parseTpeOptions({}));
  const history: Observation[] = [];
  const add = (number: number, config: Float64Array) => {
    const f1 = config.reduce((s, x) => s + x * x, 0);
    const f2 = config.reduce((s, x) => s + (x - 1) ** 2, 0);
    history.push({
      number,
      config,
      state: "complete",
      loss: f1,
      lastStep: undefined,
      ...(objectives === 2 ? { values: Float64Array.of(f1, f2) } : {}),
    });
  };
  for (let i = 0; i < n; i++)
    add(
      i,
      Float64Array.from({ length: 6 }, () => rng.uniform()),
    );
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let k = 0; k < count; k++) {
    const t0 = performance.now();
    const c = session.suggest(history, createRng(1, n + k), { seed: 1, trialNumber: n + k });
    ms.push(performance.now() - t0);
    add(n + k, Float64Array.from(c));
  }
  const cpu = process.cpuUsage(cpu0);
  cpuMs = (cpu.user + cpu.system) / 1000 / count;
  return ms.slice(20).sort((a, b) => a - b);
}
// CPU time per suggestion (the whole loop, history updates included): steadier than wall time on a busy machine.
let cpuMs = 0;
for (const o of [1, 2, 1, 2] as const) {
  const ms = run(o);
  console.log(
    `${o} objective(s), N=${n}: p50 ${ms[ms.length >> 1]!.toFixed(3)} ms, p90 ${ms[Math.floor(ms.length * 0.9)]!.toFixed(3)} ms, CPU ${cpuMs.toFixed(3)} ms per suggestion`,
  );
}
