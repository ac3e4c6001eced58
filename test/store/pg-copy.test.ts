/**
 * `parzen copy` to and from PostgreSQL (src/store/copy.ts), without a server or the CLI, on one throwaway cluster
 * (../pg-cluster.ts) so that mutation runs of copy.ts can afford it (scripts/mutation.sh; the end-to-end round
 * trip through a server and the CLI is test/integration/copy.test.ts). Against copy.ts's documented behaviour:
 * every row with its ids across pages of 2,000 (a composite key included) in both directions, NaN curve values
 * (NULL in SQLite, NaN in PostgreSQL), a PostgreSQL copy's trials at version 0 and its identity sequences moved
 * past the copied ids, PostgreSQL to PostgreSQL, the counts, and the refusals: a destination holding experiments
 * (named without its password, left as it was) and a copy that fails part-way, which leaves the destination empty.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { copyDatabase, TABLES } from "../../src/store/copy.js";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import { NO_POINTS, type TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import { runningTrial } from "./running-trial.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";

const suite = postgresAvailable ? describe : describe.skip;

/** A COMPLETE trial with a loss and, optionally, a learning curve. */
function trial(number: number, intermediate: readonly [number, number][] = NO_POINTS): TrialRow {
  return runningTrial(0, number, {
    state: "complete",
    loss: number / 7,
    endTime: 2,
    leaseDeadline: null,
    intermediate,
  });
}

/** Every table's rows of a SQLite file, in key order. */
async function dumpSqlite(path: string): Promise<Record<string, unknown[]>> {
  const store = await openSqliteStore({ path });
  try {
    return Object.fromEntries(
      TABLES.map((t) => [t.name, store.db.prepare(`SELECT * FROM ${t.name} ORDER BY ${t.key.join(", ")}`).all()]),
    );
  } finally {
    await store.close();
  }
}

/** Runs one query on a PostgreSQL database, BIGINTs read as numbers. */
async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, types: { getTypeParser: numbersParser } });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}
const numbersParser = ((oid: number, format?: "text") =>
  oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

/** A PostgreSQL database's copied columns (TABLES), in key order: what copy.ts moves. */
async function dumpPostgres(url: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES)
    out[t.name] = await query(url, `SELECT ${t.columns.join(", ")} FROM ${t.name} ORDER BY ${t.key.join(", ")}`);
  return out;
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the copy to fail");
}

suite("copying to and from PostgreSQL", () => {
  let cluster: PgCluster;
  let dir: string;
  let from: string;
  let databases = 0;
  const fresh = () => cluster.createDatabase(`c${++databases}`);

  beforeAll(async () => {
    cluster = await startCluster();
    dir = mkdtempSync(join(tmpdir(), "parzen-pg-copy-"));
    from = join(dir, "from.db");
    const store = await openSqliteStore({ path: from });
    const a = (await store.createExperiment("a", '{"seed":1}', 10)).value.id;
    // A deleted experiment between the two: the ids have a gap that a renumbering copy would close.
    const gone = (await store.createExperiment("gone", "{}", 0)).value.id;
    const b = (await store.createExperiment("b", "{}", 11)).value.id;
    await store.deleteExperiment(gone);
    // 2,003 trials of "a" (two pages), and 2,001 curve points (two pages of a composite key), one NaN per curve.
    const curve = (n: number): [number, number][] =>
      Array.from({ length: n }, (_, s) => [s, s === 1 ? Number.NaN : s / 10] as [number, number]);
    await store.write(a, {
      insert: Array.from({ length: 2003 }, (_, i) => ({
        trial: trial(i, i < 667 ? curve(3) : NO_POINTS),
        params: { x: i },
      })),
    });
    await store.write(b, {
      insert: [{ trial: { ...trial(0), values: [1, 2], constraints: [-1], proposedBy: "tpe" }, params: {} }],
      request: { method: "Suggest", requestId: "r1", trialIds: [], withInserted: true, createTime: 5 },
    });
    await store.write(a, { lifecycle: '{"paused":true}' });
    await store.close();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("SQLite to PostgreSQL and back: every row with its ids across pages, NaN curve values, the counts", async () => {
    const url = await fresh();
    const counts = { experiments: 2, trials: 2004, intermediate_values: 2001, request_log: 1 };
    expect(await copyDatabase(from, url)).toEqual(counts);
    const source = await dumpSqlite(from);
    const there = await dumpPostgres(url);
    // PostgreSQL holds what SQLite held, but a curve's NaN as NaN, not NULL.
    const nan = (rows: unknown[]) => rows.filter((p) => Number.isNaN((p as { value: unknown }).value));
    expect(nan(there.intermediate_values!)).toHaveLength(667);
    expect(there.intermediate_values!.filter((p) => (p as { value: unknown }).value === null)).toEqual([]);
    const withNull = there.intermediate_values!.map((p) => {
      const v = (p as { value: number }).value;
      return { ...(p as object), value: Number.isNaN(v) ? null : v };
    });
    expect({ ...there, intermediate_values: withNull }).toEqual(source);
    expect(there.experiments!.map((e) => (e as { id: number }).id)).toEqual([1, 3]);

    const back = join(dir, "back.db");
    expect(await copyDatabase(url, `sqlite://${back}`)).toEqual(counts);
    expect(await dumpSqlite(back)).toEqual(source);
  });

  it("a PostgreSQL copy starts at version 0 and hands out ids after the copied ones", async () => {
    const url = await fresh();
    await copyDatabase(from, url);
    expect(await query(url, "SELECT DISTINCT version FROM trials")).toEqual([{ version: 0 }]);
    expect(await query(url, "SELECT DISTINCT version FROM experiments")).toEqual([{ version: 0 }]);
    // And analysed: the statistics know the copied rows before the first server plans a statement.
    expect(
      await query(
        url,
        "SELECT relname, reltuples::int AS n FROM pg_class WHERE relname IN ('trials', 'request_log') ORDER BY 1",
      ),
    ).toEqual([
      { relname: "request_log", n: 1 },
      { relname: "trials", n: 2004 },
    ]);
    // The identity sequences were moved past the copied ids: a server's next ids follow them.
    const store = await openPostgresStore({ url });
    try {
      const c = (await store.createExperiment("c", "{}", 0)).value.id;
      expect(c).toBe(4);
      const { value: ids } = await store.write(c, { insert: [{ trial: trial(0), params: {} }] });
      expect(ids).toEqual([2005]);
    } finally {
      await store.close();
    }
  });

  it("PostgreSQL to PostgreSQL, exactly", async () => {
    const first = await fresh();
    await copyDatabase(from, first);
    // An experiment created and deleted on the source: its identity sequence is past its largest id.
    const source = await openPostgresStore({ url: first });
    try {
      await source.deleteExperiment((await source.createExperiment("deleted", "{}", 0)).value.id);
    } finally {
      await source.close();
    }
    const second = await fresh();
    expect(await copyDatabase(first, second)).toEqual({
      experiments: 2,
      trials: 2004,
      intermediate_values: 2001,
      request_log: 1,
    });
    expect(await dumpPostgres(second)).toEqual(await dumpPostgres(first));
    // The source was only read: its identity sequences did not move back to its largest id.
    const store = await openPostgresStore({ url: first });
    try {
      expect((await store.createExperiment("c", "{}", 0)).value.id).toBe(5);
    } finally {
      await store.close();
    }
  });

  it("refuses a PostgreSQL destination that holds experiments, naming it without its password, untouched", async () => {
    const url = await fresh();
    const store = await openPostgresStore({ url });
    await store.createExperiment("mine", "{}", 0);
    await store.close();
    const before = await dumpPostgres(url);
    const withPassword = url.replace("parzen@", "parzen:s3cret@");
    const err = await refusal(copyDatabase(from, withPassword));
    expect(err).toBeInstanceOf(ParzenError);
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect((err as Error).message).toBe(
      `--to ${withPassword.replace("s3cret", "***")} already holds 1 experiment(s); copy into an empty database`,
    );
    expect(await dumpPostgres(url)).toEqual(before);
    // The source SQLite file was released (its lock) on the way out.
    await (await openSqliteStore({ path: from })).close();
  });

  it("a destination that cannot be opened is refused as such, the PostgreSQL source closed", async () => {
    const url = await fresh();
    await copyDatabase(from, url);
    const to = join(dir, "held.db");
    const server = await openSqliteStore({ path: to });
    try {
      const err = await refusal(copyDatabase(url, to));
      expect(err).toBeInstanceOf(ParzenError);
      expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
    } finally {
      await server.close();
    }
    // The source's pool was ended: its connections are gone.
    const left = await query<{ n: number }>(
      url,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    expect(left).toEqual([{ n: 0 }]);
  });

  it("a copy that fails part-way leaves the PostgreSQL destination empty", async () => {
    // A request id PostgreSQL cannot store (a NUL character), in the last table copied: everything before it
    // was written in the copy's transaction, which the failure must undo.
    const bad = join(dir, "bad.db");
    const store = await openSqliteStore({ path: bad });
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    await store.write(e, {
      insert: [{ trial: trial(0, [[0, 1]]), params: {} }],
      request: { method: "Suggest", requestId: "nul\u0000", trialIds: [], withInserted: true, createTime: 5 },
    });
    await store.close();
    const url = await fresh();
    await refusal(copyDatabase(bad, url));
    for (const t of TABLES) expect(await query(url, `SELECT * FROM ${t.name}`)).toEqual([]);
    // Both sides were closed: the SQLite source opens again, and a copy of another history goes through.
    expect((await copyDatabase(from, url)).experiments).toBe(2);
  });
});
