/**
 * Issue 15's StreamTrials attack, replayed: `parzen serve` (a child process)
 * with a 100,000-trial experiment, 200 StreamTrials calls the client never
 * reads, and for 30 s a health check every 50 ms and a Suggest every 200 ms
 * from another connection. Prints the server's peak RSS (VmHWM), health
 * latency p99 and max, Suggest errors, and whether the cancelled streams
 * let the server go back to idle. `npx tsx bench/unread-streams.ts`
 */
import { credentials } from "@grpc/grpc-js";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HealthClient, promisify } from "../test/integration/harness.js";

const TRIALS = Number(process.env.TRIALS ?? 100_000);
const STREAMS = Number(process.env.STREAMS ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 30);

const dir = mkdtempSync(join(tmpdir(), "parzen-unread-"));
const child = spawn(
  process.execPath,
  [
    ...(process.env.PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROF}`] : []),
    "--import",
    "tsx",
    "src/cli/main.ts",
    "serve",
    "--db",
    join(dir, "p.db"),
    "--listen",
    "127.0.0.1:0",
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const address = await new Promise<string>((ok) => {
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    const m = /"address":"([^"]+)"/.exec(out);
    if (m) ok(m[1]!);
  });
});
const vm = (key: string) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) / 1024;

const admin = new OptimizerServiceClient(address, credentials.createInsecure());
const api = promisify(admin);
await api.createExperiment({
  experiment: {
    name: "big",
    space: { parameters: [{ name: "x", domain: { $case: "uniform", value: { low: 0, high: 1 } } }] },
    algorithm: { name: "random" },
  },
});
for (let from = 0; from < TRIALS; from += 10_000) {
  const trials = Array.from({ length: Math.min(10_000, TRIALS - from) }, (_, i) => ({
    params: { x: { kind: { $case: "doubleValue" as const, value: (from + i) / TRIALS } } },
    loss: from + i,
  }));
  await api.addTrials({ experiment: "big", trials });
}
const before = vm("VmRSS");

const reader = new OptimizerServiceClient(address, credentials.createInsecure());
const streams = Array.from({ length: STREAMS }, () => {
  const call = reader.streamTrials({ experiment: "big", states: [] });
  call.on("error", () => {});
  return call;
});

const health = new HealthClient(address, credentials.createInsecure());
const latencies: number[] = [];
const series: [number, number][] = [];
const t00 = performance.now();
let suggestErrors = 0;
let suggests = 0;
const end = Date.now() + SECONDS * 1000;
/** The server's CPU seconds so far (user + system). */
const cpu = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
let cpuHalf = 0;
setTimeout(
  () => {
    cpuHalf = cpu();
  },
  (SECONDS * 1000) / 2,
).unref();
const probe = (async () => {
  while (Date.now() < end) {
    const t0 = performance.now();
    await new Promise<void>((ok) => health.check({ service: "" }, () => ok()));
    latencies.push(performance.now() - t0);
    series.push([Math.round(t0 - t00), Math.round(performance.now() - t0)]);
    await new Promise((r) => setTimeout(r, 50));
  }
})();
const work = (async () => {
  while (Date.now() < end) {
    try {
      const [t] = (await api.suggest({ experiment: "big", workerId: "bench" })).trials;
      await api.report({ trialId: t!.id, status: 1, loss: 0 });
      suggests++;
    } catch {
      suggestErrors++;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
})();
await Promise.all([probe, work]);
const cpuSecondHalf = cpu() - cpuHalf;
for (const s of streams) s.cancel();
latencies.sort((a, b) => a - b);
if (process.env.SERIES) console.log(JSON.stringify(series.filter(([, l]) => l > 50)));
const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
console.log(
  JSON.stringify({
    trials: TRIALS,
    streams: STREAMS,
    seconds: SECONDS,
    rssBeforeMB: Math.round(before),
    peakRssMB: Math.round(vm("VmHWM")),
    healthChecks: latencies.length,
    healthP99Ms: Number(p99.toFixed(1)),
    healthMaxMs: Number(latencies.at(-1)!.toFixed(1)),
    suggestReportCycles: suggests,
    suggestErrors,
    serverCpuShareSecondHalf: Number((cpuSecondHalf / (SECONDS / 2)).toFixed(2)),
  }),
);
admin.close();
reader.close();
health.close();
child.kill("SIGTERM");
await new Promise((r) => child.on("exit", r));
rmSync(dir, { recursive: true, force: true });
