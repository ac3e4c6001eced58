/**
 * `parzen copy` and `parzen migrate` on real databases: a history built by a
 * real server on SQLite (TPE, enqueued configurations, curves with NaN,
 * request ids, a LOST trial and its retry, a FAIL) is copied to a throwaway
 * PostgreSQL and back to a new SQLite file, and every table of the result
 * equals the original's; a server on the PostgreSQL copy shows the same
 * trials and carries on with the next number and fresh ids.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify as promisified } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import { ParzenError } from "../../src/errors.js";
import { copyDatabase, TABLES } from "../../src/store/copy.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";
import { int, mixedSpace, num, str, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

const run = promisified(execFile);
const suite = postgresAvailable ? describe : describe.skip;

/** Every row of every table, in key order. */
function dump(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    return Object.fromEntries(
      TABLES.map((t) => [t.name, db.prepare(`SELECT * FROM ${t.name} ORDER BY ${t.key.join(", ")}`).all()]),
    );
  } finally {
    db.close();
  }
}

const parzen = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { timeout: 60_000 });

suite("copying a history between SQLite and PostgreSQL", () => {
  let cluster: PgCluster;
  let ts: TestServer;
  const clock = { now: 1_000_000 };
  const before = new Map<string, Trial[]>();

  beforeAll(async () => {
    cluster = await startCluster();
    ts = await startTestServer({ now: () => clock.now });
    const api = ts.api;
    await api.createExperiment({
      experiment: {
        name: "tpe",
        space: mixedSpace(),
        seed: 3,
        algorithm: { name: "tpe", options: {} },
        leaseDuration: { seconds: 10, nanos: 0 },
        retryLost: true,
        userAttrs: { team: "a" },
      },
    });
    await api.enqueue({
      experiment: "tpe",
      configurations: [{ params: { lr: num(0.01), layers: int(2), optimizer: str("adam") }, userAttrs: { k: "v" } }],
    });
    for (let i = 0; i < 12; i++) {
      const [t] = (await api.suggest({ experiment: "tpe", workerId: `w${i % 3}`, requestId: `s${i}` })).trials;
      await api.reportIntermediate({ trialId: t!.id, step: 0, value: Number.NaN });
      await api.reportIntermediate({ trialId: t!.id, step: 1, value: i });
      if (i === 4) await api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "oom" });
      else if (i !== 7)
        await api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: i, requestId: `r${i}` });
    }
    // Trial 7 lapses: LOST, and its configuration is retried.
    clock.now += 11_000;
    await api.suggest({ experiment: "tpe", workerId: "late" });
    await api.createExperiment({ experiment: { name: "plain", space: { parameters: [uniform("x", 0, 1)] } } });
    await api.suggest({ experiment: "plain", count: 3 });
    for (const name of ["tpe", "plain"]) before.set(name, (await api.listTrials({ experiment: name })).trials);
    ts.client.close();
    await ts.server.stop();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it("copies to PostgreSQL and back exactly, and a server on the copy carries on", async () => {
    const pgUrl = await cluster.createDatabase("copied");
    const back = join(ts.dir, "back.db");
    const there = await copyDatabase(ts.dbPath, pgUrl);
    const original = dump(ts.dbPath);
    expect(there).toEqual({
      experiments: 2,
      trials: 16,
      intermediate_values: original.intermediate_values!.length,
      request_log: original.request_log!.length,
    });
    expect(there.intermediate_values).toBe(24);
    const { stdout } = await parzen("copy", "--from", pgUrl, "--to", `sqlite://${back}`);
    expect(stdout).toContain(
      `copied 2 experiments, 16 trials, 24 curve points and ${there.request_log} logged requests`,
    );
    expect(dump(back)).toEqual(dump(ts.dbPath));
    const nan = dump(back).intermediate_values as { value: number | null }[];
    expect(nan.filter((p) => p.value === null)).toHaveLength(12);

    const onPg = await startTestServer({ db: pgUrl, now: () => clock.now });
    try {
      for (const [name, trials] of before) {
        expect((await onPg.api.listTrials({ experiment: name })).trials).toEqual(trials);
      }
      const replay = (await onPg.api.suggest({ experiment: "tpe", workerId: "w1", requestId: "s1" })).trials;
      expect(replay.map((t) => t.id)).toEqual([before.get("tpe")![1]!.id]);
      const [next] = (await onPg.api.suggest({ experiment: "plain" })).trials;
      expect(next!.number).toBe(3);
      const maxId = Math.max(...[...before.values()].flat().map((t) => Number(t.id)));
      expect(Number(next!.id)).toBeGreaterThan(maxId);
    } finally {
      await onPg.close();
    }
  }, 120_000);

  it("refuses to copy into a database that already holds experiments, and leaves it as it was", async () => {
    const pgUrl = await cluster.createDatabase("full");
    await copyDatabase(ts.dbPath, pgUrl);
    const err = await copyDatabase(ts.dbPath, pgUrl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("FAILED_PRECONDITION");
    expect((err as ParzenError).message).toMatch(/already holds 2 experiment\(s\); copy into an empty database/);
    expect(await cluster.psql("SELECT count(*) FROM trials", "full")).toBe("16\n");
  }, 60_000);

  it("`parzen migrate` creates a schema, then finds it current", async () => {
    const pgUrl = await cluster.createDatabase("migrated");
    expect((await parzen("migrate", "--db", pgUrl)).stdout).toMatch(/migrated from 0 to schema version \d+/);
    expect((await parzen("migrate", "--db", pgUrl)).stdout).toMatch(/already at schema version \d+/);
  }, 60_000);
});
