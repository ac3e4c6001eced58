/**
 * Budgets, stop conditions and the lifecycle from the TypeScript client,
 * against a real server: ExperimentDone, waiting through retry_after,
 * pause / resume / stop / update.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../../test/integration/harness.js";
import { ExperimentDone, ParzenClient, ParzenError, isExperimentDone, uniform } from "../src/index.js";

let ts: TestServer;
let client: ParzenClient;
beforeAll(async () => {
  ts = await startTestServer();
  client = await ParzenClient.connect(ts.server.address, { workerId: "vitest" });
});
afterAll(async () => {
  client?.close();
  await ts?.close();
});

let n = 0;
const fresh = (extra: Partial<Parameters<ParzenClient["createExperiment"]>[0]> = {}) =>
  client.createExperiment({ name: `budget-${n++}`, space: [uniform("x", 0, 1)], algorithm: "random", ...extra });

async function doneReason(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isExperimentDone(err)) throw new Error(`expected ExperimentDone, got ${String(err)}`);
  return err.reason;
}

describe("budgets", () => {
  it("suggestMany returns what the budget leaves, then suggest throws ExperimentDone with the reason", async () => {
    const exp = await fresh({ maxTrials: 2, maxFailedTrials: 3, goal: -1 });
    expect([exp.maxTrials, exp.maxFailedTrials, exp.goal, exp.state]).toEqual([2, 3, -1, "ACTIVE"]);
    const batch = await exp.suggestMany(5);
    expect(batch).toHaveLength(2);
    for (const t of batch) await t.report(0.5);
    const err = await exp.suggest().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExperimentDone);
    expect((err as ExperimentDone).reason).toBe("BUDGET");
    await exp.refresh();
    expect([exp.state, exp.completionReason]).toEqual(["COMPLETED", "BUDGET"]);
  });

  it("the goal and the failure limit", async () => {
    const goal = await fresh({ goal: 0.1 });
    await (await goal.suggest()).report(0.05);
    expect(await doneReason(goal.suggest())).toBe("GOAL");
    const failing = await fresh({ maxFailedTrials: 1 });
    await (await failing.suggest()).fail("diverged");
    expect(await doneReason(failing.suggest())).toBe("FAILURES");
  });

  it("waits through retry_after and runs the replacement of a trial that failed", async () => {
    const exp = await fresh({ maxTrials: 1 });
    const held = await exp.suggest();
    const short = await exp.suggest({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(ParzenError);
    expect((short as ParzenError).codeName).toBe("DEADLINE_EXCEEDED");
    const waiting = exp.suggest({ timeoutMs: 30_000 });
    await held.fail("crashed");
    const replacement = await waiting;
    expect(replacement.id).not.toBe(held.id);
    expect(replacement.state).toBe("RUNNING");
  });

  it("pause, resume, stop and update", async () => {
    const exp = await fresh({ maxTrials: 1 });
    expect((await exp.pause()).state).toBe("PAUSED");
    const paused = await exp.suggest({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect((paused as ParzenError).codeName).toBe("DEADLINE_EXCEEDED");
    expect((await exp.resume()).state).toBe("ACTIVE");
    await (await exp.suggest()).report(0.4);
    expect(await doneReason(exp.suggest())).toBe("BUDGET");
    await exp.update({ maxTrials: 2, goal: 0.01 });
    expect([exp.state, exp.maxTrials, exp.goal]).toEqual(["ACTIVE", 2, 0.01]);
    await exp.update({ goal: null });
    expect(exp.goal).toBeUndefined();
    expect((await exp.stop()).completionReason).toBe("STOPPED");
    expect(await doneReason(exp.suggest())).toBe("STOPPED");
    expect((await exp.resume()).state).toBe("ACTIVE");
  });

  it("a deadline in the past completes the experiment", async () => {
    const exp = await fresh({ deadline: new Date(Date.now() - 1000) });
    expect(exp.deadline).toBeInstanceOf(Date);
    expect(await doneReason(exp.suggest())).toBe("DEADLINE");
  });
});
