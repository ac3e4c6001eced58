/**
 * Suggest+Report latency of one server on PostgreSQL against one on SQLite
 * (issue 19's target: PostgreSQL within 2× of SQLite at N = 1,000), through
 * the real server over real gRPC, timed interleaved: a 6-D TPE experiment
 * warmed with 1,000 imported trials on each, then rounds of cycles on one
 * backend and the other in turn. PostgreSQL: a throwaway local cluster with
 * fsync on (test/pg-cluster.ts), once with synchronous_commit on (a commit
 * waits for its flush) and once off; SQLite at its default durability and
 * with every commit flushed (--durability full). Run: `npx tsx bench/pg-latency.ts`.
 */
import { credentials } from "@grpc/grpc-js";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { startParzen } from "../src/app.js";
import { promisify } from "../test/integration/harness.js";
import { startCluster } from "../test/pg-cluster.js";

const N = 1000;
const ROUNDS = 6;
const CYCLES = 100;
const D = 6;

const cluster = await startCluster({ durable: true });
const dir = mkdtempSync(join(tmpdir(), "parzen-lat-"));
try {
  const syncUrl = await cluster.createDatabase("sync");
  const asyncUrl = await cluster.createDatabase("async");
  await cluster.psql("ALTER DATABASE async SET synchronous_commit = off");
  const backends = [
    { name: "SQLite (WAL, synchronous=NORMAL)", db: join(dir, "p.db") },
    // Each commit flushed before the answer, as PostgreSQL's synchronous_commit on does.
    { name: "SQLite (WAL, --durability full)", db: join(dir, "full.db"), durability: "full" as const },
    { name: "PostgreSQL, synchronous_commit on", db: syncUrl },
    { name: "PostgreSQL, synchronous_commit off", db: asyncUrl },
  ];
  const value = (v: number) => ({ kind: { $case: "doubleValue" as const, value: v } });
  const x = (i: number, k: number) => (i * (0.618 + 0.1 * k)) % 1;
  const imported = Array.from({ length: N }, (_, i) => ({
    params: Object.fromEntries(Array.from({ length: D }, (_, k) => [`x${k}`, value(x(i, k))])),
    loss: Array.from({ length: D }, (_, k) => (x(i, k) - 0.3) ** 2).reduce((a, b) => a + b),
  }));
  const servers = [];
  for (const b of backends) {
    const server = await startParzen({
      db: b.db,
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
      ...("durability" in b ? { durability: b.durability } : {}),
    });
    const client = new OptimizerServiceClient(server.address, credentials.createInsecure());
    const api = promisify(client);
    await api.createExperiment({
      experiment: {
        name: "lat",
        seed: 1,
        algorithm: { name: "tpe", options: {} },
        space: {
          parameters: Array.from({ length: D }, (_, k) => ({
            name: `x${k}`,
            domain: { $case: "uniform" as const, value: { low: 0, high: 1 } },
          })),
        },
      },
    });
    for (let i = 0; i < N; i += 250) await api.addTrials({ experiment: "lat", trials: imported.slice(i, i + 250) });
    servers.push({ ...b, server, client, api, times: [] as number[] });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of servers) {
      for (let c = 0; c < CYCLES; c++) {
        const t0 = performance.now();
        const [t] = (await s.api.suggest({ experiment: "lat", workerId: "w" })).trials;
        await s.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
        if (c >= 5) s.times.push(performance.now() - t0);
      }
    }
  }
  console.log(`N = ${N}..${N + ROUNDS * CYCLES}, ${D}-D TPE, ${ROUNDS} interleaved rounds of ${CYCLES} cycles`);
  console.log("| backend | Suggest+Report p50 ms | p90 ms | p99 ms |");
  console.log("|---|---|---|---|");
  for (const s of servers) {
    const t = [...s.times].sort((a, b) => a - b);
    const q = (p: number) => t[Math.floor(p * (t.length - 1))]!.toFixed(2);
    console.log(`| ${s.name} | ${q(0.5)} | ${q(0.9)} | ${q(0.99)} |`);
    s.client.close();
    await s.server.stop();
  }
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
