/**
 * Trials the user supplies (user-trials.ts: Enqueue, AddTrials) and ReleaseTrial (release.ts), as the README
 * documents them: limits at and one past their edge, every item checked before anything is written,
 * skip_if_exists, what an imported trial keeps, request-id replay, and the states and workers a release is
 * refused for.
 */
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import type { AddTrialsRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  addReq,
  enqueueReq,
  experiment,
  fail,
  type Harness,
  harness,
  ok,
  refusal,
  releaseReq,
  START,
  suggestReq,
  xOf,
} from "./use-cases-harness.js";

type Imported = AddTrialsRequest["trials"][number];
const imported = (x: number, extra: Partial<Imported> = {}): Imported => ({
  params: { x: { kind: { $case: "doubleValue", value: x } } },
  state: TrialState.TRIAL_STATE_COMPLETE,
  loss: x,
  values: [],
  constraints: [],
  metrics: {},
  intermediateValues: [],
  userAttrs: {},
  failReason: "",
  ...extra,
});

const counts = async (h: Harness, name = "e") => (await h.optimizer.getExperiment(name)).trialCounts;

describe("Enqueue", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness({ limits: { maxEnqueue: 3 } });
    await h.optimizer.createExperiment(experiment("e"));
  });
  afterEach(() => h.close());

  it("stores WAITING trials with the next numbers, and takes exactly max_enqueue per call", async () => {
    h.clock += 5;
    const ts = await h.optimizer.enqueue(enqueueReq("e", [0.1, 0.2, 0.3]));
    expect(ts.map((t) => [t.number, xOf(t), t.state, t.source])).toEqual([
      [0, 0.1, TrialState.TRIAL_STATE_WAITING, TrialSource.TRIAL_SOURCE_ENQUEUED],
      [1, 0.2, TrialState.TRIAL_STATE_WAITING, TrialSource.TRIAL_SOURCE_ENQUEUED],
      [2, 0.3, TrialState.TRIAL_STATE_WAITING, TrialSource.TRIAL_SOURCE_ENQUEUED],
    ]);
    expect(ts[0]).toMatchObject({ createTime: new Date(START + 5), startTime: undefined, workerId: "" });
    expect(await refusal(h.optimizer.enqueue(enqueueReq("e", [0.1, 0.2, 0.3, 0.4])))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "configurations: at most 3 per call",
    });
    expect(await refusal(h.optimizer.enqueue(enqueueReq("e", [])))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "configurations: nothing to enqueue",
    });
    expect((await h.optimizer.enqueue(enqueueReq("e", [0.9])))[0]!.number).toBe(3);
  });

  it("writes nothing when any configuration is bad", async () => {
    const bad = enqueueReq("e", [0.1]);
    bad.configurations.push({ params: { x: { kind: { $case: "doubleValue", value: 2 } } }, userAttrs: {} });
    expect(await refusal(h.optimizer.enqueue(bad))).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: 'configurations[1]: parameter "x": 2 is outside [0, 1]',
    });
    const attrs = enqueueReq("e", [0.1, 0.2]);
    attrs.configurations[1]!.userAttrs = { k: "v".repeat(70_000) };
    expect(await refusal(h.optimizer.enqueue(attrs))).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/^configurations\[1\]\.user_attrs: "k" is longer than/),
    });
    expect(await counts(h)).toMatchObject({ waiting: 0 });
  });

  it("with skip_if_exists, skips configurations already in the experiment or earlier in the call", async () => {
    const [first] = await h.optimizer.suggest(suggestReq("e"));
    const seen = xOf(first!);
    const ts = await h.optimizer.enqueue(enqueueReq("e", [seen, 0.5, 0.5], { skipIfExists: true }));
    expect(ts.map((t) => [t.number, xOf(t)])).toEqual([[1, 0.5]]);
    // Nothing new: an empty answer and no write.
    expect(await h.optimizer.enqueue(enqueueReq("e", [0.5, seen], { skipIfExists: true }))).toEqual([]);
    // Without it, duplicates are stored.
    expect(await h.optimizer.enqueue(enqueueReq("e", [0.5, 0.5]))).toHaveLength(2);
    expect(await counts(h)).toMatchObject({ waiting: 3, running: 1 });
  });

  it("keeps the configuration's user attributes", async () => {
    const req = enqueueReq("e", [0.1]);
    req.configurations[0]!.userAttrs = { why: "baseline" };
    expect((await h.optimizer.enqueue(req))[0]!.userAttrs).toEqual({ why: "baseline" });
  });

  it("refuses an answer too large to arrive, naming how many would fit", async () => {
    const small = await harness({ limits: { maxAnswerBytes: 100 } });
    await small.optimizer.createExperiment(experiment("e"));
    expect(await refusal(small.optimizer.enqueue(enqueueReq("e", [0.1, 0.2, 0.3])))).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(
        /^configurations: the answer listing 3 new trials would take \d+ bytes, more than the 100-byte answer limit; send at most 2 per call$/,
      ),
    });
    expect(await counts(small)).toMatchObject({ waiting: 0 });
    await small.close();
  });
});

describe("AddTrials", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness({ limits: { maxImport: 2 } });
    await h.optimizer.createExperiment(experiment("e"));
  });
  afterEach(() => h.close());

  it("imports finished trials as they are, at the next numbers, ended now", async () => {
    await h.optimizer.suggest(suggestReq("e"));
    h.clock += 7;
    const ts = await h.optimizer.addTrials(
      addReq("e", [
        imported(0.2, { metrics: { m: 1 }, userAttrs: { a: "b" }, failReason: "dropped for COMPLETE" }),
        imported(0.3, { state: TrialState.TRIAL_STATE_FAIL, loss: undefined, failReason: "oom" }),
      ]),
    );
    expect(ts.map((t) => [t.number, t.state, t.loss, t.failReason, t.source])).toEqual([
      [1, TrialState.TRIAL_STATE_COMPLETE, 0.2, "", TrialSource.TRIAL_SOURCE_IMPORTED],
      [2, TrialState.TRIAL_STATE_FAIL, undefined, "oom", TrialSource.TRIAL_SOURCE_IMPORTED],
    ]);
    expect(ts[0]).toMatchObject({ metrics: { m: 1 }, userAttrs: { a: "b" }, endTime: new Date(START + 7) });
    expect((await h.optimizer.getBest("e")).id).toBe(ts[0]!.id);
    expect(await counts(h)).toMatchObject({ running: 1, complete: 1, fail: 1 });
  });

  it("an unspecified state is COMPLETE; RUNNING, WAITING and LOST are refused", async () => {
    expect((await h.optimizer.addTrials(addReq("e", [imported(0.1, { state: 0 })])))[0]!.state).toBe(
      TrialState.TRIAL_STATE_COMPLETE,
    );
    for (const state of [
      TrialState.TRIAL_STATE_RUNNING,
      TrialState.TRIAL_STATE_WAITING,
      TrialState.TRIAL_STATE_LOST,
      99,
    ])
      expect(await refusal(h.optimizer.addTrials(addReq("e", [imported(0.1), imported(0.2, { state })])))).toEqual({
        code: "INVALID_ARGUMENT",
        message: "trials[1].state: imported trials must be COMPLETE, PRUNED or FAIL",
      });
    expect(await counts(h)).toMatchObject({ complete: 1 });
  });

  it("takes exactly max_import per call and refuses an empty call", async () => {
    expect(await h.optimizer.addTrials(addReq("e", [imported(0.1), imported(0.2)]))).toHaveLength(2);
    expect(await refusal(h.optimizer.addTrials(addReq("e", [imported(0.1), imported(0.2), imported(0.3)])))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "trials: at most 2 per call",
    });
    expect(await refusal(h.optimizer.addTrials(addReq("e", [])))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "trials: nothing to import",
    });
  });

  it("checks losses, metrics and learning curves, naming the trial", async () => {
    const cases: [Imported, string][] = [
      [imported(0.1, { loss: Number.NaN }), "trials[1].loss: must be finite, got NaN"],
      [imported(0.1, { loss: undefined }), "trials[1].loss: a COMPLETE trial needs a finite loss"],
      [imported(0.1, { metrics: { m: Infinity } }), 'trials[1].metrics: "m" must be finite, got Infinity'],
      [
        imported(0.1, { intermediateValues: [{ step: -1, value: 0 }] }),
        "trials[1].intermediate_values: step must be a non-negative integer, got -1",
      ],
      [
        imported(0.1, { intermediateValues: [{ step: 0.5, value: 0 }] }),
        "trials[1].intermediate_values: step must be a non-negative integer, got 0.5",
      ],
      [
        imported(0.1, {
          intermediateValues: [
            { step: 2, value: 0 },
            { step: 2, value: 1 },
          ],
        }),
        "trials[1].intermediate_values: step 2 appears twice",
      ],
      [imported(0.1, { values: [0.1, 0.2] }), "trials[1].values: this experiment has one objective, got 2 values"],
    ];
    for (const [bad, message] of cases)
      expect(await refusal(h.optimizer.addTrials(addReq("e", [imported(0.5), bad])))).toEqual({
        code: "INVALID_ARGUMENT",
        message,
      });
    expect(await counts(h)).toMatchObject({ complete: 0 });
    // A loss given as the one value is the loss; FAIL and PRUNED need none.
    const ts = await h.optimizer.addTrials(addReq("e", [imported(0.1, { loss: undefined, values: [0.4] })]));
    expect(ts[0]!.loss).toBe(0.4);
  });

  it("keeps a learning curve in step order; a PRUNED trial without a loss takes its last value", async () => {
    const [p, q] = await h.optimizer.addTrials(
      addReq("e", [
        imported(0.1, {
          state: TrialState.TRIAL_STATE_PRUNED,
          loss: undefined,
          intermediateValues: [
            { step: 5, value: 0.2 },
            { step: 0, value: 0.9 },
          ],
        }),
        imported(0.2, {
          state: TrialState.TRIAL_STATE_PRUNED,
          loss: 0.7,
          intermediateValues: [{ step: 1, value: 0.3 }],
        }),
      ]),
    );
    expect(p!.intermediateValues).toEqual([
      { step: 0, value: 0.9 },
      { step: 5, value: 0.2 },
    ]);
    expect(p!.loss).toBe(0.2);
    expect(q!.loss).toBe(0.7);
    const [r] = await h.optimizer.addTrials(
      addReq("e", [imported(0.3, { state: TrialState.TRIAL_STATE_PRUNED, loss: undefined })]),
    );
    expect(r!.loss).toBeUndefined();
  });

  it("the first import with constraints fixes their count, within the call too", async () => {
    expect(
      await refusal(
        h.optimizer.addTrials(
          addReq("e", [imported(0.1, { constraints: [0, 1] }), imported(0.2, { constraints: [0] })]),
        ),
      ),
    ).toEqual({
      code: "INVALID_ARGUMENT",
      message: "trials[1].constraints: this experiment's trials carry 2 constraint values, got 1",
    });
    const [a] = await h.optimizer.addTrials(addReq("e", [imported(0.1, { constraints: [0, -1] })]));
    expect(a!.constraints).toEqual([0, -1]);
    expect(await refusal(h.optimizer.addTrials(addReq("e", [imported(0.2, { constraints: [1] })])))).toMatchObject({
      message: "trials[0].constraints: this experiment's trials carry 2 constraint values, got 1",
    });
  });

  it("a retry under the same request id returns the first import and imports nothing", async () => {
    const first = await h.optimizer.addTrials(addReq("e", [imported(0.1), imported(0.2)], "imp"));
    const again = await h.optimizer.addTrials(addReq("e", [imported(0.3)], "imp"));
    expect(again).toEqual(first);
    expect(await counts(h)).toMatchObject({ complete: 2 });
    // Without a request id, the same import is new trials.
    await h.optimizer.addTrials(addReq("e", [imported(0.1)]));
    expect(await counts(h)).toMatchObject({ complete: 3 });
  });
});

describe("AddTrials, more", () => {
  it("names the item in its refusals: unknown parameters, attributes, an answer too large", async () => {
    const h = await harness({ limits: { maxAttrLength: 4, maxAnswerBytes: 100 } });
    await h.optimizer.createExperiment(experiment("e"));
    const unknown = imported(0.1, { params: { y: { kind: { $case: "doubleValue", value: 0.5 } } } });
    expect(await refusal(h.optimizer.addTrials(addReq("e", [imported(0.2), unknown])))).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'trials[1]: unknown parameter "y"',
    });
    const enq = enqueueReq("e", [0.1, 0.2]);
    enq.configurations[1]!.params = { y: { kind: { $case: "doubleValue", value: 0.5 } } };
    expect(await refusal(h.optimizer.enqueue(enq))).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'configurations[1]: unknown parameter "y"',
    });
    expect(await refusal(h.optimizer.addTrials(addReq("e", [imported(0.2, { userAttrs: { k: "long" } })])))).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'trials[0].user_attrs: "k" is longer than 4 characters',
    });
    expect(
      await refusal(h.optimizer.addTrials(addReq("e", [imported(0.1), imported(0.2), imported(0.3)]))),
    ).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/^trials: the answer listing 3 new trials would take \d+ bytes/),
    });
    await h.close();
  });

  it("a PRUNED import takes the last of its curve's values; FAIL and multi-objective imports take none", async () => {
    const h = await harness();
    await h.optimizer.createExperiment(experiment("e"));
    const curve = [
      { step: 2, value: 0.4 },
      { step: 0, value: 0.9 },
      { step: 1, value: 0.6 },
    ];
    const [p, f] = await h.optimizer.addTrials(
      addReq("e", [
        imported(0.1, { state: TrialState.TRIAL_STATE_PRUNED, loss: undefined, intermediateValues: curve }),
        imported(0.2, { state: TrialState.TRIAL_STATE_FAIL, loss: undefined, intermediateValues: curve }),
      ]),
    );
    expect(p!.loss).toBe(0.4);
    expect(f!.loss).toBeUndefined();
    const two = [
      { name: "a", direction: Direction.DIRECTION_MINIMIZE },
      { name: "b", direction: Direction.DIRECTION_MAXIMIZE },
    ];
    await h.optimizer.createExperiment(experiment("mo", { objectives: two }));
    const [c, q] = await h.optimizer.addTrials(
      addReq("mo", [
        imported(0.1, { loss: undefined, values: [1, 2] }),
        imported(0.2, { state: TrialState.TRIAL_STATE_PRUNED, loss: undefined, intermediateValues: curve }),
      ]),
    );
    expect(c).toMatchObject({ values: [1, 2], loss: undefined });
    expect(q).toMatchObject({ values: [], loss: undefined });
    expect((await h.optimizer.getParetoFront("mo")).map((t) => t.id)).toEqual([c!.id]);
    expect(await refusal(h.optimizer.addTrials(addReq("mo", [imported(0.3, { loss: undefined })])))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "trials[0].values: a COMPLETE trial needs 2 finite values, one per objective",
    });
    await h.close();
  });
});

describe("ReleaseTrial", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("e", { maxTrials: 2, maxFailedTrials: 1 }));
  });
  afterEach(() => h.close());

  it("makes a RUNNING trial WAITING again, same number and configuration, handed out first, using up nothing", async () => {
    const [a, b] = await h.optimizer.suggest(suggestReq("e", 2, { workerId: "w1" }));
    const released = await h.optimizer.releaseTrial(releaseReq(b!.id, { workerId: "w1" }));
    expect(released).toMatchObject({
      id: b!.id,
      number: 1,
      state: TrialState.TRIAL_STATE_WAITING,
      workerId: "",
      startTime: undefined,
      leaseDeadline: undefined,
    });
    expect(released.params).toEqual(b!.params);
    expect(await counts(h)).toMatchObject({ waiting: 1, running: 1, fail: 0 });
    const [again] = await h.optimizer.suggest(suggestReq("e", 1, { workerId: "w2" }));
    expect([again!.id, again!.number, again!.workerId]).toEqual([b!.id, 1, "w2"]);
    expect(again!.params).toEqual(b!.params);
    await h.optimizer.report(ok(a!.id, 1));
    expect(await counts(h)).toMatchObject({ running: 1, complete: 1 });
  });

  it("refuses a trial that is not RUNNING, RUNNING for another worker, or has reported intermediate values", async () => {
    const [a, b, c] = await h.optimizer
      .suggest(suggestReq("e", 2, { workerId: "w1" }))
      .then(async (ts) => [...ts, ...(await h.optimizer.enqueue(enqueueReq("e", [0.5])))]);
    expect(await refusal(h.optimizer.releaseTrial(releaseReq(a!.id, { workerId: "w2" })))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `trial ${a!.id} is RUNNING for worker "w1", not "w2"; it is not released`,
    });
    await h.optimizer.reportIntermediate(a!.id, 0, 1);
    expect(await refusal(h.optimizer.releaseTrial(releaseReq(a!.id)))).toEqual({
      code: "FAILED_PRECONDITION",
      message:
        `trial ${a!.id} has reported intermediate values, so it has started; ` +
        "report it as FAIL or PRUNED instead of releasing it",
    });
    await h.optimizer.report(fail(b!.id));
    expect(await refusal(h.optimizer.releaseTrial(releaseReq(b!.id)))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `trial ${b!.id} is FAIL; only a RUNNING trial can be released`,
    });
    expect(await refusal(h.optimizer.releaseTrial(releaseReq(c!.id)))).toMatchObject({
      message: `trial ${c!.id} is WAITING; only a RUNNING trial can be released`,
    });
    expect(await refusal(h.optimizer.releaseTrial(releaseReq(987654)))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("a trial whose lease lapsed is LOST, not released", async () => {
    await h.optimizer.createExperiment(experiment("l", { leaseDuration: { seconds: 1, nanos: 0 } }));
    const [t] = await h.optimizer.suggest(suggestReq("l"));
    h.clock += 1001;
    expect(await refusal(h.optimizer.releaseTrial(releaseReq(t!.id)))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `trial ${t!.id} is LOST; only a RUNNING trial can be released`,
    });
  });

  it("a retry under the same request id answers the trial as it is now, and the id cannot release another", async () => {
    const [a, b] = await h.optimizer.suggest(suggestReq("e", 2, { workerId: "w1" }));
    const first = await h.optimizer.releaseTrial(releaseReq(a!.id, { requestId: "rel" }));
    expect(first.state).toBe(TrialState.TRIAL_STATE_WAITING);
    const [taken] = await h.optimizer.suggest(suggestReq("e", 1, { workerId: "w2" }));
    expect(taken!.id).toBe(a!.id);
    // The retry does not release it from its new worker.
    const retry = await h.optimizer.releaseTrial(releaseReq(a!.id, { requestId: "rel" }));
    expect(retry).toMatchObject({ id: a!.id, state: TrialState.TRIAL_STATE_RUNNING, workerId: "w2" });
    expect(await refusal(h.optimizer.releaseTrial(releaseReq(b!.id, { requestId: "rel" })))).toEqual({
      code: "FAILED_PRECONDITION",
      message: `request_id "rel" was already used to release trial ${a!.id}, not trial ${b!.id}`,
    });
    expect(await counts(h)).toMatchObject({ running: 2, waiting: 0 });
  });
});
