/**
 * A Suggest's answer stays within the server's answer limit however its trials fall: the bound is taken from
 * the space (the longest choice option, every parameter active), so the largest count the refusal names is
 * served within the limit and one more is refused; a space whose single trial cannot fit is refused naming
 * that. And the trial view: times, lease, metrics and curve as documented (a lease deadline only while RUNNING).
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus, SuggestResponse } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { choice, intRange, str, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const LIMIT = 20_000;
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ limits: { maxAnswerBytes: LIMIT } });
}, 60_000);
afterAll(async () => {
  await ts?.close();
});

describe("Suggest answer bound", () => {
  it("the count the refusal names is served within the limit, one more is refused", async () => {
    // Weights [0, 1, 0]: every trial takes the 900-character option, whichever position it has.
    const long = "L".repeat(900);
    // The longest worker id: each trial in the answer carries it.
    const workerId = "w".repeat(200);
    const space = {
      parameters: [
        choice("c", [{ value: str("s") }, { value: str(long) }, { value: str("m") }], [0, 1, 0]),
        intRange("n", -1_000_000_000, 1_000_000_000),
        uniform("x", 0, 1),
      ],
    };
    await ts.api.createExperiment({ experiment: { name: "long-choice", space, algorithm: { name: "random" } } });
    const err = await rejection(ts.api.suggest({ experiment: "long-choice", count: 1000, workerId }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(
      /^count: 1000 trials of experiment "long-choice" can take up to \d+ bytes, more than the 20000-byte answer limit; ask for at most \d+ per call$/,
    );
    const max = Number(/at most (\d+)/.exec(err.details)![1]);
    // About 1 KB a trial: the bound is neither blind to the long option nor wildly above it.
    expect(max).toBeGreaterThan(10);
    expect(max).toBeLessThan(LIMIT / 900);
    expect(
      (await rejection(ts.api.suggest({ experiment: "long-choice", count: max + 1, workerId }))).details,
    ).toContain(`ask for at most ${max} per call`);
    const answer = await ts.api.suggest({ experiment: "long-choice", count: max, workerId });
    expect(answer.trials).toHaveLength(max);
    expect(SuggestResponse.encode(answer).finish().length).toBeLessThanOrEqual(LIMIT);
    expect(
      answer.trials.every((t) => t.params.c?.kind?.$case === "stringValue" && t.params.c.kind.value === long),
    ).toBe(true);
  });

  it("sizes each worker's trials with its own worker id, call after call", async () => {
    const space = { parameters: [choice("c", [{ value: str("L".repeat(900)) }]), uniform("x", 0, 1)] };
    await ts.api.createExperiment({ experiment: { name: "by-worker", space, algorithm: { name: "random" } } });
    const most = async (workerId: string) => {
      const err = await rejection(ts.api.suggest({ experiment: "by-worker", count: 1000, workerId }));
      return Number(/at most (\d+)/.exec(err.details)![1]);
    };
    const short = await most("a");
    const long = await most("w".repeat(200));
    expect(long).toBeLessThan(short);
    expect(await most("a")).toBe(short);
    const answer = await ts.api.suggest({ experiment: "by-worker", count: long, workerId: "w".repeat(200) });
    expect(SuggestResponse.encode(answer).finish().length).toBeLessThanOrEqual(LIMIT);
  });

  it("a space whose one trial cannot fit is refused, naming that", async () => {
    const wide = { parameters: Array.from({ length: 600 }, (_, i) => uniform(`parameter_number_${i}`, 0, 1)) };
    await ts.api.createExperiment({ experiment: { name: "too-wide", space: wide } });
    const err = await rejection(ts.api.suggest({ experiment: "too-wide", count: 1 }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(
      /^count: one trial of experiment "too-wide" can take \d+ bytes, more than the 20000-byte answer limit$/,
    );
    expect((await ts.api.getExperiment({ name: "too-wide" })).experiment!.trialCounts!.running).toBe(0);
  });
});

describe("trial view", () => {
  it("shows times, the lease only while RUNNING, metrics and the curve in step order", async () => {
    await ts.api.createExperiment({ experiment: { name: "view", space: { parameters: [uniform("x", 0, 1)] } } });
    const [t] = (await ts.api.suggest({ experiment: "view" })).trials;
    expect(t!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    expect(t!.createTime).toBeInstanceOf(Date);
    expect(t!.startTime).toBeInstanceOf(Date);
    expect(t!.leaseDeadline!.getTime()).toBeGreaterThan(t!.startTime!.getTime());
    expect(t!.endTime).toBeUndefined();
    await ts.api.reportIntermediate({ trialId: t!.id, step: 1, value: 0.5 });
    await ts.api.reportIntermediate({ trialId: t!.id, step: 3, value: 0.25 });
    await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.2, metrics: { acc: 0.9 } });
    const done = (await ts.api.getTrial({ trialId: t!.id })).trial!;
    expect(done.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(done.leaseDeadline).toBeUndefined();
    expect(done.endTime).toBeInstanceOf(Date);
    expect(done.endTime!.getTime()).toBeGreaterThanOrEqual(done.startTime!.getTime());
    expect(done.metrics).toEqual({ acc: 0.9 });
    expect(done.intermediateValues).toEqual([
      { step: 1, value: 0.5 },
      { step: 3, value: 0.25 },
    ]);
    expect(done.loss).toBe(0.2);
  });
});
