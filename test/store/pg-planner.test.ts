/**
 * A unit's cost does not grow with its experiment, whatever PostgreSQL's statistics say about it. Statistics are
 * gathered by ANALYZE, which autovacuum runs once a tenth of a table has changed: in a database with a long history,
 * a new experiment stays unknown to them (estimated at about one row) for its whole life. A Report that updates one
 * trial must still read one trial, not the experiment's every trial (bench/RESULTS.md, "The planner and a new
 * experiment"): counted by PostgreSQL itself (pg_stat_user_tables), once the store's connections have ended, which
 * is when a backend hands its counts over.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { unitStatement } from "../../src/store/postgres/unit-statement.js";
import type { Unit } from "../../src/store/store.js";
import { type PgCluster, postgresAvailable } from "../pg-cluster.js";
import { testCluster } from "../pg-shared.js";
import { runningTrial as trial } from "./running-trial.js";

const suite = postgresAvailable ? describe : describe.skip;

/** Trials in the experiment the statistics never saw: a unit reading them all is far above `READS_BOUND`. */
const UNSEEN_TRIALS = 2_000;
/** Trial rows one unit may read (a primary-key lookup reads one or two, with the unit's own checks). */
const READS_BOUND = 20;

const insert = (experimentId: number, from: number, count: number): Unit => ({
  insert: Array.from({ length: count }, (_, i) => {
    const t = trial(experimentId, from + i);
    return { trial: t, params: { a: t.config[0]! } };
  }),
});

suite("PostgreSQL units and the planner's statistics", () => {
  let cluster: PgCluster;
  let databases = 0;
  beforeAll(async () => {
    cluster = await testCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  /** Closes `store` and waits until its backends are gone, their counts handed over. */
  async function closed(store: PostgresStore, db: string): Promise<void> {
    await store.close();
    const others = `SELECT count(*) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`;
    while ((await cluster.psql(others)).trim() !== "0") await new Promise((r) => setTimeout(r, 20));
  }
  /** Trial rows read so far in `db`, by sequential and index scans. */
  async function trialReads(db: string): Promise<number> {
    const out = await cluster.psql(
      "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'trials'",
      db,
    );
    return Number(out.trim());
  }

  /**
   * A database whose statistics know only experiment `seen` and whose autovacuum is off for trials (so it cannot
   * learn of the other, `unseen`, while the test runs), with UNSEEN_TRIALS running trials in `unseen`.
   */
  async function staleStatistics(): Promise<{ db: string; url: string; unseen: number; ids: readonly number[] }> {
    const db = `planner${++databases}`;
    const url = await cluster.createDatabase(db);
    const store = await openPostgresStore({ url });
    const seen = (await store.createExperiment("seen", "{}", 1)).value.id;
    await store.write(seen, insert(seen, 0, 300));
    await cluster.psql("ALTER TABLE trials SET (autovacuum_enabled = false); ANALYZE trials", db);
    const unseen = (await store.createExperiment("unseen", "{}", 1)).value.id;
    const ids = (await store.write(unseen, insert(unseen, 0, UNSEEN_TRIALS))).value;
    await closed(store, db);
    return { db, url, unseen, ids };
  }

  it("a page of an experiment the statistics never saw reads the page, not the experiment", async () => {
    const { db, url, unseen } = await staleStatistics();
    const before = await trialReads(db);
    const store = await openPostgresStore({ url });
    const page = await store.loadTrials(unseen, UNSEEN_TRIALS - 10, 5, (p) => Float64Array.of(p.a ?? Number.NaN));
    await closed(store, db);
    expect(page.map((t) => t.number)).toEqual([1990, 1991, 1992, 1993, 1994]);
    expect((await trialReads(db)) - before).toBeLessThan(READS_BOUND);
  }, 60_000);

  for (const [how, steps] of [
    ["in one statement", false],
    ["in steps", true],
  ] as const) {
    it(`a unit updating one trial of an experiment the statistics never saw reads one trial, ${how}`, async () => {
      const { db, url, unseen, ids } = await staleStatistics();
      const id = ids[UNSEEN_TRIALS - 1]!;
      const done = { ...trial(unseen, UNSEEN_TRIALS - 1), id, state: "complete" as const, loss: 0.5, endTime: 2 };
      const units: Unit[] = [
        { update: [done] },
        // A curve point on a trial not otherwise updated moves that trial's version (the `touch` write).
        { points: [{ trialId: ids[0]!, step: 3, value: 1.5 }] },
      ];
      for (const unit of units) {
        const before = await trialReads(db);
        const store = await openPostgresStore({ url });
        await store.write(unseen, steps ? { ...unit, withIds: () => ({}) } : unit);
        await closed(store, db);
        expect((await trialReads(db)) - before).toBeLessThan(READS_BOUND);
      }
      // The writes landed: a read through another store sees them.
      const store = await openPostgresStore({ url });
      const read = await store.loadTrials(unseen, 0, 1, (p) => Float64Array.of(p.a ?? Number.NaN));
      const last = await store.loadTrials(unseen, UNSEEN_TRIALS - 1, 1, (p) => Float64Array.of(p.a ?? Number.NaN));
      expect(read[0]!.intermediate).toEqual([[3, 1.5]]);
      expect([last[0]!.state, last[0]!.loss]).toEqual(["complete", 0.5]);
      await closed(store, db);
    }, 60_000);
  }

  it("a one-trial update is planned once per connection, not at every call", async () => {
    // PostgreSQL plans a prepared statement's first five calls for their values, then keeps a generic plan only if
    // it does not look dearer than those; a Report's unit planned at every call costs more than it runs.
    const db = `planner${++databases}`;
    const url = await cluster.createDatabase(db);
    const store = await openPostgresStore({ url });
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    // A table of some size, known to the statistics: there one lookup by primary key is far cheaper than ten.
    await store.write(e, insert(e, 0, 20_000));
    const ids = (await store.write(e, insert(e, 20_000, 20))).value;
    await closed(store, db);
    await cluster.psql("ANALYZE trials", db);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      let name = "";
      for (const [i, id] of ids.entries()) {
        const done = { ...trial(e, i), id, state: "complete" as const, loss: i, endTime: 2 };
        const q = unitStatement("parzen_test", "t", e, { update: [done] }, { keys: [1, 2], timeoutMs: 1000 });
        name = q.name!;
        expect((await client.query(q)).rows[0].checked).toBe(0);
      }
      const plans = await client.query(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1",
        [name],
      );
      expect(plans.rows).toEqual([{ generic_plans: String(ids.length - 5), custom_plans: "5" }]);
    } finally {
      await client.end();
    }
  }, 60_000);
});
