/**
 * Per-suggestion time of `cmaes` after N trials (in process, the session the
 * server keeps): p50/max over 50 suggestions at each N, for 10- and 40-D.
 *   npx tsx bench/cmaes-speed.ts [N ...] [--set key=value ...]   (default 1000 10000)
 */
import { cmaes } from "../src/algorithms/cmaes/index.js";
import type { Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { median, parseScalar } from "./in-process.js";

const args = process.argv.slice(2);
const options: Record<string, Scalar> = {};
const ns: number[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--set") {
    const [k, v] = args[++i]!.split("=") as [string, string];
    options[k] = parseScalar(v);
  } else ns.push(Number(args[i]));
}
for (const d of [10, 40]) {
  const space = compileSpace({
    parameters: Array.from({ length: d }, (_, i) => ({
      name: `x${i}`,
      domain: { $case: "uniform" as const, value: { low: -5, high: 5 } },
    })),
  });
  const f = (c: Float64Array) => c.reduce((s, t, i) => s + (i + 1) * (t - 1) ** 2, 0);
  const session = cmaes.open(space, cmaes.parseOptions(options));
  const history: Observation[] = [];
  const ask = (t: number) => session.suggest(history, createRng(1, t), { seed: 1, trialNumber: t });
  for (const n of ns.length > 0 ? ns : [1000, 10000]) {
    while (history.length < n) {
      const t = history.length;
      const config = ask(t);
      history.push({ number: t, config, state: "complete", loss: f(config), lastStep: undefined });
    }
    const times: number[] = [];
    for (let r = 0; r < 50; r++) {
      const t = history.length;
      const t0 = performance.now();
      const config = ask(t);
      times.push(performance.now() - t0);
      history.push({ number: t, config, state: "complete", loss: f(config), lastStep: undefined });
    }
    console.log(
      `${d}-D, N = ${n}: suggest p50 ${median(times).toFixed(3)} ms, max ${Math.max(...times).toFixed(2)} ms`,
    );
  }
}

// A fresh session (a restarted server) replays the whole history once.
for (const d of [10, 40]) {
  const space = compileSpace({
    parameters: Array.from({ length: d }, (_, i) => ({
      name: `x${i}`,
      domain: { $case: "uniform" as const, value: { low: -5, high: 5 } },
    })),
  });
  const f = (c: Float64Array) => c.reduce((s, t, i) => s + (i + 1) * (t - 1) ** 2, 0);
  const live = cmaes.open(space, cmaes.parseOptions(options));
  const history: Observation[] = [];
  const n = ns.length > 0 ? ns[ns.length - 1]! : 10000;
  for (let t = 0; t < n; t++) {
    const config = live.suggest(history, createRng(1, t), { seed: 1, trialNumber: t });
    history.push({ number: t, config, state: "complete", loss: f(config), lastStep: undefined });
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  cmaes.open(space, cmaes.parseOptions(options)).suggest(history, createRng(1, n), { seed: 1, trialNumber: n });
  const cpu = process.cpuUsage(cpu0).user / 1000;
  console.log(
    `${d}-D, N = ${n}: first suggestion of a fresh session (full replay) ${(performance.now() - t0).toFixed(0)} ms, ` +
      `${cpu.toFixed(0)} ms CPU`,
  );
}
