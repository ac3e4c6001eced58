/**
 * What the Prometheus metrics cost a worker: Suggest+Report round trips
 * over real gRPC against a server with metrics on and one with
 * `--no-metrics`, side by side (rounds alternate between them, so machine
 * drift hits both alike), for random search (the cheapest suggestion, where
 * overhead shows most) and TPE. Prints a markdown table for
 * bench/RESULTS.md.
 *
 *   npx tsx bench/metrics-overhead.ts [cycles per round, default 500] [rounds, default 6]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import pino from "pino";
import { startParzen } from "../src/app.js";
import { Metrics } from "../src/metrics/metrics.js";
import { uniform } from "../test/integration/fixtures.js";
import { promisify } from "../test/integration/harness.js";

const cycles = Number(process.argv[2] ?? 500);
const rounds = Number(process.argv[3] ?? 6);
const dir = mkdtempSync(join(tmpdir(), "parzen-metrics-bench-"));

async function server(metrics: boolean) {
  const running = await startParzen({
    db: join(dir, `${metrics}.db`),
    listen: "127.0.0.1:0",
    http: "127.0.0.1:0",
    metrics,
    logger: pino({ level: "warn" }),
  });
  const api = promisify(new OptimizerServiceClient(running.address, credentials.createInsecure()));
  return { running, api };
}

const servers = { on: await server(true), off: await server(false) };
console.log(`| algorithm | metrics | Suggest+Report median (µs) | mean (µs) | cycles |`);
console.log("|---|---|---|---|---|");
for (const algorithm of ["random", "tpe"]) {
  const samples: Record<"on" | "off", number[]> = { on: [], off: [] };
  for (const [, s] of Object.entries(servers)) {
    await s.api.createExperiment({
      experiment: {
        name: algorithm,
        space: { parameters: Array.from({ length: 4 }, (_, i) => uniform(`x${i}`, 0, 1)) },
        algorithm: { name: algorithm, options: {} },
        seed: 1,
      },
    });
  }
  for (let r = 0; r < rounds; r++) {
    for (const which of (r % 2 === 0 ? ["on", "off"] : ["off", "on"]) as ("on" | "off")[]) {
      const { api } = servers[which];
      for (let i = 0; i < cycles; i++) {
        const t = performance.now();
        const [trial] = (await api.suggest({ experiment: algorithm, workerId: "w" })).trials;
        await api.report({ trialId: trial!.id, status: ReportStatus.REPORT_STATUS_OK, loss: Math.random() });
        samples[which].push((performance.now() - t) * 1000);
      }
    }
  }
  for (const which of ["on", "off"] as const) {
    const xs = [...samples[which]].sort((a, b) => a - b);
    const median = xs[Math.floor(xs.length / 2)]!;
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`| ${algorithm} | ${which} | ${median.toFixed(0)} | ${mean.toFixed(0)} | ${xs.length} |`);
  }
}
// The same cost measured directly: the metric updates one Suggest+Report cycle makes (two RPCs, a
// suggestion, a trial created and one finished, two commits), repeated in process. Immune to the noise of a
// shared machine, which the round trips above are not.
const m = new Metrics();
const reps = 200_000;
const t0 = performance.now();
for (let i = 0; i < reps; i++) {
  m.rpc("Suggest", "OK", 0.0004);
  m.suggestion("tpe", 0.0002);
  m.trial("running", undefined, false);
  m.commit(0.0001, 1);
  m.rpc("Report", "OK", 0.0003);
  m.trial("complete", "running", false);
  m.commit(0.0001, 1);
}
console.log(`\nmetric updates per Suggest+Report cycle: ${(((performance.now() - t0) * 1000) / reps).toFixed(2)} µs`);
await Promise.all([servers.on.running.stop(), servers.off.running.stop()]);
rmSync(dir, { recursive: true, force: true });
