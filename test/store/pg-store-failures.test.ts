/**
 * The PostgreSQL store when PostgreSQL itself refuses (postgres-store.ts `mapped`, docs/reliability.md's PostgreSQL
 * section): a transaction aborted for a conflict (a serialization failure, a deadlock) is UNAVAILABLE with
 * "retry", nothing of the unit written; any other error of the database is INTERNAL "database error: …"; a LISTEN
 * the database refuses fails the subscription. Each failure is PostgreSQL's own, provoked through the test's admin
 * connection on a throwaway cluster (../pg-cluster.ts): a database whose transactions default to REPEATABLE READ
 * and a concurrent update, two transactions locking rows in opposite orders, a trigger, a renamed table, a
 * schema CHECK, and a hot standby (where PostgreSQL refuses LISTEN and writes).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { StoredParams, TrialRow } from "../../src/store/rows.js";
import type { Unit } from "../../src/store/store.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";
import { testCluster } from "../pg-shared.js";
import { runningTrial } from "./running-trial.js";

const suite = postgresAvailable ? describe : describe.skip;

const toConfig = (p: StoredParams): Float64Array => Float64Array.of(p.a ?? Number.NaN);
const trial = runningTrial;
const insert = (...trials: TrialRow[]) => ({ insert: trials.map((t) => ({ trial: t, params: { a: t.config[0]! } })) });
/** The same unit, written in steps (a `withIds` that adds nothing). */
const inSteps = (unit: Unit): Unit => ({ ...unit, withIds: () => ({}) });
const forms = [
  ["in one statement", (u: Unit) => u],
  ["in steps", inSteps],
] as const;

/** "CODE: message" of the ParzenError a promise rejects with, and " [SQLSTATE]" of PostgreSQL's error it carries. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ParzenError)) return `not a ParzenError: ${String(err)}`;
    const cause = (err.cause as { code?: unknown } | undefined)?.code;
    return `${err.code}: ${err.message}${typeof cause === "string" ? ` [${cause}]` : ""}`;
  }
  return "resolved";
}

/** Waits until `n` lock requests in `c`'s database wait (the activity snapshot cleared: `c` may be in a transaction). */
async function lockWaiters(c: pg.Client, n: number): Promise<void> {
  for (;;) {
    const r = (await c.query(`SELECT pg_stat_clear_snapshot();
      SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted
        AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`)) as unknown as pg.QueryResult[];
    if ((r[1]!.rows[0] as { n: number }).n >= n) return;
  }
}

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

suite("PostgreSQL store: the database's own refusals", () => {
  let cluster: PgCluster;
  let databases = 0;
  const stores: PostgresStore[] = [];
  const clients: pg.Client[] = [];
  /** A fresh database, `settings` applied to it before the store (and so its connections) opens. */
  async function open(
    settings: string[] = [],
    options: { poolSize?: number } = {},
  ): Promise<{ store: PostgresStore; admin: pg.Client; url: string }> {
    const name = `f${++databases}`;
    const url = await cluster.createDatabase(name);
    for (const s of settings) await cluster.psql(`ALTER DATABASE "${name}" SET ${s}`);
    const store = await openPostgresStore({ url, ...options });
    stores.push(store);
    const admin = await client(url);
    clients.push(admin);
    return { store, admin, url };
  }
  beforeAll(async () => {
    cluster = await testCluster();
  }, 120_000);
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => {});
    for (const s of stores.splice(0)) await s.close().catch(() => {});
  });
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  for (const [how, as] of forms) {
    it(`a unit aborted by a serialization failure is UNAVAILABLE and writes nothing, ${how}`, async () => {
      // Transactions at REPEATABLE READ: a row updated by another transaction since the unit's snapshot fails it.
      const { store, admin } = await open(["default_transaction_isolation = 'repeatable read'"]);
      const e = (await store.createExperiment("e", "{}", 1)).value.id;
      let rolledBack = 0;
      store.onRollback(() => rolledBack++);
      await admin.query("BEGIN");
      await admin.query("UPDATE experiments SET version = version WHERE id = $1", [e]);
      const refused = refusal(store.write(e, as(insert(trial(e, 0)))));
      // The unit waits for the admin's row lock, its snapshot taken; the admin's commit makes it stale.
      await lockWaiters(admin, 1);
      await admin.query("COMMIT");
      expect(await refused).toBe(
        "UNAVAILABLE: the database aborted a conflicting write (could not serialize access due to concurrent update); retry [40001]",
      );
      // Not a lost connection: what the service mirrors stays.
      expect(rolledBack).toBe(0);
      expect(await store.loadTrials(e, 0, 10, toConfig)).toEqual([]);
      // The retry goes through.
      expect((await store.write(e, as(insert(trial(e, 0))))).version).toBe(1);
    });
  }

  it("a deadlock inside a turn is UNAVAILABLE, and loses the turn with its earlier units", async () => {
    // The store's backends look for deadlocks after 100 ms; the admin's never in this test, so the store's is
    // the transaction PostgreSQL aborts.
    const { store, admin, url } = await open(["deadlock_timeout = '100ms'"]);
    await admin.query("SET deadlock_timeout = '1h'");
    const watcher = await client(url);
    clients.push(watcher);
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const [a, b] = (await store.write(e, insert(trial(e, 0), trial(e, 1)))).value;
    let rolledBack = 0;
    store.onRollback(() => rolledBack++);
    const { release } = await store.lock(e);
    // The turn's first unit holds the experiment's row (its version bump) and trial 0's.
    const first = await store.write(e, { update: [{ ...trial(e, 0), id: a!, workerId: "first" }] });
    // The admin holds trial 1's row and waits for the experiment's.
    await admin.query("BEGIN");
    await admin.query("UPDATE trials SET worker_id = 'admin' WHERE id = $1", [b]);
    const adminWaits = admin.query("UPDATE experiments SET version = version WHERE id = $1", [e]);
    await lockWaiters(watcher, 1);
    // The turn's second unit wants trial 1: each waits for the other.
    expect(await refusal(store.write(e, { update: [{ ...trial(e, 1), id: b!, workerId: "second" }] }))).toBe(
      "UNAVAILABLE: the database aborted a conflicting write (deadlock detected); retry [40P01]",
    );
    expect(await refusal(first.durable)).toMatch(
      new RegExp(`^UNAVAILABLE: a write to experiment ${e} failed, and with it the changes written in the same turn`),
    );
    expect(rolledBack).toBe(1);
    release();
    // The turn's rollback let the admin through.
    await adminWaits;
    await admin.query("COMMIT");
    const trials = await store.loadTrials(e, 0, 10, toConfig);
    expect(trials.map((t) => t.workerId)).toEqual(["w", "admin"]);
    expect((await store.write(e, insert(trial(e, 2)))).version).toBe(2);
  });

  for (const [how, as] of forms) {
    it(`any other refusal of the database is INTERNAL "database error", ${how}`, async () => {
      const { store, admin } = await open();
      const e = (await store.createExperiment("e", "{}", 1)).value.id;
      const [a] = (await store.write(e, insert(trial(e, 0)))).value;
      // The schema's CHECK on curve steps (the service validates steps first; the store does not).
      expect(await refusal(store.write(e, as({ points: [{ trialId: a!, step: -1, value: 1 }] })))).toMatch(
        /^INTERNAL: database error: new row for relation "intermediate_values" violates check constraint "intermediate_values_step_check" \[23514\]$/,
      );
      await admin.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test''s trigger'; END $$`);
      await admin.query("CREATE TRIGGER refuse BEFORE INSERT ON trials FOR EACH ROW EXECUTE FUNCTION refuse()");
      expect(await refusal(store.write(e, as(insert(trial(e, 1)))))).toBe(
        "INTERNAL: database error: refused by the test's trigger [P0001]",
      );
      // A refusal of the request log's insert is the database's too, not "already used".
      await admin.query("CREATE TRIGGER refuse BEFORE INSERT ON request_log FOR EACH ROW EXECUTE FUNCTION refuse()");
      const request = { method: "Report", requestId: "r1", trialIds: [a!], createTime: 1 };
      expect(await refusal(store.write(e, as({ points: [{ trialId: a!, step: 1, value: 1 }], request })))).toBe(
        "INTERNAL: database error: refused by the test's trigger [P0001]",
      );
      // Nothing of the three units was written.
      const changes = await store.changesSince(e, 0, toConfig);
      expect(changes!.version).toBe(1);
      expect(changes!.trials.map((t) => [t.number, t.intermediate.length])).toEqual([[0, 0]]);
    });
  }

  it("refuses a stored state or source it does not know, naming which (the schema's CHECKs dropped by hand)", async () => {
    const { store, admin } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    await store.write(e, insert(trial(e, 0), trial(e, 1)));
    await admin.query("ALTER TABLE trials DROP CONSTRAINT trials_state_check, DROP CONSTRAINT trials_source_check");
    await admin.query("UPDATE trials SET state = 9 WHERE number = 0; UPDATE trials SET source = 7 WHERE number = 1");
    expect(await refusal(store.readTrials(e, 0, 0, false, () => new Float64Array(0)))).toBe(
      "INTERNAL: trials: unknown stored state 9",
    );
    expect(await refusal(store.loadTrials(e, 1, 1, toConfig))).toBe("INTERNAL: trials: unknown stored source 7");
  });

  for (const [how, as] of forms) {
    it(`a CHECK of the trials table that a unit breaks is INTERNAL, not a taken number, ${how}`, async () => {
      const { store, admin } = await open();
      const e = (await store.createExperiment("e", "{}", 1)).value.id;
      await admin.query("ALTER TABLE trials ADD CONSTRAINT below_1000 CHECK (number < 1000)");
      expect(await refusal(store.write(e, as(insert(trial(e, 1000)))))).toBe(
        'INTERNAL: database error: new row for relation "trials" violates check constraint "below_1000" [23514]',
      );
      expect(await store.loadTrials(e, 0, 10, toConfig)).toEqual([]);
    });

    it(`a request id another server logs at the same moment, for another experiment, is ALREADY_EXISTS, ${how}`, async () => {
      const { store, admin, url } = await open();
      const other = await openPostgresStore({ url });
      stores.push(other);
      const e = (await store.createExperiment("e", "{}", 1)).value.id;
      const f = (await store.createExperiment("f", "{}", 1)).value.id;
      const request = { method: "Suggest", requestId: "r", trialIds: [], createTime: 1 };
      // The first server's log entry is written in its turn, not committed: the second one's waits for it.
      const { release } = await store.lock(e);
      const first = await store.write(e, { ...insert(trial(e, 0)), request });
      const second = refusal(other.write(f, as({ ...insert(trial(f, 0)), request })));
      await lockWaiters(admin, 1);
      release();
      await first.durable;
      expect(await second).toBe('ALREADY_EXISTS: request_id "r" was already used');
      expect(await other.loadTrials(f, 0, 10, toConfig)).toEqual([]);
      expect(await other.findRequest("Suggest", "r")).toEqual({ experimentId: e, trialIds: [] });
    });
  }

  for (const [how, as] of forms) {
    it(`a unit whose connection the database terminates while it waits is UNAVAILABLE, ${how}`, async () => {
      const { store, admin } = await open();
      const e = (await store.createExperiment("e", "{}", 1)).value.id;
      let rolledBack = 0;
      store.onRollback(() => rolledBack++);
      // The admin holds the experiment's row, so the unit waits in its statement; then its backend is ended.
      await admin.query("BEGIN");
      await admin.query("UPDATE experiments SET version = version WHERE id = $1", [e]);
      const waiting = refusal(store.write(e, as(insert(trial(e, 0)))));
      await lockWaiters(admin, 1);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      expect(await waiting).toBe(
        "UNAVAILABLE: the database could not be reached, so this call may not have been stored " +
          "(terminating connection due to administrator command); retry with the same request_id [57P01]",
      );
      expect(rolledBack).toBe(1);
      await admin.query("ROLLBACK");
      expect((await store.write(e, as(insert(trial(e, 0))))).version).toBe(1);
    });
  }

  it("answers INTERNAL for reads, creations, deletions and locks the database refuses, and frees the turn", async () => {
    // A pool of 3: one lock holder at a time, so a failed lock that kept its slot would stall the next.
    const { store, admin } = await open([], { poolSize: 3 });
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    await admin.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'no % here', TG_OP; END $$`);
    await admin.query(
      "CREATE TRIGGER refuse BEFORE INSERT OR DELETE ON experiments FOR EACH ROW EXECUTE FUNCTION refuse()",
    );
    expect(await refusal(store.createExperiment("f", "{}", 1))).toBe(
      "INTERNAL: database error: no INSERT here [P0001]",
    );
    expect(await refusal(store.deleteExperiment(e))).toBe("INTERNAL: database error: no DELETE here [P0001]");
    await admin.query("ALTER TABLE trials RENAME TO trials_elsewhere");
    const gone = 'INTERNAL: database error: relation "trials" does not exist \\[42P01\\]';
    expect(await refusal(store.loadTrials(e, 0, 10, toConfig))).toMatch(new RegExp(`^${gone}`));
    expect(await refusal(store.lock(e, { version: 0, toConfig }))).toMatch(new RegExp(`^${gone}`));
    expect(await refusal(store.lock(e, { version: 0, toConfig }))).toMatch(new RegExp(`^${gone}`));
    await admin.query("ALTER TABLE trials_elsewhere RENAME TO trials");
    const { release, changes } = await store.lock(e, { version: 0, toConfig });
    expect(changes).toEqual({ version: 0, trials: [], lifecycle: null });
    release();
    // In a turn, on its connection: the refusal loses the turn with the units written in it, and frees the lock.
    let rolledBack = 0;
    store.onRollback(() => rolledBack++);
    const lost = new RegExp(
      `^UNAVAILABLE: a write to experiment ${e} failed, and with it the changes written in the same turn`,
    );
    const first = await store.lock(e);
    const before = await store.write(e, insert(trial(e, 0)));
    expect(await refusal(store.deleteExperiment(e))).toBe("INTERNAL: database error: no DELETE here [P0001]");
    expect(await refusal(before.durable)).toMatch(lost);
    first.release();
    // (Renamed before the turn, which would otherwise hold the table against the rename.)
    await admin.query("ALTER TABLE trials RENAME TO trials_elsewhere");
    const second = await store.lock(e);
    const unread = await store.write(e, { lifecycle: "x" });
    expect(await refusal(store.loadTrials(e, 0, 10, toConfig))).toMatch(new RegExp(`^${gone}`));
    expect(await refusal(unread.durable)).toMatch(lost);
    second.release();
    await admin.query("ALTER TABLE trials_elsewhere RENAME TO trials");
    expect(rolledBack).toBe(2);
    const third = await store.lock(e);
    third.release();
    expect(await store.changesSince(e, 0, toConfig)).toEqual({ version: 0, trials: [], lifecycle: null });
  });

  it("a turn whose commit the database refuses is lost: its units UNAVAILABLE, the listeners told, the lock free", async () => {
    const { store, admin } = await open([], { poolSize: 3 });
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    let rolledBack = 0;
    store.onRollback(() => rolledBack++);
    // A constraint trigger deferred to the commit: every unit is written, and the commit refused.
    await admin.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
    await admin.query(`CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON trials DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION refuse()`);
    const { release } = await store.lock(e);
    const written = await store.write(e, insert(trial(e, 0)));
    expect(written.version).toBe(1);
    release();
    expect(await refusal(written.durable)).toBe(
      `UNAVAILABLE: a write to experiment ${e} failed, and with it the changes written in the same turn ` +
        "(refused at commit); retry with the same request_id [P0001]",
    );
    expect(rolledBack).toBe(1);
    await admin.query("DROP TRIGGER refuse ON trials");
    const again = await store.lock(e);
    const w = await store.write(e, insert(trial(e, 0)));
    again.release();
    await w.durable;
    expect((await store.changesSince(e, 0, toConfig))!.trials.map((t) => t.number)).toEqual([0]);
  });

  it("a turn whose connection the database terminates is lost, and the lock is free again", async () => {
    const { store, admin } = await open([], { poolSize: 3 });
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    let rolledBack = 0;
    store.onRollback(() => rolledBack++);
    const { release } = await store.lock(e);
    const written = await store.write(e, insert(trial(e, 0)));
    const lost = refusal(written.durable);
    // The turn's connection is the only one idle inside a transaction.
    const ended = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'idle in transaction'`);
    expect(ended.rows).toEqual([{ ok: true }]);
    expect(await lost).toMatch(
      new RegExp(
        `^UNAVAILABLE: a write to experiment ${e} failed, and with it the changes written in the same turn \\(terminating connection due to administrator command\\)`,
      ),
    );
    expect(rolledBack).toBe(1);
    release();
    const again = await store.lock(e);
    const w = await store.write(e, insert(trial(e, 0)));
    again.release();
    await w.durable;
    expect((await store.changesSince(e, 0, toConfig))!.trials.map((t) => t.number)).toEqual([0]);
  });

  it("a point for a trial whose experiment is deleted underneath is NOT_FOUND, and nothing is written", async () => {
    const { store, admin } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const [a] = (await store.write(e, insert(trial(e, 0)))).value;
    await admin.query("BEGIN");
    await admin.query("DELETE FROM experiments WHERE id = $1", [e]);
    const refused = refusal(store.write(e, { points: [{ trialId: a!, step: 0, value: 1 }] }));
    await lockWaiters(admin, 1);
    await admin.query("COMMIT");
    expect(await refused).toBe(`NOT_FOUND: experiment ${e} does not exist`);
    const r = await admin.query("SELECT count(*)::int AS n FROM intermediate_values");
    expect(r.rows[0]).toEqual({ n: 0 });
  });
});

suite("PostgreSQL store on a hot standby", () => {
  let cluster: PgCluster;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);
  afterAll(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => {});
    await cluster?.stop();
  }, 60_000);

  it("fails a subscription whose LISTEN the database refuses, and answers writes INTERNAL", async () => {
    const url = await cluster.createDatabase("standby");
    const store = await openPostgresStore({ url });
    stores.push(store);
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    // Restarted as a hot standby (no primary to follow): it serves reads and refuses LISTEN and writes.
    const data = (await cluster.psql("SHOW data_directory")).trim();
    await cluster.pause();
    writeFileSync(join(data, "standby.signal"), "");
    await cluster.resume();
    let heard = 0;
    let lost = 0;
    const listening = store.feed.onChange(
      () => heard++,
      () => lost++,
    );
    await expect(listening).rejects.toMatchObject({ code: "25006", message: "cannot execute LISTEN during recovery" });
    expect(await refusal(store.write(e, insert(trial(e, 0))))).toMatch(
      /^INTERNAL: database error: cannot execute \w+ in a read-only transaction \[25006\]$/,
    );
    // Promoted, the same store listens and writes again.
    await cluster.psql("SELECT pg_promote(true, 60)");
    let wake: () => void = () => {};
    const woke = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await store.feed.onChange(() => wake());
    expect((await store.write(e, insert(trial(e, 0)))).version).toBe(1);
    await woke;
    // The refused subscriber hears nothing (its connection, kept in the pool, would carry it to the next one).
    expect([heard, lost]).toEqual([0, 0]);
  });
});
