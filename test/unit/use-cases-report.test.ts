/**
 * Report and ReportIntermediate (optimizer.ts, outcome.ts) as the README's RPC table documents them: what each
 * status needs and stores, a finished trial's one accepted repeat, the trial states a report is refused in,
 * multi-objective values and constraints, learning curves and the pruner's verdict, and reading the best trial.
 */
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ListTrialsRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { Trial, TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { Optimizer } from "../../src/service/use-cases/optimizer.js";
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
} from "./use-cases-harness.js";

describe("Report", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("e"));
  });
  afterEach(() => h.close());

  const start = async () => (await h.optimizer.suggest(suggestReq("e")))[0]!;

  it("OK stores the loss, metrics and attributes, ends the trial now and drops its lease", async () => {
    const t = await start();
    h.clock += 5000;
    const r = await h.optimizer.report(ok(t.id, 0.25, { metrics: { acc: 0.9 }, userAttrs: { a: "1" } }));
    expect(r.trial.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(r.trial.loss).toBe(0.25);
    expect(r.trial.metrics).toEqual({ acc: 0.9 });
    expect(r.trial.userAttrs).toEqual({ a: "1" });
    expect(r.trial.endTime).toEqual(new Date(START + 5000));
    expect(r.trial.leaseDeadline).toBeUndefined();
    expect(r.trial.failReason).toBe("");
    expect(r.next).toBeUndefined();
    const stored = await h.optimizer.getTrial(t.id);
    expect(stored).toEqual(r.trial);
  });

  it("OK needs a loss; every status refuses a non-finite one; an unknown status is refused", async () => {
    const t = await start();
    expect(await refusal(h.optimizer.report(ok(t.id, 0, { loss: undefined })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "loss: status OK needs a finite loss",
    });
    for (const r of [ok(t.id, Number.NaN), fail(t.id, { loss: Infinity }), pruned(t.id, { loss: -Infinity })])
      expect(await refusal(h.optimizer.report(r))).toMatchObject({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/^loss: must be finite/),
      });
    expect(await refusal(h.optimizer.report(ok(t.id, 1, { status: 0 })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "status: must be OK, FAIL or PRUNED",
    });
    expect((await h.optimizer.getTrial(t.id)).state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });

  it("FAIL keeps its reason and needs no loss; OK and PRUNED drop a reason", async () => {
    const [a, b, c] = await h.optimizer.suggest(suggestReq("e", 3));
    const f = await h.optimizer.report(fail(a!.id, { failReason: "oom" }));
    expect(f.trial).toMatchObject({ state: TrialState.TRIAL_STATE_FAIL, failReason: "oom", loss: undefined });
    expect((await h.optimizer.report(ok(b!.id, 1, { failReason: "x" }))).trial.failReason).toBe("");
    expect((await h.optimizer.report(pruned(c!.id, { failReason: "x" }))).trial.failReason).toBe("");
  });

  it("PRUNED takes its loss from the last intermediate value unless given, and has none without a curve", async () => {
    const [a, b, c] = await h.optimizer.suggest(suggestReq("e", 3));
    await h.optimizer.reportIntermediate(a!.id, 3, 0.3);
    await h.optimizer.reportIntermediate(a!.id, 1, 0.9);
    await h.optimizer.reportIntermediate(a!.id, 0, 0.95);
    await h.optimizer.reportIntermediate(b!.id, 1, 0.9);
    expect((await h.optimizer.report(pruned(a!.id))).trial.loss).toBe(0.3);
    expect((await h.optimizer.report(pruned(b!.id, { loss: 0.7 }))).trial.loss).toBe(0.7);
    expect((await h.optimizer.report(pruned(c!.id))).trial.loss).toBeUndefined();
  });

  it("an identical repeat is a no-op; any difference on a finished trial is FAILED_PRECONDITION", async () => {
    const [a, b] = await h.optimizer.suggest(suggestReq("e", 2));
    const first = await h.optimizer.report(ok(a!.id, 0.5, { metrics: { m: 1 } }));
    h.clock += 1000;
    const again = await h.optimizer.report(ok(a!.id, 0.5, { metrics: { m: 1 } }));
    expect(again.trial).toEqual(first.trial);
    expect(again.afterAnswer).toBeUndefined();
    // A repeat that leaves out the metrics it sent the first time is the same report.
    expect((await h.optimizer.report(ok(a!.id, 0.5))).trial).toEqual(first.trial);
    const different = [
      ok(a!.id, 0.50000001),
      ok(a!.id, 0.5, { metrics: { m: 2 } }),
      ok(a!.id, 0.5, { metrics: { other: 1 } }),
      fail(a!.id),
      pruned(a!.id, { loss: 0.5 }),
    ];
    for (const r of different)
      expect(await refusal(h.optimizer.report(r))).toEqual({
        code: "FAILED_PRECONDITION",
        message: `trial ${a!.id} is already finished as COMPLETE with loss 0.5; a different report is not accepted`,
      });
    await h.optimizer.report(fail(b!.id));
    expect(await refusal(h.optimizer.report(ok(b!.id, 1)))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `trial ${b!.id} is already finished as FAIL; a different report is not accepted`,
    });
    expect((await h.optimizer.report(fail(b!.id))).trial.state).toBe(TrialState.TRIAL_STATE_FAIL);
  });

  it("a WAITING trial cannot be reported; a LOST one can, and is no longer retried", async () => {
    const [w] = await h.optimizer.enqueue(enqueueReq("e", [0.5]));
    expect(await refusal(h.optimizer.report(ok(w!.id, 1)))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `trial ${w!.id} is WAITING: it has not been suggested yet`,
    });
    await h.optimizer.createExperiment(experiment("lost", { leaseDuration: { seconds: 1, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("lost"));
    h.clock += 1001;
    const lost = await h.optimizer.getTrial(t!.id);
    // A lease is shown only while RUNNING: the lapsed one is gone from the LOST trial's record.
    expect([lost.state, lost.leaseDeadline]).toEqual([TrialState.TRIAL_STATE_LOST, undefined]);
    const r = await h.optimizer.report(ok(t!.id, 0.1));
    expect(r.trial).toMatchObject({ state: TrialState.TRIAL_STATE_COMPLETE, loss: 0.1 });
    expect((await h.optimizer.getBest("lost")).id).toBe(t!.id);
  });

  it("a LOST trial's late result withdraws its retry before any worker takes it", async () => {
    await h.optimizer.createExperiment(experiment("r", { retryLost: true, leaseDuration: { seconds: 1, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("r"));
    h.clock += 1001;
    // The lapse is noticed and the configuration re-enqueued as trial 1.
    const listed = await h.optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "r" }));
    expect(listed.trials.map((x) => [x.number, x.state])).toEqual([
      [0, TrialState.TRIAL_STATE_LOST],
      [1, TrialState.TRIAL_STATE_WAITING],
    ]);
    const retry = listed.trials[1]!;
    await h.optimizer.report(ok(t!.id, 0.5));
    const [next] = await h.optimizer.suggest(suggestReq("r"));
    expect(next!.number).toBe(2);
    const withdrawn = await h.optimizer.getTrial(retry!.id);
    expect(withdrawn.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect(Object.values(withdrawn.userAttrs)).toContain(`trial ${t!.id} reported its result after its lease lapsed`);
  });

  it("with suggest_next, a LOST trial's late result is not followed by its own retry", async () => {
    await h.optimizer.createExperiment(experiment("r", { retryLost: true, leaseDuration: { seconds: 1, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("r"));
    h.clock += 1001;
    const r = await h.optimizer.report(ok(t!.id, 0.5, { suggestNext: true }));
    expect(r.trial.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(r.next!.trials.map((n) => [n.number, n.source])).toEqual([[1, TrialSource.TRIAL_SOURCE_ALGORITHM]]);
    expect((await h.optimizer.getExperiment("r")).trialCounts).toMatchObject({ waiting: 0, running: 1, complete: 1 });
  });

  it("with suggest_next, a LOST trial's late result withdraws its WAITING retry instead of handing it out", async () => {
    // docs/reliability.md: a LOST trial's Report while its retry is still WAITING withdraws the retry.
    await h.optimizer.createExperiment(experiment("r", { retryLost: true, leaseDuration: { seconds: 1, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("r"));
    h.clock += 1001;
    // A read notices the lapse: the retry is enqueued as trial 1 before the report arrives.
    const listed = await h.optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "r" }));
    const retry = listed.trials[1]!;
    expect(retry.state).toBe(TrialState.TRIAL_STATE_WAITING);
    const r = await h.optimizer.report(ok(t!.id, 0.5, { suggestNext: true, requestId: "late" }));
    expect(r.next!.trials.map((n) => [n.number, n.source])).toEqual([[2, TrialSource.TRIAL_SOURCE_ALGORITHM]]);
    const withdrawn = await h.optimizer.getTrial(retry.id);
    expect(withdrawn.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect(withdrawn.userAttrs["parzen.withdrawn"]).toBe(`trial ${t!.id} reported its result after its lease lapsed`);
    expect((await h.optimizer.getExperiment("r")).trialCounts).toMatchObject({ waiting: 0, running: 1, complete: 1 });
    // The replay answers the same next trial.
    const again = await h.optimizer.report(ok(t!.id, 0.5, { suggestNext: true, requestId: "late" }));
    expect(again.next!.trials.map((n) => n.id)).toEqual(r.next!.trials.map((n) => n.id));
  });

  it("with suggest_next, hands the next trial to the reported trial's worker unless another is named", async () => {
    const t = await start();
    const r = await h.optimizer.report(ok(t.id, 1, { suggestNext: true }));
    expect(r.next!.trials.map((n) => [n.number, n.workerId, n.state])).toEqual([
      [1, "w", TrialState.TRIAL_STATE_RUNNING],
    ]);
    const r2 = await h.optimizer.report(ok(r.next!.trials[0]!.id, 1, { suggestNext: true, workerId: "v" }));
    expect(r2.next!.trials.map((n) => [n.number, n.workerId])).toEqual([[2, "v"]]);
    const third = r2.next!.trials[0]!.id;
    expect(
      await refusal(() => h.optimizer.report(ok(third, 1, { suggestNext: true, workerId: "v".repeat(201) }))),
    ).toEqual({
      code: "INVALID_ARGUMENT",
      message: "worker_id: longer than 200 characters",
    });
    const r3 = await h.optimizer.report(ok(third, 1, { suggestNext: true, workerId: "v".repeat(200) }));
    expect(r3.next!.trials[0]!.workerId).toBe("v".repeat(200));
  });

  it("with suggest_next and a request id, a retry replays both, and the id cannot report another trial", async () => {
    const [a, b] = await h.optimizer.suggest(suggestReq("e", 2));
    const req = ok(a!.id, 1, { suggestNext: true, requestId: "r1" });
    const first = await h.optimizer.report(req);
    expect(first.next!.trials).toHaveLength(1);
    const again = await h.optimizer.report(req);
    expect(again.trial).toEqual(first.trial);
    expect(again.next!.trials).toEqual(first.next!.trials);
    expect(await refusal(h.optimizer.report(ok(b!.id, 1, { suggestNext: true, requestId: "r1" })))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `request_id "r1" was already used to report trial ${a!.id}, not trial ${b!.id}`,
    });
    // Without suggest_next the request id logs nothing: the same report is simply idempotent.
    expect((await h.optimizer.report(ok(b!.id, 2, { requestId: "r1" }))).trial.loss).toBe(2);
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 1, complete: 2 });
    // Repeated on the finished trial, still no log is read: answered unchanged, not as "r1"'s other trial.
    expect((await h.optimizer.report(ok(b!.id, 2, { requestId: "r1" }))).trial.loss).toBe(2);
  });

  it("with suggest_next, reads the request log only once the trial is finished or the id turns out taken", async () => {
    const reads = vi.spyOn(h.store, "findRequest");
    const [a] = await h.optimizer.suggest(suggestReq("e"));
    const req = ok(a!.id, 1, { suggestNext: true, requestId: "n1" });
    const first = await h.optimizer.report(req);
    // RUNNING: no Report with suggest_next can have finished it under any id yet.
    expect(reads).not.toHaveBeenCalled();
    expect((await h.optimizer.report(req)).next!.trials).toEqual(first.next!.trials);
    expect(reads).toHaveBeenCalledTimes(1);
    // The same id on another experiment's RUNNING trial: the write finds it taken, writes nothing, and says whose.
    await h.optimizer.createExperiment(experiment("f"));
    const [c] = await h.optimizer.suggest(suggestReq("f"));
    expect(await refusal(h.optimizer.report(ok(c!.id, 2, { suggestNext: true, requestId: "n1" })))).toEqual({
      code: "FAILED_PRECONDITION",
      message: 'request_id "n1" was already used for another experiment',
    });
    expect((await h.optimizer.getTrial(c!.id)).state).toBe(TrialState.TRIAL_STATE_RUNNING);
    expect((await h.optimizer.getExperiment("f")).trialCounts).toMatchObject({ running: 1, complete: 0 });
    const next = await h.optimizer.report(ok(c!.id, 2, { suggestNext: true, requestId: "n2" }));
    expect(next.next!.trials.map((t) => t.number)).toEqual([1]);
  });

  it("with suggest_next, a retry after the budget was used up replays the trial the first answer handed out", async () => {
    await h.optimizer.createExperiment(experiment("two", { maxTrials: 2 }));
    const [t] = await h.optimizer.suggest(suggestReq("two"));
    const req = ok(t!.id, 1, { suggestNext: true, requestId: "b1" });
    const first = await h.optimizer.report(req);
    expect(first.next!.trials.map((n) => n.number)).toEqual([1]);
    // Two trials now: the budget is used up, but the retry's answer is the first one's.
    const again = await h.optimizer.report(req);
    expect(again.next!.trials).toEqual(first.next!.trials);
    expect(again.next!.done).toBe(first.next!.done);
  });

  it("with suggest_next, a write failing for another reason than a taken id answers that failure", async () => {
    const [a] = await h.optimizer.suggest(suggestReq("e"));
    await h.optimizer.report(ok(a!.id, 1, { suggestNext: true, requestId: "s1" }));
    await h.optimizer.createExperiment(experiment("f"));
    const [c] = await h.optimizer.suggest(suggestReq("f"));
    // The id is taken (by experiment e), but the unit fails first for a reason of its own.
    vi.spyOn(h.store, "write").mockRejectedValueOnce(new ParzenError("UNAVAILABLE", "storage went away"));
    expect(await refusal(h.optimizer.report(ok(c!.id, 2, { suggestNext: true, requestId: "s1" })))).toEqual({
      code: "UNAVAILABLE",
      message: "storage went away",
    });
  });

  it("with suggest_next, a unit refused as ALREADY_EXISTS for another reason than its id answers that refusal", async () => {
    const [a] = await h.optimizer.suggest(suggestReq("e"));
    // E.g. another server took the next trial's number first: the id "k1" was never logged.
    vi.spyOn(h.store, "write").mockRejectedValueOnce(new ParzenError("ALREADY_EXISTS", "that trial number is taken"));
    expect(await refusal(h.optimizer.report(ok(a!.id, 1, { suggestNext: true, requestId: "k1" })))).toEqual({
      code: "ALREADY_EXISTS",
      message: "that trial number is taken",
    });
  });

  it("with suggest_next on a trial already reported, answers the next trial without a second report", async () => {
    const t = await start();
    await h.optimizer.report(ok(t.id, 1));
    const r = await h.optimizer.report(ok(t.id, 1, { suggestNext: true }));
    expect(r.trial.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(r.next!.trials.map((n) => n.number)).toEqual([1]);
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 1, complete: 1 });
  });

  it("with suggest_next when the budget is used up, answers done and still records the report", async () => {
    await h.optimizer.createExperiment(experiment("one", { maxTrials: 1 }));
    const [t] = await h.optimizer.suggest(suggestReq("one"));
    const r = await h.optimizer.report(ok(t!.id, 1, { suggestNext: true }));
    expect(r.next).toMatchObject({ trials: [], done: true });
    expect(r.afterAnswer).toBeUndefined();
    expect((await h.optimizer.getTrial(t!.id)).state).toBe(TrialState.TRIAL_STATE_COMPLETE);
  });

  it("merges metrics and attributes into what the trial already had", async () => {
    const [a] = await h.optimizer.enqueue(
      enqueueReq("e", [0.5], {
        configurations: [
          { params: { x: { kind: { $case: "doubleValue", value: 0.5 } } }, userAttrs: { kept: "k", over: "old" } },
        ],
      }),
    );
    await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(a!.id, 1, { userAttrs: { over: "new", added: "a" } }));
    expect(r.trial.userAttrs).toEqual({ kept: "k", over: "new", added: "a" });
  });
});

describe("Report on a multi-objective experiment with constraints", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(
      experiment("mo", {
        direction: Direction.DIRECTION_UNSPECIFIED,
        objectives: [
          { name: "a", direction: Direction.DIRECTION_MINIMIZE },
          { name: "b", direction: Direction.DIRECTION_MAXIMIZE },
        ],
      }),
    );
  });
  afterEach(() => h.close());

  it("takes one value per objective, refuses a loss, and COMPLETE without values", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("mo"));
    const id = t!.id;
    expect(await refusal(h.optimizer.report(ok(id, 1)))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "loss: this experiment has 2 objectives; report them as values (one per objective)",
    });
    expect(await refusal(h.optimizer.report(ok(id, 0, { loss: undefined, values: [1] })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "values: this experiment has 2 objectives, got 1 values",
    });
    expect(await refusal(h.optimizer.report(ok(id, 0, { loss: undefined, values: [1, Number.NaN] })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "values[1]: must be finite, got NaN",
    });
    expect(await refusal(h.optimizer.report(ok(id, 0, { loss: undefined })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "values: a COMPLETE trial needs 2 finite values, one per objective",
    });
    const r = await h.optimizer.report(ok(id, 0, { loss: undefined, values: [1, 2] }));
    expect(r.trial).toMatchObject({ state: TrialState.TRIAL_STATE_COMPLETE, values: [1, 2], loss: undefined });
    expect(await refusal(h.optimizer.report(ok(id, 0, { loss: undefined, values: [1, 3] })))).toMatchObject({
      code: "FAILED_PRECONDITION",
    });
    expect((await h.optimizer.report(ok(id, 0, { loss: undefined, values: [1, 2] }))).trial.values).toEqual([1, 2]);
    expect(await refusal(h.optimizer.getBest("mo"))).toEqual({
      code: "FAILED_PRECONDITION",
      message:
        'experiment "mo" has 2 objectives, so no single best trial: call GetParetoFront for its non-dominated trials',
    });
  });

  it("a FAIL reported without values, repeated with values, is a different report", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("mo"));
    await h.optimizer.report(fail(t!.id));
    expect(await refusal(h.optimizer.report(fail(t!.id, { values: [1, 2] })))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `trial ${t!.id} is already finished as FAIL; a different report is not accepted`,
    });
    expect((await h.optimizer.report(fail(t!.id))).trial.state).toBe(TrialState.TRIAL_STATE_FAIL);
  });

  it("FAIL and PRUNED need no values; the first constrained report fixes how many constraints follow", async () => {
    const [a, b, c, d] = await h.optimizer.suggest(suggestReq("mo", 4));
    expect((await h.optimizer.report(fail(a!.id))).trial.values).toEqual([]);
    const first = await h.optimizer.report(ok(b!.id, 0, { loss: undefined, values: [1, 2], constraints: [0, -1] }));
    expect(first.trial.constraints).toEqual([0, -1]);
    expect(
      await refusal(h.optimizer.report(ok(c!.id, 0, { loss: undefined, values: [1, 2], constraints: [0] }))),
    ).toEqual({
      code: "INVALID_ARGUMENT",
      message: "constraints: this experiment's trials carry 2 constraint values, got 1",
    });
    expect(await refusal(h.optimizer.report(ok(c!.id, 0, { loss: undefined, values: [1, 2] })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "constraints: this experiment's trials carry 2 constraint values; a COMPLETE trial must report them too",
    });
    expect(
      await refusal(h.optimizer.report(ok(c!.id, 0, { loss: undefined, values: [1, 2], constraints: [0, Infinity] }))),
    ).toEqual({ code: "INVALID_ARGUMENT", message: "constraints[1]: must be finite, got Infinity" });
    // FAIL and PRUNED trials may leave the constraints out.
    expect((await h.optimizer.report(pruned(c!.id))).trial.constraints).toEqual([]);
    // An infeasible trial is not on the Pareto front.
    await h.optimizer.report(ok(d!.id, 0, { loss: undefined, values: [0, 5], constraints: [1, 0] }));
    expect((await h.optimizer.getParetoFront("mo")).map((t) => t.id)).toEqual([b!.id]);
  });
});

describe("Report on a single-objective experiment, values and constraints", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("so"));
  });
  afterEach(() => h.close());

  it("takes the loss as one value, refuses two, and refuses a value that contradicts the loss", async () => {
    const [a, b] = await h.optimizer.suggest(suggestReq("so", 2));
    expect(await refusal(h.optimizer.report(ok(a!.id, 0, { loss: undefined, values: [1, 2] })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "values: this experiment has one objective, got 2 values",
    });
    expect(await refusal(h.optimizer.report(ok(a!.id, 1, { values: [2] })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "values: values[0] (2) differs from loss (1); give one of them",
    });
    const r = await h.optimizer.report(ok(a!.id, 0, { loss: undefined, values: [0.4] }));
    expect(r.trial).toMatchObject({ loss: 0.4, values: [] });
    expect((await h.optimizer.report(ok(b!.id, 0.6, { values: [0.6] }))).trial.loss).toBe(0.6);
  });

  it("GetBest says why there is none: no COMPLETE trial, or none feasible", async () => {
    expect(await refusal(h.optimizer.getBest("so"))).toEqual({
      code: "FAILED_PRECONDITION",
      message: 'experiment "so" has no COMPLETE trial yet',
    });
    const [a, b] = await h.optimizer.suggest(suggestReq("so", 2));
    await h.optimizer.report(ok(a!.id, 1, { constraints: [0.5] }));
    expect(await refusal(h.optimizer.getBest("so"))).toEqual({
      code: "FAILED_PRECONDITION",
      message: 'experiment "so" has no feasible COMPLETE trial yet (every constraint value <= 0)',
    });
    await h.optimizer.report(ok(b!.id, 2, { constraints: [0] }));
    expect((await h.optimizer.getBest("so")).id).toBe(b!.id);
  });

  it("a maximised experiment's best is its largest loss", async () => {
    await h.optimizer.createExperiment(experiment("max", { direction: Direction.DIRECTION_MAXIMIZE }));
    const ts = await h.optimizer.suggest(suggestReq("max", 3));
    for (const [i, t] of ts.entries()) await h.optimizer.report(ok(t.id, [1, 3, 2][i]!));
    expect((await h.optimizer.getBest("max")).loss).toBe(3);
  });
});

describe("ReportIntermediate", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(
      experiment("p", {
        leaseDuration: { seconds: 60, nanos: 0 },
        pruner: { name: "threshold", options: { upper: { kind: { $case: "doubleValue", value: 1 } } } },
      }),
    );
  });
  afterEach(() => h.close());

  it("refuses a step that is negative or not an integer, and a trial that is not RUNNING", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("p"));
    for (const step of [-1, 1.5, Number.NaN, 2 ** 53])
      expect(await refusal(h.optimizer.reportIntermediate(t!.id, step, 0))).toEqual({
        code: "INVALID_ARGUMENT",
        message: `step: must be a non-negative integer, got ${step}`,
      });
    expect(await h.optimizer.reportIntermediate(t!.id, 0, 0.5)).toBe(false);
    await h.optimizer.report(ok(t!.id, 1));
    expect(await refusal(h.optimizer.reportIntermediate(t!.id, 1, 0))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `trial ${t!.id} is COMPLETE; intermediate values are accepted only while it is RUNNING`,
    });
  });

  it("keeps a step's first value, renews the lease, and answers the pruner's verdict", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("p"));
    expect((await h.optimizer.getTrial(t!.id)).leaseDeadline).toEqual(new Date(START + 60_000));
    h.clock += 30_000;
    expect(await h.optimizer.reportIntermediate(t!.id, 2, 0.5)).toBe(false);
    expect((await h.optimizer.getTrial(t!.id)).leaseDeadline).toEqual(new Date(START + 90_000));
    h.clock += 10_000;
    // The same step again: the first value stays, and the verdict is for it.
    expect(await h.optimizer.reportIntermediate(t!.id, 2, 5)).toBe(false);
    expect(await h.optimizer.reportIntermediate(t!.id, 1, 0.7)).toBe(false);
    // Above the threshold's upper bound: prune.
    expect(await h.optimizer.reportIntermediate(t!.id, 3, 1.5)).toBe(true);
    const after = await h.optimizer.getTrial(t!.id);
    expect(after.intermediateValues).toEqual([
      { step: 1, value: 0.7 },
      { step: 2, value: 0.5 },
      { step: 3, value: 1.5 },
    ]);
    expect(after.leaseDeadline).toEqual(new Date(START + 100_000));
    expect(after.state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });

  it("a lease that lapsed before the call makes the trial LOST and the value refused", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("p"));
    h.clock += 60_001;
    expect(await refusal(h.optimizer.reportIntermediate(t!.id, 0, 1))).toMatchObject({ code: "FAILED_PRECONDITION" });
    const rows = await h.optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "p" }));
    expect(rows.trials.map((r) => r.state)).toEqual([TrialState.TRIAL_STATE_LOST]);
  });
});

describe("the pruner's verdict on a maximised experiment", () => {
  it("the median pruner prunes a value below the median of the same step, not above", async () => {
    const h = await harness();
    await h.optimizer.createExperiment(
      experiment("m", {
        direction: Direction.DIRECTION_MAXIMIZE,
        pruner: { name: "median", options: { n_startup_trials: { kind: { $case: "intValue", value: 0 } } } },
      }),
    );
    const [a, b, c, d] = await h.optimizer.suggest(suggestReq("m", 4));
    for (const [t, v] of [
      [a!, 1],
      [b!, 3],
    ] as const) {
      await h.optimizer.reportIntermediate(t.id, 0, v);
      await h.optimizer.report(ok(t.id, v));
    }
    expect(await h.optimizer.reportIntermediate(c!.id, 0, 1.5)).toBe(true);
    expect(await h.optimizer.reportIntermediate(d!.id, 0, 2.5)).toBe(false);
    await h.close();
  });
});

describe("leases and streams", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("e", { leaseDuration: { seconds: 1, nanos: 0 } }));
  });
  afterEach(() => h.close());

  it("the periodic sweep marks lapsed leases LOST without any call to the experiment", async () => {
    await h.optimizer.suggest(suggestReq("e", 2));
    h.clock = START + 1001;
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 2, lost: 0 });
    await h.optimizer.sweepLeases();
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 0, lost: 2 });
  });

  it("a stream waits for its turn before each chunk of 200 trials", async () => {
    await h.optimizer.suggest(suggestReq("e", 401));
    let turns = 0;
    let seen = 0;
    const seenAtTurn: number[] = [];
    for await (const _ of h.optimizer.streamTrials("e", [], async () => {
      turns++;
      seenAtTurn.push(seen);
    }))
      seen++;
    expect(seen).toBe(401);
    expect(seenAtTurn).toEqual([0, 200, 400]);
    expect(turns).toBe(3);
  });

  it("reading a trial or a list notices a lapsed lease; the trial lapses at its deadline + 1 ms", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    h.clock = START + 1000;
    expect((await h.optimizer.getTrial(t!.id)).state).toBe(TrialState.TRIAL_STATE_RUNNING);
    h.clock = START + 1001;
    const streamed: TrialState[] = [];
    for await (const x of h.optimizer.streamTrials("e", [])) streamed.push(x.state);
    expect(streamed).toEqual([TrialState.TRIAL_STATE_LOST]);
  });

  it("ListTrials cuts a page at the answer limit, and the next page starts after its last trial", async () => {
    const one = await h.optimizer.suggest(suggestReq("e", 1));
    const size = Trial.encode(one[0]!).finish().length;
    const small = await harness({ limits: { maxAnswerBytes: 2 * size + 30 } });
    await small.optimizer.createExperiment(experiment("e"));
    for (let i = 0; i < 5; i++) await small.optimizer.suggest(suggestReq("e"));
    const numbers: number[][] = [];
    let token = "";
    do {
      const p = await small.optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "e", pageToken: token }));
      numbers.push(p.trials.map((x) => x.number));
      token = p.nextPageToken;
    } while (token !== "");
    expect(numbers).toEqual([[0, 1], [2, 3], [4]]);
    await small.close();
  });
});

describe("more of the Report state machine", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("e"));
  });
  afterEach(() => h.close());

  it("a plain Report ignores worker_id (it names the worker of the next trial only with suggest_next)", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const r = await h.optimizer.report(ok(t!.id, 1, { workerId: "v".repeat(201) }));
    expect(r.trial).toMatchObject({ state: TrialState.TRIAL_STATE_COMPLETE, workerId: "w" });
  });

  it("a multi-objective PRUNED trial takes no loss from its curve", async () => {
    const two = [
      { name: "a", direction: Direction.DIRECTION_MINIMIZE },
      { name: "b", direction: Direction.DIRECTION_MINIMIZE },
    ];
    await h.optimizer.createExperiment(experiment("mo", { objectives: two }));
    const [t] = await h.optimizer.suggest(suggestReq("mo"));
    await h.optimizer.reportIntermediate(t!.id, 0, 0.5);
    expect((await h.optimizer.report(pruned(t!.id))).trial).toMatchObject({ loss: undefined, values: [] });
  });

  it("a RUNNING trial's report withdraws no retry, whatever attributes it brings, with suggest_next or not", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const [w] = await h.optimizer.enqueue(enqueueReq("e", [0.25]));
    // Only a LOST trial's link to its retry counts; a user attribute of that name on a RUNNING trial does not.
    const r = await h.optimizer.report(
      ok(t!.id, 1, { suggestNext: true, userAttrs: { "parzen.retried_as": `${w!.id}` } }),
    );
    expect(r.next!.trials.map((n) => [n.id, n.state])).toEqual([[w!.id, TrialState.TRIAL_STATE_RUNNING]]);
    // The same without suggest_next: the enqueued trial stays WAITING, the next Suggest's.
    const [w2] = await h.optimizer.enqueue(enqueueReq("e", [0.5]));
    await h.optimizer.report(ok(w!.id, 2, { userAttrs: { "parzen.retried_as": `${w2!.id}` } }));
    expect((await h.optimizer.suggest(suggestReq("e"))).map((n) => n.id)).toEqual([w2!.id]);
  });

  it("a replayed Report with suggest_next answers the same enqueued next trial", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const [w] = await h.optimizer.enqueue(enqueueReq("e", [0.25]));
    const req = ok(t!.id, 1, { suggestNext: true, requestId: "n" });
    const first = await h.optimizer.report(req);
    expect(first.next!.trials.map((n) => n.id)).toEqual([w!.id]);
    const again = await h.optimizer.report(req);
    expect(again.next!.trials.map((n) => [n.id, n.state])).toEqual([[w!.id, TrialState.TRIAL_STATE_RUNNING]]);
  });

  it("Heartbeat renews a RUNNING trial's lease to a full lease from now", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    h.clock += 60_000;
    const deadline = await h.optimizer.heartbeat(t!.id);
    expect(deadline).toEqual(new Date(START + 60_000 + 30 * 60_000));
    expect((await h.optimizer.getTrial(t!.id)).leaseDeadline).toEqual(deadline);
  });

  it("ListTrials by worker reads on past long runs of other workers' trials", async () => {
    await h.optimizer.suggest(suggestReq("e", 300, { workerId: "busy" }));
    await h.optimizer.suggest(suggestReq("e", 2, { workerId: "late" }));
    const p = await h.optimizer.listTrials(
      ListTrialsRequest.fromPartial({ experiment: "e", workerId: "late", pageSize: 2 }),
    );
    expect(p.trials.map((t) => t.number)).toEqual([300, 301]);
    expect(p.nextPageToken).toBe("");
  });

  it("a delete queued behind other calls wins: a Report queued after it is NOT_FOUND, and nothing is left", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    const [deleted, reported] = await Promise.allSettled([
      h.optimizer.deleteExperiment("e"),
      h.optimizer.report(ok(t!.id, 1)),
    ]);
    expect(deleted.status).toBe("fulfilled");
    expect(reported.status).toBe("rejected");
    expect((reported as PromiseRejectedResult).reason).toMatchObject({ code: "NOT_FOUND" });
    const again = await h.optimizer.createExperiment(experiment("e"));
    expect(again.created).toBe(true);
    expect(again.experiment.trialCounts).toMatchObject({ running: 0, complete: 0 });
  });

  it("close() lets changes already queued finish: a retry's withdrawal queued behind a report is stored", async () => {
    await h.optimizer.createExperiment(experiment("r", { retryLost: true, leaseDuration: { seconds: 1, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("r"));
    h.clock += 1001;
    const listed = await h.optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "r" }));
    const retry = listed.trials[1]!;
    await h.optimizer.report(ok(t!.id, 1));
    await h.optimizer.close();
    // A second service on the same store reads what was committed.
    const other = new Optimizer({
      store: h.store,
      runner: { suggest: async () => new Float64Array(1), close: async () => undefined },
      now: () => h.clock,
    });
    expect((await other.getTrial(retry.id)).state).toBe(TrialState.TRIAL_STATE_LOST);
    await other.close();
  });

  it("FAIL takes no loss from the curve; user attributes too long are refused naming the field", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    await h.optimizer.reportIntermediate(t!.id, 0, 0.5);
    const small = await harness({ limits: { maxAttrLength: 4 } });
    await small.optimizer.createExperiment(experiment("e"));
    const [u] = await small.optimizer.suggest(suggestReq("e"));
    expect(await refusal(small.optimizer.report(ok(u!.id, 1, { userAttrs: { k: "long" } })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'user_attrs: "k" is longer than 4 characters',
    });
    await small.close();
    expect((await h.optimizer.report(fail(t!.id))).trial.loss).toBeUndefined();
  });

  it("GetBest with only FAIL trials reporting constraints says no COMPLETE trial yet", async () => {
    const [t] = await h.optimizer.suggest(suggestReq("e"));
    await h.optimizer.report(fail(t!.id, { constraints: [1] }));
    expect(await refusal(h.optimizer.getBest("e"))).toEqual({
      code: "FAILED_PRECONDITION",
      message: 'experiment "e" has no COMPLETE trial yet',
    });
  });

  it("what a restarted service reads back: learning curves, and LOST trials' retries created on load", async () => {
    await h.optimizer.createExperiment(experiment("r", { retryLost: true }));
    const [t] = await h.optimizer.suggest(suggestReq("r"));
    const [c] = await h.optimizer.suggest(suggestReq("e"));
    await h.optimizer.reportIntermediate(c!.id, 4, 0.25);
    await h.optimizer.close();
    // As a crash between marking a trial LOST and enqueuing its retry leaves it.
    h.store.db
      .prepare("UPDATE trials SET state = ?, end_time = lease_deadline WHERE id = ?")
      .run(TrialState.TRIAL_STATE_LOST, t!.id);
    const other = new Optimizer({
      store: h.store,
      runner: { suggest: async () => new Float64Array(1), close: async () => undefined },
      now: () => h.clock,
    });
    expect((await other.getTrial(c!.id)).intermediateValues).toEqual([{ step: 4, value: 0.25 }]);
    const all = await other.listTrials(ListTrialsRequest.fromPartial({ experiment: "r" }));
    expect(all.trials.map((x) => [x.number, x.state])).toEqual([
      [0, TrialState.TRIAL_STATE_LOST],
      [1, TrialState.TRIAL_STATE_WAITING],
    ]);
    expect(all.trials[1]!.params).toEqual(t!.params);
    await other.close();
  });
});
