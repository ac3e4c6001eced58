/**
 * Budgets and stop conditions over gRPC (issue 16, server side): max_trials
 * counts COMPLETE + PRUNED trials and never overshoots with concurrent
 * workers; RUNNING trials hold their place (retry_after) until they fail or
 * lapse; the goal and the failure limit complete the experiment; a COMPLETED
 * experiment answers done, also after a restart.
 */
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { CompletionReason, Direction, type Experiment, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { createRng } from "../../src/math/rng.js";
import { uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const LEASE_MS = 60_000;

async function serverWith(stop: Partial<Experiment>) {
  const clock = { now: 1_000_000 };
  const ts = await startTestServer({ now: () => clock.now });
  servers.push(ts);
  const created = await ts.api.createExperiment({
    experiment: {
      name: "e",
      space: { parameters: [uniform("x", 0, 1)] },
      algorithm: { name: "random", options: {} },
      leaseDuration: { seconds: LEASE_MS / 1000, nanos: 0 },
      ...stop,
    },
  });
  const ok = (trialId: number, loss: number) => ts.api.report({ trialId, status: ReportStatus.REPORT_STATUS_OK, loss });
  const fail = (trialId: number) =>
    ts.api.report({ trialId, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "boom" });
  const experiment = async () => (await ts.api.getExperiment({ name: "e" })).experiment!;
  return { ts, clock, created: created.experiment!, ok, fail, experiment };
}

describe("max_trials", () => {
  it("returns fewer than count, then retry_after while the rest is RUNNING, a replacement after a FAIL", async () => {
    const { ts, ok, fail, experiment } = await serverWith({ maxTrials: 3 });
    const first = await ts.api.suggest({ experiment: "e", count: 5 });
    expect(first.trials).toHaveLength(3);
    expect(first.done).toBe(false);

    const waiting = await ts.api.suggest({ experiment: "e", count: 2 });
    expect(waiting.trials).toEqual([]);
    expect(waiting.done).toBe(false);
    expect(waiting.retryAfter).toEqual({ seconds: 1, nanos: 0 });

    // A FAIL does not use up the budget: its place goes to a waiting worker.
    await fail(first.trials[0]!.id);
    const replacement = await ts.api.suggest({ experiment: "e", count: 2 });
    expect(replacement.trials).toHaveLength(1);
    expect(replacement.retryAfter).toBeUndefined();

    await ok(first.trials[1]!.id, 1);
    await ok(first.trials[2]!.id, 2);
    expect((await experiment()).state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    await ts.api.report({ trialId: replacement.trials[0]!.id, status: ReportStatus.REPORT_STATUS_PRUNED, loss: 3 });

    const done = await ts.api.suggest({ experiment: "e" });
    expect(done).toMatchObject({ trials: [], done: true, doneReason: CompletionReason.COMPLETION_REASON_BUDGET });
    expect(done.retryAfter).toBeUndefined();
    const exp = await experiment();
    expect(exp.state).toBe(ExperimentState.EXPERIMENT_STATE_COMPLETED);
    expect(exp.completionReason).toBe(CompletionReason.COMPLETION_REASON_BUDGET);
    expect(exp.trialCounts).toMatchObject({ complete: 2, pruned: 1, fail: 1, running: 0 });
  });

  it("hands the place of a trial whose lease lapsed to a waiting worker", async () => {
    const { ts, clock, ok } = await serverWith({ maxTrials: 1 });
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    expect((await ts.api.suggest({ experiment: "e" })).retryAfter).toBeDefined();
    clock.now += LEASE_MS + 1;
    const again = await ts.api.suggest({ experiment: "e" });
    expect(again.trials).toHaveLength(1);
    expect((await ts.api.getTrial({ trialId: a!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_LOST);
    await ok(again.trials[0]!.id, 0.5);
    expect((await ts.api.suggest({ experiment: "e" })).done).toBe(true);
  });

  it("is exact with concurrent workers asking for batches, some trials failing", async () => {
    const budget = 25;
    const { ts, ok, fail, experiment } = await serverWith({ maxTrials: budget });
    // A worker told to retry waits for the next report (the event that can free a place), not for a timer.
    let reported: () => void = () => undefined;
    let nextReport = new Promise<void>((r) => {
      reported = r;
    });
    const onReport = () => {
      reported();
      nextReport = new Promise<void>((r) => {
        reported = r;
      });
    };
    let evaluated = 0;
    const worker = async (w: number): Promise<number> => {
      let retries = 0;
      for (;;) {
        const answer = await ts.api.suggest({ experiment: "e", count: 1 + (w % 3), workerId: `w${w}` });
        if (answer.done) {
          expect(answer.doneReason).toBe(CompletionReason.COMPLETION_REASON_BUDGET);
          return retries;
        }
        if (answer.retryAfter !== undefined) {
          expect(answer.trials).toEqual([]);
          retries++;
          await nextReport;
          continue;
        }
        expect(answer.trials.length).toBeGreaterThan(0);
        for (const t of answer.trials) {
          // Every fifth evaluation fails: FAIL trials must not use up the budget.
          if (++evaluated % 5 === 0) await fail(t.id);
          else await ok(t.id, t.number);
          onReport();
        }
      }
    };
    const retries = await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    const exp = await experiment();
    expect(exp.trialCounts).toMatchObject({ complete: budget, running: 0, waiting: 0 });
    expect(exp.trialCounts!.fail).toBeGreaterThan(0);
    expect(exp.state).toBe(ExperimentState.EXPERIMENT_STATE_COMPLETED);
    // Batches of up to 3 from 8 workers against a small remainder: some worker must have been told to wait.
    expect(retries.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("holds under random interleavings of suggests, reports and killed workers (seeded)", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rng = createRng(seed);
      const budget = 1 + rng.int(12);
      const { ts, clock, ok, fail, experiment } = await serverWith({ maxTrials: budget });
      const workers = 2 + rng.int(6);
      const held: number[][] = Array.from({ length: workers }, () => []);
      const done = new Set<number>();
      const check = async () => {
        const c = (await experiment()).trialCounts!;
        expect(c.complete + c.pruned + c.running, `seed ${seed}`).toBeLessThanOrEqual(budget);
        return c;
      };
      for (let step = 0; done.size < workers; step++) {
        expect(step, `seed ${seed}: no progress`).toBeLessThan(2000);
        const w = rng.int(workers);
        if (done.has(w)) continue;
        const r = rng.uniform();
        if (held[w]!.length > 0 && r < 0.6) {
          const id = held[w]!.shift()!;
          const outcome = rng.int(3);
          if (outcome === 0) await ok(id, rng.uniform());
          else if (outcome === 1) await fail(id);
          else await ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_PRUNED, loss: 1 });
        } else if (held[w]!.length > 0 && r < 0.65) {
          // The worker is killed: its trials lapse, and it comes back with nothing in hand.
          held[w] = [];
          clock.now += LEASE_MS + 1;
          for (const other of held) for (const id of other) await ts.api.heartbeat({ trialId: id });
        } else {
          const count = 1 + rng.int(4);
          const answer = await ts.api.suggest({ experiment: "e", count, workerId: `w${w}` });
          expect(answer.trials.length).toBeLessThanOrEqual(count);
          if (answer.done) done.add(w);
          else if (answer.retryAfter === undefined) expect(answer.trials.length).toBeGreaterThan(0);
          held[w]!.push(...answer.trials.map((t) => t.id));
        }
        await check();
      }
      const c = await check();
      expect(c.complete + c.pruned, `seed ${seed}`).toBe(budget);
      expect(c.running, `seed ${seed}`).toBe(0);
      servers.pop();
      await ts.close();
    }
  });

  it("keeps a COMPLETED experiment COMPLETED across a restart", async () => {
    const { ts, ok, experiment } = await serverWith({ maxTrials: 2 });
    for (const t of (await ts.api.suggest({ experiment: "e", count: 2 })).trials) await ok(t.id, 1);
    await ts.restart();
    expect((await experiment()).state).toBe(ExperimentState.EXPERIMENT_STATE_COMPLETED);
    expect(await ts.api.suggest({ experiment: "e" })).toMatchObject({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_BUDGET,
    });
  });
});

describe("the goal", () => {
  it("completes a minimising experiment at the first COMPLETE loss at or below it; RUNNING trials still report", async () => {
    const { ts, ok, experiment } = await serverWith({ goal: 0.5 });
    const [a, b, c] = (await ts.api.suggest({ experiment: "e", count: 3 })).trials;
    await ok(a!.id, 0.7);
    expect((await ts.api.suggest({ experiment: "e" })).done).toBe(false);
    await ok(b!.id, 0.5);
    expect(await ts.api.suggest({ experiment: "e" })).toMatchObject({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_GOAL,
    });
    expect((await ok(c!.id, 9)).trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect((await experiment()).completionReason).toBe(CompletionReason.COMPLETION_REASON_GOAL);
    await ts.restart();
    expect((await ts.api.suggest({ experiment: "e" })).doneReason).toBe(CompletionReason.COMPLETION_REASON_GOAL);
  });

  it("is reached from below when maximising, and only by a COMPLETE loss", async () => {
    const { ts, ok, experiment } = await serverWith({ goal: 10, direction: Direction.DIRECTION_MAXIMIZE });
    const [a, b] = (await ts.api.suggest({ experiment: "e", count: 2 })).trials;
    await ts.api.report({ trialId: a!.id, status: ReportStatus.REPORT_STATUS_PRUNED, loss: 11 });
    await ok(b!.id, 9.5);
    expect((await experiment()).state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    const [c] = (await ts.api.suggest({ experiment: "e" })).trials;
    await ok(c!.id, 10);
    expect((await ts.api.suggest({ experiment: "e" })).doneReason).toBe(CompletionReason.COMPLETION_REASON_GOAL);
  });
});

describe("max_failed_trials", () => {
  it("completes the experiment once FAIL trials reach it", async () => {
    const { ts, fail, ok, experiment } = await serverWith({ maxFailedTrials: 2, maxTrials: 100 });
    const [a, b, c] = (await ts.api.suggest({ experiment: "e", count: 3 })).trials;
    await fail(a!.id);
    await ok(b!.id, 1);
    expect((await experiment()).state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    await fail(c!.id);
    expect(await ts.api.suggest({ experiment: "e", count: 4 })).toMatchObject({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_FAILURES,
    });
  });
});

describe("stop conditions on creation", () => {
  it("are stored, shown, part of the identity, and checked", async () => {
    const { ts, created } = await serverWith({ maxTrials: 40, maxFailedTrials: 5, goal: 0.01 });
    expect(created).toMatchObject({
      maxTrials: 40,
      maxFailedTrials: 5,
      goal: 0.01,
      state: ExperimentState.EXPERIMENT_STATE_ACTIVE,
      completionReason: CompletionReason.COMPLETION_REASON_UNSPECIFIED,
    });
    const again = (fields: Partial<Experiment>) =>
      ts.api.createExperiment({
        experiment: {
          name: "e",
          space: { parameters: [uniform("x", 0, 1)] },
          algorithm: { name: "random", options: {} },
          maxTrials: 40,
          maxFailedTrials: 5,
          goal: 0.01,
          ...fields,
        },
      });
    expect((await again({})).created).toBe(false);
    const other = await rejection(again({ maxTrials: 41 }));
    expect(other.code).toBe(status.ALREADY_EXISTS);
    expect(other.details).toContain("stop conditions");
    for (const [fields, message] of [
      [{ name: "f", maxTrials: 0 }, "experiment.max_trials: must be a positive integer"],
      [{ name: "f", maxFailedTrials: -1 }, "experiment.max_failed_trials: must be a positive integer"],
      [{ name: "f", goal: Number.NaN }, "experiment.goal: must be finite"],
    ] as const) {
      const err = await rejection(again(fields));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain(message);
    }
  });

  it("leave an experiment without them ACTIVE and unbounded", async () => {
    const { ts, created } = await serverWith({});
    expect(created.maxTrials).toBeUndefined();
    expect(created.state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    const answer = await ts.api.suggest({ experiment: "e", count: 50 });
    expect(answer.trials).toHaveLength(50);
    expect(answer.done).toBe(false);
    expect(answer.retryAfter).toBeUndefined();
  });
});
