/**
 * A lone worker's cycle, two calls against one trip (issue 16): Suggest then
 * Report, against Report with suggest_next (the report's answer carries the
 * next trial). One `parzen serve` in its own process (from source, as
 * `npm run parzen -- serve`), the TypeScript client's connection layer
 * over TCP on 127.0.0.1, TPE in a 6-D space with N imported trials. The two
 * forms run on two experiments with the same history and seed, in
 * alternating turns of 20 cycles, so they share the machine's conditions.
 * The two-call form keeps the server's prefetch (on by default), which
 * computes a lone worker's next suggestion while its Suggest is on the way.
 *
 *   nice -n 10 npx tsx bench/one-trip.ts [N=1000] [cycles=300]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { credentials } from "@grpc/grpc-js";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import { OptimizerServiceClient, ReportStatus, type TrialImport } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { createRng } from "../src/math/rng.js";
import { num, uniform } from "../test/integration/fixtures.js";
import { promisify } from "../test/integration/harness.js";

const n = Number(process.argv[2] ?? 1000);
const cycles = Number(process.argv[3] ?? 300);
const TURN = 20;
const WARMUP = 20;

const dir = mkdtempSync(join(tmpdir(), "parzen-one-trip-"));
const server = spawn(
  process.execPath,
  ["--import", "tsx", "src/cli/main.ts", "serve", "--db", join(dir, "bench.db"), "--listen", "127.0.0.1:0"],
  { cwd: resolve(import.meta.dirname, ".."), stdio: ["ignore", "pipe", "inherit"] },
);
const address = await new Promise<string>((ok, fail) => {
  let out = "";
  server.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (const line of out.split("\n")) {
      if (!line.includes('"msg":"listening"')) continue;
      ok((JSON.parse(line) as { address: string }).address);
    }
  });
  server.on("exit", (code) => fail(new Error(`server exited with ${code}`)));
});
const stub = new OptimizerServiceClient(address, credentials.createInsecure());
const api = promisify(stub);

const space = { parameters: Array.from({ length: 6 }, (_, i) => uniform(`x${i}`, 0, 1)) };
const rng = createRng(5);
const lossOf = (t: Trial) => Object.values(t.params).reduce((s, v) => s + ((v.kind!.value as number) - 0.3) ** 2, 0);
const history: Partial<TrialImport>[] = Array.from({ length: n }, () => {
  const xs = Array.from({ length: 6 }, () => rng.uniform());
  return {
    params: Object.fromEntries(xs.map((x, i) => [`x${i}`, num(x)])),
    loss: xs.reduce((s, x) => s + (x - 0.3) ** 2, 0),
  };
});
for (const name of ["two-call", "one-trip"]) {
  await api.createExperiment({ experiment: { name, space, seed: 1 } });
  await api.addTrials({ experiment: name, trials: history });
}

/** Two calls per trial: Report, then Suggest for the next one. */
let twoCallTrial = (await api.suggest({ experiment: "two-call", workerId: "w" })).trials[0]!;
let twoCallSeq = 0;
async function twoCall(): Promise<void> {
  const id = `t${twoCallSeq++}`;
  await api.report({ trialId: twoCallTrial.id, status: ReportStatus.REPORT_STATUS_OK, loss: lossOf(twoCallTrial) });
  twoCallTrial = (await api.suggest({ experiment: "two-call", workerId: "w", requestId: id })).trials[0]!;
}

/** One trip per trial: the report's answer carries the next trial. */
let oneTripTrial = (await api.suggest({ experiment: "one-trip", workerId: "w" })).trials[0]!;
let oneTripSeq = 0;
async function oneTrip(): Promise<void> {
  const answer = await api.report({
    trialId: oneTripTrial.id,
    status: ReportStatus.REPORT_STATUS_OK,
    loss: lossOf(oneTripTrial),
    suggestNext: true,
    requestId: `o${oneTripSeq++}`,
  });
  oneTripTrial = answer.next!.trials[0]!;
}

const times: Record<string, number[]> = { "two-call": [], "one-trip": [] };
const forms: [string, () => Promise<void>][] = [
  ["two-call", twoCall],
  ["one-trip", oneTrip],
];
for (let done = 0; done < cycles + WARMUP; done += TURN) {
  for (const [name, cycle] of forms) {
    for (let i = 0; i < TURN; i++) {
      const t0 = performance.now();
      await cycle();
      if (done >= WARMUP) times[name]!.push(performance.now() - t0);
    }
  }
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(`N=${n} (6-D TPE), ${cycles} timed cycles per form, ${cpus().length} cores, node ${process.version}`);
const p50: Record<string, number> = {};
for (const [name, xs] of Object.entries(times)) {
  xs.sort((a, b) => a - b);
  p50[name] = q(xs, 0.5);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `${name.padEnd(8)}  p50 ${q(xs, 0.5).toFixed(2)} ms  p90 ${q(xs, 0.9).toFixed(2)} ms  ` +
      `p99 ${q(xs, 0.99).toFixed(2)} ms  mean ${mean.toFixed(2)} ms  (${(1000 / mean).toFixed(0)} cycles/s)`,
  );
}
console.log(`two-call / one-trip, p50: ${(p50["two-call"]! / p50["one-trip"]!).toFixed(2)}x`);
stub.close();
server.kill("SIGTERM");
await new Promise((ok) => server.on("exit", ok));
rmSync(dir, { recursive: true, force: true });
