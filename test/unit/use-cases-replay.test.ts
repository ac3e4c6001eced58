/**
 * Request-id replay of a Suggest that started enqueued configurations (replay.ts, suggest.ts): a retry gets
 * exactly the first answer, the enqueued trial included and in its place, and never a configuration enqueued
 * since (issue 22: retry safety across layers).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enqueueReq, experiment, type Harness, harness, suggestReq, xOf } from "./use-cases-harness.js";

describe("a replayed Suggest that started an enqueued configuration", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("e"));
  });
  afterEach(() => h.close());

  it("answers the enqueued trial and the algorithm's again, not one enqueued since", async () => {
    await h.optimizer.enqueue(enqueueReq("e", [0.3]));
    const first = await h.optimizer.suggest(suggestReq("e", 2, { requestId: "r" }));
    expect(first.map(xOf)[0]).toBe(0.3);
    await h.optimizer.enqueue(enqueueReq("e", [0.9]));
    const again = await h.optimizer.suggest(suggestReq("e", 2, { requestId: "r" }));
    expect(again.map((t) => t.id)).toEqual(first.map((t) => t.id));
    expect(again.map(xOf)).toEqual(first.map(xOf));
    // The configuration enqueued since still waits for the next call.
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ waiting: 1, running: 2 });
  });
});
