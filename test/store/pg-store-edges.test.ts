/**
 * The PostgreSQL store's refusals and edges beyond the Store contract's codes (postgres-store.ts's header and
 * docs/reliability.md's PostgreSQL section), on one throwaway cluster (../pg-cluster.ts): each refusal's message
 * names the experiment, trial, trial number or request id, whether the unit is one statement or written in steps
 * (`withIds`); a stale unit names both versions; a unit written in steps inside a turn that fails undoes itself,
 * not the turn; a lost turn's request is not found; a delete inside a turn; at most all but two of the pool's
 * connections hold locks; the change feed's notices (a payload without an origin, a malformed one ignored, a lost
 * listening connection reported, unlistening); an unreachable database answering UNAVAILABLE and telling the
 * rollback listeners; a closed store refusing writes.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ABORTED_STALE } from "../../src/errors.js";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import { PARZEN_LOCKS } from "../../src/store/postgres/connect.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { StoredParams, TrialRow } from "../../src/store/rows.js";
import type { Unit } from "../../src/store/store.js";
import { type PgCluster, postgresAvailable } from "../pg-cluster.js";
import { testCluster } from "../pg-shared.js";
import { outcomeOf } from "./outcome.js";
import { runningTrial } from "./running-trial.js";

const suite = postgresAvailable ? describe : describe.skip;

const toConfig = (p: StoredParams): Float64Array => Float64Array.of(p.a ?? Number.NaN);
const trial = runningTrial;
const insert = (...trials: TrialRow[]) => ({ insert: trials.map((t) => ({ trial: t, params: { a: t.config[0]! } })) });
/** The same unit, written in steps (a `withIds` that adds nothing). */
const inSteps = (unit: Unit): Unit => ({ ...unit, withIds: () => ({}) });

suite("PostgreSQL store edges", () => {
  let cluster: PgCluster;
  let databases = 0;
  const stores: PostgresStore[] = [];
  async function open(
    options: { poolSize?: number; lockTimeoutMs?: number } = {},
  ): Promise<{ store: PostgresStore; url: string }> {
    const url = await cluster.createDatabase(`s${++databases}`);
    const store = await openPostgresStore({ url, ...options });
    stores.push(store);
    return { store, url };
  }
  beforeAll(async () => {
    cluster = await testCluster();
  }, 120_000);
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => {});
  });
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  for (const [how, as] of [
    ["in one statement", (u: Unit) => u],
    ["in steps", inSteps],
  ] as const) {
    it(`names what a refused unit lacks or repeats, ${how}`, async () => {
      const { store } = await open();
      const e = (await store.createExperiment("e", "{}", 1)).value.id;
      expect(await outcomeOf(store.createExperiment("e", "{}", 2))).toBe(
        'ALREADY_EXISTS: experiment "e" already exists',
      );
      const request = { method: "Suggest", requestId: "r1", trialIds: [], createTime: 1 };
      const [id] = (await store.write(e, { ...insert(trial(e, 0)), request })).value;
      expect(await outcomeOf(store.write(e, as({ ...insert(trial(e, 1)), request })))).toBe(
        'ALREADY_EXISTS: request_id "r1" was already used',
      );
      expect(await outcomeOf(store.write(e, as(insert(trial(e, 0)))))).toMatch(
        new RegExp(`^ALREADY_EXISTS: experiment ${e} already has that trial number \\(.*\\b0\\b.*\\)$`),
      );
      expect(await outcomeOf(store.write(e, as({ update: [{ ...trial(e, 0), id: id! + 100 }] })))).toBe(
        `NOT_FOUND: trial ${id! + 100} of experiment ${e} does not exist`,
      );
      expect(await outcomeOf(store.write(e, as({ points: [{ trialId: id! + 7, step: 0, value: 1 }] })))).toBe(
        `NOT_FOUND: trial ${id! + 7} of experiment ${e} does not exist`,
      );
      expect(await outcomeOf(store.write(e + 50, as(insert(trial(e + 50, 0)))))).toBe(
        `NOT_FOUND: experiment ${e + 50} does not exist`,
      );
      // A missing experiment is missing, whatever version the unit expected.
      expect(await outcomeOf(store.write(e + 50, as({ ...insert(trial(e + 50, 0)), expectVersion: 0 })))).toBe(
        `NOT_FOUND: experiment ${e + 50} does not exist`,
      );
      expect(await outcomeOf(store.write(e, as({ ...insert(trial(e, 1)), expectVersion: 0 })))).toBe(
        `ABORTED: ${ABORTED_STALE}: experiment ${e} is at version 1, not 0`,
      );
      // Nothing of the refused units was written: the experiment is where the first unit left it.
      const changes = await store.changesSince(e, 0, toConfig);
      expect(changes!.version).toBe(1);
      expect(changes!.trials.map((t) => t.number)).toEqual([0]);
      // The version it expects, and a unit that inserts nothing (no new ids).
      const fresh = await store.write(e, as({ ...insert(trial(e, 1)), expectVersion: 1 }));
      expect(fresh.version).toBe(2);
      expect(fresh.value).toHaveLength(1);
      expect((await store.write(e, as({ lifecycle: "x" }))).value).toEqual([]);
    });
  }

  it("stores every field of an inserted trial alike in one statement and in steps", async () => {
    const { store } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const full = (number: number) =>
      trial(e, number, {
        state: "complete",
        source: "imported",
        loss: 0.25,
        metrics: { m: 1.5 },
        userAttrs: { k: "v" },
        workerId: "w2",
        failReason: "why",
        createTime: 11,
        startTime: 12,
        endTime: 13,
        leaseDeadline: 14,
        intermediate: [[3, 0.5]],
        values: [1, 2],
        constraints: [-1],
        proposedBy: "tpe",
      });
    await store.write(e, insert(full(0), trial(e, 1)));
    await store.write(e, inSteps(insert(full(2), trial(e, 3))));
    const trials = await store.loadTrials(e, 0, 10, toConfig);
    const fields = ({ id: _id, number: _n, config: _c, ...rest }: TrialRow) => rest;
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3]);
    expect(fields(trials[2]!)).toEqual(fields(trials[0]!));
    expect(fields(trials[3]!)).toEqual(fields(trials[1]!));
    expect(fields(trials[2]!)).toEqual(fields({ ...full(2), intermediate: [[3, 0.5]] }));
    expect(trials[3]!.proposedBy).toBeUndefined();
    expect(fields(trials[3]!)).toEqual(fields(trial(e, 3)));

    // Updates: every field a unit may change, alike in one statement and in steps.
    const changed = (t: TrialRow): TrialRow => ({
      ...t,
      state: "fail",
      loss: 0.75,
      metrics: { n: 2 },
      userAttrs: { k: "w" },
      workerId: "w3",
      failReason: "because",
      startTime: 22,
      endTime: 23,
      leaseDeadline: 24,
      values: [3, 4],
      constraints: [0.5],
    });
    await store.write(e, { update: [changed(trials[1]!)] });
    await store.write(e, inSteps({ update: [changed(trials[3]!)] }));
    const updated = await store.loadTrials(e, 0, 10, toConfig);
    expect(fields(updated[3]!)).toEqual(fields(updated[1]!));
    expect(fields(updated[3]!)).toEqual(fields(changed(trials[3]!)));
  });

  it("writes units of every shape on one connection: a trial's update with its own or another's curve point, logged inserts", async () => {
    const { store } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const [a, b] = (await store.write(e, insert(trial(e, 0), trial(e, 1)))).value;
    const request = (requestId: string, withInserted: boolean) => ({
      method: "Suggest",
      requestId,
      trialIds: [7],
      withInserted,
      createTime: 1,
    });
    // In a turn, every unit runs on the lock's connection, where node-postgres prepares each statement name once:
    // units that write different things must not share a name, and one trial is updated once per statement.
    const { release } = await store.lock(e);
    const units: Unit[] = [
      { update: [{ ...trial(e, 0), id: a!, workerId: "u1" }] },
      { update: [{ ...trial(e, 0), id: a!, workerId: "u2" }], points: [{ trialId: a!, step: 0, value: 0.5 }] },
      { update: [{ ...trial(e, 0), id: a!, workerId: "u3" }], points: [{ trialId: b!, step: 0, value: 1.5 }] },
      { update: [{ ...trial(e, 1), id: b!, workerId: "u4" }], points: [{ trialId: a!, step: 1, value: 2.5 }] },
      { ...insert(trial(e, 2)), request: request("plain", false) },
      { ...insert(trial(e, 3)), request: request("with", true) },
    ];
    const written = [];
    for (const unit of units) written.push(await store.write(e, unit));
    release();
    await Promise.all(written.map((w) => w.durable));
    const trials = await store.loadTrials(e, 0, 10, toConfig);
    expect(trials.map((t) => [t.number, t.workerId, t.intermediate])).toEqual([
      [
        0,
        "u3",
        [
          [0, 0.5],
          [1, 2.5],
        ],
      ],
      [1, "u4", [[0, 1.5]]],
      [2, "w", []],
      [3, "w", []],
    ]);
    expect(await store.findRequest("Suggest", "plain")).toEqual({ experimentId: e, trialIds: [7] });
    expect(await store.findRequest("Suggest", "with")).toEqual({ experimentId: e, trialIds: [7, trials[3]!.id] });
  });

  it("a unit written in steps that fails inside a turn undoes itself, not the turn", async () => {
    const { store } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const request = { method: "Suggest", requestId: "r1", trialIds: [], createTime: 1 };
    const { release } = await store.lock(e);
    const a = await store.write(e, { ...insert(trial(e, 0)), request });
    expect(await outcomeOf(store.write(e, inSteps({ ...insert(trial(e, 1)), request })))).toBe(
      'ALREADY_EXISTS: request_id "r1" was already used',
    );
    const b = await store.write(e, insert(trial(e, 1)));
    release();
    await Promise.all([a.durable, b.durable]);
    expect((await store.loadTrials(e, 0, 10, toConfig)).map((t) => t.number)).toEqual([0, 1]);
    expect(await store.findRequest("Suggest", "r1")).toEqual({ experimentId: e, trialIds: [] });
  });

  it("a unit written in steps inside a turn is a savepoint of the turn: kept with it, or undone alone", async () => {
    const { store, url } = await open();
    const other = await openPostgresStore({ url });
    stores.push(other);
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const { release } = await store.lock(e);
    await expect(store.lock(e)).rejects.toThrow(`experiment ${e}'s lock is already held here`);
    const curve: [number, number][] = [
      [0, 0.5],
      [2, 1.5],
    ];
    const a = await store.write(
      e,
      inSteps({ ...insert(trial(e, 0, { intermediate: curve })), lifecycle: '{"paused":true}' }),
    );
    // Refused by the database (a taken number): that unit alone is undone, and the turn writes on.
    expect(await outcomeOf(store.write(e, inSteps(insert(trial(e, 0)))))).toMatch(
      new RegExp(`^ALREADY_EXISTS: experiment ${e} already has that trial number`),
    );
    const b = await store.write(e, inSteps(insert(trial(e, 1))));
    // Nothing is committed before the turn is.
    expect(await other.loadTrials(e, 0, 10, toConfig)).toEqual([]);
    expect((await other.experimentById(e))!.lifecycle).toBeNull();
    release();
    await Promise.all([a.durable, b.durable]);
    expect((await other.loadTrials(e, 0, 10, toConfig)).map((t) => [t.number, t.intermediate])).toEqual([
      [0, curve],
      [1, []],
    ]);
    expect((await other.experimentById(e))!.lifecycle).toBe('{"paused":true}');
  });

  it("units queued in a turn behind one that fails are refused with the turn's loss, in one statement or in steps", async () => {
    const { store } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const { release } = await store.lock(e);
    const failing = outcomeOf(store.write(e, { update: [{ ...trial(e, 3), id: 999_999 }] }));
    const queued = [store.write(e, insert(trial(e, 0))), store.write(e, inSteps(insert(trial(e, 1))))];
    expect(await failing).toMatch(/^NOT_FOUND/);
    for (const w of queued) {
      expect(await outcomeOf(w)).toMatch(
        new RegExp(`^UNAVAILABLE: a write to experiment ${e} failed, and with it the changes written in the same turn`),
      );
    }
    release();
    expect((await store.write(e, inSteps(insert(trial(e, 0))))).version).toBe(1);
  });

  it("a lost turn's logged request is not found, here or elsewhere", async () => {
    const { store, url } = await open();
    const other = await openPostgresStore({ url });
    stores.push(other);
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const { release } = await store.lock(e);
    const request = { method: "Suggest", requestId: "gone", trialIds: [], withInserted: true, createTime: 1 };
    const a = await store.write(e, { ...insert(trial(e, 0)), request });
    expect((await store.findRequest("Suggest", "gone"))?.trialIds).toEqual([...a.value]);
    expect(await outcomeOf(store.write(e, { update: [{ ...trial(e, 3), id: 999_999 }] }))).toMatch(/^NOT_FOUND/);
    expect(await outcomeOf(a.durable)).toMatch(/^UNAVAILABLE: a write to experiment/);
    expect(await store.findRequest("Suggest", "gone")).toBeUndefined();
    expect(await other.findRequest("Suggest", "gone")).toBeUndefined();
    release();
  });

  it("forgets a turn once it is committed or lost: durable settles, and its requests are the log's to answer", async () => {
    const { store } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const request = { method: "Suggest", requestId: "r", trialIds: [], withInserted: true, createTime: 1 };
    // A committed turn's request goes with its experiment, as the log's rows do.
    const first = await store.lock(e);
    const written = await store.write(e, { ...insert(trial(e, 0)), request });
    first.release();
    await written.durable;
    await store.durable();
    expect((await store.findRequest("Suggest", "r"))?.experimentId).toBe(e);
    expect((await store.deleteExperiment(e)).value).toBe(true);
    expect(await store.findRequest("Suggest", "r")).toBeUndefined();
    // A lost turn leaves nothing for durable to wait on.
    const f = (await store.createExperiment("f", "{}", 1)).value.id;
    const second = await store.lock(f);
    const lost = await store.write(f, insert(trial(f, 0)));
    expect(await outcomeOf(store.write(f, { update: [{ ...trial(f, 3), id: 999_999 }] }))).toMatch(/^NOT_FOUND/);
    expect(await outcomeOf(lost.durable)).toMatch(/^UNAVAILABLE: a write to experiment/);
    second.release();
    await expect(store.durable()).resolves.toBeUndefined();
  });

  it("finds a request logged in any open turn, before its commit", async () => {
    const { store, url } = await open();
    const other = await openPostgresStore({ url });
    stores.push(other);
    const [e, f] = await Promise.all(["e", "f"].map(async (n) => (await store.createExperiment(n, "{}", 1)).value.id));
    const first = await store.lock(e!);
    const second = await store.lock(f!);
    const request = { method: "Suggest", requestId: "in-f", trialIds: [], withInserted: true, createTime: 1 };
    const written = await store.write(f!, { ...insert(trial(f!, 0)), request });
    expect(await store.findRequest("Suggest", "in-f")).toEqual({ experimentId: f, trialIds: [...written.value] });
    expect(await other.findRequest("Suggest", "in-f")).toBeUndefined();
    second.release();
    first.release();
    await written.durable;
  });

  it("a lost turn released late leaves the experiment's next turn held", async () => {
    const { store, url } = await open({ lockTimeoutMs: 2_000 });
    const other = await openPostgresStore({ url });
    stores.push(other);
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const first = await store.lock(e);
    expect(await outcomeOf(store.write(e, { update: [{ ...trial(e, 3), id: 999_999 }] }))).toMatch(/^NOT_FOUND/);
    // The lost turn's rollback freed the lock: the next turn takes it before the first one's release comes.
    const second = await store.lock(e);
    // Rolled back already: its release commits nothing (no round trip counted as a commit).
    const commits = store.roundTrips.commit;
    first.release();
    expect(store.roundTrips.commit).toBe(commits);
    const written = await store.write(e, insert(trial(e, 0)));
    // Written in the second turn: not visible elsewhere until it commits.
    expect(await other.loadTrials(e, 0, 10, toConfig)).toEqual([]);
    second.release();
    await written.durable;
    expect((await other.loadTrials(e, 0, 10, toConfig)).map((t) => t.number)).toEqual([0]);
  });

  it("a lock refused leaves nothing on its connection: losing it later tells no rollback listener", async () => {
    const { store, url } = await open({ poolSize: 3, lockTimeoutMs: 100 });
    let rollbacks = 0;
    store.onRollback(() => rollbacks++);
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const hung = new pg.Client({ connectionString: url });
    await hung.connect();
    try {
      await hung.query("SELECT pg_advisory_lock($1, $2)", [PARZEN_LOCKS + 1, e]);
      expect(await outcomeOf(store.lock(e))).toMatch(/^UNAVAILABLE: /);
      // Every idle connection of the store's pool dies: nothing was written on them, nothing can be lost.
      await hung.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      while (store.pool.totalCount > 0) await new Promise((r) => setImmediate(r));
      expect(rollbacks).toBe(0);
    } finally {
      await hung.end();
    }
  });

  it("deletes an experiment inside its turn: gone for others once the turn commits", async () => {
    const { store, url } = await open();
    const other = await openPostgresStore({ url });
    stores.push(other);
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    await store.write(e, insert(trial(e, 0)));
    const { release } = await store.lock(e);
    const deleted = await store.deleteExperiment(e);
    expect(deleted.value).toBe(true);
    // Gone for the turn itself at once.
    expect((await store.deleteExperiment(e)).value).toBe(false);
    let durable = false;
    void deleted.durable.then(() => {
      durable = true;
    });
    // Not committed yet: the turn holds the experiment, and the deletion is not durable.
    expect((await other.experimentById(e))?.name).toBe("e");
    expect(durable).toBe(false);
    release();
    await deleted.durable;
    expect(await other.experimentById(e)).toBeUndefined();
    expect((await store.deleteExperiment(e)).value).toBe(false);
  });

  it("lets at most all but two of the pool's connections hold locks; the rest keep serving units", async () => {
    // A pool of 3: one holder at a time.
    const { store } = await open({ poolSize: 3 });
    const [e, f, g] = await Promise.all(
      ["e", "f", "g"].map(async (n) => (await store.createExperiment(n, "{}", 1)).value.id),
    );
    const first = await store.lock(e!);
    let second: { release: () => void } | undefined;
    const waiting = store.lock(f!).then((l) => {
      second = l;
    });
    // Units of other experiments are written meanwhile, on the connections no holder may take.
    await store.write(g!, insert(trial(g!, 0)));
    await store.write(f!, insert(trial(f!, 0)));
    expect(second).toBeUndefined();
    first.release();
    await waiting;
    expect(second).toBeDefined();
    second!.release();
  });

  it("hears notices without an origin as another server's, and ignores malformed ones", async () => {
    const { store, url } = await open();
    const heard: [number, number, boolean][] = [];
    let wake: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const unlisten = await store.feed.onChange((id, version, mine) => {
      heard.push([id, version, mine]);
      if (version === 9) wake();
    });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (const payload of ["x:1", "5", "", "5:y:z", "7:8", `7:9:${store.origin}`])
        await c.query("SELECT pg_notify('parzen_changes', $1)", [payload]);
    } finally {
      await c.end();
    }
    await arrived;
    expect(heard).toEqual([
      [7, 8, false],
      [7, 9, true],
    ]);
    await unlisten();
    await unlisten();
  });

  it("stops hearing after unlistening, and reports a lost listening connection", async () => {
    const { store, url } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const heard: number[] = [];
    let lost: () => void = () => {};
    const onLost = new Promise<void>((resolve) => {
      lost = resolve;
    });
    const unlisten = await store.feed.onChange((_, v) => heard.push(v));
    await unlisten();
    let wake: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const heardToo: number[] = [];
    await store.feed.onChange(
      (_, v) => {
        heardToo.push(v);
        wake();
      },
      () => lost(),
    );
    await store.write(e, insert(trial(e, 0)));
    await second;
    expect(heardToo).toEqual([1]);
    expect(heard).toEqual([]);
    // The listening backend is terminated: the store says so.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()",
      );
    } finally {
      await c.end();
    }
    await onLost;
  });

  it("a subscriber without onLost survives losing the listening connection, and the store writes on", async () => {
    const { store, url } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    await store.feed.onChange(() => {});
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // Terminated, and gone from pg_stat_activity once its backend has exited.
      await c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()",
      );
    } finally {
      await c.end();
    }
    let heard: () => void = () => {};
    const again = new Promise<void>((resolve) => {
      heard = resolve;
    });
    // A new subscription hears the next write: the broken connection was dropped, not reused.
    await store.feed.onChange(() => heard());
    expect((await store.write(e, insert(trial(e, 0)))).version).toBe(1);
    await again;
  });

  it("answers UNAVAILABLE when the database cannot be reached, telling the rollback listeners", async () => {
    // A pool of 3: one lock holder at a time, so a lock that kept its slot after failing would stall the next.
    const { store } = await open({ poolSize: 3 });
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    let rolledBack = 0;
    store.onRollback(() => rolledBack++);
    await cluster.pause();
    try {
      const unreachable =
        /^UNAVAILABLE: the database could not be reached, so this call may not have been stored \(.+\); retry with the same request_id$/;
      expect(await outcomeOf(store.write(e, insert(trial(e, 0))))).toMatch(unreachable);
      expect(rolledBack).toBe(1);
      expect(await outcomeOf(store.write(e, inSteps(insert(trial(e, 0)))))).toMatch(unreachable);
      expect(await outcomeOf(store.lock(e))).toMatch(unreachable);
      expect(await outcomeOf(store.lock(e))).toMatch(unreachable);
      expect(rolledBack).toBe(4);
    } finally {
      await cluster.resume();
    }
    expect((await store.write(e, insert(trial(e, 0)))).version).toBe(1);
    (await store.lock(e)).release();
  });

  it("counts its round trips by purpose, and the notices it hears (parzen_db_round_trips_total)", async () => {
    const { store } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    // Resolves once the notice of `version` is heard.
    const waiting = new Map<number, () => void>();
    const heard = (version: number) => new Promise<void>((resolve) => waiting.set(version, resolve));
    await store.feed.onChange((_, v) => waiting.get(v)?.());
    let last = { ...store.roundTrips };
    /** The counters moved since the last call. */
    const moved = (): Record<string, number> => {
      const now = { ...store.roundTrips };
      const delta = Object.fromEntries(
        Object.entries(now)
          .map(([k, n]) => [k, n - (last[k as keyof typeof last] ?? 0)])
          .filter(([, d]) => d !== 0),
      );
      last = now;
      return delta;
    };
    let notice = heard(1);
    await store.write(e, insert(trial(e, 0)));
    await notice;
    expect(moved()).toEqual({ unit: 1, notices: 1 });
    notice = heard(2);
    await store.write(e, inSteps(insert(trial(e, 1))));
    await notice;
    expect(moved()).toEqual({ steps: 3, notices: 1 });
    await store.experimentById(e);
    await store.loadTrials(e, 0, 10, toConfig);
    expect(moved()).toEqual({ read: 2 });
    await store.changesSince(e, 0, toConfig);
    expect(moved()).toEqual({ pull: 1 });
    const { release } = await store.lock(e, { version: 2, toConfig });
    expect(moved()).toEqual({ lock: 1 });
    // Inside the turn: a unit, a read and a pull on the lock's connection.
    const a = await store.write(e, insert(trial(e, 2)));
    await store.loadTrials(e, 0, 10, toConfig);
    await store.changesSince(e, 2, toConfig);
    expect(moved()).toEqual({ unit: 1, read: 1, pull: 1 });
    notice = heard(3);
    release();
    await a.durable;
    await notice;
    expect(moved()).toEqual({ commit: 1, notices: 1 });
  });

  it("leaves no listener behind on its pooled connections, however many units and turns they carry", async () => {
    // A pool of 3: each connection carries many units in a row.
    const { store } = await open({ poolSize: 3 });
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      for (let n = 0; n < 15; n++) await store.write(e, insert(trial(e, n)));
      for (let n = 15; n < 30; n++) await store.write(e, inSteps(insert(trial(e, n))));
      // And lock turns, each on a pooled connection of its own while it lasts.
      for (let n = 0; n < 25; n++) {
        const { release } = await store.lock(e);
        release();
      }
      await store.durable();
      // Node reports a leak once an emitter passes ten listeners of one event, on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
    expect((await store.loadTrials(e, 0, 100, toConfig)).length).toBe(30);
  });

  it("refuses writes once closed, after finishing those already issued", async () => {
    const { store, url } = await open();
    const e = (await store.createExperiment("e", "{}", 1)).value.id;
    // Issued before the close: the second waits behind the first in the experiment's order, and both are written.
    const issued = [0, 1].map((n) => store.write(e, insert(trial(e, n))));
    await store.close();
    expect((await Promise.all(issued)).map((w) => w.version)).toEqual([1, 2]);
    const reader = await openPostgresStore({ url });
    stores.push(reader);
    expect((await reader.loadTrials(e, 0, 10, toConfig)).map((t) => t.number)).toEqual([0, 1]);
    expect(await outcomeOf(store.write(e, insert(trial(e, 0))))).toBe("UNAVAILABLE: the database is closed");
    expect(await outcomeOf(store.deleteExperiment(e))).toBe("UNAVAILABLE: the database is closed");
  });
});
