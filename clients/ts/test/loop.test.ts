/**
 * exp.loop() against a real server: one round trip per trial (the body's
 * report goes out with the request for the next trial), and no trial left
 * RUNNING when the loop ends early.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../../test/integration/harness.js";
import { ParzenClient, ParzenError, uniform } from "../src/index.js";

let ts: TestServer;
let client: ParzenClient;
const calls = new Map<string, number>();
beforeAll(async () => {
  ts = await startTestServer();
  client = await ParzenClient.connect(ts.server.address, { workerId: "vitest" });
  // Counts the RPCs the client makes; the real calls go through.
  const rpc = (client as unknown as { rpc: { call: (m: string, r: unknown) => Promise<unknown> } }).rpc;
  const call = rpc.call.bind(rpc);
  rpc.call = (method, req) => {
    calls.set(method, (calls.get(method) ?? 0) + 1);
    return call(method, req);
  };
});
afterAll(async () => {
  client?.close();
  await ts?.close();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

let n = 0;
const fresh = (maxTrials?: number) =>
  client.createExperiment({ name: `loop-${n++}`, space: [uniform("x", 0, 1)], algorithm: "random", maxTrials });

describe("exp.loop()", () => {
  it("runs the budget with one round trip per trial", async () => {
    const exp = await fresh(5);
    calls.clear();
    const ids: number[] = [];
    for await (const trial of exp.loop()) {
      ids.push(trial.id);
      await trial.report(trial.params.x as number);
    }
    expect(new Set(ids).size).toBe(5);
    expect([calls.get("suggest"), calls.get("report")]).toEqual([1, 5]);
    await exp.refresh();
    expect(exp.counts).toMatchObject({ complete: 5, running: 0 });
    expect(exp.state).toBe("COMPLETED");
  });

  it("leaves no trial RUNNING after a break or a throw, and fails a trial the body did not report", async () => {
    const exp = await fresh();
    let i = 0;
    for await (const trial of exp.loop()) {
      await trial.report(0.5);
      if (++i === 3) break;
    }
    await exp.refresh();
    expect(exp.counts).toMatchObject({ complete: 3, running: 0, fail: 0 });

    const throwing = await fresh();
    await expect(
      (async () => {
        for await (const trial of throwing.loop()) {
          await trial.reportIntermediate(0, 1);
          throw new Error("boom");
        }
      })(),
    ).rejects.toThrow("boom");
    const [lost] = await collect(throwing.trials());
    expect([lost?.state, lost?.failReason]).toEqual(["FAIL", "the loop stopped before a report"]);

    const skipping = await fresh(1);
    let first = true;
    for await (const trial of skipping.loop()) {
      if (!first) await trial.prune(0.3);
      first = false;
    }
    const states = (await collect(skipping.trials())).map((t) => t.state);
    expect(states).toEqual(["FAIL", "PRUNED"]);
  });

  it("releases a trial: WAITING again, handed out first, a second release refused", async () => {
    const exp = await fresh();
    const trial = await exp.suggest();
    expect((await trial.release()).state).toBe("WAITING");
    const again = await exp.suggest();
    expect([again.id, again.params]).toEqual([trial.id, trial.params]);
    await again.release();
    await expect(again.release()).rejects.toMatchObject({ codeName: "FAILED_PRECONDITION" });
  });

  it("gives back the next trial when the answer to a report with suggest_next is lost", async () => {
    const exp = await client.createExperiment({
      name: `loop-${n++}`,
      space: [uniform("x", 0, 1)],
      algorithm: "random",
      maxFailedTrials: 1,
    });
    const rpc = (client as unknown as { rpc: { call: (m: string, r: unknown) => Promise<unknown> } }).rpc;
    const call = rpc.call;
    let reports = 0;
    // The second report's answer never arrives (the server applied it and started the next trial).
    rpc.call = async (method, req) => {
      const out = await call.call(rpc, method, req);
      if (method === "report" && (req as { suggestNext: boolean }).suggestNext && ++reports === 2)
        throw new ParzenError(14, "connection reset", "Report");
      return out;
    };
    try {
      await expect(
        (async () => {
          for await (const trial of exp.loop()) await trial.report(0.5);
        })(),
      ).rejects.toMatchObject({ codeName: "UNAVAILABLE" });
    } finally {
      rpc.call = call;
    }
    await exp.refresh();
    // Both reports landed; the trial the second one started is WAITING again: not RUNNING, not failed.
    expect(exp.counts).toMatchObject({ complete: 2, running: 0, fail: 0, waiting: 1 });
    expect(exp.state).toBe("ACTIVE");
    expect((await exp.suggest()).number).toBe(2);
  });
});
