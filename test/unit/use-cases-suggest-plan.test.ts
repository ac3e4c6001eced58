/**
 * What the algorithm is shown when Suggest and Report-with-suggest_next plan trials (suggest.ts `plan`,
 * `planAfter`), and when the prefetch may be used (suggest.ts's story): a batch's members see the enqueued
 * trials it starts and each other as RUNNING; the next trial of a Report with suggest_next is computed from a
 * history holding that report; a lapsed lease's retry is handed out first by a Report with suggest_next as by a
 * Suggest; a LOST trial's withdrawn retry is skipped but the other enqueued configurations are not; a prefetched
 * suggestion is used only while the experiment's version is unchanged, even when the trial number is the same.
 */
import { ListTrialsRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { type AlgorithmRunner, runSuggestJob, type SuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { enqueueReq, experiment, harness, ok, refusal, suggestReq, xOf } from "./use-cases-harness.js";

const memos = createSharedMemos();

/** A runner that keeps each job with its history as it was at the call. */
function recording(): AlgorithmRunner & { jobs: SuggestJob[]; ahead: SuggestJob[] } {
  const r = {
    jobs: [] as SuggestJob[],
    ahead: [] as SuggestJob[],
    suggest: async (job: SuggestJob) => {
      r.jobs.push({ ...job, history: job.history.map((o) => ({ ...o })) });
      return runSuggestJob(job, memos);
    },
    suggestAhead: (job: SuggestJob) => {
      r.ahead.push(job);
    },
    close: async () => undefined,
  };
  return r;
}

/** A history entry's fields that the algorithms read. */
const seen = (o: SuggestJob["history"][number]) => [o.number, o.state, o.loss, o.config[0]];

describe("what the algorithm sees", () => {
  it("a batch's members see the enqueued trials it starts and the members before them as RUNNING", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e", { algorithm: { name: "tpe", options: {} } }));
    const [first] = await h.optimizer.suggest(suggestReq("e"));
    await h.optimizer.report(ok(first!.id, 0.5));
    await h.optimizer.enqueue(enqueueReq("e", [0.25]));
    runner.jobs.length = 0;
    const batch = await h.optimizer.suggest(suggestReq("e", 3));
    expect(batch.map((t) => [t.number, t.source])).toEqual([
      [1, TrialSource.TRIAL_SOURCE_ENQUEUED],
      [2, TrialSource.TRIAL_SOURCE_ALGORITHM],
      [3, TrialSource.TRIAL_SOURCE_ALGORITHM],
    ]);
    expect(runner.jobs.map((j) => [j.trialNumber, j.batch])).toEqual([
      [2, 2],
      [3, 2],
    ]);
    const x = batch.map((t) => xOf(t));
    const done = [0, "complete", 0.5, xOf(first!)];
    expect(runner.jobs[0]!.history.map(seen)).toEqual([done, [1, "running", undefined, 0.25]]);
    expect(runner.jobs[1]!.history.map(seen)).toEqual([
      done,
      [1, "running", undefined, 0.25],
      [2, "running", undefined, x[1]],
    ]);
    for (const o of runner.jobs[1]!.history.slice(1)) expect(o.lastStep).toBeUndefined();
    await h.close();
  });

  it("a Report with suggest_next computes the next trial from a history holding that report", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e", { algorithm: { name: "tpe", options: {} } }));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 0.75, { suggestNext: true }));
    expect(r.next!.trials.map((n) => n.number)).toEqual([1]);
    expect(runner.jobs.map((j) => j.trialNumber)).toEqual([0, 1]);
    expect(runner.jobs[1]!.history.map(seen)).toEqual([[0, "complete", 0.75, xOf(t!)]]);
    await h.close();
  });
});

describe("Report with suggest_next and retries", () => {
  it("hands out a lapsed lease's retry first, as a Suggest would", async () => {
    const h = await harness();
    await h.optimizer.createExperiment(
      experiment("r", {
        retryLost: true,
        leaseDuration: { seconds: 1, nanos: 0 },
        algorithm: { name: "random", options: {} },
      }),
    );
    const [a] = await h.optimizer.suggest(suggestReq("r"));
    h.clock += 500;
    const [b] = await h.optimizer.suggest(suggestReq("r"));
    // a's lease lapses (b's does not): the Report of b notices it, and its next trial is a's retry.
    h.clock += 501;
    const r = await h.optimizer.report(ok(b!.id, 1, { suggestNext: true }));
    const [next] = r.next!.trials;
    expect([next!.number, next!.source, xOf(next!)]).toEqual([2, TrialSource.TRIAL_SOURCE_ENQUEUED, xOf(a!)]);
    expect((await h.optimizer.getTrial(a!.id)).state).toBe(TrialState.TRIAL_STATE_LOST);
    expect((await h.optimizer.getExperiment("r")).trialCounts).toMatchObject({ waiting: 0, running: 1, lost: 1 });
    await h.close();
  });

  it("a LOST trial's late result skips its withdrawn retry, not the other enqueued configurations", async () => {
    const h = await harness();
    await h.optimizer.createExperiment(experiment("r", { retryLost: true, leaseDuration: { seconds: 1, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("r"));
    h.clock += 1001;
    // A read notices the lapse: the retry is enqueued as trial 1; then a user's configuration as trial 2.
    const listed = await h.optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "r" }));
    const retry = listed.trials[1]!;
    expect(retry.state).toBe(TrialState.TRIAL_STATE_WAITING);
    const [mine] = await h.optimizer.enqueue(enqueueReq("r", [0.125]));
    expect(mine!.number).toBe(2);
    const r = await h.optimizer.report(ok(t!.id, 0.5, { suggestNext: true }));
    expect(r.next!.trials.map((n) => [n.id, n.number, xOf(n)])).toEqual([[mine!.id, 2, 0.125]]);
    expect((await h.optimizer.getTrial(retry.id)).state).toBe(TrialState.TRIAL_STATE_LOST);
    await h.close();
  });
});

describe("the prefetch and the experiment's version", () => {
  it("is not used after a change that leaves the next trial number as it was: a LOST trial's late result", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(
      experiment("e", { leaseDuration: { seconds: 1, nanos: 0 }, algorithm: { name: "tpe", options: {} } }),
    );
    const [lost] = await h.optimizer.suggest(suggestReq("e"));
    h.clock += 1001;
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    expect((await h.optimizer.getTrial(lost!.id)).state).toBe(TrialState.TRIAL_STATE_LOST);
    const r = await h.optimizer.report(ok(t!.id, 1));
    r.afterAnswer!();
    expect(runner.jobs.map((j) => [j.trialNumber, j.history.length])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    // The LOST trial's result arrives: no trial is added, so the next number is still 2, but the history changed.
    await h.optimizer.report(ok(lost!.id, 0.5));
    const [next] = await h.optimizer.suggest(suggestReq("e"));
    expect(next!.number).toBe(2);
    expect(runner.jobs).toHaveLength(4);
    expect(runner.jobs[3]!.history.map((o) => [o.number, o.state, o.loss])).toEqual([
      [0, "complete", 0.5],
      [1, "complete", 1],
    ]);
    expect(h.optimizer.diagnostics().prefetch).toMatchObject({ started: 1, used: 0, discarded: 1 });
    await h.close();
  });
});

describe("a caller that gives up", () => {
  it("before a Suggest that would hand out only enqueued trials: nothing starts", async () => {
    const h = await harness();
    await h.optimizer.createExperiment(experiment("e"));
    const [w] = await h.optimizer.enqueue(enqueueReq("e", [0.5]));
    const abort = new AbortController();
    abort.abort(new ParzenError("CANCELLED", "gone"));
    expect(await refusal(h.optimizer.suggest(suggestReq("e"), abort.signal))).toEqual({
      code: "CANCELLED",
      message: "gone",
    });
    expect((await h.optimizer.getTrial(w!.id)).state).toBe(TrialState.TRIAL_STATE_WAITING);
    expect(h.jobs).toEqual([]);
    await h.close();
  });

  it("while a batch is computed: the rest is not computed and nothing starts", async () => {
    const abort = new AbortController();
    const runner = recording();
    const inner = runner.suggest;
    runner.suggest = async (job, holder) => {
      const config = await inner(job, holder);
      abort.abort();
      return config;
    };
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    expect(await refusal(h.optimizer.suggest(suggestReq("e", 3), abort.signal))).toEqual({
      code: "CANCELLED",
      message: "suggest cancelled by the client",
    });
    expect(runner.jobs).toHaveLength(1);
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 0, waiting: 0 });
    await h.close();
  });
});

describe("the prefetch's start", () => {
  it("starts nothing when the experiment changed between the Report and its answer going out", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1));
    await h.optimizer.enqueue(enqueueReq("e", [0.5]));
    r.afterAnswer!();
    expect(runner.jobs).toHaveLength(1);
    expect(h.optimizer.diagnostics().prefetch).toMatchObject({ started: 0 });
    await h.close();
  });

  it("a prefetch that failed is not used: the Suggest computes afresh", async () => {
    const runner = recording();
    const inner = runner.suggest;
    let calls = 0;
    runner.suggest = async (job, holder) => {
      calls++;
      if (calls === 2) throw new Error("worker thread replaced");
      return inner(job, holder);
    };
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1));
    r.afterAnswer!();
    const [next] = await h.optimizer.suggest(suggestReq("e"));
    expect(next!.number).toBe(1);
    expect(calls).toBe(3);
    expect(h.optimizer.diagnostics().prefetch).toMatchObject({ started: 1, used: 0 });
    await h.close();
  });
});

describe("what starts after the answer is on the wire", () => {
  it("no prefetch once a LOST trial's late result changed the experiment, though nothing runs or waits", async () => {
    const runner = recording();
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e", { leaseDuration: { seconds: 1, nanos: 0 } }));
    const [lost] = await h.optimizer.suggest(suggestReq("e"));
    h.clock += 1001;
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1));
    await h.optimizer.report(ok(lost!.id, 0.5));
    r.afterAnswer!();
    expect(runner.jobs).toHaveLength(2);
    expect(h.optimizer.diagnostics().prefetch).toMatchObject({ started: 0 });
    await h.close();
  });

  it("no prefetch while a call is under way in the experiment's queue", async () => {
    const runner = recording();
    const inner = runner.suggest;
    let computing: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      computing = resolve;
    });
    let proceed: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    runner.suggest = async (job, holder) => {
      if (job.trialNumber === 1) {
        computing();
        await gate;
      }
      return inner(job, holder);
    };
    const h = await harness({ runner });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1));
    // The next Suggest is computing (nothing written yet) when the Report's answer goes out.
    const next = h.optimizer.suggest(suggestReq("e"));
    await started;
    r.afterAnswer!();
    proceed();
    expect((await next).map((n) => n.number)).toEqual([1]);
    expect(h.optimizer.diagnostics().prefetch).toMatchObject({ started: 0 });
    expect(runner.jobs.map((j) => j.trialNumber)).toEqual([0, 1]);
    await h.close();
  });

  it("nothing computed ahead after suggest_next when prefetching is off, or a trial is still WAITING", async () => {
    const off = recording();
    const h = await harness({ runner: off, prefetch: false });
    await h.optimizer.createExperiment(experiment("e"));
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1, { suggestNext: true }));
    expect(r.next!.trials).toHaveLength(1);
    expect(r.afterAnswer).toBeUndefined();
    await h.close();

    const on = recording();
    const w = await harness({ runner: on });
    await w.optimizer.createExperiment(experiment("e"));
    const [u] = await w.optimizer.suggest(suggestReq("e"));
    await w.optimizer.enqueue(enqueueReq("e", [0.25, 0.75]));
    const r2 = await w.optimizer.report(ok(u!.id, 1, { suggestNext: true }));
    expect(r2.next!.trials.map((n) => xOf(n))).toEqual([0.25]);
    expect(r2.afterAnswer).toBeUndefined();
    expect(on.ahead).toEqual([]);
    await w.close();
  });
});
