/**
 * Suggest with other servers on the database (a real SQLite store given a scripted change feed: feed-store.ts).
 * "Nothing to hand out" (PAUSED, the budget all RUNNING, COMPLETED) is an answer no write checks, so before giving
 * it Suggest makes sure from the database: another server may have resumed the experiment or raised its budget
 * without this one having heard of it yet. An answer that hands out trials needs no such read (its write would be
 * refused if the image were stale).
 */
import { ExperimentAction } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { runSuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { lifecycleJson } from "../../src/service/state/lifecycle.js";
import { Optimizer } from "../../src/service/use-cases/optimizer.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { OtherServers, withOtherServers } from "./feed-store.js";
import { experiment, harness, START, suggestReq, update } from "./use-cases-harness.js";

const memos = createSharedMemos();
const RETRY_AFTER = { seconds: 1, nanos: 0 };

describe("Suggest with other servers on the database", () => {
  let sqlite: SqliteStore;
  let feed: OtherServers;
  let optimizer: Optimizer;
  beforeEach(async () => {
    sqlite = await openSqliteStore({ path: ":memory:" });
    feed = new OtherServers();
    optimizer = new Optimizer({
      store: withOtherServers(sqlite, feed).store,
      runner: { suggest: async (job) => runSuggestJob(job, memos), close: async () => undefined },
      now: () => START,
      prefetch: false,
    });
    await optimizer.createExperiment(experiment("e", { maxTrials: 1 }));
  });
  afterEach(async () => {
    await optimizer.close();
    await sqlite.close();
  });

  /** Reads of the database since `from` (pulls and lock pulls). */
  const pullsSince = (from: number) => feed.asked.length - from;

  it("hands out a trial when another server resumed the experiment this one holds as PAUSED", async () => {
    await optimizer.updateExperiment(update("e", { action: ExperimentAction.EXPERIMENT_ACTION_PAUSE }));
    // Resumed elsewhere; the notice has not arrived.
    feed.version++;
    feed.lifecycle = lifecycleJson({ paused: false, stopped: false, stop: { ...noLimits(), maxTrials: 1 } });
    const answer = await optimizer.suggestAnswer(suggestReq("e"));
    expect(answer.trials).toHaveLength(1);
    expect(answer.retryAfter).toBeUndefined();
  });

  it("hands out a trial when another server raised the budget this one holds as used", async () => {
    const from = feed.asked.length;
    expect((await optimizer.suggestAnswer(suggestReq("e"))).trials).toHaveLength(1);
    // Handing out needs no read: the write is checked.
    expect(pullsSince(from)).toBe(0);
    feed.version++;
    feed.lifecycle = lifecycleJson({ paused: false, stopped: false, stop: { ...noLimits(), maxTrials: 2 } });
    const answer = await optimizer.suggestAnswer(suggestReq("e"));
    expect(answer.trials.map((t) => t.number)).toEqual([1]);
  });

  it("answers retry_after or done only after reading that nothing changed elsewhere", async () => {
    await optimizer.suggestAnswer(suggestReq("e"));
    let from = feed.asked.length;
    expect(await optimizer.suggestAnswer(suggestReq("e"))).toEqual({
      trials: [],
      done: false,
      doneReason: 0,
      retryAfter: RETRY_AFTER,
    });
    expect(pullsSince(from)).toBe(1);
    await optimizer.updateExperiment(update("e", { action: ExperimentAction.EXPERIMENT_ACTION_STOP }));
    from = feed.asked.length;
    expect((await optimizer.suggestAnswer(suggestReq("e"))).done).toBe(true);
    expect(pullsSince(from)).toBe(1);
  });

  it("answers a Suggest retried after the budget was used up with the trials its first answer handed out", async () => {
    // With other servers the log is not read before computing (the write checks the id); an answer no write
    // checks (here retry_after: the one trial of the budget is RUNNING) must look the id up itself.
    const first = await optimizer.suggestAnswer(suggestReq("e", 1, { requestId: "s1" }));
    expect(first.trials).toHaveLength(1);
    const again = await optimizer.suggestAnswer(suggestReq("e", 1, { requestId: "s1" }));
    expect(again.trials.map((t) => t.id)).toEqual(first.trials.map((t) => t.id));
    expect(again.retryAfter).toBeUndefined();
    // Without an id it is retry_after.
    expect((await optimizer.suggestAnswer(suggestReq("e"))).retryAfter).toEqual(RETRY_AFTER);
  });

  it("says what keeping its image current cost (for /metrics), where a lone server has nothing to say", async () => {
    await optimizer.suggestAnswer(suggestReq("e"));
    // The budget is all RUNNING: one pull before answering retry_after.
    await optimizer.suggestAnswer(suggestReq("e"));
    expect(optimizer.feedStats?.pulls).toEqual({ turn: 0, refresh: 0, read: 1 });
    const lone = await harness();
    try {
      expect(lone.optimizer.feedStats).toBeUndefined();
    } finally {
      await lone.close();
    }
  });
});

function noLimits() {
  return { maxTrials: undefined, maxFailedTrials: undefined, goal: undefined, deadline: undefined };
}
