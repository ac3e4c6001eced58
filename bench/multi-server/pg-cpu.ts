/**
 * What PostgreSQL itself spends per trial when one store writes a shared experiment, and when three take lock
 * turns on it (issue 19): the store alone, no gRPC, no algorithm, no Python, so the CPU figures are the database's
 * and the driver's, free of the scheduler's noise that a loaded machine puts on a whole-system bench. A trial is
 * two changes (a Suggest-like unit: insert a RUNNING trial and log its request id; a Report-like unit: complete
 * it), written back to back.
 *
 * - one store: every unit its own transaction (one server alone: no turn);
 * - three stores, each with a LISTEN connection as a server has: they take the experiment's lock in turn, each
 *   pulls what the others wrote since its last turn (in the lock's round trip), writes `TURN` changes in the
 *   turn and commits them together (as feed-sync.ts turns with 32 workers over 3 servers: 10.7 changes a turn).
 *
 * Reported per trial: PostgreSQL's CPU (every process of the cluster, from /proc), this process's CPU (the
 * three stores' driver work: statements, pulls, notices), round trips, notices heard.
 *
 *   npx tsx bench/multi-server/pg-cpu.ts [trials] [turn]
 *
 * PG_CPU_SRC=DIR imports the store from DIR/src instead of this tree's (another commit's source, to compare).
 * PG_CPU_LOOKUP=1 looks each Suggest-like unit's request id up first (`findRequest`), as the service did before
 * the unit's statement checked it (branch `pgturn`): main's source with it against this tree's without compares
 * what a trial costs each way.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startCluster } from "../../test/pg-cluster.js";
import { pgCpu } from "./proc-cpu.js";
import type { StoredParams, TrialRow } from "../../src/store/rows.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";

const TRIALS = Number(process.argv[2] ?? 1500);
const TURN = Number(process.argv[3] ?? 11);
const LOOKUP = process.env.PG_CPU_LOOKUP === "1";
const SRC = resolve(process.env.PG_CPU_SRC ?? resolve(import.meta.dirname, "../.."), "src");
const { openPostgresStore } = (await import(join(SRC, "store/postgres/open.js"))) as {
  openPostgresStore: (o: { url: string }) => Promise<PostgresStore>;
};

const toConfig = (p: StoredParams): Float64Array => Float64Array.of(p.x ?? 0, p.y ?? 0);

function running(experimentId: number, number: number): TrialRow {
  return {
    id: 0,
    experimentId,
    number,
    state: "running",
    source: "algorithm",
    config: Float64Array.of(Math.random(), Math.random()),
    loss: null,
    metrics: {},
    userAttrs: {},
    workerId: `w${number % 32}`,
    failReason: "",
    createTime: Date.now(),
    startTime: Date.now(),
    endTime: null,
    leaseDeadline: Date.now() + 60_000,
    intermediate: [],
  };
}

/** One store's view of the experiment: the version it has seen, the trials it would mirror. */
class Writer {
  version = 0;
  readonly trials = new Map<number, TrialRow>();
  notices = 0;
  constructor(readonly store: PostgresStore) {}

  /** A Suggest-like unit then, for the oldest running trial, a Report-like one (two changes, one trial). */
  async change(e: number, kind: "suggest" | "report", next: () => number): Promise<{ durable: Promise<void> }> {
    if (kind === "suggest") {
      const t = running(e, next());
      const requestId = `${Math.random()}`;
      if (LOOKUP && (await this.store.findRequest("Suggest", requestId)) !== undefined) throw new Error("logged");
      const w = await this.store.write(e, {
        insert: [{ trial: t, params: { x: t.config[0]!, y: t.config[1]! } }],
        request: {
          method: "Suggest",
          requestId,
          trialIds: [],
          withInserted: true,
          createTime: Date.now(),
        },
        expectVersion: this.version,
      });
      t.id = w.value[0]!;
      this.trials.set(t.number, t);
      this.version = w.version!;
      return { durable: w.durable };
    }
    const t = [...this.trials.values()].find((r) => r.state === "running")!;
    const done = { ...t, state: "complete" as const, loss: Math.random(), endTime: Date.now() };
    const w = await this.store.write(e, { update: [done], expectVersion: this.version });
    this.trials.set(t.number, done);
    this.version = w.version!;
    return { durable: w.durable };
  }

  pulled(changes: { version: number; trials: TrialRow[] } | undefined): void {
    for (const t of changes!.trials) this.trials.set(t.number, t);
    this.version = changes!.version;
  }
}

async function main(): Promise<void> {
  const cluster = await startCluster({ durable: true });
  try {
    const url = await cluster.createDatabase("cpu");
    const postmaster = Number(
      readFileSync(join((await cluster.psql("SHOW data_directory")).trim(), "postmaster.pid"), "utf8").split("\n")[0],
    );
    console.log(
      `source ${SRC}; ${TRIALS} trials per setting, turns of ${TURN} changes; ` +
        `request ids ${LOOKUP ? "looked up before each Suggest" : "checked by the unit alone"}; load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
    );
    console.log("| setting | PG CPU ms/trial | this process (stores) CPU ms/trial | notices heard/trial | wall s |");
    console.log("| --- | --- | --- | --- | --- |");
    for (const setting of ["one store", "three stores, turns", "one store", "three stores, turns"] as const) {
      const n = setting === "one store" ? 1 : 3;
      const stores = await Promise.all(Array.from({ length: n }, () => openPostgresStore({ url })));
      const writers = stores.map((s) => new Writer(s));
      const unlisten = await Promise.all(
        writers.map((w) =>
          w.store.feed!.onChange(() => {
            w.notices++;
          }),
        ),
      );
      const e = (await stores[0]!.createExperiment(`${setting}-${Date.now()}`, "{}", 1)).value.id;
      let number = 0;
      const next = () => number++;
      const pg0 = pgCpu(postmaster);
      const me0 = process.cpuUsage();
      const t0 = performance.now();
      let changes = 0;
      const total = 2 * TRIALS;
      if (n === 1) {
        const w = writers[0]!;
        while (changes < total) {
          await (await w.change(e, "suggest", next)).durable;
          await (await w.change(e, "report", next)).durable;
          changes += 2;
        }
      } else {
        for (let k = 0; changes < total; k = (k + 1) % n) {
          const w = writers[k]!;
          const held = await w.store.lock(e, { version: w.version, toConfig });
          w.pulled(held.changes);
          let last: Promise<void> = Promise.resolve();
          // Alternate Suggests and Reports, as a server's queue holds both.
          for (let i = 0; i < TURN && changes < total; i++, changes++) {
            const report = i % 2 === 1 && [...w.trials.values()].some((t) => t.state === "running");
            last = (await w.change(e, report ? "report" : "suggest", next)).durable;
          }
          held.release();
          await last;
        }
      }
      const wall = (performance.now() - t0) / 1000;
      const me = process.cpuUsage(me0);
      const pg = pgCpu(postmaster) - pg0;
      for (const u of unlisten) await u();
      const heard = writers.reduce((s, w) => s + w.notices, 0);
      for (const s of stores) await s.close();
      const trials = total / 2;
      console.log(
        `| ${setting} | ${((1000 * pg) / trials).toFixed(3)} | ${((me.user + me.system) / 1000 / trials).toFixed(3)} | ` +
          `${(heard / trials).toFixed(2)} | ${wall.toFixed(1)} |`,
      );
    }
  } finally {
    await cluster.stop();
  }
}

await main();
