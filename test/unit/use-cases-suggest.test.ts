/**
 * Suggest (suggest.ts), its prefetch and the algorithm choice (algorithm-choice.ts), as the README's RPC table
 * and suggest.ts's story document them: count bounds, enqueued configurations first, what a started trial
 * carries, the budget's done and retry_after answers, request-id replay, batches, a caller that gave up, and a
 * prefetch used only for an unchanged experiment.
 */
import { CompletionReason, Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, SuggestResponse } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Parameter, Value } from "@parzen/client/gen/parzen/v1/space";
import { TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { algorithmNamed } from "../../src/algorithms/registry.js";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { ParzenError } from "../../src/errors.js";
import { type AlgorithmRunner, runSuggestJob, type SuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { compileDefinition, DEFINITION_VERSIONS, definitionJson } from "../../src/service/use-cases/definition.js";
import { bool, choice, int, num, uniform } from "../integration/fixtures.js";
import {
  enqueueReq,
  experiment,
  fail,
  type Harness,
  harness,
  ok,
  pruned,
  refusal,
  START,
  suggestReq,
  update,
  xOf,
} from "./use-cases-harness.js";

const RETRY_AFTER = { seconds: 1, nanos: 0 };

describe("Suggest", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("e", { leaseDuration: { seconds: 90, nanos: 0 } }));
  });
  afterEach(() => h.close());

  it("takes count 1 to 1000 (0 meaning 1) and refuses anything else before looking at the experiment", async () => {
    expect(await h.optimizer.suggest(suggestReq("e", 0))).toHaveLength(1);
    for (const count of [-1, 1001, 1.5])
      expect(await refusal(() => h.optimizer.suggest(suggestReq("no such experiment", count)))).toEqual({
        code: "INVALID_ARGUMENT",
        message: `count: must be between 1 and 1000, got ${count}`,
      });
    expect(await h.optimizer.suggest(suggestReq("e", 1000))).toHaveLength(1000);
  });

  it("refuses a worker id longer than 200 characters, and takes one of 200", async () => {
    expect(await refusal(() => h.optimizer.suggest(suggestReq("e", 1, { workerId: "w".repeat(201) })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "worker_id: longer than 200 characters",
    });
    expect((await h.optimizer.suggest(suggestReq("e", 1, { workerId: "w".repeat(200) })))[0]!.workerId).toBe(
      "w".repeat(200),
    );
  });

  it("a started trial is RUNNING for the worker, from now, with a lease of the experiment's duration", async () => {
    h.clock += 123;
    const [t] = await h.optimizer.suggest(suggestReq("e", 1, { workerId: "w1" }));
    expect(t).toMatchObject({
      experiment: "e",
      number: 0,
      state: TrialState.TRIAL_STATE_RUNNING,
      workerId: "w1",
      source: TrialSource.TRIAL_SOURCE_ALGORITHM,
      proposedBy: "random",
      createTime: new Date(START + 123),
      startTime: new Date(START + 123),
      leaseDeadline: new Date(START + 123 + 90_000),
    });
    expect(await h.optimizer.getTrial(t!.id)).toEqual(t);
  });

  it("hands out enqueued configurations first, oldest first, then the algorithm's", async () => {
    h.clock += 10;
    await h.optimizer.enqueue(enqueueReq("e", [0.1, 0.2]));
    h.clock += 10;
    await h.optimizer.enqueue(enqueueReq("e", [0.3]));
    h.clock += 10;
    const [a, b] = await h.optimizer.suggest(suggestReq("e", 2, { workerId: "w1" }));
    expect([a, b].map((t) => [t!.number, xOf(t!), t!.source])).toEqual([
      [0, 0.1, TrialSource.TRIAL_SOURCE_ENQUEUED],
      [1, 0.2, TrialSource.TRIAL_SOURCE_ENQUEUED],
    ]);
    // An enqueued trial keeps its creation time and starts now, with a lease, for this worker.
    expect(a).toMatchObject({
      createTime: new Date(START + 10),
      startTime: new Date(START + 30),
      leaseDeadline: new Date(START + 30 + 90_000),
      workerId: "w1",
      state: TrialState.TRIAL_STATE_RUNNING,
    });
    const [c, d, e] = await h.optimizer.suggest(suggestReq("e", 3));
    expect([c, d, e].map((t) => [t!.number, t!.source])).toEqual([
      [2, TrialSource.TRIAL_SOURCE_ENQUEUED],
      [3, TrialSource.TRIAL_SOURCE_ALGORITHM],
      [4, TrialSource.TRIAL_SOURCE_ALGORITHM],
    ]);
    expect(xOf(c!)).toBe(0.3);
    // The algorithm's batch sees the enqueued trial just started as RUNNING, and each member the earlier ones.
    expect(h.jobs.map((j) => [j.trialNumber, j.history, j.batch])).toEqual([
      [3, 3, 2],
      [4, 4, 2],
    ]);
  });

  it("gives fewer when max_trials leaves fewer, retry_after while the rest is RUNNING, done once it is used", async () => {
    await h.optimizer.createExperiment(experiment("b", { maxTrials: 3 }));
    const first = await h.optimizer.suggestAnswer(suggestReq("b", 2));
    expect(first.trials).toHaveLength(2);
    expect(first.done).toBe(false);
    expect(first.retryAfter).toBeUndefined();
    const [c] = (await h.optimizer.suggestAnswer(suggestReq("b", 5))).trials;
    expect(c!.number).toBe(2);
    const wait = await h.optimizer.suggestAnswer(suggestReq("b", 1));
    expect(wait).toEqual({ trials: [], done: false, doneReason: 0, retryAfter: RETRY_AFTER });
    // A FAIL frees its place at once.
    await h.optimizer.report(fail(c!.id));
    const [d] = (await h.optimizer.suggestAnswer(suggestReq("b", 1))).trials;
    expect(d!.number).toBe(3);
    for (const t of [...first.trials, d!]) await h.optimizer.report(ok(t.id, 1));
    expect(await h.optimizer.suggestAnswer(suggestReq("b", 1))).toEqual({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_BUDGET,
      retryAfter: undefined,
    });
  });

  it("PAUSED answers retry_after; STOPPED answers done; RESUME lets the workers go on", async () => {
    await h.optimizer.updateExperiment(update("e", { action: ExperimentAction.EXPERIMENT_ACTION_PAUSE }));
    expect(await h.optimizer.suggestAnswer(suggestReq("e"))).toEqual({
      trials: [],
      done: false,
      doneReason: 0,
      retryAfter: RETRY_AFTER,
    });
    await h.optimizer.updateExperiment(update("e", { action: ExperimentAction.EXPERIMENT_ACTION_STOP }));
    expect(await h.optimizer.suggestAnswer(suggestReq("e"))).toMatchObject({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_STOPPED,
    });
    await h.optimizer.updateExperiment(update("e", { action: ExperimentAction.EXPERIMENT_ACTION_RESUME }));
    expect((await h.optimizer.suggestAnswer(suggestReq("e"))).trials).toHaveLength(1);
  });

  it("a lapsed lease is seen by the next Suggest, and retry_lost hands the configuration out again first", async () => {
    await h.optimizer.createExperiment(
      experiment("r", { retryLost: true, leaseDuration: { seconds: 1, nanos: 0 }, maxTrials: 2 }),
    );
    const [t] = await h.optimizer.suggest(suggestReq("r"));
    h.clock += 1001;
    const [again] = await h.optimizer.suggest(suggestReq("r"));
    expect(again!.number).toBe(1);
    expect(xOf(again!)).toBe(xOf(t!));
    expect((await h.optimizer.getTrial(t!.id)).state).toBe(TrialState.TRIAL_STATE_LOST);
  });

  it("a RUNNING trial holds its place until its deadline; 1 ms later it is LOST and the place is free", async () => {
    await h.optimizer.createExperiment(experiment("l", { maxTrials: 1, leaseDuration: { seconds: 2, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("l"));
    h.clock = START + 2000;
    expect(await h.optimizer.suggestAnswer(suggestReq("l"))).toMatchObject({ trials: [], retryAfter: RETRY_AFTER });
    h.clock = START + 2001;
    const [next] = await h.optimizer.suggest(suggestReq("l"));
    expect(next!.number).toBe(1);
    const lost = await h.optimizer.getTrial(t!.id);
    expect(lost.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect(lost.endTime).toEqual(new Date(START + 2000));
  });

  it("replays a request id's first answer, even after the experiment changed, and only in its experiment", async () => {
    const first = await h.optimizer.suggest(suggestReq("e", 2, { requestId: "q" }));
    await h.optimizer.enqueue(enqueueReq("e", [0.9]));
    await h.optimizer.report(ok(first[0]!.id, 1));
    const again = await h.optimizer.suggest(suggestReq("e", 2, { requestId: "q" }));
    expect(again.map((t) => t.id)).toEqual(first.map((t) => t.id));
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ waiting: 1, running: 1, complete: 1 });
    // Another request id is a new call.
    expect((await h.optimizer.suggest(suggestReq("e", 1, { requestId: "q2" })))[0]!.number).toBe(2);
  });

  it("creates nothing for a caller that gave up before the call", async () => {
    const abort = new AbortController();
    abort.abort(new ParzenError("CANCELLED", "gone"));
    expect(await refusal(h.optimizer.suggest(suggestReq("e"), abort.signal))).toMatchObject({ code: "CANCELLED" });
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 0 });
  });

  it("is NOT_FOUND for an unknown experiment", async () => {
    expect(await refusal(h.optimizer.suggest(suggestReq("nope")))).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("the algorithm choice", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  it("a named algorithm is shown with no reason and proposes every trial", async () => {
    await h.optimizer.createExperiment(experiment("n", { algorithm: { name: "random", options: {} } }));
    expect((await h.optimizer.getExperiment("n")).algorithmChoice).toEqual({ algorithm: "random", reason: "" });
    expect((await h.optimizer.suggest(suggestReq("n")))[0]!.proposedBy).toBe("random");
  });

  it("auto follows its rule: GP for the first gp_trials finished (COMPLETE and PRUNED) trials, then the next", async () => {
    const gpTrials = { kind: { $case: "intValue" as const, value: 2 } };
    const cmaes = { kind: { $case: "boolValue" as const, value: true } };
    await h.optimizer.createExperiment(
      experiment("a", {
        space: { parameters: [uniform("x", 0, 1), uniform("y", 0, 1)] },
        algorithm: { name: "auto", options: { gp_trials: gpTrials, cmaes_after_gp: cmaes } },
      }),
    );
    expect((await h.optimizer.getExperiment("a")).algorithmChoice).toEqual({
      algorithm: "gp",
      reason: "0 of the GP phase's 2 finished trials: GP",
    });
    const [t0, t1, t2] = await h.optimizer.suggest(suggestReq("a", 3));
    expect([t0, t1, t2].map((t) => t!.proposedBy)).toEqual(["gp", "gp", "gp"]);
    await h.optimizer.report(ok(t0!.id, 1));
    await h.optimizer.report(fail(t1!.id));
    expect((await h.optimizer.getExperiment("a")).algorithmChoice!.reason).toBe(
      "1 of the GP phase's 2 finished trials: GP",
    );
    await h.optimizer.report(pruned(t2!.id, { loss: 2 }));
    expect((await h.optimizer.getExperiment("a")).algorithmChoice).toEqual({
      algorithm: "cmaes",
      reason: "2 finished trials, no choice parameter: CMA-ES after the GP",
    });
    const [t3] = await h.optimizer.suggest(suggestReq("a"));
    expect(t3!.proposedBy).toBe("cmaes");
    expect(h.jobs.at(-1)).toMatchObject({ algorithm: "cmaes", trialNumber: 3, history: 3 });
  });

  it("auto picks TPE for several objectives, and the options it runs are that algorithm's defaults", async () => {
    await h.optimizer.createExperiment(
      experiment("mo", {
        algorithm: { name: "auto", options: {} },
        objectives: [
          { name: "a", direction: Direction.DIRECTION_MINIMIZE },
          { name: "b", direction: Direction.DIRECTION_MAXIMIZE },
        ],
      }),
    );
    expect((await h.optimizer.getExperiment("mo")).algorithmChoice).toEqual({
      algorithm: "tpe",
      reason: "2 objectives: TPE",
    });
    const [t] = await h.optimizer.suggest(suggestReq("mo"));
    expect(t!.proposedBy).toBe("tpe");
    expect(h.jobs.at(-1)).toMatchObject({ algorithm: "tpe", trialNumber: 0 });
    expect(h.options.at(-1)).toEqual(algorithmNamed("tpe").parseOptions({}));
  });

  it("auto keeps the GP (logCEI) while a constrained experiment is in its GP phase, and goes to TPE after it", async () => {
    const gpTrials = { kind: { $case: "intValue" as const, value: 2 } };
    const cmaes = { kind: { $case: "boolValue" as const, value: true } };
    await h.optimizer.createExperiment(
      experiment("c", { algorithm: { name: "auto", options: { gp_trials: gpTrials, cmaes_after_gp: cmaes } } }),
    );
    const [t0] = await h.optimizer.suggest(suggestReq("c"));
    await h.optimizer.report(ok(t0!.id, 1, { constraints: [0] }));
    expect((await h.optimizer.getExperiment("c")).algorithmChoice).toEqual({
      algorithm: "gp",
      reason: "1 of the GP phase's 2 finished trials, constraints reported: GP (logCEI)",
    });
    const [t1] = await h.optimizer.suggest(suggestReq("c"));
    expect(t1!.proposedBy).toBe("gp");
    await h.optimizer.report(ok(t1!.id, 2, { constraints: [1] }));
    // CMA-ES ignores constraints, so cmaes_after_gp does not apply: c-TPE follows the GP.
    expect((await h.optimizer.getExperiment("c")).algorithmChoice).toEqual({
      algorithm: "tpe",
      reason: "2 finished trials, constraints reported: TPE after the GP",
    });
    expect((await h.optimizer.suggest(suggestReq("c")))[0]!.proposedBy).toBe("tpe");
  });

  it("auto with gp_constraints off turns to TPE once a trial reports constraints", async () => {
    const off = { kind: { $case: "boolValue" as const, value: false } };
    await h.optimizer.createExperiment(
      experiment("c", { algorithm: { name: "auto", options: { gp_constraints: off } } }),
    );
    const [t] = await h.optimizer.suggest(suggestReq("c"));
    await h.optimizer.report(ok(t!.id, 1, { constraints: [0] }));
    expect((await h.optimizer.getExperiment("c")).algorithmChoice).toEqual({
      algorithm: "tpe",
      reason: "trials report constraints: TPE",
    });
    expect((await h.optimizer.suggest(suggestReq("c")))[0]!.proposedBy).toBe("tpe");
  });

  it("auto runs each phase with the defaults of the experiment's definition version, as an upgrade must", async () => {
    const v4 = DEFINITION_VERSIONS.find((r) => r.version === 4)!;
    const gpTrials = { kind: { $case: "intValue" as const, value: 1 } };
    const stored = (name: string) =>
      compileDefinition(
        experiment(name, { algorithm: { name: "auto", options: { gp_trials: gpTrials } } }),
        undefined,
        v4,
      );
    // Two experiments stored by a Parzen of version 4: one past its GP phase, one with constraints.
    await h.store.createExperiment("old", definitionJson(stored("old").proto, 4), START);
    await h.store.createExperiment("oldc", definitionJson(stored("oldc").proto, 4), START);
    const [t] = await h.optimizer.suggest(suggestReq("old"));
    await h.optimizer.report(ok(t!.id, 1));
    expect((await h.optimizer.suggest(suggestReq("old")))[0]!.proposedBy).toBe("tpe");
    // Version 4's TPE: a fixed good-set cap, no far-field bound, l(x) stopping at the good set.
    expect(h.options.at(-1)).toMatchObject({
      n_startup_trials: 20,
      gamma_cap_growth: 0,
      far_field_bound: 0,
      good_endpoint_reach: 0,
    });
    // Version 4's auto sent a constrained experiment to TPE at once.
    const [c] = await h.optimizer.suggest(suggestReq("oldc"));
    await h.optimizer.report(ok(c!.id, 1, { constraints: [0] }));
    expect((await h.optimizer.getExperiment("oldc")).algorithmChoice!.reason).toBe("trials report constraints: TPE");
    // A new experiment's TPE phase runs today's defaults.
    await h.optimizer.createExperiment(
      experiment("new", { algorithm: { name: "auto", options: { gp_trials: gpTrials } } }),
    );
    const [n] = await h.optimizer.suggest(suggestReq("new"));
    await h.optimizer.report(ok(n!.id, 1));
    expect((await h.optimizer.suggest(suggestReq("new")))[0]!.proposedBy).toBe("tpe");
    expect(h.options.at(-1)).toEqual(algorithmNamed("tpe").parseOptions({}));
  });
});

describe("the prefetch", () => {
  const memos = createSharedMemos();
  /** A runner that records its jobs and the suggestions computed ahead. */
  function recording(): AlgorithmRunner & { jobs: SuggestJob[]; ahead: SuggestJob[] } {
    const r = {
      jobs: [] as SuggestJob[],
      ahead: [] as SuggestJob[],
      suggest: async (job: SuggestJob) => {
        // The live history is passed as is: keep it as it was at the call.
        r.jobs.push({ ...job, history: [...job.history] });
        return runSuggestJob(job, memos);
      },
      suggestAhead: (job: SuggestJob) => {
        r.ahead.push({ ...job, history: [...job.history] });
      },
      close: async () => undefined,
    };
    return r;
  }

  it("after a lone worker's Report, computes its next suggestion, which the next Suggest takes", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1));
    expect(r.afterAnswer).toBeTypeOf("function");
    r.afterAnswer!();
    expect(runner.jobs.map((j) => [j.trialNumber, j.history.length])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    const [next] = await h.optimizer.suggest(suggestReq("e"));
    expect(next!.number).toBe(1);
    // Taken, not computed again.
    expect(runner.jobs).toHaveLength(2);
    expect(h.optimizer.diagnostics().prefetch).toEqual({ started: 1, used: 1, discarded: 0, ahead: 0 });
    await h.close();
  });

  it("is dropped when the experiment changed in between, and the Suggest computes afresh", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1));
    r.afterAnswer!();
    await h.optimizer.addTrials({
      experiment: "e",
      requestId: "",
      trials: [
        {
          params: { x: { kind: { $case: "doubleValue", value: 0.5 } } },
          state: 0,
          loss: 3,
          values: [],
          constraints: [],
          metrics: {},
          intermediateValues: [],
          userAttrs: {},
          failReason: "",
        },
      ],
    });
    const [next] = await h.optimizer.suggest(suggestReq("e"));
    expect(next!.number).toBe(2);
    expect(runner.jobs.map((j) => [j.trialNumber, j.history.length])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(h.optimizer.diagnostics().prefetch).toMatchObject({ started: 1, used: 0, discarded: 1 });
    await h.close();
  });

  it("starts nothing while other trials run or wait, when disabled, or once the experiment is done or paused", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e", { maxTrials: 3 }));
    const [a, b] = await h.optimizer.suggest(suggestReq("e", 2));
    expect((await h.optimizer.report(ok(a!.id, 1))).afterAnswer).toBeUndefined();
    const [w] = await h.optimizer.enqueue(enqueueReq("e", [0.5]));
    expect((await h.optimizer.report(ok(b!.id, 1))).afterAnswer).toBeUndefined();
    const [c] = await h.optimizer.suggest(suggestReq("e"));
    expect(c!.id).toBe(w!.id);
    // The budget is used up by this report: nothing to prefetch.
    expect((await h.optimizer.report(ok(c!.id, 1))).afterAnswer).toBeUndefined();
    await h.optimizer.createExperiment(experiment("p"));
    const [d] = await h.optimizer.suggest(suggestReq("p"));
    await h.optimizer.updateExperiment(update("p", { action: ExperimentAction.EXPERIMENT_ACTION_PAUSE }));
    expect((await h.optimizer.report(ok(d!.id, 1))).afterAnswer).toBeUndefined();
    await h.close();

    const off = await harness({ runner: recording(), prefetch: false });
    await off.optimizer.createExperiment(experiment("e"));
    const [t] = await off.optimizer.suggest(suggestReq("e"));
    expect((await off.optimizer.report(ok(t!.id, 1))).afterAnswer).toBeUndefined();
    await off.close();
  });

  it("a prefetch started after close() is never computed", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1));
    await h.optimizer.close();
    r.afterAnswer!();
    expect(runner.jobs).toHaveLength(1);
    expect(h.optimizer.diagnostics().prefetch.started).toBe(0);
    await h.store.close();
  });

  it("after a lone worker's Report with suggest_next, computes ahead from the handed trial as the worst", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1, { suggestNext: true }));
    expect(r.next!.trials.map((n) => n.number)).toEqual([1]);
    expect(r.afterAnswer).toBeTypeOf("function");
    r.afterAnswer!();
    expect(runner.ahead).toHaveLength(1);
    expect(runner.ahead[0]).toMatchObject({ algorithm: "random", trialNumber: 2, batch: 1, seed: 7 });
    expect(runner.ahead[0]!.history.map((o) => [o.number, o.state])).toEqual([
      [0, "complete"],
      [1, "complete"],
    ]);
    expect(h.optimizer.diagnostics().prefetch.ahead).toBe(1);
    // Another call in between makes it moot.
    const r2 = await h.optimizer.report(ok(r.next!.trials[0]!.id, 2, { suggestNext: true }));
    await h.optimizer.enqueue(enqueueReq("e", [0.5]));
    r2.afterAnswer?.();
    expect(runner.ahead).toHaveLength(1);
    await h.close();
  });

  it("computes ahead after handing out an enqueued trial too", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const [w] = await h.optimizer.enqueue(enqueueReq("e", [0.25]));
    const r = await h.optimizer.report(ok(t!.id, 1, { suggestNext: true }));
    expect(r.next!.trials.map((n) => n.id)).toEqual([w!.id]);
    r.afterAnswer!();
    expect(runner.ahead.map((j) => j.trialNumber)).toEqual([2]);
    await h.close();
  });

  it("computes nothing ahead when other trials are in play or the runner cannot", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [a] = await h.optimizer.suggest(suggestReq("e", 2));
    expect((await h.optimizer.report(ok(a!.id, 1, { suggestNext: true }))).afterAnswer).toBeUndefined();
    await h.close();
    const plain = await harness();
    await plain.optimizer.createExperiment(experiment("e"));
    const [t] = await plain.optimizer.suggest(suggestReq("e"));
    (await plain.optimizer.report(ok(t!.id, 1, { suggestNext: true }))).afterAnswer?.();
    expect(plain.optimizer.diagnostics().prefetch.ahead).toBe(0);
    await plain.close();
  });
});

describe("Suggest's answer within the answer limit", () => {
  it("refuses an answer of enqueued trials one byte over the limit, their framing counted", async () => {
    const answerWith = async (limits: { maxAnswerBytes?: number }) => {
      const h = await harness({ limits });
      try {
        await h.optimizer.createExperiment(experiment("q"));
        await h.optimizer.enqueue(enqueueReq("q", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.25]));
        return await h.optimizer.suggestAnswer(suggestReq("q", 10));
      } finally {
        await h.close();
      }
    };
    const all = await answerWith({});
    expect(all.trials).toHaveLength(10);
    const size = SuggestResponse.encode(all).finish().length;
    // The same calls with a limit one byte short of that answer: refused, nothing handed out over the limit.
    await expect(answerWith({ maxAnswerBytes: size - 1 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("bounds a choice by its widest kind of option: int above double above bool", async () => {
    const limit = 100_000;
    const h = await harness({ limits: { maxAnswerBytes: limit } });
    try {
      // 100 parameters, each a choice of one option of the kind.
      const space = (v: Value): Parameter[] =>
        Array.from({ length: 100 }, (_, i) => choice(`p${String(i).padStart(2, "0")}`, [{ value: v }]));
      const most = async (name: string, v: Value) => {
        await h.optimizer.createExperiment(experiment(name, { space: { parameters: space(v) } }));
        const err = await refusal(h.optimizer.suggestAnswer(suggestReq(name, 1000)));
        expect(err.code).toBe("INVALID_ARGUMENT");
        return Number(/at most (\d+) per call/.exec(err.message)![1]);
      };
      const ints = await most("ints", int(-1e15));
      const doubles = await most("doubles", num(1.5));
      const bools = await most("bools", bool(true));
      expect(ints).toBeLessThan(doubles);
      expect(doubles).toBeLessThan(bools);
      // And the count named for the widest values is served within the limit.
      const answer = await h.optimizer.suggestAnswer(suggestReq("ints", ints));
      expect(answer.trials).toHaveLength(ints);
      expect(SuggestResponse.encode(answer).finish().length).toBeLessThanOrEqual(limit);
    } finally {
      await h.close();
    }
  });
});
