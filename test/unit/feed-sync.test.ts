/**
 * FeedSync (state/feed-sync.ts), which keeps an image current while other servers write the same database, driven
 * through a scripted change feed (the store's side, which the PostgreSQL tests check for real): the version each
 * image mirrors, pulls of what others wrote (the lifecycle with them, retry_lost's LOST trials, a deleted
 * experiment, an image out of step), the experiment's lock kept for a turn of queued changes and no longer, and
 * the notices: which ones count, and that a broken subscription makes every image "behind" until it is back.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { ParzenError } from "../../src/errors.js";
import { compileDefinition, definitionJson } from "../../src/service/use-cases/definition.js";
import { ExperimentState } from "../../src/service/state/experiment-state.js";
import { FeedSync, OutOfStep } from "../../src/service/state/feed-sync.js";
import { lifecycleJson } from "../../src/service/state/lifecycle.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type StoredParams, type TrialRow } from "../../src/store/rows.js";
import type { ChangeFeed, Changes, HeldLock, PullFrom } from "../../src/store/store.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import { uniform } from "../integration/fixtures.js";

/** A change feed whose answers the test sets, recording what FeedSync asked. */
class ScriptedFeed implements ChangeFeed {
  changes: Changes | undefined = { version: 0, trials: [], lifecycle: null };
  readonly asked: [number, number][] = [];
  readonly released: number[] = [];
  listener: ((experimentId: number, version: number, mine: boolean) => void) | undefined;
  lost: (() => void) | undefined;
  subscriptions = 0;
  /** The next onChange fails (a broken connection at subscription). */
  failNext = false;

  /** Stored parameters of the trials `changes` returns, by number: their configurations come from `toConfig`. */
  params = new Map<number, StoredParams>();

  async changesSince(
    experimentId: number,
    version: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<Changes | undefined> {
    this.asked.push([experimentId, version]);
    const c = this.changes;
    if (c === undefined) return undefined;
    return {
      ...c,
      trials: c.trials.map((t) => {
        const p = this.params.get(t.number);
        return p === undefined ? t : { ...t, config: toConfig(p) };
      }),
    };
  }

  async lock(experimentId: number, since?: PullFrom): Promise<HeldLock> {
    const changes = since && (await this.changesSince(experimentId, since.version, since.toConfig));
    return { release: () => this.released.push(experimentId), changes };
  }

  async onChange(listener: (id: number, version: number, mine: boolean) => void, onLost?: () => void) {
    this.subscriptions++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error("cannot listen");
    }
    this.listener = listener;
    this.lost = onLost;
    return async () => undefined;
  }
}

async function image(retryLost = false): Promise<ExperimentState> {
  const store = await openSqliteStore({ path: ":memory:" });
  const def = compileDefinition(
    Experiment.fromPartial({ name: "e", space: { parameters: [uniform("x", 0, 1)] }, retryLost, maxTrials: 10 }),
  );
  const row = (await store.createExperiment("e", definitionJson(def.proto), 0)).value;
  return new ExperimentState(row, def, store);
}

function trial(exp: ExperimentState, number: number, state: TrialRow["state"], id = 100 + number): TrialRow {
  return {
    id,
    experimentId: exp.row.id,
    number,
    state,
    source: "algorithm",
    config: Float64Array.of(0.5),
    loss: state === "complete" ? 1 : null,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "",
    failReason: "",
    createTime: 1,
    startTime: 1,
    endTime: state === "running" ? null : 2,
    leaseDeadline: state === "running" ? 10 : null,
    intermediate: NO_POINTS,
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("the version an image mirrors", () => {
  it("is 0 for a new image, then what this server wrote or loaded", async () => {
    const sync = new FeedSync(new ScriptedFeed());
    const exp = await image();
    expect(sync.versionOf(exp)).toBe(0);
    sync.wrote(exp, 5);
    expect(sync.versionOf(exp)).toBe(5);
    sync.wrote(exp, undefined);
    expect(sync.versionOf(exp)).toBe(5);
    sync.loaded(exp, 9);
    expect(sync.versionOf(exp)).toBe(9);
  });

  it("head asks for the version alone, and is undefined for an experiment that is gone", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    feed.changes = { version: 42, trials: [], lifecycle: null };
    expect(await sync.head(3)).toBe(42);
    expect(feed.asked).toEqual([[3, Number.MAX_SAFE_INTEGER]]);
    feed.changes = undefined;
    expect(await sync.head(3)).toBeUndefined();
  });
});

describe("pull", () => {
  it("puts what others wrote since the image's version, with their lifecycle, and moves the version", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    sync.loaded(exp, 3);
    const lifecycle = lifecycleJson({
      paused: true,
      stopped: false,
      stop: { maxTrials: 2, maxFailedTrials: undefined, goal: undefined, deadline: undefined },
    });
    feed.changes = { version: 7, trials: [trial(exp, 0, "complete"), trial(exp, 1, "running")], lifecycle };
    feed.params.set(1, { x: 0.25, gone: 3 });
    await sync.pull(exp);
    // Configurations from the stored parameters, by this experiment's space.
    expect(Array.from(exp.configOf(1))).toEqual([0.25]);
    expect(feed.asked).toEqual([[exp.row.id, 3]]);
    expect(sync.versionOf(exp)).toBe(7);
    expect([exp.nextNumber, exp.countOf("complete"), exp.countOf("running")]).toEqual([2, 1, 1]);
    expect([exp.lifecycle.paused, exp.stop.maxTrials]).toEqual([true, 2]);
  });

  it("changes nothing when nothing was written since, the lifecycle included", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    sync.loaded(exp, 4);
    const before = exp.lifecycle;
    feed.changes = {
      version: 4,
      trials: [],
      lifecycle: lifecycleJson({ ...before, stopped: true }),
    };
    await sync.pull(exp);
    expect(exp.lifecycle).toBe(before);
    expect(exp.version).toBe(0);
  });

  it("notes LOST trials for a retry only when the experiment retries lost trials", async () => {
    for (const retryLost of [false, true]) {
      const feed = new ScriptedFeed();
      const sync = new FeedSync(feed);
      const exp = await image(retryLost);
      feed.changes = {
        version: 2,
        trials: [trial(exp, 0, "lost"), trial(exp, 1, "fail"), trial(exp, 2, "running")],
        lifecycle: null,
      };
      await sync.pull(exp);
      expect([...exp.retriesPending]).toEqual(retryLost ? [100] : []);
    }
  });

  it("marks a deleted experiment and answers NOT_FOUND", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    feed.changes = undefined;
    const err = await sync.pull(exp).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect([(err as ParzenError).code, (err as ParzenError).message]).toEqual([
      "NOT_FOUND",
      'experiment "e" does not exist',
    ]);
    expect(exp.deleted).toBe(true);
  });

  it("throws OutOfStep, keeping the old version, when the image cannot take the trials", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    sync.loaded(exp, 1);
    feed.changes = { version: 5, trials: [trial(exp, 3, "complete")], lifecycle: null };
    const err = await sync.pull(exp).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutOfStep);
    expect((err as Error).message).toBe("experiment e: experiment e: trial number 3 out of sequence");
    expect(sync.versionOf(exp)).toBe(1);
  });
});

describe("the experiment's lock", () => {
  it("is held from lock to unlock, released once", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    expect(sync.holds(exp)).toBe(false);
    await sync.lock(exp);
    expect(sync.holds(exp)).toBe(true);
    sync.unlock(exp);
    sync.unlock(exp);
    expect([sync.holds(exp), feed.released]).toEqual([false, [exp.row.id]]);
  });

  it("is released after a change when nothing else waits in the experiment's queue", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    await sync.lock(exp);
    sync.afterChange(exp);
    expect(sync.holds(exp)).toBe(false);
    // Without the lock, nothing to release.
    sync.afterChange(exp);
    expect(feed.released).toEqual([exp.row.id]);
  });

  it("is released by the one change running when nothing waits behind it", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    await sync.lock(exp);
    await exp.queue.run(() => {
      expect(exp.queue.queued).toBe(1);
      sync.afterChange(exp);
      expect(sync.holds(exp)).toBe(false);
    });
    // A change without the lock while others wait: nothing held, nothing released.
    let release!: () => void;
    const first = exp.queue.run(() => new Promise<void>((r) => (release = r)));
    void exp.queue.run(() => undefined);
    expect(() => sync.afterChange(exp)).not.toThrow();
    expect([sync.holds(exp), feed.released]).toEqual([false, [exp.row.id]]);
    await settle();
    release();
    await first;
  });

  it("is kept while more changes wait, for at most a turn of 32, and released once the queue is idle", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    await sync.lock(exp);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // This change and one more queued behind it.
    void exp.queue.run(() => gate);
    void exp.queue.run(() => undefined);
    sync.afterChange(exp);
    expect(sync.holds(exp)).toBe(true);
    release();
    await exp.queue.drained();
    await settle();
    expect(sync.holds(exp)).toBe(false);
    expect(feed.released).toEqual([exp.row.id]);

    // A long queue: 31 changes keep it, the 32nd lets other servers have a turn.
    await sync.lock(exp);
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    void exp.queue.run(() => held);
    void exp.queue.run(() => undefined);
    for (let i = 1; i < 32; i++) {
      sync.afterChange(exp);
      expect(sync.holds(exp), `change ${i}`).toBe(true);
    }
    sync.afterChange(exp);
    expect(sync.holds(exp)).toBe(false);
    // The idle watch of the first turn does not release a lock taken again since.
    await sync.lock(exp);
    open();
    await exp.queue.drained();
    await settle();
    expect(feed.released.length).toBe(2);
    expect(sync.holds(exp)).toBe(true);
  });
});

describe("notices from other servers", () => {
  it("count only versions past the last announced; an image is behind until notices flow, and when announced past", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    const noticed: number[] = [];
    expect(sync.behind(exp)).toBe(true); // not listening yet
    sync.listen((id) => noticed.push(id));
    await settle();
    expect(sync.behind(exp)).toBe(false);
    expect(sync.announcedPast(exp)).toBe(false);
    const id = exp.row.id;
    feed.listener!(id, 1, false);
    expect([sync.announcedPast(exp), sync.behind(exp)]).toEqual([true, true]);
    feed.listener!(id, 1, false); // the same version again: no new notice
    feed.listener!(id, 0, false);
    feed.listener!(id, 2, false);
    expect(noticed).toEqual([id, id]);
    sync.wrote(exp, 2);
    expect([sync.announcedPast(exp), sync.behind(exp)]).toEqual([false, false]);
    // Another experiment's notices are its own.
    feed.listener!(id + 1, 9, false);
    expect(sync.behind(exp)).toBe(false);
  });

  it("while notices are lost: every image is behind, announcements are forgotten, and the next change subscribes again", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    sync.resubscribe(); // nobody listens yet: nothing to resubscribe
    expect(feed.subscriptions).toBe(0);
    sync.listen(() => undefined);
    await settle();
    feed.listener!(exp.row.id, 5, false);
    sync.resubscribe(); // notices flow: no second subscription
    expect(feed.subscriptions).toBe(1);
    feed.lost!();
    expect(sync.behind(exp)).toBe(true);
    expect(sync.announcedPast(exp)).toBe(false);
    sync.resubscribe();
    expect(feed.subscriptions).toBe(2);
    sync.resubscribe(); // a subscription under way: not another
    expect(feed.subscriptions).toBe(2);
    await settle();
    expect(sync.behind(exp)).toBe(false);
  });

  it("subscribes once however often it is asked to listen", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    sync.listen(() => undefined);
    sync.listen(() => undefined);
    await settle();
    sync.listen(() => undefined);
    expect(feed.subscriptions).toBe(1);
  });

  it("tries to subscribe again after a subscription failed", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    feed.failNext = true;
    sync.listen(() => undefined);
    await settle();
    expect(sync.behind(exp)).toBe(true);
    sync.resubscribe();
    await settle();
    expect(feed.subscriptions).toBe(2);
    expect(sync.behind(exp)).toBe(false);
  });
});

describe("the lock's pull, contention and the counters /metrics reads", () => {
  // performance.now scripted: the lock's wait and hold are measured with it, and contention ages by it.
  let clock = 1000;
  afterEach(() => vi.restoreAllMocks());
  const scriptClock = () => vi.spyOn(performance, "now").mockImplementation(() => clock);

  it("pulls under the lock from the image's version, with configurations from the stored parameters", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    sync.loaded(exp, 3);
    feed.changes = { version: 5, trials: [trial(exp, 0, "complete")], lifecycle: null };
    feed.params.set(0, { x: 0.75 });
    await sync.lock(exp);
    expect(feed.asked).toEqual([[exp.row.id, 3]]);
    expect(Array.from(exp.configOf(0))).toEqual([0.75]);
    expect([sync.holds(exp), sync.versionOf(exp)]).toEqual([true, 5]);
  });

  it("releases the lock when what it pulled says the experiment is gone", async () => {
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    feed.changes = undefined;
    await expect(sync.lock(exp)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect([sync.holds(exp), feed.released]).toEqual([false, [exp.row.id]]);
  });

  it("counts turns, their changes, pulls by reason, pulls that brought trials, and the lock's wait and hold", async () => {
    scriptClock();
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    feed.changes = { version: 2, trials: [trial(exp, 0, "complete"), trial(exp, 1, "running")], lifecycle: null };
    const { lock } = feed;
    feed.lock = async (id, since) => {
      clock = 1250; // the lock is granted 250 ms after it was asked for
      return lock.call(feed, id, since);
    };
    clock = 1000;
    await sync.lock(exp);
    clock = 1750;
    sync.afterChange(exp); // nothing else queued: the turn ends, the lock held 500 ms
    await sync.pull(exp); // nothing new, and the default reason is "read"
    await sync.pull(exp, "refresh");
    expect(sync.stats).toEqual({
      turns: 1,
      turnChanges: 1,
      lockWaitSeconds: 0.25,
      lockHeldSeconds: 0.5,
      pulls: { turn: 1, refresh: 1, read: 1 },
      pullsWithChanges: 1,
      pulledTrials: 2,
      unlockedChanges: 0,
      staleWrites: 0,
    });
  });

  it("finds an experiment contended for 5 s after another server's write notice, never after its own", async () => {
    scriptClock();
    const feed = new ScriptedFeed();
    const sync = new FeedSync(feed);
    const exp = await image();
    sync.listen(() => undefined);
    await settle();
    expect(sync.contended(exp)).toBe(false);
    clock = 1000;
    feed.listener!(exp.row.id, 1, true); // this server's own write
    expect(sync.contended(exp)).toBe(false);
    clock = 2000;
    feed.listener!(exp.row.id, 2, false);
    clock = 6999;
    expect(sync.contended(exp)).toBe(true);
    clock = 7000;
    expect(sync.contended(exp)).toBe(false);
  });
});
