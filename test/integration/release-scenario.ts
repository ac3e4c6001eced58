/**
 * The ReleaseTrial scenario both store backends run over real gRPC
 * (release-trial.test.ts on SQLite, postgres.test.ts on PostgreSQL).
 */
import { status } from "@grpc/grpc-js";
import { expect } from "vitest";
import { CompletionReason, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { uniform } from "./fixtures.js";
import { rejection, type TestServer } from "./harness.js";

/** Release, hand out again, refusals and a restart, on `ts` (either backend). */
export async function releaseScenario(ts: TestServer, name: string): Promise<void> {
  await ts.api.createExperiment({
    experiment: { name, space: { parameters: [uniform("x", 0, 1)] }, maxTrials: 2, maxFailedTrials: 1, seed: 4 },
  });
  const [first] = (await ts.api.suggest({ experiment: name, workerId: "a" })).trials;
  const [held] = (await ts.api.suggest({ experiment: name, workerId: "a" })).trials;
  // The budget is all RUNNING: nobody else gets a trial.
  expect((await ts.api.suggest({ experiment: name, workerId: "b" })).trials).toHaveLength(0);

  const other = await rejection(ts.api.releaseTrial({ trialId: held!.id, workerId: "b" }));
  expect(other.code).toBe(status.FAILED_PRECONDITION);
  expect(other.message).toContain('RUNNING for worker "a", not "b"');

  const { trial } = await ts.api.releaseTrial({ trialId: held!.id, requestId: "r1", workerId: "a" });
  expect(trial).toMatchObject({ id: held!.id, number: held!.number, state: TrialState.TRIAL_STATE_WAITING });
  // The same request again: the same answer, nothing changed.
  expect((await ts.api.releaseTrial({ trialId: held!.id, requestId: "r1" })).trial?.state).toBe(
    TrialState.TRIAL_STATE_WAITING,
  );
  // Without a request_id a second release is refused: the trial is not RUNNING.
  const again = await rejection(ts.api.releaseTrial({ trialId: held!.id }));
  expect(again.code).toBe(status.FAILED_PRECONDITION);
  expect(again.message).toContain("is WAITING; only a RUNNING trial can be released");

  await ts.restart();
  // Another worker gets the same trial, same configuration, first.
  const [same] = (await ts.api.suggest({ experiment: name, workerId: "b" })).trials;
  expect(same).toMatchObject({ id: held!.id, number: held!.number, workerId: "b" });
  expect(same!.params).toEqual(held!.params);
  // A late retry of the first release answers the trial as it is now, and leaves worker b's trial RUNNING.
  expect((await ts.api.releaseTrial({ trialId: held!.id, requestId: "r1" })).trial?.state).toBe(
    TrialState.TRIAL_STATE_RUNNING,
  );
  const reused = await rejection(ts.api.releaseTrial({ trialId: first!.id, requestId: "r1" }));
  expect(reused.message).toContain(`already used to release trial ${held!.id}`);

  // Neither failed nor done: max_failed_trials = 1 and max_trials = 2 are untouched.
  const exp = (await ts.api.getExperiment({ name })).experiment!;
  expect(exp.state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
  for (const t of [first!, same!])
    await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
  const done = await ts.api.getExperiment({ name });
  expect(done.experiment?.completionReason).toBe(CompletionReason.COMPLETION_REASON_BUDGET);
  expect((await ts.api.listTrials({ experiment: name })).trials.map((t) => t.state)).toEqual([
    TrialState.TRIAL_STATE_COMPLETE,
    TrialState.TRIAL_STATE_COMPLETE,
  ]);

  // A finished trial is refused.
  const finished = await rejection(ts.api.releaseTrial({ trialId: first!.id }));
  expect(finished.code).toBe(status.FAILED_PRECONDITION);
  expect(finished.message).toContain("is COMPLETE; only a RUNNING trial can be released");
}
