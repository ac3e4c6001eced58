/**
 * The PostgreSQL store against the Store contract (contract.ts), each test
 * on a fresh database of one throwaway cluster (../pg-cluster.ts), plus what
 * only PostgreSQL promises: start-up errors, the schema version check, and
 * the change feed and version check that several servers rely on.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LOCK_TIMED_OUT, ParzenError } from "../../src/errors.js";
import type { StoredParams, TrialRow } from "../../src/store/rows.js";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { loadPostgresMigrations } from "../../src/store/postgres/migrate.js";
import { PARZEN_LOCKS } from "../../src/store/postgres/connect.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";
import { testCluster } from "../pg-shared.js";
import { outcomeOf } from "./outcome.js";
import { runningTrial, suggestRequest } from "./running-trial.js";
import { storeContract, type StoreHarness } from "./contract.js";
import { testPki } from "../integration/certs.js";

let cluster: Promise<PgCluster> | undefined;
const theCluster = () => {
  cluster ??= testCluster();
  return cluster;
};
afterAll(async () => {
  await (await cluster)?.stop();
}, 60_000);

let databases = 0;
async function freshDatabase(): Promise<string> {
  return (await theCluster()).createDatabase(`t${++databases}`);
}

async function openHarness(): Promise<StoreHarness & { store: PostgresStore; url: string }> {
  const url = await freshDatabase();
  const h = {
    url,
    store: await openPostgresStore({ url }),
    async reopen() {
      await h.store.close();
      h.store = await openPostgresStore({ url });
    },
    async dispose() {
      await h.store.close();
    },
  };
  return h;
}

const suite = postgresAvailable ? describe : describe.skip;

if (postgresAvailable) storeContract("PostgreSQL", openHarness, { feed: true, breakCommit: false });

const toConfig = (p: StoredParams): Float64Array => Float64Array.of(p.a ?? Number.NaN);
const trial = runningTrial;
const insert = (...trials: TrialRow[]) => ({ insert: trials.map((t) => ({ trial: t, params: { a: t.config[0]! } })) });

suite("PostgreSQL store", () => {
  let h: Awaited<ReturnType<typeof openHarness>> | undefined;
  beforeAll(async () => {
    await theCluster();
  }, 60_000);
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  it("tracks the schema version and refuses a database written by a newer Parzen", async () => {
    h = await openHarness();
    const admin = new pg.Client({ connectionString: h.url });
    await admin.connect();
    try {
      const { rows } = await admin.query("SELECT version FROM parzen_schema");
      expect(rows[0]!.version).toBe(loadPostgresMigrations().at(-1)!.version);
      await admin.query("UPDATE parzen_schema SET version = 99");
    } finally {
      await admin.end();
    }
    const err = await outcomeOf(openPostgresStore({ url: h.url }));
    expect(err).toMatch(/^FAILED_PRECONDITION: .*schema version 99, newer than this Parzen's \d+; upgrade Parzen/);
  });

  it("migrates once when servers start together", async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url })));
    const e = await stores[0]!.createExperiment("e", "{}", 1);
    expect((await stores[2]!.experimentByName("e"))?.id).toBe(e.value.id);
    await Promise.all(stores.map((s) => s.close()));
  });

  it("says clearly when the server is unreachable, the login fails or the database is missing", async () => {
    const c = await theCluster();
    // Port 1: nothing listens there (it is privileged, and unused on these machines).
    const closed = `postgres://parzen@127.0.0.1:1/postgres`;
    expect(await outcomeOf(openPostgresStore({ url: closed }))).toMatch(
      /^UNAVAILABLE: cannot reach the PostgreSQL server/,
    );
    const missingRole = c.url().replace("parzen@", "nobody:secret@");
    const refused = await outcomeOf(openPostgresStore({ url: missingRole }));
    expect(refused).toMatch(/^FAILED_PRECONDITION: PostgreSQL refused the login for postgres:\/\/nobody:\*\*\*@/);
    expect(refused).not.toContain("secret");
    const missingDb = c.url("no_such_db");
    expect(await outcomeOf(openPostgresStore({ url: missingDb }))).toMatch(
      /^FAILED_PRECONDITION: .*no_such_db.*CREATE DATABASE/,
    );
    expect(await outcomeOf(openPostgresStore({ url: `${c.url()}?sslmode=sometimes` }))).toMatch(/unknown sslmode/);
    // The test cluster has no TLS: prefer goes without, as libpq does; require must not.
    const preferred = await openPostgresStore({ url: `${c.url()}?sslmode=prefer` });
    await preferred.close();
    expect(await outcomeOf(openPostgresStore({ url: `${c.url()}?sslmode=require` }))).toMatch(
      /^(FAILED_PRECONDITION|UNAVAILABLE)/,
    );
  });

  it("several stores on one database: units of one experiment serialise, numbers claimed once", async () => {
    h = await openHarness();
    const others = await Promise.all([1, 2].map(() => openPostgresStore({ url: h!.url })));
    const stores = [h.store, ...others];
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    // Each store claims numbers by optimistic version checks, as three servers would: read head, write, retry.
    const claimed: number[][] = [[], [], []];
    await Promise.all(
      stores.map(async (s, k) => {
        for (let done = 0; done < 15; ) {
          const head = await s.feed.changesSince(e, 0, toConfig);
          const next = head!.trials.length;
          try {
            await s.write(e, { ...insert(trial(e, next)), expectVersion: head!.version });
            claimed[k]!.push(next);
            done++;
          } catch (err) {
            if (!(err instanceof ParzenError && err.code === "ABORTED")) throw err;
          }
        }
      }),
    );
    const numbers = claimed.flat().sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 45 }, (_, i) => i));
    await Promise.all(others.map((s) => s.close()));
  });

  it("two stores claiming the same enqueued trial, or marking the same lapsed lease LOST, at the same version: one wins", async () => {
    h = await openHarness();
    const other = await openPostgresStore({ url: h.url });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    const w = await h.store.write(e, insert(trial(e, 0, { state: "waiting", source: "enqueued" }), trial(e, 1)));
    const [waiting, running] = w.value;
    for (const [id, to] of [
      [waiting!, "running"],
      [running!, "lost"],
    ] as const) {
      const head = await h.store.feed.changesSince(e, 0, toConfig);
      const claim = (s: PostgresStore, worker: string) =>
        s.write(e, {
          update: [{ ...trial(e, 0), id, state: to, workerId: worker }],
          expectVersion: head!.version,
        });
      const outcomes = await Promise.allSettled([claim(h.store, "a"), claim(other, "b")]);
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect((lost.reason as ParzenError).code).toBe("ABORTED");
      const after = (await h.store.loadTrials(e, 0, 10, toConfig)).find((t) => t.id === id)!;
      expect(after.state).toBe(to);
      expect(after.workerId).toBe(outcomes[0]!.status === "fulfilled" ? "a" : "b");
    }
    await other.close();
  });

  it("notifies every store on the database of each committed unit", async () => {
    h = await openHarness();
    const other = await openPostgresStore({ url: h.url });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    const seen: [number, number][] = [];
    let wake: () => void = () => {};
    const unlisten = await other.feed.onChange((id, version) => {
      seen.push([id, version]);
      if (seen.length === 2) wake();
    });
    const both = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await h.store.write(e, insert(trial(e, 0)));
    await h.store.write(e, insert(trial(e, 1)));
    await both;
    expect(seen).toEqual([
      [e, 1],
      [e, 2],
    ]);
    await unlisten();
    await other.close();
  });

  it("sends one notice per lock turn, at its commit, with the turn's last version", async () => {
    const mine = await openHarness();
    h = mine;
    const other = await openPostgresStore({ url: mine.url });
    const e = (await mine.store.createExperiment("e", "{}", 1)).value.id;
    const seen: [number, number, boolean][] = [];
    let wake: () => void = () => {};
    const two = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const unlisten = await other.feed.onChange((id, version, mine) => {
      seen.push([id, version, mine]);
      if (seen.length === 2) wake();
    });
    // A turn that writes nothing sends no notice.
    const empty = await mine.store.lock(e);
    empty.release();
    await mine.store.durable();
    const { release } = await mine.store.lock(e);
    const written = await Promise.all([0, 1, 2].map((n) => mine.store.write(e, insert(trial(e, n)))));
    release();
    await written[2]!.durable;
    // A unit outside a turn notifies on its own: arriving after it, the turn's notices have all arrived.
    await mine.store.write(e, insert(trial(e, 3)));
    await two;
    expect(seen).toEqual([
      [e, 3, false],
      [e, 4, false],
    ]);
    expect(other.roundTrips.notices).toBe(2);
    await unlisten();
    await other.close();
  });

  it("lets one store at a time hold an experiment's lock, other experiments' locks meanwhile free", async () => {
    const mine = await openHarness();
    h = mine;
    const other = await openPostgresStore({ url: mine.url });
    const e = (await mine.store.createExperiment("e", "{}", 1)).value.id;
    const f = (await mine.store.createExperiment("f", "{}", 1)).value.id;
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const hasLock = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = (async () => {
      const { release } = await mine.store.lock(e);
      order.push("first in");
      locked();
      await held;
      // Writes while holding go through the lock's connection.
      await mine.store.write(e, insert(trial(e, 0)));
      order.push("first out");
      release();
      release(); // idempotent
    })();
    await hasLock;
    // A unit written without the lock waits for the holder too.
    const unlocked = other.write(e, insert(trial(e, 1))).then(() => order.push("unit"));
    let seen: number[] = [];
    const second = (async () => {
      const { release } = await other.lock(e);
      order.push("second in");
      const changes = await other.feed.changesSince(e, 0, toConfig);
      seen = changes!.trials.map((t) => t.number);
      release();
    })();
    // Another experiment is not held up by e's lock.
    const { release: releaseF } = await other.lock(f);
    order.push("f");
    releaseF();
    release();
    await Promise.all([first, second, unlocked]);
    // The unit and the second holder both waited for the first holder (in either order between them).
    expect(order.slice(0, 3)).toEqual(["first in", "f", "first out"]);
    expect(order.slice(3).sort()).toEqual(["second in", "unit"]);
    // The second holder sees the first holder's write, and the unlocked unit's only if that unit got the lock
    // first (PostgreSQL promises no order between two waiters); if not, the unit finished after it.
    if (seen.length === 1) expect(order.indexOf("unit")).toBeGreaterThan(order.indexOf("second in"));
    else expect(seen).toEqual([0, 1]);
    expect(seen[0]).toBe(0);
    await other.close();
  });

  it("bounds the wait for an experiment's lock another session holds, with UNAVAILABLE, and leaves no bound behind", async () => {
    h = await openHarness();
    const bounded = await openPostgresStore({ url: h.url, poolSize: 3, lockTimeoutMs: 300 });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    const hung = new pg.Client({ connectionString: h.url });
    await hung.connect();
    try {
      await hung.query("SELECT pg_advisory_lock($1, $2)", [PARZEN_LOCKS + 1, e]);
      const timedOut = new RegExp(`^UNAVAILABLE: ${LOCK_TIMED_OUT} for over 0.3 s \\(experiment id ${e}\\); retry`);
      for (const attempt of [
        () => bounded.lock(e),
        () => bounded.write(e, insert(trial(e, 0))),
        // A unit in steps (its withIds) shares the lock in its first round trip, under the same bound.
        () => bounded.write(e, { ...insert(trial(e, 0)), withIds: () => ({}) }),
      ]) {
        const started = performance.now();
        expect(await outcomeOf(attempt())).toMatch(timedOut);
        expect(performance.now() - started).toBeGreaterThanOrEqual(270);
      }
      // The answer names the query that finds the holder (here, the hung session), and keeps PostgreSQL's error.
      const refused = await bounded.lock(e).then(
        () => undefined,
        (err: unknown) => err as ParzenError,
      );
      expect((refused?.cause as { code?: string } | undefined)?.code).toBe("55P03");
      const finder = /a server may be hung holding it: (SELECT .*) shows it$/.exec(refused?.message ?? "")?.[1];
      expect(finder).toMatch(/^SELECT pid, client_addr, backend_start, state, query FROM pg_locks /);
      const holder = (await hung.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      expect((await h.store.pool.query(finder!)).rows.map((r) => r.pid)).toEqual([holder]);
      await hung.query("SELECT pg_advisory_unlock($1, $2)", [PARZEN_LOCKS + 1, e]);
      // The pool's connections went back without the bound: a plain session waits as PostgreSQL's default says.
      const settings = await Promise.all([0, 1, 2].map(() => bounded.pool.connect()));
      for (const c of settings) expect((await c.query("SHOW lock_timeout")).rows[0].lock_timeout).toBe("0");
      for (const c of settings) c.release();
      const { release } = await bounded.lock(e);
      const written = await bounded.write(e, insert(trial(e, 0)));
      release();
      // Written in the lock's turn: committed with its release.
      await written.durable;
      expect((await bounded.feed.changesSince(e, 0, toConfig))!.trials.map((t) => t.number)).toEqual([0]);
    } finally {
      await hung.end();
      await bounded.close();
    }
  });

  it("bounds a unit's wait for the experiment's row too (its one statement sets the bound before the bump)", async () => {
    h = await openHarness();
    const bounded = await openPostgresStore({ url: h.url, poolSize: 3, lockTimeoutMs: 300 });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    const hung = new pg.Client({ connectionString: h.url });
    await hung.connect();
    try {
      // A session stuck inside a transaction that wrote the experiment's row (not its advisory lock).
      await hung.query("BEGIN");
      await hung.query("UPDATE experiments SET version = version WHERE id = $1", [e]);
      const started = performance.now();
      expect(await outcomeOf(bounded.write(e, insert(trial(e, 0))))).toMatch(
        new RegExp(`^UNAVAILABLE: ${LOCK_TIMED_OUT} for over 0.3 s`),
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(270);
      await hung.query("ROLLBACK");
      expect((await bounded.write(e, insert(trial(e, 0)))).version).toBe(1);
    } finally {
      await hung.end();
      await bounded.close();
    }
  });

  it("pulls under the lock in the same call, and commits the turn's units together when it is released", async () => {
    h = await openHarness();
    const other = await openPostgresStore({ url: h.url });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    await h.store.write(e, insert(trial(e, 0)));
    const { release, changes } = await h.store.lock(e, { version: 0, toConfig });
    expect(changes!.version).toBe(1);
    expect(changes!.trials.map((t) => t.number)).toEqual([0]);
    const request = { method: "Suggest", requestId: "r1", trialIds: [], withInserted: true, createTime: 1 };
    const a = await h.store.write(e, { ...insert(trial(e, 1)), request, expectVersion: 1 });
    const b = await h.store.write(e, insert(trial(e, 2)));
    expect([a.version, b.version]).toEqual([2, 3]);
    let committed = false;
    const all = h.store.durable().then(() => {
      committed = true;
    });
    // Applied: this store reads them (on the lock's connection) and finds the request logged; no one else yet.
    expect((await h.store.loadTrials(e, 0, 10, toConfig)).map((t) => t.number)).toEqual([0, 1, 2]);
    expect(await h.store.findRequest("Suggest", "r1")).toEqual({ experimentId: e, trialIds: [...a.value] });
    expect((await other.loadTrials(e, 0, 10, toConfig)).map((t) => t.number)).toEqual([0]);
    expect(await other.findRequest("Suggest", "r1")).toBeUndefined();
    expect(committed).toBe(false);
    const commits = h.store.roundTrips.commit;
    release();
    await Promise.all([a.durable, b.durable, all]);
    expect(h.store.roundTrips.commit).toBe(commits + 1);
    expect((await other.loadTrials(e, 0, 10, toConfig)).map((t) => t.number)).toEqual([0, 1, 2]);
    expect(await other.findRequest("Suggest", "r1")).toEqual({ experimentId: e, trialIds: [...a.value] });
    // Taken again from the version it last saw, the pull brings nothing.
    const again = await h.store.lock(e, { version: 3, toConfig });
    expect(again.changes).toEqual({ version: 3, trials: [], lifecycle: null });
    again.release();
    await other.close();
  });

  it("loses a whole turn when one of its units fails: rollback listeners, UNAVAILABLE for the others, lock free", async () => {
    h = await openHarness();
    const other = await openPostgresStore({ url: h.url });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    let rolledBack = 0;
    h.store.onRollback(() => rolledBack++);
    const { release } = await h.store.lock(e);
    const a = await h.store.write(e, insert(trial(e, 0)));
    const missing = { ...trial(e, 5), id: 987_654 };
    expect(await outcomeOf(h.store.write(e, { update: [missing] }))).toMatch(/^NOT_FOUND: trial 987654/);
    expect(rolledBack).toBe(1);
    expect(await outcomeOf(a.durable)).toMatch(/^UNAVAILABLE: a write to experiment \d+ failed.*retry with the same/);
    // The lock went with the rollback, before the release: another store takes it and finds nothing written.
    const taken = await other.lock(e, { version: 0, toConfig });
    expect(taken.changes).toEqual({ version: 0, trials: [], lifecycle: null });
    taken.release();
    release();
    // The store writes on as before.
    expect((await h.store.write(e, insert(trial(e, 0)))).version).toBe(1);
    await other.close();
  });

  it("refuses a unit whose request id is logged without losing its turn, and reads no log to do so", async () => {
    h = await openHarness();
    const other = await openPostgresStore({ url: h.url });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    const f = (await h.store.createExperiment("f", "{}", 1)).value.id;
    // Logged and committed by another server, before this store's turn.
    await other.write(e, { ...insert(trial(e, 0)), request: suggestRequest("done") });
    let rolledBack = 0;
    h.store.onRollback(() => rolledBack++);
    const { release } = await h.store.lock(e, { version: 0, toConfig });
    const reads = h.store.roundTrips.read;
    const a = await h.store.write(e, { ...insert(trial(e, 1)), request: suggestRequest("new"), expectVersion: 1 });
    // Logged before the turn, and logged earlier in this very turn: refused, nothing written, the turn goes on.
    expect(
      await outcomeOf(h.store.write(e, { ...insert(trial(e, 2)), request: suggestRequest("done"), expectVersion: 2 })),
    ).toBe('ALREADY_EXISTS: request_id "done" was already used');
    expect(
      await outcomeOf(h.store.write(e, { ...insert(trial(e, 2)), request: suggestRequest("new"), expectVersion: 2 })),
    ).toBe('ALREADY_EXISTS: request_id "new" was already used');
    // Logged by this turn, not committed yet: another experiment's unit is refused here, before any statement.
    expect(await outcomeOf(h.store.write(f, { ...insert(trial(f, 0)), request: suggestRequest("new") }))).toBe(
      'ALREADY_EXISTS: request_id "new" was already used',
    );
    const b = await h.store.write(e, { ...insert(trial(e, 2)), request: suggestRequest("next"), expectVersion: 2 });
    expect(b.version).toBe(3);
    expect(h.store.roundTrips.read).toBe(reads);
    release();
    await Promise.all([a.durable, b.durable]);
    expect(rolledBack).toBe(0);
    expect((await other.loadTrials(e, 0, 10, toConfig)).map((t) => t.number)).toEqual([0, 1, 2]);
    expect(await other.loadTrials(f, 0, 10, toConfig)).toEqual([]);
    expect(await other.findRequest("Suggest", "next")).toEqual({ experimentId: e, trialIds: [...b.value] });
    // Outside a turn too: refused, and the experiment's version stays.
    expect(
      await outcomeOf(h.store.write(e, { ...insert(trial(e, 3)), request: suggestRequest("next"), expectVersion: 3 })),
    ).toBe('ALREADY_EXISTS: request_id "next" was already used');
    expect((await h.store.write(e, insert(trial(e, 3)))).version).toBe(4);
    await other.close();
  });

  it("tells a store's own notices from other stores'", async () => {
    h = await openHarness();
    const other = await openPostgresStore({ url: h.url });
    const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
    const heard: [string, number, boolean][] = [];
    let wake: () => void = () => {};
    const four = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const listen = (who: string) => (id: number, version: number, mine: boolean) => {
      if (id === e) heard.push([who, version, mine]);
      if (heard.length === 4) wake();
    };
    const unlisten = [await h.store.feed.onChange(listen("h")), await other.feed.onChange(listen("other"))];
    await h.store.write(e, insert(trial(e, 0)));
    await other.write(e, insert(trial(e, 1)));
    await four;
    expect(heard.sort()).toEqual([
      ["h", 1, true],
      ["h", 2, false],
      ["other", 1, false],
      ["other", 2, true],
    ]);
    for (const u of unlisten) await u();
    await other.close();
  });
});

suite("PostgreSQL over TLS, as the URL's sslmode asks", () => {
  let tlsCluster: PgCluster;
  let dir: string;
  let caFile: string;
  let otherCaFile: string;
  beforeAll(async () => {
    const pki = testPki();
    tlsCluster = await startCluster({ tls: { cert: pki.server.cert, key: pki.server.key } });
    dir = mkdtempSync(join(tmpdir(), "parzen-pg-ca-"));
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, pki.ca.cert);
    otherCaFile = join(dir, "other-ca.pem");
    writeFileSync(otherCaFile, testPki().ca.cert);
  }, 60_000);
  afterAll(async () => {
    await tlsCluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Whether the store's connections are encrypted, as the server sees them. */
  const encrypted = async (url: string): Promise<boolean> => {
    const store = await openPostgresStore({ url });
    try {
      const { rows } = await store.pool.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      return rows[0]!.ssl as boolean;
    } finally {
      await store.close();
    }
  };

  it("encrypts with require, verify-ca and verify-full, and not with disable", async () => {
    const url = tlsCluster.url();
    expect(await encrypted(`${url}?sslmode=require`)).toBe(true);
    expect(await encrypted(`${url}?sslmode=verify-ca&sslrootcert=${caFile}`)).toBe(true);
    expect(await encrypted(`${url}?sslmode=verify-full&sslrootcert=${caFile}`)).toBe(true);
    expect(await encrypted(`${url}?sslmode=prefer`)).toBe(true);
    expect(await encrypted(`${url}?sslmode=disable`)).toBe(false);
    expect(await encrypted(url)).toBe(false);
  });

  it("refuses a server whose certificate the given CA did not sign, with a clear start-up error", async () => {
    const url = tlsCluster.url();
    expect(
      await outcomeOf(openPostgresStore({ url: `${url}?sslmode=verify-full&sslrootcert=${otherCaFile}` })),
    ).toMatch(/^(UNAVAILABLE|FAILED_PRECONDITION): .*(certificate|signature)/i);
    expect(await outcomeOf(openPostgresStore({ url: `${url}?sslmode=verify-ca&sslrootcert=/no/such/ca.pem` }))).toMatch(
      /^FAILED_PRECONDITION: --db sslrootcert: cannot read \/no\/such\/ca\.pem/,
    );
  });
});
