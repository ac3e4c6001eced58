/**
 * The mutation path (state/experiments.ts, `Changes`) with other servers on the database, on a real SQLite store
 * given a scripted change feed (the PostgreSQL side, which test/store checks for real) and writes that can be
 * refused as stale, as PostgreSQL refuses a unit whose expectVersion another server moved past:
 * a change runs once without the lock while nobody else writes; a stale write, a trial the image lacks, notices
 * not arriving or another server's recent write make it run under the experiment's lock after a pull, up to 25
 * runs; the lock's timeout and a deletion elsewhere become precise answers; an image out of step is dropped and
 * the call runs on a fresh one; reads pull what was committed before they answer (one pull for reads that wait
 * together, none under this server's lock or when the listing's version shows the image current); a notice pulls
 * in the background.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { ABORTED_STALE, invalidArgument, LOCK_TIMED_OUT, notFound, ParzenError } from "../../src/errors.js";
import { compileDefinition, definitionJson } from "../../src/service/use-cases/definition.js";
import { type Change, Changes, ExperimentCache, experimentNamed } from "../../src/service/state/experiments.js";
import type { ExperimentState } from "../../src/service/state/experiment-state.js";
import type { ExperimentRow, TrialRow } from "../../src/store/rows.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS } from "../../src/store/rows.js";
import type { Store, Unit } from "../../src/store/store.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { uniform } from "../integration/fixtures.js";
import { OtherServers, withOtherServers } from "./feed-store.js";

let sqlite: SqliteStore;
let feed: OtherServers;
/** Units the store was given; `refuse(n)`: it refuses the next n as stale. */
let units: Unit[];
let refuse: (n: number) => void;
let store: Store;
let row: ExperimentRow;

beforeEach(async () => {
  sqlite = await openSqliteStore({ path: ":memory:" });
  feed = new OtherServers();
  const other = withOtherServers(sqlite, feed);
  store = other.store;
  units = other.units;
  refuse = other.refuse;
  const def = compileDefinition(
    Experiment.fromPartial({ name: "e", space: { parameters: [uniform("x", 0, 1)] }, seed: 1 }),
  );
  row = (await sqlite.createExperiment("e", definitionJson(def.proto), 0)).value;
});
afterEach(async () => {
  await sqlite.close();
});

/** A cache and Changes over the store with the feed, notices flowing. */
async function service(): Promise<{ cache: ExperimentCache; changes: Changes; exp: ExperimentState }> {
  const cache = new ExperimentCache(store, 1_000_000, () => undefined);
  const changes = new Changes(store, cache, () => 1000);
  await settle();
  const exp = await experimentNamed(cache, "e");
  return { cache, changes, exp };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A trial another server wrote: number `number`, COMPLETE. */
function theirs(number: number, id = 500 + number): TrialRow {
  return {
    id,
    experimentId: row.id,
    number,
    state: "complete",
    source: "algorithm",
    config: Float64Array.of(0.5),
    loss: number,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "",
    failReason: "",
    createTime: 1,
    startTime: 1,
    endTime: 2,
    leaseDeadline: null,
    intermediate: NO_POINTS,
  };
}

/** A task that writes an empty unit and answers how many trials the image held; `runs` counts its runs. */
function counting(fail?: (run: number) => Error | undefined) {
  const runs: number[] = [];
  const task = async (change: Change) => {
    runs.push(change.exp.nextNumber);
    const err = fail?.(runs.length);
    if (err !== undefined) throw err;
    await change.write({});
    return change.exp.nextNumber;
  };
  return { runs, task };
}

const stale = () => new ParzenError("ABORTED", `${ABORTED_STALE}; retry`);

describe("a change with other servers on the database", () => {
  it("runs once without the lock while nobody else writes, its unit expecting the image's version", async () => {
    const { cache, changes, exp } = await service();
    const { runs, task } = counting();
    expect(await changes.on(exp, task)).toBe(0);
    expect(runs).toEqual([0]);
    expect(feed.locks).toBe(0);
    expect(units.map((u) => u.expectVersion)).toEqual([3]);
    expect(cache.sync!.stats.unlockedChanges).toBe(1);
    // The next unit expects the version this server's own write made.
    await changes.on(exp, task);
    expect(units.map((u) => u.expectVersion)).toEqual([3, 4]);
    expect(feed.locks).toBe(0);
  });

  it("runs again under the lock when its write is refused as stale, after pulling what the others wrote", async () => {
    const { cache, changes, exp } = await service();
    feed.version = 7;
    feed.trials = [theirs(0), theirs(1)];
    refuse(1);
    const { runs, task } = counting();
    expect(await changes.on(exp, task)).toBe(2);
    expect(runs).toEqual([0, 2]);
    expect(feed.locks).toBe(1);
    expect(feed.released).toBe(1);
    expect(units.map((u) => u.expectVersion)).toEqual([3, 7]);
    const stats = cache.sync!.stats;
    expect([stats.unlockedChanges, stats.staleWrites, stats.pulls.turn]).toEqual([1, 1, 1]);
    expect(exp.hasTrial(501)).toBe(true);
  });

  it("runs again under the lock when the image lacks a trial (NOT_FOUND), not for other errors", async () => {
    const { cache, changes, exp } = await service();
    feed.version = 5;
    feed.trials = [theirs(0)];
    const missing = counting((run) => (run === 1 ? notFound("trial 500 does not exist") : undefined));
    expect(await changes.on(exp, missing.task)).toBe(1);
    expect(missing.runs).toEqual([0, 1]);
    expect(feed.locks).toBe(1);
    expect(cache.sync!.stats.staleWrites).toBe(0);

    const refused = counting(() => invalidArgument("bad"));
    await expect(changes.on(exp, refused.task)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: "bad" });
    expect(refused.runs).toHaveLength(1);
    expect(feed.locks).toBe(1);
  });

  it("under the lock, pulls again before each further run, and gives up after 25 runs with UNAVAILABLE", async () => {
    const { cache, changes, exp } = await service();
    refuse(3);
    const { runs, task } = counting();
    await changes.on(exp, task);
    // One run without the lock, then under it: the lock's pull, then a pull for each run after the first.
    expect(runs).toHaveLength(4);
    const stats = cache.sync!.stats;
    expect([stats.staleWrites, stats.pulls.turn, feed.locks, feed.released]).toEqual([3, 3, 1, 1]);

    refuse(1000);
    const endless = counting();
    await expect(changes.on(exp, endless.task)).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: 'experiment "e" kept changing on other servers while this one computed (25 tries); retry',
    });
    expect(endless.runs).toHaveLength(26);
    expect([stats.staleWrites, stats.pulls.turn, feed.locks, feed.released]).toEqual([3 + 26, 3 + 25, 2, 2]);
  });

  it("takes the lock at once while notices are not arriving, and subscribes again", async () => {
    feed.failSubscription = true;
    const { changes, exp } = await service();
    const first = counting();
    await changes.on(exp, first.task);
    expect(first.runs).toHaveLength(1);
    expect(feed.locks).toBe(1);
    // The change subscribed again; once notices flow, a change runs without the lock.
    expect(feed.listener).toBeDefined();
    await settle();
    await changes.on(exp, counting().task);
    expect(feed.locks).toBe(1);
  });

  it("takes the lock at once after another server's write was announced, not after this server's own", async () => {
    const { changes, exp } = await service();
    feed.listener!(row.id, 3, true);
    await changes.on(exp, counting().task);
    expect(feed.locks).toBe(0);
    feed.listener!(row.id, 4, false);
    await settle();
    await changes.on(exp, counting().task);
    expect(feed.locks).toBe(1);
  });

  it("keeps the lock for the changes queued behind it (they run as is), and releases it after them", async () => {
    feed.failSubscription = true;
    const { changes, exp } = await service();
    const a = counting();
    const b = counting();
    const c = counting((run) => (run === 1 ? stale() : undefined));
    await Promise.all([changes.on(exp, a.task), changes.on(exp, b.task), changes.on(exp, c.task)]);
    expect([a.runs.length, b.runs.length]).toEqual([1, 1]);
    // The third, refused while this server held the lock (it went with its connection), takes it again.
    expect(c.runs).toHaveLength(2);
    expect([feed.locks, feed.released]).toEqual([2, 2]);
  });

  it("answers UNAVAILABLE naming the experiment when the lock timed out", async () => {
    feed.failSubscription = true;
    const { changes, exp } = await service();
    const cause = new ParzenError("ABORTED", `${LOCK_TIMED_OUT} for 5 s`);
    feed.lockError = cause;
    const err = await changes.on(exp, counting().task).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("UNAVAILABLE");
    expect((err as ParzenError).message).toBe(`experiment "e": ${LOCK_TIMED_OUT} for 5 s`);
    expect((err as ParzenError).cause).toBe(cause);
    // Another failure of the lock is the caller's as it is.
    feed.listener!(row.id, 3, false);
    feed.lockError = new ParzenError("ABORTED", "something else");
    await expect(changes.on(exp, counting().task)).rejects.toMatchObject({
      code: "ABORTED",
      message: "something else",
    });
  });

  it("answers NOT_FOUND for an experiment deleted on another server, and drops its image", async () => {
    feed.failSubscription = true;
    const { cache, changes, exp } = await service();
    feed.deleted = true;
    await expect(changes.on(exp, counting().task)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: 'experiment "e" does not exist',
    });
    expect(cache.holds(exp)).toBe(false);
  });

  it("drops an image out of step with what the others wrote, and runs the call on a fresh one", async () => {
    feed.failSubscription = true;
    const { cache, changes, exp } = await service();
    // A trial numbered past the image's end: the image cannot take it.
    feed.version = 9;
    feed.trials = [theirs(5)];
    const { runs, task } = counting();
    let lookups = 0;
    const value = changes.find(async () => {
      lookups++;
      if (lookups === 2) feed.trials = [];
      return experimentNamed(cache, "e");
    }, task);
    expect(await value).toBe(0);
    expect(lookups).toBe(2);
    expect(runs).toEqual([0]);
    expect(cache.holds(exp)).toBe(false);
  });
});

describe("reads with other servers on the database", () => {
  it("pull what was committed before answering; reads that wait together share one pull", async () => {
    const { cache, changes, exp } = await service();
    feed.version = 6;
    feed.trials = [theirs(0)];
    const lookup = () => experimentNamed(cache, "e");
    const asked = feed.asked.length;
    // A change holds the queue: the reads wait behind it, then one pull answers them all.
    let go!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const busy = changes.on(
      exp,
      () =>
        new Promise<void>((resolve) => {
          go = resolve;
          started();
        }),
    );
    await running;
    const reads = [changes.current(lookup), changes.current(lookup), changes.current(lookup)];
    go();
    await busy;
    for (const r of await Promise.all(reads)) expect(r).toBe(exp);
    expect(feed.asked.length - asked).toBe(1);
    expect(exp.nextNumber).toBe(1);
    expect(cache.sync!.stats.pulls.read).toBe(1);
    // A listing's version the image has already: no pull; a newer one: a pull.
    await changes.current(lookup, 6);
    expect(feed.asked.length - asked).toBe(1);
    await changes.current(lookup, 7);
    expect(feed.asked.length - asked).toBe(2);
  });

  it("do not pull under this server's lock, where the image is current", async () => {
    feed.failSubscription = true;
    const { cache, changes, exp } = await service();
    let read!: Promise<ExperimentState>;
    let pulls = -1;
    // The first change takes the lock and keeps it for the second, queued; a read queued between them finds it held.
    const first = changes.on(exp, async (change) => {
      read = changes.current(() => experimentNamed(cache, "e"));
      await change.write({});
    });
    const second = changes.on(exp, async (change) => {
      pulls = feed.asked.length;
      await change.current();
      expect(feed.asked.length).toBe(pulls);
    });
    await Promise.all([first, second, read]);
    expect(feed.locks).toBe(1);
    expect(cache.sync!.stats.pulls.read).toBe(0);
  });

  it("Change.current pulls in a change that holds no lock", async () => {
    const { cache, changes, exp } = await service();
    feed.version = 8;
    feed.trials = [theirs(0)];
    const seen = await changes.on(exp, async (change) => {
      await change.current();
      return change.exp.nextNumber;
    });
    expect(seen).toBe(1);
    expect(cache.sync!.stats.pulls.read).toBe(1);
  });

  it("give up with UNAVAILABLE when the image keeps being dropped", async () => {
    const { cache, changes, exp } = await service();
    let lookups = 0;
    await expect(
      changes.current(async () => {
        lookups++;
        cache.remove(exp);
        return exp;
      }),
    ).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: "the experiment is being reloaded under memory pressure; retry",
    });
    expect(lookups).toBe(5);
  });

  it("a listed experiment deleted meanwhile is left out; one current at the listing's version is not pulled", async () => {
    const { changes, exp } = await service();
    const asked = feed.asked.length;
    expect(await changes.listed({ ...row, version: 3 })).toBe(exp);
    expect(feed.asked.length).toBe(asked);
    feed.deleted = true;
    expect(await changes.listed({ ...row, version: 4 })).toBeUndefined();
  });
});

describe("notices from other servers", () => {
  it("pull an announced change into the image in the background, and again for one announced meanwhile", async () => {
    const { cache, exp } = await service();
    feed.version = 5;
    feed.trials = [theirs(0)];
    feed.hold = true;
    feed.listener!(row.id, 5, false);
    await settle();
    // Announced while that pull runs: skipped now, pulled after it.
    feed.listener!(row.id, 6, false);
    feed.version = 6;
    feed.trials = [theirs(0), theirs(1)];
    feed.release();
    await exp.queue.drained();
    await settle();
    await exp.queue.drained();
    expect(exp.nextNumber).toBe(2);
    expect(cache.sync!.stats.pulls.refresh).toBe(2);
    // A notice of a version the image has: nothing to pull.
    feed.listener!(row.id, 6, false);
    await settle();
    expect(cache.sync!.stats.pulls.refresh).toBe(2);
  });

  it("leave experiments that are not in memory alone", async () => {
    const cache = new ExperimentCache(store, 1_000_000, () => undefined);
    // Listening to the notices from here on.
    new Changes(store, cache, () => 1000);
    await settle();
    feed.listener!(row.id, 9, false);
    await settle();
    expect(cache.sync!.stats.pulls.refresh).toBe(0);
    expect(feed.asked).toEqual([]);
  });
});

describe("errors with other servers on the database", () => {
  it("a change under the lock that fails for another reason than a stale write runs once, and says why", async () => {
    feed.failSubscription = true;
    const { changes, exp } = await service();
    const refused = counting(() => invalidArgument("bad"));
    await expect(changes.on(exp, refused.task)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: "bad" });
    expect(refused.runs).toHaveLength(1);
    expect([feed.locks, feed.released]).toEqual([1, 1]);
    // Also a change that found the lock held for it (queued behind another, which took it: another server wrote).
    feed.listener!(row.id, 3, false);
    const first = counting();
    const second = counting(() => invalidArgument("worse"));
    const results = await Promise.allSettled([changes.on(exp, first.task), changes.on(exp, second.task)]);
    expect(results[1]).toMatchObject({ status: "rejected", reason: { code: "INVALID_ARGUMENT", message: "worse" } });
    expect(second.runs).toHaveLength(1);
    expect([feed.locks, feed.released]).toEqual([2, 2]);
  });

  it("a read of an experiment deleted on another server is NOT_FOUND; a listing leaves it out", async () => {
    const { cache, changes } = await service();
    feed.deleted = true;
    await expect(changes.current(() => experimentNamed(cache, "e"))).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: 'experiment "e" does not exist',
    });
  });

  it("a listing whose read fails for another reason fails, instead of leaving the experiment out", async () => {
    const { changes } = await service();
    feed.pullError = new ParzenError("UNAVAILABLE", "database unreachable");
    await expect(changes.listed({ ...row, version: 99 })).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: "database unreachable",
    });
  });
});

describe("request ids with other servers on the database", () => {
  const logging = (requestId: string) => ({ request: { method: "Suggest", requestId, trialIds: [] } });

  /** A task that answers from the log when it looks the id up first, else writes under it; `runs` says which. */
  function replaying(requestId: string, logged: () => boolean) {
    const runs: boolean[] = [];
    const task = async (change: Change) => {
      runs.push(change.lookUpRequestFirst);
      if (change.lookUpRequestFirst && logged()) return "replayed";
      await change.write(logging(requestId));
      return "written";
    };
    return { runs, task };
  }

  it("are not looked up first; a write refused for a logged id runs the task again, looking it up", async () => {
    const { changes, exp } = await service();
    const fresh = replaying("new", () => true);
    expect(await changes.on(exp, fresh.task)).toBe("written");
    expect(fresh.runs).toEqual([false]);
    const retried = replaying("new", () => true);
    expect(await changes.on(exp, retried.task)).toBe("replayed");
    expect(retried.runs).toEqual([false, true]);
    // Only the first unit was written: the refused one left nothing.
    expect(units.map((u) => u.request?.requestId)).toEqual(["new", "new"]);
    expect(await sqlite.findRequest("Suggest", "new")).toEqual({ experimentId: row.id, trialIds: [] });
  });

  it("a second refusal, once looked up, is the answer; so is any other error, at once", async () => {
    const { changes, exp } = await service();
    await changes.on(exp, (change) => change.write(logging("taken")));
    // The lookup finds nothing (say, the trial number was taken): the store's refusal stands.
    const again = replaying("taken", () => false);
    await expect(changes.on(exp, again.task)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(again.runs).toEqual([false, true]);
    const runs: boolean[] = [];
    const failing = async (change: Change) => {
      runs.push(change.lookUpRequestFirst);
      await change.write({ ...logging("other"), update: [{ ...theirs(7), id: 987_654 }] });
    };
    await expect(changes.on(exp, failing)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(runs[0]).toBe(false);
  });

  it("are looked up first without other servers (a local read), and a refusal is the answer", async () => {
    const cache = new ExperimentCache(sqlite, 1_000_000, () => undefined);
    const changes = new Changes(sqlite, cache, () => 1000);
    const exp = await experimentNamed(cache, "e");
    await changes.on(exp, (change) => change.write(logging("once")));
    const again = replaying("once", () => false);
    await expect(changes.on(exp, again.task)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(again.runs).toEqual([true]);
  });
});
