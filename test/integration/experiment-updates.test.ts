/**
 * The experiment's lifecycle after creation (issue 16, server side), over
 * real gRPC with a real database and an injected clock: UpdateExperiment
 * pauses, resumes and stops, sets and clears max_trials, max_failed_trials,
 * goal and deadline; the deadline completes the experiment; a raised or
 * cleared limit re-opens a COMPLETED experiment, a user's STOP only RESUME
 * does; every change survives a restart; bad requests get precise statuses.
 */
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { CompletionReason, type Experiment, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const T0 = 1_700_000_000_000;
const { PAUSE, RESUME, STOP } = {
  PAUSE: ExperimentAction.EXPERIMENT_ACTION_PAUSE,
  RESUME: ExperimentAction.EXPERIMENT_ACTION_RESUME,
  STOP: ExperimentAction.EXPERIMENT_ACTION_STOP,
};
const { ACTIVE, PAUSED, COMPLETED } = {
  ACTIVE: ExperimentState.EXPERIMENT_STATE_ACTIVE,
  PAUSED: ExperimentState.EXPERIMENT_STATE_PAUSED,
  COMPLETED: ExperimentState.EXPERIMENT_STATE_COMPLETED,
};

const definition = (stop: Partial<Experiment>): Partial<Experiment> => ({
  name: "e",
  space: { parameters: [uniform("x", 0, 1)] },
  algorithm: { name: "random", options: {} },
  leaseDuration: { seconds: 60, nanos: 0 },
  ...stop,
});

async function serverWith(stop: Partial<Experiment>) {
  const clock = { now: T0 };
  const ts = await startTestServer({ now: () => clock.now });
  servers.push(ts);
  await ts.api.createExperiment({ experiment: definition(stop) });
  const ok = (trialId: number, loss: number) => ts.api.report({ trialId, status: ReportStatus.REPORT_STATUS_OK, loss });
  const experiment = async () => (await ts.api.getExperiment({ name: "e" })).experiment!;
  const update = async (fields: Parameters<TestServer["api"]["updateExperiment"]>[0]) =>
    (await ts.api.updateExperiment({ name: "e", ...fields })).experiment!;
  const suggest = (count = 1) => ts.api.suggest({ experiment: "e", count, workerId: "w" });
  return { ts, clock, ok, experiment, update, suggest };
}

describe("the deadline", () => {
  it("completes the experiment once the clock reaches it; RUNNING trials still report; kept across a restart", async () => {
    const { ts, clock, ok, experiment, suggest } = await serverWith({ deadline: new Date(T0 + 10_000) });
    expect(await experiment()).toMatchObject({ state: ACTIVE, deadline: new Date(T0 + 10_000) });
    const [a] = (await suggest()).trials;
    clock.now = T0 + 9_999;
    expect((await suggest()).trials).toHaveLength(1);
    clock.now = T0 + 10_000;
    expect(await suggest(3)).toMatchObject({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_DEADLINE,
    });
    expect((await ok(a!.id, 0.3)).trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(await experiment()).toMatchObject({
      state: COMPLETED,
      completionReason: CompletionReason.COMPLETION_REASON_DEADLINE,
    });
    await ts.restart();
    expect((await suggest()).doneReason).toBe(CompletionReason.COMPLETION_REASON_DEADLINE);
  });

  it("is part of the identity on re-create, and checked", async () => {
    const { ts } = await serverWith({ deadline: new Date(T0 + 10_000) });
    const same = await ts.api.createExperiment({ experiment: definition({ deadline: new Date(T0 + 10_000) }) });
    expect(same.created).toBe(false);
    const other = await rejection(ts.api.createExperiment({ experiment: definition({ deadline: new Date(T0 + 1) }) }));
    expect(other.code).toBe(status.ALREADY_EXISTS);
  });

  it("is moved or cleared by UpdateExperiment, which re-opens an experiment it completed", async () => {
    const { ts, clock, update, suggest } = await serverWith({});
    expect((await update({ deadline: new Date(T0 + 5_000) })).deadline).toEqual(new Date(T0 + 5_000));
    clock.now = T0 + 6_000;
    expect((await suggest()).doneReason).toBe(CompletionReason.COMPLETION_REASON_DEADLINE);
    expect(await update({ deadline: new Date(T0 + 60_000) })).toMatchObject({ state: ACTIVE, completionReason: 0 });
    expect((await suggest()).trials).toHaveLength(1);
    clock.now = T0 + 70_000;
    expect((await suggest()).done).toBe(true);
    await ts.restart();
    expect((await suggest()).doneReason).toBe(CompletionReason.COMPLETION_REASON_DEADLINE);
    const cleared = await update({ clearDeadline: true });
    expect(cleared.deadline).toBeUndefined();
    expect(cleared.state).toBe(ACTIVE);
    expect((await suggest()).trials).toHaveLength(1);
  });
});

describe("pause and resume", () => {
  it("PAUSED: Suggest answers retry_after and no trial, RUNNING trials report; across a restart; RESUME", async () => {
    const { ts, ok, experiment, update, suggest } = await serverWith({ maxTrials: 10 });
    const [a] = (await suggest()).trials;
    expect((await update({ action: PAUSE })).state).toBe(PAUSED);
    const paused = await suggest(2);
    expect(paused).toMatchObject({ trials: [], done: false, retryAfter: { seconds: 1, nanos: 0 } });
    expect((await ok(a!.id, 0.5)).trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    await ts.restart();
    expect((await experiment()).state).toBe(PAUSED);
    expect((await suggest()).retryAfter).toBeDefined();
    // Pausing twice is pausing.
    expect((await update({ action: PAUSE })).state).toBe(PAUSED);
    expect((await update({ action: RESUME })).state).toBe(ACTIVE);
    expect((await suggest(2)).trials).toHaveLength(2);
    expect((await experiment()).trialCounts).toMatchObject({ complete: 1, running: 2 });
  });

  it("a COMPLETED experiment that is paused shows COMPLETED, and PAUSED once re-opened", async () => {
    const { ok, update, suggest } = await serverWith({ maxTrials: 1 });
    await ok((await suggest()).trials[0]!.id, 1);
    expect((await update({ action: PAUSE })).state).toBe(COMPLETED);
    expect((await update({ maxTrials: 2 })).state).toBe(PAUSED);
    expect((await suggest()).retryAfter).toBeDefined();
    expect((await update({ action: RESUME })).state).toBe(ACTIVE);
  });
});

describe("stop", () => {
  it("completes the experiment as STOPPED, which only RESUME undoes, also after a restart", async () => {
    const { ts, update, suggest, experiment } = await serverWith({ maxTrials: 3 });
    await suggest();
    expect(await update({ action: STOP })).toMatchObject({
      state: COMPLETED,
      completionReason: CompletionReason.COMPLETION_REASON_STOPPED,
    });
    expect(await suggest()).toMatchObject({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_STOPPED,
    });
    // A budget change is not a resume.
    expect((await update({ maxTrials: 50 })).completionReason).toBe(CompletionReason.COMPLETION_REASON_STOPPED);
    await ts.restart();
    expect((await experiment()).completionReason).toBe(CompletionReason.COMPLETION_REASON_STOPPED);
    expect((await update({ action: RESUME })).state).toBe(ACTIVE);
    expect((await suggest(5)).trials).toHaveLength(5);
  });

  it("supersedes a pause: RESUME then makes the experiment ACTIVE", async () => {
    const { update } = await serverWith({});
    await update({ action: PAUSE });
    expect((await update({ action: STOP })).completionReason).toBe(CompletionReason.COMPLETION_REASON_STOPPED);
    expect((await update({ action: RESUME })).state).toBe(ACTIVE);
  });
});

describe("re-opening and changing the stop conditions", () => {
  it("raising max_trials re-opens a budget-COMPLETED experiment for exactly the new places; clearing lifts it", async () => {
    const { ts, ok, update, suggest, experiment } = await serverWith({ maxTrials: 2 });
    for (const t of (await suggest(2)).trials) await ok(t.id, 1);
    expect((await suggest()).doneReason).toBe(CompletionReason.COMPLETION_REASON_BUDGET);
    expect(await update({ maxTrials: 5 })).toMatchObject({ maxTrials: 5, state: ACTIVE });
    const more = await suggest(10);
    expect(more.trials).toHaveLength(3);
    expect((await suggest()).retryAfter).toBeDefined();
    for (const t of more.trials) await ok(t.id, 1);
    expect((await suggest()).doneReason).toBe(CompletionReason.COMPLETION_REASON_BUDGET);
    await ts.restart();
    expect((await experiment()).maxTrials).toBe(5);
    // Lowering below what is done completes it at once.
    expect(await update({ maxTrials: 3 })).toMatchObject({ state: COMPLETED, maxTrials: 3 });
    const unlimited = await update({ clearMaxTrials: true });
    expect(unlimited.maxTrials).toBeUndefined();
    expect(unlimited.state).toBe(ACTIVE);
    expect((await suggest(20)).trials).toHaveLength(20);
  });

  it("moving the goal past the best loss re-opens a goal-COMPLETED experiment; a reachable goal completes it", async () => {
    const { ok, update, suggest } = await serverWith({ goal: 0.5 });
    await ok((await suggest()).trials[0]!.id, 0.4);
    expect((await suggest()).doneReason).toBe(CompletionReason.COMPLETION_REASON_GOAL);
    expect((await update({ goal: 0.1 })).state).toBe(ACTIVE);
    await ok((await suggest()).trials[0]!.id, 0.2);
    expect((await update({ goal: 0.3 })).completionReason).toBe(CompletionReason.COMPLETION_REASON_GOAL);
    expect((await update({ clearGoal: true })).state).toBe(ACTIVE);
  });

  it("raising max_failed_trials re-opens a failures-COMPLETED experiment", async () => {
    const { ts, update, suggest } = await serverWith({ maxFailedTrials: 1 });
    await ts.api.report({ trialId: (await suggest()).trials[0]!.id, status: ReportStatus.REPORT_STATUS_FAIL });
    expect((await suggest()).doneReason).toBe(CompletionReason.COMPLETION_REASON_FAILURES);
    expect((await update({ maxFailedTrials: 2 })).state).toBe(ACTIVE);
    expect((await update({ clearMaxFailedTrials: true })).maxFailedTrials).toBeUndefined();
  });

  it("sets several limits at once; workers' re-creates still match the definition as created", async () => {
    const { ts, update, suggest } = await serverWith({ maxTrials: 2 });
    expect(await update({ maxTrials: 4, maxFailedTrials: 3, goal: -1 })).toMatchObject({
      maxTrials: 4,
      maxFailedTrials: 3,
      goal: -1,
    });
    // A worker restarting with its original code is not locked out by the raised budget, and is told the new one.
    const again = await ts.api.createExperiment({ experiment: definition({ maxTrials: 2 }) });
    expect(again.created).toBe(false);
    expect(again.experiment!.maxTrials).toBe(4);
    expect((await suggest(9)).trials).toHaveLength(4);
  });
});

describe("bad UpdateExperiment requests", () => {
  it("are refused with a status and a message naming the field", async () => {
    const { ts, update, experiment } = await serverWith({ maxTrials: 2 });
    const before = await experiment();
    const cases: [Parameters<TestServer["api"]["updateExperiment"]>[0], number, string][] = [
      [{ name: "e" }, status.INVALID_ARGUMENT, "nothing to update: give an action (PAUSE, RESUME, STOP)"],
      [{ name: "e", maxTrials: 3, clearMaxTrials: true }, status.INVALID_ARGUMENT, "max_trials: both set and cleared"],
      [{ name: "e", goal: 1, clearGoal: true }, status.INVALID_ARGUMENT, "goal: both set and cleared"],
      [
        { name: "e", deadline: new Date(T0), clearDeadline: true },
        status.INVALID_ARGUMENT,
        "deadline: both set and cleared",
      ],
      [{ name: "e", maxTrials: 0 }, status.INVALID_ARGUMENT, "max_trials: must be a positive integer when set, got 0"],
      [{ name: "e", maxFailedTrials: -2 }, status.INVALID_ARGUMENT, "max_failed_trials: must be a positive integer"],
      [{ name: "e", goal: Number.POSITIVE_INFINITY }, status.INVALID_ARGUMENT, "goal: must be finite when set"],
      [{ name: "e", action: 9 as ExperimentAction }, status.INVALID_ARGUMENT, "action: unknown action 9"],
      [{ name: "", action: PAUSE }, status.INVALID_ARGUMENT, "name: experiment name is empty"],
      [{ name: "nope", action: PAUSE }, status.NOT_FOUND, 'experiment "nope" does not exist'],
    ];
    for (const [req, code, message] of cases) {
      const err = await rejection(ts.api.updateExperiment(req));
      expect(err.code, message).toBe(code);
      expect(err.details).toContain(message);
    }
    expect(await experiment()).toEqual(before);
    expect((await update({ action: RESUME })).state).toBe(ACTIVE);
  });
});
