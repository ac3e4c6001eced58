/**
 * Bringing a PostgreSQL database's schema up to date (src/store/postgres/migrate.ts, open.ts) on one throwaway
 * cluster (../pg-cluster.ts): migrations applied in order above the recorded version only, in one transaction
 * (a failing migration leaves the schema and its version as they were), the version recorded exactly, a
 * database one version newer than the code refused and one at the code's own version accepted, and the store's
 * options reaching it. Kept small so that mutation runs of these modules can afford a cluster per run
 * (scripts/mutation.sh); the Store contract on PostgreSQL is in postgres.test.ts.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { createPool } from "../../src/store/postgres/connect.js";
import { loadPostgresMigrations, migrate } from "../../src/store/postgres/migrate.js";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";

const suite = postgresAvailable ? describe : describe.skip;

suite("PostgreSQL migrations", () => {
  let cluster: PgCluster;
  let n = 0;
  const fresh = () => cluster.createDatabase(`m${++n}`);
  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  async function query<T>(url: string, sql: string): Promise<T[]> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows as T[];
    } finally {
      await c.end();
    }
  }
  const version = async (url: string) => await query<{ version: number }>(url, "SELECT version FROM parzen_schema");

  it("applies only the migrations above the recorded version, in order, and records the last", async () => {
    const url = await fresh();
    const pool = createPool(url);
    try {
      const m = (v: number, sql: string) => ({ version: v, name: `${String(v).padStart(4, "0")}_t.sql`, sql });
      await migrate(pool, url, [m(1, "CREATE TABLE a (x int)"), m(3, "INSERT INTO a VALUES (3)")]);
      expect(await version(url)).toEqual([{ version: 3 }]);
      // Run again with one more: only the new one runs (the INSERT of version 3 is not repeated).
      await migrate(pool, url, [
        m(1, "CREATE TABLE a (x int)"),
        m(3, "INSERT INTO a VALUES (3)"),
        m(4, "INSERT INTO a SELECT max(x) + 1 FROM a"),
      ]);
      expect(await query(url, "SELECT x FROM a ORDER BY x")).toEqual([{ x: 3 }, { x: 4 }]);
      expect(await version(url)).toEqual([{ version: 4 }]);
      // At the code's own version: nothing to do, accepted.
      await migrate(pool, url, [m(1, "CREATE TABLE a (x int)"), m(4, "SELECT 1")]);
      expect(await version(url)).toEqual([{ version: 4 }]);
      // One version newer than the code: refused, naming both versions, without the URL's password.
      const err = await migrate(pool, url.replace("parzen@", "parzen:pw@"), [m(3, "SELECT 1")]).catch((e) => e);
      expect(err).toBeInstanceOf(ParzenError);
      expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
      expect((err as Error).message).toMatch(/ has schema version 4, newer than this Parzen's 3; upgrade Parzen$/);
      expect((err as Error).message).not.toContain("pw@");
    } finally {
      await pool.end();
    }
  });

  it("applies every migration or none: a failing one leaves the schema and its version as they were", async () => {
    const url = await fresh();
    const pool = createPool(url);
    try {
      const m = (v: number, sql: string) => ({ version: v, name: `${String(v).padStart(4, "0")}_t.sql`, sql });
      await migrate(pool, url, [m(1, "CREATE TABLE a (x int)")]);
      const err = await migrate(pool, url, [
        m(1, "CREATE TABLE a (x int)"),
        m(2, "CREATE TABLE b (x int)"),
        m(3, "SELECT * FROM no_such_table"),
      ]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "42P01" });
      expect(await version(url)).toEqual([{ version: 1 }]);
      expect(await query(url, "SELECT to_regclass('b') AS b")).toEqual([{ b: null }]);
      // A statement's failure is no broken connection: the pool keeps it, with no transaction left open on it.
      expect([pool.totalCount, pool.idleCount]).toEqual([1, 1]);
      expect(
        (await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in%'")).rows,
      ).toEqual([{ n: 0 }]);
      await migrate(pool, url, [m(1, "CREATE TABLE a (x int)"), m(2, "CREATE TABLE b (x int)")]);
      expect(await version(url)).toEqual([{ version: 2 }]);
    } finally {
      await pool.end();
    }
  });

  it("migrates once when several servers start together, and takes an empty list as version 0", async () => {
    const url = await fresh();
    const pools = [createPool(url), createPool(url), createPool(url)];
    try {
      const m = (v: number, sql: string) => ({ version: v, name: `${String(v).padStart(4, "0")}_t.sql`, sql });
      // Not idempotent: run twice, the second CREATE would fail and the INSERT would double.
      const list = [m(1, "CREATE TABLE a (x int)"), m(2, "INSERT INTO a VALUES (1)")];
      await Promise.all(pools.map((p) => migrate(p, url, list)));
      expect(await query(url, "SELECT x FROM a")).toEqual([{ x: 1 }]);
      expect(await version(url)).toEqual([{ version: 2 }]);
      const empty = await fresh();
      const pool = createPool(empty);
      try {
        await migrate(pool, empty, []);
        expect(await version(empty)).toEqual([{ version: 0 }]);
      } finally {
        await pool.end();
      }
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it("opens a store on the shipped migrations, with the options given, and refuses a newer database", async () => {
    const url = await fresh();
    const store = await openPostgresStore({ url, poolSize: 2 });
    try {
      expect(await version(url)).toEqual([{ version: loadPostgresMigrations().at(-1)!.version }]);
      expect((store.pool as unknown as { options: { max: number } }).options.max).toBe(2);
      expect((await store.createExperiment("e", "{}", 1)).value.id).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
    await query(url, "UPDATE parzen_schema SET version = version + 1");
    const err = await openPostgresStore({ url }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect((err as Error).message).toMatch(/newer than this Parzen's/);
    // A failure that is no ParzenError (here: no such database) comes back as one start-up sentence.
    const missing = await openPostgresStore({ url: cluster.url("no_such_db") }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect((missing as Error).message).toMatch(/no_such_db.*CREATE DATABASE/);
  });
});
