/**
 * Where a Suggest+Report cycle's time goes on PostgreSQL, against SQLite: the
 * same servers and cycles as bench/pg-latency.ts (6-D TPE, N = 1,000
 * imported, interleaved rounds), with a timing wrapper around node-postgres'
 * Client.query and Pool.connect (and the SQLite store's methods), installed
 * here only: every database round trip of a Suggest and of a Report is
 * counted and timed, labelled by its prepared statement's name (or its SQL's
 * first words). "node" is the rest of the call: gRPC, protobuf, the service
 * and the algorithm. An empty round trip (`SELECT 1` on a checked-out
 * connection) is timed in the same rounds as the loopback's floor. Last,
 * the store alone (no gRPC, no algorithm, no pause between units): a
 * Suggest's unit and a Report's unit back to back, on both PostgreSQL
 * settings, beside the same empty round trip: what PostgreSQL itself
 * costs per unit, without the scheduling delays of a busy machine.
 *
 * Run: `npx tsx bench/pg-breakdown.ts [rounds] [cycles] [--before DIR]`. With
 * `--before DIR` (a checkout of an earlier commit, with its node_modules),
 * that tree's server runs on PostgreSQL too, in the same interleaved rounds:
 * before and after side by side under the same load.
 */
import { credentials } from "@grpc/grpc-js";
import { OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import pino from "pino";
import { startParzen } from "../src/app.js";
import { openPostgresStore } from "../src/store/postgres/open.js";
import type { PostgresStore } from "../src/store/postgres/postgres-store.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../src/store/rows.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { promisify } from "../test/integration/harness.js";
import { startCluster } from "../test/pg-cluster.js";

const N = 1000;
const args = process.argv.slice(2);
const beforeAt = args.indexOf("--before");
const beforeDir = beforeAt < 0 ? undefined : args.splice(beforeAt, 2)[1];
const ROUNDS = Number(args[0] ?? 6);
const CYCLES = Number(args[1] ?? 100);
const D = 6;
const WARM = 5;

/** Where timings go: the current backend's bucket for the current call (undefined: not recorded). */
type Bucket = Map<string, number[]>;
let bucket: Bucket | undefined;
const record = (label: string, ms: number) => {
  if (bucket === undefined) return;
  const a = bucket.get(label);
  if (a === undefined) bucket.set(label, [ms]);
  else a.push(ms);
};

function labelOf(arg: unknown): string {
  if (typeof arg === "object" && arg !== null && "name" in arg && typeof arg.name === "string") return arg.name;
  const text = typeof arg === "string" ? arg : ((arg as { text?: string }).text ?? "?");
  return text.replace(/\s+/g, " ").replace(/\d+/g, "N").slice(0, 40);
}

// ---- the timing wrapper (this bench only) ----------------------------------------
type AnyFn = (...args: unknown[]) => unknown;
const clientProto = pg.Client.prototype as unknown as { query: AnyFn };
const query = clientProto.query;
clientProto.query = function (this: unknown, ...args: unknown[]) {
  const label = `db ${labelOf(args[0])}`;
  const t0 = performance.now();
  const cb = args[args.length - 1];
  if (typeof cb === "function") {
    args[args.length - 1] = (...r: unknown[]) => {
      record(label, performance.now() - t0);
      return (cb as AnyFn)(...r);
    };
    return query.apply(this, args);
  }
  const p = query.apply(this, args) as Promise<unknown> | undefined;
  // Notifications and internal calls may return nothing.
  if (p !== undefined && typeof (p as Promise<unknown>).then === "function")
    void p.then(
      () => record(label, performance.now() - t0),
      () => record(label, performance.now() - t0),
    );
  return p;
};
const poolProto = pg.Pool.prototype as unknown as { connect: AnyFn };
const connect = poolProto.connect;
poolProto.connect = function (this: unknown, ...args: unknown[]) {
  const t0 = performance.now();
  const cb = args[0];
  if (typeof cb === "function") {
    return connect.call(this, (...r: unknown[]) => {
      record("pool checkout", performance.now() - t0);
      return (cb as AnyFn)(...r);
    });
  }
  const p = connect.call(this) as Promise<unknown>;
  void p.then(() => record("pool checkout", performance.now() - t0));
  return p;
};
const sqliteProto = SqliteStore.prototype as unknown as Record<string, AnyFn>;
for (const m of ["write", "experimentOfTrial", "durable", "readTrials"]) {
  const f = sqliteProto[m]!;
  sqliteProto[m] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    const p = f.apply(this, args) as Promise<unknown>;
    void p.then(
      () => record(`sqlite ${m}`, performance.now() - t0),
      () => {},
    );
    return p;
  };
}

// ---- the run --------------------------------------------------------------------
const cluster = await startCluster({ durable: true });
const dir = mkdtempSync(join(tmpdir(), "parzen-brk-"));
const loads: number[] = [loadavg()[0]!];
try {
  const syncUrl = await cluster.createDatabase("sync");
  const asyncUrl = await cluster.createDatabase("async");
  await cluster.psql("ALTER DATABASE async SET synchronous_commit = off");
  await cluster.psql("CREATE DATABASE alone_async");
  await cluster.psql("ALTER DATABASE alone_async SET synchronous_commit = off");
  type Start = typeof startParzen;
  const backends: { name: string; db: string; durability?: "full"; start?: Start }[] = [
    { name: "SQLite NORMAL", db: join(dir, "p.db") },
    { name: "SQLite full", db: join(dir, "full.db"), durability: "full" },
    { name: "PG sync on", db: syncUrl },
    { name: "PG sync off", db: asyncUrl },
  ];
  if (beforeDir !== undefined) {
    const before = (await import(join(beforeDir, "src/app.js"))) as { startParzen: Start };
    const beforeSync = await cluster.createDatabase("before_sync");
    const beforeAsync = await cluster.createDatabase("before_async");
    await cluster.psql("ALTER DATABASE before_async SET synchronous_commit = off");
    backends.push(
      { name: "PG sync on, before", db: beforeSync, start: before.startParzen },
      { name: "PG sync off, before", db: beforeAsync, start: before.startParzen },
    );
  }
  const floorPool = new pg.Pool({ connectionString: syncUrl, max: 1 });
  const value = (v: number) => ({ kind: { $case: "doubleValue" as const, value: v } });
  const x = (i: number, k: number) => (i * (0.618 + 0.1 * k)) % 1;
  const imported = Array.from({ length: N }, (_, i) => ({
    params: Object.fromEntries(Array.from({ length: D }, (_, k) => [`x${k}`, value(x(i, k))])),
    loss: Array.from({ length: D }, (_, k) => (x(i, k) - 0.3) ** 2).reduce((a, b) => a + b),
  }));
  interface Running {
    name: string;
    server: Awaited<ReturnType<Start>>;
    client: OptimizerServiceClient;
    api: ReturnType<typeof promisify>;
    suggest: Bucket;
    report: Bucket;
    between: Bucket;
    cycle: number[];
    suggestMs: number[];
    reportMs: number[];
  }
  const servers: Running[] = [];
  for (const b of backends) {
    const server = await (b.start ?? startParzen)({
      db: b.db,
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
      ...(b.durability === undefined ? {} : { durability: b.durability }),
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
    servers.push({
      name: b.name,
      server,
      client,
      api,
      suggest: new Map(),
      report: new Map(),
      between: new Map(),
      cycle: [],
      suggestMs: [],
      reportMs: [],
    });
  }
  const floor: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of servers) {
      for (let c = 0; c < CYCLES; c++) {
        const keep = c >= WARM;
        const t0 = performance.now();
        bucket = keep ? s.suggest : undefined;
        const [t] = (await s.api.suggest({ experiment: "lat", workerId: "w" })).trials;
        const t1 = performance.now();
        bucket = keep ? s.report : undefined;
        await s.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
        const t2 = performance.now();
        bucket = keep ? s.between : undefined;
        if (keep) {
          s.cycle.push(t2 - t0);
          s.suggestMs.push(t1 - t0);
          s.reportMs.push(t2 - t1);
        }
      }
      bucket = undefined;
    }
    const c = await floorPool.connect();
    for (let i = 0; i < CYCLES; i++) {
      const t0 = performance.now();
      await c.query("SELECT 1");
      floor.push(performance.now() - t0);
    }
    c.release();
    loads.push(loadavg()[0]!);
  }
  await floorPool.end();
  const cycles = ROUNDS * (CYCLES - WARM);
  const p50 = (a: readonly number[]) => {
    const t = [...a].sort((x, y) => x - y);
    return t.length === 0 ? 0 : t[Math.floor(0.5 * (t.length - 1))]!;
  };
  const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
  const f = (v: number) => v.toFixed(3);
  console.log(
    `N = ${N}..${N + ROUNDS * CYCLES}, ${D}-D TPE, ${ROUNDS} interleaved rounds of ${CYCLES} cycles ` +
      `(first ${WARM} of each not counted); load average (1 min) ${loads.map((l) => l.toFixed(1)).join(", ")}`,
  );
  console.log(`empty round trip (SELECT 1 on a checked-out connection): p50 ${f(p50(floor))} ms`);
  console.log("\n| backend | cycle p50 ms | Suggest p50 | Report p50 | cycle mean | db mean per cycle | node mean |");
  console.log("|---|---|---|---|---|---|---|");
  for (const s of servers) {
    const db = (b: Bucket) => sum([...b.values()].map(sum)) / cycles;
    const dbMean = db(s.suggest) + db(s.report);
    const mean = sum(s.cycle) / cycles;
    console.log(
      `| ${s.name} | ${f(p50(s.cycle))} | ${f(p50(s.suggestMs))} | ${f(p50(s.reportMs))} | ${f(mean)} | ` +
        `${f(dbMean)} | ${f(mean - dbMean)} |`,
    );
  }
  const p50Of = (name: string) => p50(servers.find((s) => s.name === name)!.cycle);
  for (const s of servers.filter((s) => s.name.startsWith("PG"))) {
    const base = s.name.includes("sync on") ? "SQLite full" : "SQLite NORMAL";
    console.log(`${s.name}: p50 ${(p50(s.cycle) / p50Of(base)).toFixed(2)}x ${base}`);
  }
  console.log("\n| backend | call | operation | per call | p50 ms | mean ms | ms per call |");
  console.log("|---|---|---|---|---|---|---|");
  for (const s of servers) {
    for (const [call, b] of [
      ["Suggest", s.suggest],
      ["Report", s.report],
      ["after Report", s.between],
    ] as const) {
      for (const [label, ts] of b) {
        console.log(
          `| ${s.name} | ${call} | ${label} | ${(ts.length / cycles).toFixed(2)} | ${f(p50(ts))} | ` +
            `${f(sum(ts) / ts.length)} | ${f(sum(ts) / cycles)} |`,
        );
      }
    }
  }
  for (const s of servers) {
    s.client.close();
    await s.server.stop();
  }
  const alone: [string, string, Open][] = [
    ["PG sync on", await cluster.createDatabase("alone_sync"), openPostgresStore],
    ["PG sync off", cluster.url("alone_async"), openPostgresStore],
  ];
  if (beforeDir !== undefined) {
    const before = (await import(join(beforeDir, "src/store/postgres/open.js"))) as { openPostgresStore: Open };
    await cluster.psql("CREATE DATABASE alone_before_async");
    await cluster.psql("ALTER DATABASE alone_before_async SET synchronous_commit = off");
    alone.push(
      ["PG sync on, before", await cluster.createDatabase("alone_before_sync"), before.openPostgresStore],
      ["PG sync off, before", cluster.url("alone_before_async"), before.openPostgresStore],
    );
  }
  await storeAlone(alone);
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** The store's units back to back (insert a RUNNING trial, then complete it), with an empty round trip between. */
type Open = (options: { url: string }) => Promise<PostgresStore>;
async function storeAlone(dbs: [string, string, Open][]): Promise<void> {
  const units = 200;
  const rows = [];
  for (const [name, url, open] of dbs) {
    const store = await open({ url });
    const e = (await store.createExperiment("alone", "{}", 1)).value.id;
    const t = { suggest: [] as number[], report: [] as number[], floor: [] as number[] };
    const pool = store.pool;
    let version = 0;
    for (let n = 0; n < units; n++) {
      const trial: TrialRow = {
        id: 0,
        experimentId: e,
        number: n,
        state: "running",
        source: "algorithm",
        config: Float64Array.of(0.5),
        loss: null,
        metrics: NO_NUMBERS,
        userAttrs: NO_STRINGS,
        workerId: "w",
        failReason: "",
        createTime: n,
        startTime: n,
        endTime: null,
        leaseDeadline: n + 1000,
        intermediate: NO_POINTS,
      };
      let t0 = performance.now();
      const w = await store.write(e, {
        insert: [{ trial, params: { x: 0.5 } }],
        expectVersion: version,
      });
      t.suggest.push(performance.now() - t0);
      t0 = performance.now();
      const r = await store.write(e, {
        update: [{ ...trial, id: w.value[0]!, state: "complete", loss: 1, endTime: n }],
        expectVersion: w.version,
      });
      t.report.push(performance.now() - t0);
      version = r.version!;
      t0 = performance.now();
      await pool.query("SELECT 1");
      t.floor.push(performance.now() - t0);
    }
    await store.close();
    rows.push([name, t] as const);
  }
  const p50 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)]!.toFixed(3);
  console.log(`\nThe store alone, ${units} units of each kind back to back (p50 ms); load ${loadavg()[0]!.toFixed(1)}`);
  console.log("| database | Suggest's unit (insert) | Report's unit (update) | SELECT 1 through the pool |");
  console.log("|---|---|---|---|");
  for (const [name, t] of rows) console.log(`| ${name} | ${p50(t.suggest)} | ${p50(t.report)} | ${p50(t.floor)} |`);
}
