import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { int, num, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

/** Runs one trial through `curve`, stopping when the server says so; returns whether it was pruned. */
async function run(experiment: string, curve: number[]): Promise<{ pruned: boolean; id: number }> {
  const { trials } = await ts.api.suggest({ experiment });
  const id = trials[0]!.id;
  for (const [step, value] of curve.entries()) {
    const { shouldPrune } = await ts.api.reportIntermediate({ trialId: id, step, value });
    if (shouldPrune) {
      await ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_PRUNED });
      return { pruned: true, id };
    }
  }
  await ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_OK, loss: curve.at(-1)! });
  return { pruned: false, id };
}

describe("pruning over gRPC", () => {
  it("the median pruner stops a trial that is worse than the median, and PRUNED shows in the history", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "median",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random" },
        pruner: { name: "median", options: { n_startup_trials: int(3) } },
      },
    });
    for (const k of [1, 2, 3]) expect((await run("median", [k, k, k])).pruned).toBe(false);
    const bad = await run("median", [5, 5, 5]);
    expect(bad.pruned).toBe(true);
    const good = await run("median", [0.5, 0.5, 0.5]);
    expect(good.pruned).toBe(false);
    const { trial } = await ts.api.getTrial({ trialId: bad.id });
    expect(trial!.state).toBe(TrialState.TRIAL_STATE_PRUNED);
    expect(trial!.loss).toBe(5);
    expect(trial!.intermediateValues).toEqual([{ step: 0, value: 5 }]);
    const pruned = await ts.api.listTrials({ experiment: "median", states: [TrialState.TRIAL_STATE_PRUNED] });
    expect(pruned.trials.map((t) => t.id)).toEqual([bad.id]);
  });

  it("the threshold pruner works on raw values of a maximised objective", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "thr",
        space: { parameters: [uniform("x", 0, 1)] },
        direction: Direction.DIRECTION_MAXIMIZE,
        algorithm: { name: "random" },
        pruner: { name: "threshold", options: { lower: num(0.5) } },
      },
    });
    expect((await run("thr", [0.6, 0.7])).pruned).toBe(false);
    expect((await run("thr", [0.6, 0.4])).pruned).toBe(true);
  });

  it("the median pruner compares in the objective's direction when it is maximised", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "median-max",
        space: { parameters: [uniform("x", 0, 1)] },
        direction: Direction.DIRECTION_MAXIMIZE,
        algorithm: { name: "random" },
        pruner: { name: "median", options: { n_startup_trials: int(3) } },
      },
    });
    for (const k of [1, 2, 3]) expect((await run("median-max", [k, k, k])).pruned).toBe(false);
    // Below the median is worse when maximising: pruned at the first step; above it runs to the end.
    const low = await run("median-max", [0.5, 0.5, 0.5]);
    expect(low.pruned).toBe(true);
    expect((await ts.api.getTrial({ trialId: low.id })).trial!.intermediateValues).toEqual([{ step: 0, value: 0.5 }]);
    expect((await run("median-max", [5, 5, 5])).pruned).toBe(false);
  });

  it("rejects bad pruner options at creation", async () => {
    const err = await rejection(
      ts.api.createExperiment({
        experiment: {
          name: "bad-pruner",
          space: { parameters: [uniform("x", 0, 1)] },
          pruner: { name: "percentile", options: { percentile: num(150) } },
        },
      }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain('pruner percentile options: "percentile"');
  });
});
