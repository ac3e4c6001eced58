/**
 * Pipelined lock turns (postgres-store.ts `pipelined`, store.ts `PullFrom.reserve`), on one throwaway cluster:
 * a turn that reserved ids answers its units before the database has them, with the versions and reserved ids
 * they then commit with; a unit the database refuses (a request id another server logged, a trial that is gone)
 * loses the whole turn, so its commit writes none of the units computed after it, and the refused request's retry
 * is written as before (refused on its own, answered as a replay); new trials beyond the reservation take the
 * database's ids, never smaller than one written before.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ABORTED_STALE } from "../../src/errors.js";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { StoredParams, TrialRow } from "../../src/store/rows.js";
import type { Unit } from "../../src/store/store.js";
import { type PgCluster, postgresAvailable } from "../pg-cluster.js";
import { testCluster } from "../pg-shared.js";
import { outcomeOf } from "./outcome.js";
import { runningTrial, suggestRequest } from "./running-trial.js";

const suite = postgresAvailable ? describe : describe.skip;

const toConfig = (p: StoredParams): Float64Array => Float64Array.of(p.a ?? Number.NaN);
const trial = runningTrial;
const insert = (...trials: TrialRow[]): Unit => ({
  insert: trials.map((t) => ({ trial: t, params: { a: t.config[0]! } })),
});

suite("PostgreSQL pipelined turns", () => {
  let cluster: PgCluster;
  let databases = 0;
  const stores: PostgresStore[] = [];
  /** Two stores on one fresh database (two servers), and an experiment. */
  async function twoServers(): Promise<{ a: PostgresStore; b: PostgresStore; e: number }> {
    const url = await cluster.createDatabase(`p${++databases}`);
    const a = await openPostgresStore({ url });
    const b = await openPostgresStore({ url });
    stores.push(a, b);
    const e = (await a.createExperiment("e", "{}", 1)).value.id;
    return { a, b, e };
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

  it("answers a turn's units at once, with the versions and reserved ids they commit with at the release", async () => {
    const { a, b, e } = await twoServers();
    const before = await b.write(e, insert(trial(e, 0)));
    const { release, changes } = await a.lock(e, { version: 0, toConfig, reserve: 4 });
    expect(changes?.version).toBe(1);
    const units = a.roundTrips.unit;
    const pipelined = a.roundTrips.pipelined;
    const w1 = await a.write(e, { ...insert(trial(e, 1)), request: suggestRequest("r1"), expectVersion: 1 });
    const w2 = await a.write(e, { ...insert(trial(e, 2), trial(e, 3)), expectVersion: 2 });
    const done = { ...trial(e, 1), id: w1.value[0]!, state: "complete" as const, loss: 0.5, endTime: 9 };
    const w3 = await a.write(e, { update: [done], expectVersion: 3 });
    expect([w1.version, w2.version, w3.version]).toEqual([2, 3, 4]);
    const ids = [...w1.value, ...w2.value];
    expect(ids.every((id, i) => id > (i === 0 ? before.value[0]! : ids[i - 1]!))).toBe(true);
    expect(a.roundTrips.pipelined - pipelined).toBe(3);
    expect(a.roundTrips.unit).toBe(units);
    // Not committed yet: another server sees none of it, and this one's log answers the request id.
    expect((await b.changesSince(e, 1, toConfig))?.version).toBe(1);
    expect(await a.findRequest("Suggest", "r1")).toEqual({ experimentId: e, trialIds: w1.value });
    release();
    await Promise.all([w1.durable, w2.durable, w3.durable]);
    const seen = await b.changesSince(e, 1, toConfig);
    expect(seen?.version).toBe(4);
    expect(seen?.trials.map((t) => [t.number, t.id, t.state, t.loss])).toEqual([
      [1, ids[0], "complete", 0.5],
      [2, ids[1], "running", null],
      [3, ids[2], "running", null],
    ]);
    expect(await b.findRequest("Suggest", "r1")).toEqual({ experimentId: e, trialIds: w1.value });
  });

  it("loses the whole turn when a pipelined unit's request id was logged by another server, and refuses its retry on its own", async () => {
    const { a, b, e } = await twoServers();
    await b.write(e, { ...insert(trial(e, 0)), request: suggestRequest("taken") });
    let rolledBack = 0;
    a.onRollback(() => rolledBack++);
    const turn = await a.lock(e, { version: 1, toConfig, reserve: 4 });
    // All three are answered at once: the second is refused by the database only after the third was computed.
    const w1 = await a.write(e, { ...insert(trial(e, 1)), request: suggestRequest("fresh"), expectVersion: 1 });
    const w2 = await a.write(e, { ...insert(trial(e, 2)), request: suggestRequest("taken"), expectVersion: 2 });
    const w3 = await a.write(e, { ...insert(trial(e, 3)), expectVersion: 3 });
    turn.release();
    for (const w of [w1, w2, w3])
      expect(await outcomeOf(w.durable)).toMatch(
        new RegExp(`^UNAVAILABLE: a write to experiment ${e} failed, .*parzen-refused:request.*retry with the same`),
      );
    expect(rolledBack).toBe(1);
    // Nothing of the turn was committed, units before the refused one included; the lock is free.
    const after = await b.lock(e, { version: 1, toConfig });
    expect(after.changes).toEqual({ version: 1, trials: [], lifecycle: null });
    after.release();
    expect(await b.findRequest("Suggest", "fresh")).toBeUndefined();
    // The retry: the refused request is written without pipelining and refused on its own; the turn goes on.
    const again = await a.lock(e, { version: 1, toConfig, reserve: 4 });
    const pipelined = a.roundTrips.pipelined;
    expect(
      await outcomeOf(a.write(e, { ...insert(trial(e, 1)), request: suggestRequest("taken"), expectVersion: 1 })),
    ).toBe('ALREADY_EXISTS: request_id "taken" was already used');
    const r1 = await a.write(e, { ...insert(trial(e, 1)), request: suggestRequest("fresh"), expectVersion: 1 });
    expect(a.roundTrips.pipelined - pipelined).toBe(1);
    again.release();
    await r1.durable;
    expect((await b.changesSince(e, 1, toConfig))?.trials.map((t) => [t.number, t.id])).toEqual([[1, r1.value[0]]]);
  });

  it("loses the whole turn when a pipelined unit's trial is gone: its COMMIT writes nothing, and what was queued behind it is UNAVAILABLE", async () => {
    const { a, b, e } = await twoServers();
    const turn = await a.lock(e, { version: 0, toConfig, reserve: 4 });
    const w1 = await a.write(e, { ...insert(trial(e, 0)), expectVersion: 0 });
    const gone = { ...trial(e, 5), id: w1.value[0]! + 1_000 };
    const w2 = await a.write(e, { update: [gone], request: suggestRequest("gone"), expectVersion: 1 });
    // Written in steps (not pipelined), behind the failing unit on the turn's connection.
    const behind = a.write(e, { ...insert(trial(e, 1)), withIds: () => ({}), expectVersion: 2 });
    expect(await outcomeOf(behind)).toMatch(/^UNAVAILABLE: /);
    turn.release();
    for (const w of [w1, w2])
      expect(await outcomeOf(w.durable)).toMatch(
        new RegExp(`^UNAVAILABLE: a write to experiment ${e} failed, .*parzen-missing-trials:${gone.id}`),
      );
    const after = await b.lock(e, { version: 0, toConfig });
    expect(after.changes).toEqual({ version: 0, trials: [], lifecycle: null });
    after.release();
    // Its request id was not the reason: its retry is pipelined again.
    const again = await a.lock(e, { version: 0, toConfig, reserve: 1 });
    const pipelined = a.roundTrips.pipelined;
    const retry = await a.write(e, { ...insert(trial(e, 0)), request: suggestRequest("gone"), expectVersion: 0 });
    expect(a.roundTrips.pipelined - pipelined).toBe(1);
    again.release();
    await retry.durable;
  });

  it("loses the turn when a pipelined unit's request id is logged by another server's turn that commits meanwhile", async () => {
    const { a, b, e } = await twoServers();
    const f = (await b.createExperiment("f", "{}", 1)).value.id;
    // Another server's open turn on another experiment logs the id, not committed yet: this one cannot see it.
    const other = await b.lock(f, { version: 0, toConfig });
    const logged = await b.write(f, { ...insert(trial(f, 0)), request: suggestRequest("shared") });
    const turn = await a.lock(e, { version: 0, toConfig, reserve: 2 });
    const w1 = await a.write(e, { ...insert(trial(e, 0)), request: suggestRequest("shared"), expectVersion: 0 });
    // Its statement waits for the other turn on the log's key, then fails on it once that turn commits.
    const waiting = async () =>
      (await b.pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).rows[0]
        .n as number;
    while ((await waiting()) === 0) await new Promise((ok) => setTimeout(ok, 10));
    other.release();
    await logged.durable;
    turn.release();
    expect(await outcomeOf(w1.durable)).toMatch(/^UNAVAILABLE: .*request_log/);
    // Remembered: the retry is written unpipelined and refused on its own.
    const again = await a.lock(e, { version: 0, toConfig, reserve: 2 });
    expect(
      await outcomeOf(a.write(e, { ...insert(trial(e, 0)), request: suggestRequest("shared"), expectVersion: 0 })),
    ).toBe('ALREADY_EXISTS: request_id "shared" was already used');
    again.release();
  });

  it("writes on its own, unpipelined, a unit computed from another version, and one in a turn of a missing experiment", async () => {
    const { a, e } = await twoServers();
    const turn = await a.lock(e, { version: 0, toConfig, reserve: 2 });
    const pipelined = a.roundTrips.pipelined;
    expect(await outcomeOf(a.write(e, { ...insert(trial(e, 0)), expectVersion: 7 }))).toBe(
      `ABORTED: ${ABORTED_STALE}: experiment ${e} is at version 0, not 7`,
    );
    const w1 = await a.write(e, { ...insert(trial(e, 0)), expectVersion: 0 });
    expect(a.roundTrips.pipelined - pipelined).toBe(1);
    turn.release();
    await w1.durable;
    const missing = e + 1_000;
    const none = await a.lock(missing, { version: 0, toConfig, reserve: 2 });
    expect(none.changes).toBeUndefined();
    expect(await outcomeOf(a.write(missing, insert(trial(missing, 0))))).toBe(
      `NOT_FOUND: experiment ${missing} does not exist`,
    );
    expect(a.roundTrips.pipelined - pipelined).toBe(1);
    none.release();
  });

  it("gives new trials beyond the reservation the database's ids, never smaller than an earlier one's", async () => {
    const { a, b, e } = await twoServers();
    const turn = await a.lock(e, { version: 0, toConfig, reserve: 2 });
    const pipelined = a.roundTrips.pipelined;
    const w1 = await a.write(e, { ...insert(trial(e, 0)), expectVersion: 0 });
    // Two new trials, one reserved id left: written and answered by the database, with ids past the reserved one,
    // which a later trial therefore must not take.
    const w2 = await a.write(e, { ...insert(trial(e, 1), trial(e, 2)), expectVersion: 1 });
    const w3 = await a.write(e, { ...insert(trial(e, 3)), expectVersion: 2 });
    // An update needs no id: pipelined again.
    const w4 = await a.write(e, { update: [{ ...trial(e, 0), id: w1.value[0]!, state: "pruned" }], expectVersion: 3 });
    expect(a.roundTrips.pipelined - pipelined).toBe(2);
    turn.release();
    await Promise.all([w1.durable, w2.durable, w3.durable, w4.durable]);
    const ids = [...w1.value, ...w2.value, ...w3.value];
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    const seen = await b.changesSince(e, 0, toConfig);
    expect(seen?.version).toBe(4);
    expect(seen?.trials.map((t) => t.id)).toEqual(ids);
    expect(seen?.trials[0]?.state).toBe("pruned");
  });

  it("keeps the reserved ids past a unit written unpipelined that inserts nothing", async () => {
    const { a, b, e } = await twoServers();
    const turn = await a.lock(e, { version: 0, toConfig, reserve: 2 });
    const pipelined = a.roundTrips.pipelined;
    const w1 = await a.write(e, { ...insert(trial(e, 0)), expectVersion: 0 });
    // Written in steps (never pipelined), with no new trial: the other reserved id stays for the next one.
    const steps = await a.write(e, {
      update: [{ ...trial(e, 0), id: w1.value[0]! }],
      withIds: () => ({}),
      expectVersion: 1,
    });
    const w2 = await a.write(e, { ...insert(trial(e, 1)), expectVersion: 2 });
    expect(a.roundTrips.pipelined - pipelined).toBe(2);
    turn.release();
    await Promise.all([w1.durable, steps.durable, w2.durable]);
    expect((await b.changesSince(e, 0, toConfig))?.trials.map((t) => t.id)).toEqual([...w1.value, ...w2.value]);
  });

  it("pipelines nothing in a turn that reserved no ids (it did not ask)", async () => {
    const { a, e } = await twoServers();
    const turn = await a.lock(e, { version: 0, toConfig });
    const pipelined = a.roundTrips.pipelined;
    const w1 = await a.write(e, insert(trial(e, 0)));
    const w2 = await a.write(e, { update: [{ ...trial(e, 0), id: w1.value[0]!, state: "pruned" }] });
    expect(a.roundTrips.pipelined).toBe(pipelined);
    turn.release();
    await Promise.all([w1.durable, w2.durable]);
  });
});
