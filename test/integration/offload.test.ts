/**
 * A slow algorithm (the GP) runs on a worker thread: while a GP suggestion
 * is being computed, other calls keep being answered, and a call whose
 * deadline passes is answered DEADLINE_EXCEEDED without creating a trial.
 */
import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { TrialImport } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { createRng } from "../../src/math/rng.js";
import { num, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
const DIMS = 10;

beforeAll(async () => {
  ts = await startTestServer();
  const space = { parameters: Array.from({ length: DIMS }, (_, i) => uniform(`x${i}`, 0, 1)) };
  await ts.api.createExperiment({ experiment: { name: "slow-gp", space, algorithm: { name: "gp" } } });
  await ts.api.createExperiment({ experiment: { name: "quick", space, algorithm: { name: "random" } } });
  const rng = createRng(3);
  const trials: Partial<TrialImport>[] = Array.from({ length: 300 }, () => {
    const params = Object.fromEntries(Array.from({ length: DIMS }, (_, i) => [`x${i}`, num(rng.uniform())]));
    const loss = Object.values(params).reduce((s, v) => s + ((v.kind!.value as number) - 0.3) ** 2, 0);
    return { params, loss };
  });
  await ts.api.addTrials({ experiment: "slow-gp", trials });
}, 120_000);
afterAll(async () => {
  await ts.close();
});

describe("algorithms off the event loop", () => {
  it("keeps answering other calls while a GP suggestion is computed", async () => {
    const order: string[] = [];
    const gp = ts.api.suggest({ experiment: "slow-gp" }).then((r) => {
      order.push("gp");
      return r;
    });
    // Give the GP job time to reach its worker, then ask for cheap things.
    await new Promise((r) => setTimeout(r, 20));
    const others = Promise.all([
      ts.api.suggest({ experiment: "quick" }).then(() => order.push("random")),
      ts.api.getExperiment({ name: "quick" }).then(() => order.push("get")),
    ]);
    const [{ trials }] = await Promise.all([gp, others]);
    expect(trials).toHaveLength(1);
    expect(order.indexOf("random")).toBeLessThan(order.indexOf("gp"));
    expect(order.indexOf("get")).toBeLessThan(order.indexOf("gp"));
  }, 120_000);

  it("answers DEADLINE_EXCEEDED when the deadline passes first, and creates no trial", async () => {
    const before = (await ts.api.getExperiment({ name: "slow-gp" })).experiment!.trialCounts!.running;
    const client = new OptimizerServiceClient(ts.server.address, credentials.createInsecure());
    const err = await new Promise<ServiceError>((resolve, reject) =>
      client.suggest(
        { experiment: "slow-gp", count: 1, workerId: "", requestId: "" },
        new Metadata(),
        { deadline: Date.now() + 5 },
        (e) => (e ? resolve(e) : reject(new Error("expected the deadline to pass"))),
      ),
    );
    client.close();
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    // The server notices too, stops the job and stores nothing.
    await new Promise((r) => setTimeout(r, 200));
    expect((await ts.api.getExperiment({ name: "slow-gp" })).experiment!.trialCounts!.running).toBe(before);
    // And the next GP suggestion still works on a fresh worker.
    expect((await ts.api.suggest({ experiment: "slow-gp" })).trials).toHaveLength(1);
  }, 120_000);
});
