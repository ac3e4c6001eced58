/**
 * Report with suggest_next (issue 16: one round trip per trial), over real
 * gRPC with a real database: the answer carries what a Suggest right after
 * the report would (the same trial, done, or retry_after), the report and
 * the next trial are one commit, and a retry under the same request_id,
 * also after a restart, answers the same next trial. Enqueued configurations
 * come first; PAUSED and STOP are honoured; concurrent workers mixing both
 * forms never exceed the budget (a seeded property test).
 */
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { CompletionReason, type Experiment, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { type Trial, TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { createRng } from "../../src/math/rng.js";
import { num, plain, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const LEASE_MS = 60_000;
const OK = ReportStatus.REPORT_STATUS_OK;

async function serverWith(stop: Partial<Experiment>, algorithm = "random") {
  const clock = { now: 1_000_000 };
  const ts = await startTestServer({ now: () => clock.now });
  servers.push(ts);
  await ts.api.createExperiment({
    experiment: {
      name: "e",
      space: { parameters: [uniform("x", 0, 1), uniform("y", -1, 1)] },
      algorithm: { name: algorithm, options: {} },
      leaseDuration: { seconds: LEASE_MS / 1000, nanos: 0 },
      seed: 7,
      ...stop,
    },
  });
  const experiment = async () => (await ts.api.getExperiment({ name: "e" })).experiment!;
  const next = (trialId: number, loss: number, requestId = "") =>
    ts.api.report({ trialId, status: OK, loss, suggestNext: true, requestId });
  return { ts, clock, experiment, next };
}

const params = (t: Trial | undefined) => Object.fromEntries(Object.entries(t!.params).map(([k, v]) => [k, plain(v)]));

describe("Report with suggest_next", () => {
  it("hands a lone worker its next trial with each report, then done; nothing is left RUNNING", async () => {
    const { ts, experiment, next } = await serverWith({ maxTrials: 5 });
    let [t] = (await ts.api.suggest({ experiment: "e", workerId: "w1" })).trials;
    const numbers: number[] = [];
    for (;;) {
      numbers.push(t!.number);
      const answer = await next(t!.id, t!.number);
      expect(answer.trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
      if (answer.next!.done) {
        expect(answer.next).toMatchObject({ trials: [], doneReason: CompletionReason.COMPLETION_REASON_BUDGET });
        break;
      }
      expect(answer.next!.trials).toHaveLength(1);
      t = answer.next!.trials[0];
      expect(t!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
      expect(t!.workerId).toBe("w1");
    }
    expect(numbers).toEqual([0, 1, 2, 3, 4]);
    expect((await experiment()).trialCounts).toMatchObject({ complete: 5, running: 0, waiting: 0 });
  });

  it("suggests exactly what Suggest after Report would (TPE, same seed)", async () => {
    const twoCalls = await serverWith({}, "tpe");
    const oneTrip = await serverWith({}, "tpe");
    const loss = (t: Trial) => (plain(t.params.x) as number) ** 2 + (plain(t.params.y) as number) ** 2;
    let a = (await twoCalls.ts.api.suggest({ experiment: "e" })).trials[0]!;
    let b = (await oneTrip.ts.api.suggest({ experiment: "e" })).trials[0]!;
    for (let i = 0; i < 25; i++) {
      expect(params(b)).toEqual(params(a));
      await twoCalls.ts.api.report({ trialId: a.id, status: OK, loss: loss(a) });
      a = (await twoCalls.ts.api.suggest({ experiment: "e" })).trials[0]!;
      b = (await oneTrip.next(b.id, loss(b))).next!.trials[0]!;
    }
    expect(params(b)).toEqual(params(a));
  });

  it("answers retry_after while the rest of the budget is RUNNING, and a trial once a place frees", async () => {
    const { ts } = await serverWith({ maxTrials: 2 });
    const [a, b] = (await ts.api.suggest({ experiment: "e", count: 2, workerId: "w" })).trials;
    const first = await ts.api.report({ trialId: a!.id, status: OK, loss: 1, suggestNext: true });
    expect(first.next).toMatchObject({ trials: [], done: false, retryAfter: { seconds: 1, nanos: 0 } });
    // A FAIL frees its place: the failing worker is handed the replacement.
    const second = await ts.api.report({
      trialId: b!.id,
      status: ReportStatus.REPORT_STATUS_FAIL,
      suggestNext: true,
      workerId: "w2",
    });
    expect(second.trial!.state).toBe(TrialState.TRIAL_STATE_FAIL);
    expect(second.next!.trials.map((t) => t.workerId)).toEqual(["w2"]);
  });

  it("a worker told retry_after gets the replacement of a trial whose lease lapsed (retry_lost: its configuration)", async () => {
    const { ts, clock, next } = await serverWith({ maxTrials: 2, retryLost: true });
    const [mine, killed] = (await ts.api.suggest({ experiment: "e", count: 2, workerId: "w" })).trials;
    expect((await next(mine!.id, 1)).next!.retryAfter).toBeDefined();
    clock.now += LEASE_MS + 1;
    const again = await ts.api.suggest({ experiment: "e", workerId: "waiting" });
    expect(again.trials).toHaveLength(1);
    expect(params(again.trials[0])).toEqual(params(killed));
    expect(again.trials[0]!.userAttrs["parzen.retry_of"]).toBe(String(killed!.id));
    expect((await ts.api.getTrial({ trialId: killed!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect((await next(again.trials[0]!.id, 2)).next!.doneReason).toBe(CompletionReason.COMPLETION_REASON_BUDGET);
  });

  it("is done with the report that completes the experiment (goal), and honours PAUSE and STOP", async () => {
    const { ts, next } = await serverWith({ goal: 0.5 });
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    const reached = await next(a!.id, 0.1);
    expect(reached.next).toMatchObject({ trials: [], done: true, doneReason: CompletionReason.COMPLETION_REASON_GOAL });
    await ts.api.updateExperiment({ name: "e", clearGoal: true, action: ExperimentAction.EXPERIMENT_ACTION_PAUSE });
    expect((await ts.api.suggest({ experiment: "e", count: 2 })).retryAfter).toBeDefined();
    await ts.api.updateExperiment({ name: "e", action: ExperimentAction.EXPERIMENT_ACTION_RESUME });
    const [d, e] = (await ts.api.suggest({ experiment: "e", count: 2 })).trials;
    await ts.api.updateExperiment({ name: "e", action: ExperimentAction.EXPERIMENT_ACTION_PAUSE });
    expect((await next(d!.id, 3)).next!.retryAfter).toBeDefined();
    await ts.api.updateExperiment({ name: "e", action: ExperimentAction.EXPERIMENT_ACTION_STOP });
    expect((await next(e!.id, 4)).next!.doneReason).toBe(CompletionReason.COMPLETION_REASON_STOPPED);
  });

  it("serves enqueued configurations first", async () => {
    const { ts, next } = await serverWith({});
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    await ts.api.enqueue({
      experiment: "e",
      configurations: [{ params: { x: num(0.25), y: num(0.5) } }, { params: { x: num(0.75), y: num(-0.5) } }],
    });
    const b = (await next(a!.id, 1, "r-a")).next!.trials[0]!;
    expect(b.source).toBe(TrialSource.TRIAL_SOURCE_ENQUEUED);
    expect(params(b)).toEqual({ x: 0.25, y: 0.5 });
    // Its replay names the enqueued trial too.
    expect((await next(a!.id, 1, "r-a")).next!.trials[0]!.id).toBe(b.id);
    const c = (await next(b.id, 2, "r-b")).next!.trials[0]!;
    expect(params(c)).toEqual({ x: 0.75, y: -0.5 });
    const d = (await next(c.id, 3)).next!.trials[0]!;
    expect(d.source).toBe(TrialSource.TRIAL_SOURCE_ALGORITHM);
  });

  it("leaves next absent without suggest_next, and checks the next trial's worker id", async () => {
    const { ts } = await serverWith({});
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    expect((await ts.api.report({ trialId: a!.id, status: OK, loss: 1 })).next).toBeUndefined();
    const [b] = (await ts.api.suggest({ experiment: "e" })).trials;
    const err = await rejection(
      ts.api.report({ trialId: b!.id, status: OK, loss: 1, suggestNext: true, workerId: "tab\there" }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain("worker_id");
    expect((await ts.api.getTrial({ trialId: b!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });
});

describe("Report with suggest_next under retries", () => {
  it("a retry with the same request_id answers the same next trial and starts no other, also after a restart", async () => {
    const { ts, experiment, next } = await serverWith({});
    const [a] = (await ts.api.suggest({ experiment: "e", workerId: "w" })).trials;
    const first = await next(a!.id, 0.5, "req-1");
    const again = await next(a!.id, 0.5, "req-1");
    expect(again.next!.trials.map((t) => t.id)).toEqual(first.next!.trials.map((t) => t.id));
    expect(again.trial!.id).toBe(a!.id);
    expect((await experiment()).trialCounts).toMatchObject({ complete: 1, running: 1 });
    const b = first.next!.trials[0]!;
    await next(b.id, 0.25, "req-2");
    await ts.restart();
    const late = await next(a!.id, 0.5, "req-1");
    expect(late.next!.trials.map((t) => t.id)).toEqual([b.id]);
    // The replay shows the trial as it is now: reported since.
    expect(late.next!.trials[0]!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect((await experiment()).trialCounts).toMatchObject({ complete: 2, running: 1 });
  });

  it("refuses a request_id used to report another trial", async () => {
    const { ts, next } = await serverWith({});
    const [a, b] = (await ts.api.suggest({ experiment: "e", count: 2 })).trials;
    await next(a!.id, 1, "same");
    const err = await rejection(next(b!.id, 1, "same"));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toBe(`request_id "same" was already used to report trial ${a!.id}, not trial ${b!.id}`);
    expect((await ts.api.getTrial({ trialId: b!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });

  it("a repeated report whose first answer was retry_after hands out a trial once a place is free", async () => {
    const { ts, next } = await serverWith({ maxTrials: 2 });
    const [a, b] = (await ts.api.suggest({ experiment: "e", count: 2 })).trials;
    expect((await next(a!.id, 1, "r")).next!.retryAfter).toBeDefined();
    await ts.api.report({ trialId: b!.id, status: ReportStatus.REPORT_STATUS_FAIL });
    const retried = await next(a!.id, 1, "r");
    expect(retried.trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(retried.next!.trials).toHaveLength(1);
  });
});

describe("concurrent workers mixing Suggest and Report with suggest_next", () => {
  it("never exceed the budget in force under random interleavings, budget changes and kills (seeded)", async () => {
    for (const seed of [11, 12, 13, 14]) {
      const rng = createRng(seed);
      let budget = 1 + rng.int(10);
      const { ts, clock, experiment } = await serverWith({ maxTrials: budget });
      const workers = 2 + rng.int(5);
      const held: number[][] = Array.from({ length: workers }, () => []);
      const done = new Set<number>();
      const check = async () => {
        const c = (await experiment()).trialCounts!;
        expect(c.complete + c.pruned + c.running, `seed ${seed}`).toBeLessThanOrEqual(budget);
        return c;
      };
      const take = (w: number, answer: { trials: Trial[]; done: boolean }) => {
        if (answer.done) done.add(w);
        held[w]!.push(...answer.trials.map((t) => t.id));
      };
      for (let step = 0; done.size < workers; step++) {
        expect(step, `seed ${seed}: no progress`).toBeLessThan(3000);
        const w = rng.int(workers);
        if (done.has(w)) continue;
        const r = rng.uniform();
        if (held[w]!.length > 0 && r < 0.6) {
          const trialId = held[w]!.shift()!;
          const fail = rng.uniform() < 0.2;
          const answer = await ts.api.report({
            trialId,
            status: fail ? ReportStatus.REPORT_STATUS_FAIL : OK,
            loss: fail ? undefined : rng.uniform(),
            suggestNext: rng.uniform() < 0.7,
            requestId: `s${seed}-${step}`,
            workerId: `w${w}`,
          });
          if (answer.next !== undefined) take(w, answer.next);
        } else if (held[w]!.length > 0 && r < 0.65) {
          held[w] = [];
          clock.now += LEASE_MS + 1;
          for (const other of held) for (const id of other) await ts.api.heartbeat({ trialId: id });
        } else if (r < 0.7 && step < 200) {
          // The owner moves the budget; raising it re-opens, lowering it never cuts RUNNING trials short.
          const c = (await experiment()).trialCounts!;
          budget = Math.max(c.complete + c.pruned + c.running, budget + rng.int(5) - 2, 1);
          await ts.api.updateExperiment({ name: "e", maxTrials: budget });
          // A worker that was told done may be needed again.
          if ((await experiment()).state !== ExperimentState.EXPERIMENT_STATE_COMPLETED) done.clear();
        } else {
          take(w, await ts.api.suggest({ experiment: "e", count: 1 + rng.int(3), workerId: `w${w}` }));
        }
        await check();
      }
      const c = await check();
      expect(c.complete + c.pruned, `seed ${seed}`).toBe(budget);
      expect(c.running, `seed ${seed}`).toBe(0);
      servers.pop();
      await ts.close();
    }
    // Hundreds of calls per seed: the default timeout is too short on a loaded machine.
  }, 180_000);
});
