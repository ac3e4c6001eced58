/**
 * Suggest+Report cycle latency over real gRPC, one worker, TPE in a 6-D
 * space with N imported trials: a quick before/after check for changes on
 * the Suggest path (the full comparison with Optuna is bench/latency.py).
 *
 *   npx tsx bench/cycle-latency.ts [N=1000] [cycles=300]
 */
import type { TrialImport } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { createRng } from "../src/math/rng.js";
import { num, uniform } from "../test/integration/fixtures.js";
import { startTestServer } from "../test/integration/harness.js";

const n = Number(process.argv[2] ?? 1000);
const cycles = Number(process.argv[3] ?? 300);
const ts = await startTestServer();
const space = { parameters: Array.from({ length: 6 }, (_, i) => uniform(`x${i}`, 0, 1)) };
await ts.api.createExperiment({ experiment: { name: "cycle", space, seed: 1 } });
const rng = createRng(5);
const lossOf = (xs: number[]) => xs.reduce((s, x) => s + (x - 0.3) ** 2, 0);
const trials: Partial<TrialImport>[] = Array.from({ length: n }, () => {
  const xs = Array.from({ length: 6 }, () => rng.uniform());
  return { params: Object.fromEntries(xs.map((x, i) => [`x${i}`, num(x)])), loss: lossOf(xs) };
});
await ts.api.addTrials({ experiment: "cycle", trials });
const times: number[] = [];
for (let i = 0; i < cycles + 20; i++) {
  const t0 = performance.now();
  const {
    trials: [t],
  } = await ts.api.suggest({ experiment: "cycle", requestId: `c${i}` });
  const xs = Object.values(t!.params).map((v) => v.kind!.value as number);
  await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: lossOf(xs) });
  if (i >= 20) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
console.log(`N=${n} cycles=${cycles}: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms`);
await ts.close();
