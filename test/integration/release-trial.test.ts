/**
 * ReleaseTrial over real gRPC (use-cases/release.ts): a RUNNING trial given
 * back is WAITING again and the next Suggest hands out the same trial first;
 * it uses up neither max_trials nor max_failed_trials; a retry under the same
 * request_id answers the trial as it is now; a trial that is not RUNNING, is
 * another worker's, or has started (intermediate values) is refused with
 * FAILED_PRECONDITION; the WAITING state survives a restart. The PostgreSQL
 * backend runs the same scenario (release-scenario.ts) in postgres.test.ts.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";
import { releaseScenario } from "./release-scenario.js";

describe("ReleaseTrial", () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    await ts.close();
  });

  it("gives a RUNNING trial back, handed out again first, neither failed nor done, across a restart", async () => {
    await releaseScenario(ts, "release");
  });

  it("refuses a trial that has reported intermediate values, and an unknown trial", async () => {
    await ts.api.createExperiment({ experiment: { name: "started", space: { parameters: [uniform("x", 0, 1)] } } });
    const [t] = (await ts.api.suggest({ experiment: "started" })).trials;
    await ts.api.reportIntermediate({ trialId: t!.id, step: 1, value: 0.5 });
    const started = await rejection(ts.api.releaseTrial({ trialId: t!.id }));
    expect(started.code).toBe(status.FAILED_PRECONDITION);
    expect(started.message).toContain("report it as FAIL or PRUNED instead");
    const unknown = await rejection(ts.api.releaseTrial({ trialId: 987_654 }));
    expect(unknown.code).toBe(status.NOT_FOUND);
  });

  it("hands a released trial out before later WAITING ones, to the algorithm's history again", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "order",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "tpe", options: {} },
      },
    });
    const [a] = (await ts.api.suggest({ experiment: "order" })).trials;
    await ts.api.enqueue({
      experiment: "order",
      configurations: [{ params: { x: { kind: { $case: "doubleValue", value: 0.5 } } } }],
    });
    await ts.api.releaseTrial({ trialId: a!.id });
    const { trials } = await ts.api.suggest({ experiment: "order", count: 3 });
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2]);
    expect(trials[0]!.params).toEqual(a!.params);
  });
});
