/**
 * The experiments in memory (state/experiments.ts) over a real SQLite store: lookups and their precise refusals,
 * one image per experiment however many load it at once, loads that page through long histories, the trial budget
 * evicting least recently used idle experiments only, the bound on experiments keeping an algorithm view, and the
 * mutation path's retries when an image was dropped meanwhile.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { ParzenError } from "../../src/errors.js";
import { compileDefinition, definitionJson } from "../../src/service/use-cases/definition.js";
import {
  Changes,
  checkTrialId,
  ExperimentCache,
  experimentNamed,
  isStale,
  ownerOfTrial,
  trialOf,
} from "../../src/service/state/experiments.js";
import type { ExperimentState } from "../../src/service/state/experiment-state.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { uniform } from "../integration/fixtures.js";

let store: SqliteStore;
beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
});
afterEach(async () => {
  await store.close();
});

/** Creates experiment `name` in the store with `trials` COMPLETE trials; returns their ids. */
async function stored(name: string, trials: number): Promise<number[]> {
  const def = compileDefinition(Experiment.fromPartial({ name, space: { parameters: [uniform("x", 0, 1)] }, seed: 1 }));
  const row = (await store.createExperiment(name, definitionJson(def.proto), 0)).value;
  const rows: TrialRow[] = Array.from({ length: trials }, (_, n) => ({
    id: 0,
    experimentId: row.id,
    number: n,
    state: "complete",
    source: "algorithm",
    config: Float64Array.of(n / (trials + 1)),
    loss: n,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "",
    failReason: "",
    createTime: 1,
    startTime: 1,
    endTime: 2,
    leaseDeadline: null,
    intermediate: NO_POINTS,
  }));
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const w = await store.write(row.id, {
      insert: rows.slice(i, i + 1000).map((trial) => ({ trial, params: { x: trial.config[0]! } })),
    });
    ids.push(...w.value);
  }
  return ids;
}

const message = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof ParzenError ? `${err.code}: ${err.message}` : `not a ParzenError: ${String(err)}`;
};

describe("lookups", () => {
  it("refuse malformed names and trial ids as INVALID_ARGUMENT, unknown ones as NOT_FOUND", async () => {
    const cache = new ExperimentCache(store, 1_000, () => undefined);
    const ids = await stored("a", 2);
    expect(await message(experimentNamed(cache, ""))).toBe("INVALID_ARGUMENT: experiment: experiment name is empty");
    expect(await message(experimentNamed(cache, "b"))).toBe('NOT_FOUND: experiment "b" does not exist');
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => checkTrialId(bad)).toThrow(`trial_id: must be a positive integer, got ${bad}`);
      expect(await message(ownerOfTrial(cache, bad))).toBe(
        `INVALID_ARGUMENT: trial_id: must be a positive integer, got ${bad}`,
      );
    }
    expect(() => checkTrialId(1)).not.toThrow();
    expect(() => checkTrialId(2 ** 53 - 1)).not.toThrow();
    expect(await message(ownerOfTrial(cache, ids[1]! + 1))).toBe(`NOT_FOUND: trial ${ids[1]! + 1} does not exist`);
    const exp = await ownerOfTrial(cache, ids[1]!);
    expect(exp.row.name).toBe("a");
    expect((await trialOf(exp, ids[1]!)).number).toBe(1);
    expect(await message(trialOf(exp, ids[1]! + 1))).toBe(`NOT_FOUND: trial ${ids[1]! + 1} does not exist`);
    // By name and by trial: the same image.
    expect(await experimentNamed(cache, "a")).toBe(exp);
  });

  it("load one image per experiment however many calls ask at once, and page through a long history", async () => {
    await stored("long", 4_100);
    let loads = 0;
    const cache = new ExperimentCache(store, 1_000_000, () => loads++);
    const all = await Promise.all(Array.from({ length: 5 }, () => experimentNamed(cache, "long")));
    expect(new Set(all).size).toBe(1);
    expect(loads).toBe(1);
    const exp = all[0]!;
    expect([exp.nextNumber, exp.countOf("complete"), exp.bestNumber()]).toEqual([4_100, 4_100, 0]);
    expect(cache.stats()).toEqual({ experiments: 1, trials: 4_100, viewed: 0, sessions: 0 });
    expect(cache.cached(exp.row.id)).toBe(exp);
    expect(cache.holds(exp)).toBe(true);
  });

  it("a history of exactly one page loads whole", async () => {
    await stored("page", 2_000);
    const cache = new ExperimentCache(store, 1_000_000, () => undefined);
    expect((await experimentNamed(cache, "page")).nextNumber).toBe(2_000);
  });
});

describe("the trial budget", () => {
  it("drops the least recently used idle experiments beyond it, never the one just loaded nor a busy one", async () => {
    for (const name of ["a", "b", "c", "d"]) await stored(name, 10);
    const cache = new ExperimentCache(store, 25, () => undefined);
    const a = await experimentNamed(cache, "a");
    const b = await experimentNamed(cache, "b");
    expect(cache.stats().experiments).toBe(2);
    // Using a makes b the least recently used.
    await experimentNamed(cache, "a");
    await experimentNamed(cache, "c");
    expect([cache.holds(a), cache.holds(b)]).toEqual([true, false]);
    expect(cache.stats().trials).toBe(20);
    // A busy experiment stays: the idle one goes instead, even if used more recently.
    let release!: () => void;
    const busy = a.queue.run(() => new Promise<void>((r) => (release = r)));
    const c = await experimentNamed(cache, "c");
    await experimentNamed(cache, "d");
    expect([cache.holds(a), cache.holds(c)]).toEqual([true, false]);
    release();
    await busy;
    // At the budget exactly, nothing goes.
    const exact = new ExperimentCache(store, 20, () => undefined);
    const ea = await experimentNamed(exact, "a");
    await experimentNamed(exact, "b");
    expect(exact.holds(ea)).toBe(true);
    // A lone experiment over the budget stays.
    const tiny = new ExperimentCache(store, 5, () => undefined);
    const t = await experimentNamed(tiny, "a");
    expect(tiny.holds(t)).toBe(true);
  });

  it("keeps algorithm views for the four experiments last suggested from, dropping the others' views", async () => {
    const names = ["a", "b", "c", "d", "e"];
    for (const name of names) await stored(name, 3);
    const cache = new ExperimentCache(store, 1_000, () => undefined);
    const exps: ExperimentState[] = [];
    for (const name of names) {
      const exp = await experimentNamed(cache, name);
      exps.push(exp);
      expect(cache.observationHistory(exp).length).toBe(3);
      exp.algorithmSession = { suggest: () => new Float64Array(1) };
    }
    expect(cache.stats()).toMatchObject({ experiments: 5, viewed: 4, sessions: 4 });
    expect(exps.map((e) => e.algorithmSession !== undefined)).toEqual([false, true, true, true, true]);
    // Suggesting from b again makes c the oldest view.
    cache.observationHistory(exps[1]!);
    cache.observationHistory(exps[0]!);
    expect(exps.map((e) => e.algorithmSession !== undefined)).toEqual([false, true, false, true, true]);
    // A dropped image still answers, without joining the views.
    cache.remove(exps[3]!);
    expect(cache.observationHistory(exps[3]!).length).toBe(3);
    expect(cache.stats()).toMatchObject({ experiments: 4, viewed: 3 });
    // Sessions: b and e in process; a session on the session thread counts too (c's), once per experiment (b's).
    expect(cache.stats().sessions).toBe(2);
    exps[1]!.threadSession = { remote: true, release: () => undefined };
    exps[2]!.threadSession = { remote: true, release: () => undefined };
    expect(cache.stats().sessions).toBe(3);
    cache.clear();
    expect(cache.stats()).toEqual({ experiments: 0, trials: 0, viewed: 0, sessions: 0 });
    expect([...cache.loaded()]).toEqual([]);
    expect(exps.every((e) => e.algorithmSession === undefined)).toBe(true);
  });

  it("adopts a new image unless another one of the experiment got there first", async () => {
    await stored("a", 1);
    const cache = new ExperimentCache(store, 1_000, () => undefined);
    const first = await experimentNamed(cache, "a");
    const other = new (first.constructor as new (...a: unknown[]) => ExperimentState)(first.row, first.def, store);
    expect(cache.adopt(other)).toBe(first);
    expect(cache.holds(other)).toBe(false);
  });
});

describe("loading races", () => {
  it("answers undefined for an experiment deleted while its history was read", async () => {
    await stored("gone", 3);
    const cache = new ExperimentCache(store, 1_000, () => undefined);
    const row = (await store.experimentByName("gone"))!;
    await store.deleteExperiment(row.id);
    expect(await cache.load(row)).toBeUndefined();
    expect(cache.stats().experiments).toBe(0);
  });

  it("reads again when the cache was cleared during a load (what it read may have been rolled back)", async () => {
    await stored("a", 3);
    let loads = 0;
    let reads = 0;
    const counted = new Proxy(store, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (prop === "loadTrials") reads++;
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const cache = new ExperimentCache(counted, 1_000, () => loads++);
    const row = (await store.experimentByName("a"))!;
    const loading = cache.load(row);
    cache.clear();
    const exp = (await loading)!;
    expect(exp.nextNumber).toBe(3);
    expect(cache.holds(exp)).toBe(true);
    expect([loads, reads]).toEqual([1, 2]);
    // Without a clear, one read.
    reads = 0;
    cache.remove(exp);
    await cache.load(row);
    expect(reads).toBe(1);
  });
});

describe("Changes", () => {
  it("finds the experiment again when its image was dropped before the task ran, and gives up after 5 lookups", async () => {
    await stored("a", 1);
    const cache = new ExperimentCache(store, 1_000, () => undefined);
    const changes = new Changes(store, cache, () => 0);
    let lookups = 0;
    const value = await changes.find(
      async () => {
        lookups++;
        const exp = await experimentNamed(cache, "a");
        if (lookups < 3) cache.remove(exp);
        return exp;
      },
      (change) => change.exp.nextNumber,
    );
    expect([value, lookups]).toEqual([1, 3]);
    lookups = 0;
    const err = await changes
      .find(
        async () => {
          lookups++;
          const exp = await experimentNamed(cache, "a");
          cache.remove(exp);
          return exp;
        },
        () => 1,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect([(err as ParzenError).code, (err as ParzenError).message]).toEqual([
      "UNAVAILABLE",
      "the experiment is being reloaded under memory pressure; retry",
    ]);
    expect(lookups).toBe(5);
    // on() itself refuses a dropped image with the stale marker.
    const dropped = await experimentNamed(cache, "a");
    cache.remove(dropped);
    expect(isStale(await changes.on(dropped, () => 1).catch((e: unknown) => e))).toBe(true);
    expect(isStale(new Error("x"))).toBe(false);
    // A task's own error passes through find unchanged.
    expect(
      await message(
        changes.find(
          () => experimentNamed(cache, "a"),
          () => Promise.reject(new ParzenError("ABORTED", "no")),
        ),
      ),
    ).toBe("ABORTED: no");
  });

  it("puts written trials into the image only once the store applied them, telling the observer their old state", async () => {
    await stored("a", 1);
    const seen: [number, string | undefined][] = [];
    const cache = new ExperimentCache(store, 1_000, () => undefined);
    const changes = new Changes(
      store,
      cache,
      () => 5,
      (_exp, t, from) => seen.push([t.number, from]),
    );
    const exp = await experimentNamed(cache, "a");
    const running: TrialRow = {
      ...(await exp.trial(0)),
      id: 0,
      number: 1,
      state: "running",
      loss: null,
      endTime: null,
      leaseDeadline: 100,
    };
    await changes.on(exp, (change) => change.write({ insert: [running] }));
    expect(running.id).toBeGreaterThan(0);
    expect(exp.liveTrial(1)).toBe(running);
    const done = { ...running, state: "complete" as const, loss: 0.5, endTime: 6 };
    await changes.on(exp, (change) =>
      change.write({
        update: [done],
        lifecycle: { ...exp.lifecycle, paused: true },
      }),
    );
    expect(seen).toEqual([
      [1, undefined],
      [1, "running"],
    ]);
    expect([exp.stateOf(1), exp.lifecycle.paused]).toEqual(["complete", true]);
    // The store holds the same.
    expect((await store.readTrials(exp.row.id, 1, 1, false, (n) => exp.configOf(n)))[0]).toMatchObject({
      state: "complete",
      loss: 0.5,
    });
    expect(JSON.parse((await store.experimentByName("a"))!.lifecycle!).paused).toBe(true);
    expect(await changes.settled(7)).toBe(7);
  });
});
