import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { choice, int, mixedSpace, num, plain, str, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

describe("ask/tell over gRPC", () => {
  it("runs a full create → suggest → report → best cycle", async () => {
    const { experiment, created } = await ts.api.createExperiment({
      experiment: { name: "cycle", space: mixedSpace(), algorithm: { name: "random", options: {} }, seed: 7 },
    });
    expect(created).toBe(true);
    expect(experiment!.seed).toBe(7);
    expect(experiment!.direction).toBe(Direction.DIRECTION_MINIMIZE);

    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { trials } = await ts.api.suggest({ experiment: "cycle", workerId: "w1" });
      expect(trials).toHaveLength(1);
      const t = trials[0]!;
      expect(t.state).toBe(TrialState.TRIAL_STATE_RUNNING);
      expect(t.number).toBe(i);
      expect(t.leaseDeadline).toBeInstanceOf(Date);
      const lr = plain(t.params.lr) as number;
      expect(lr).toBeGreaterThanOrEqual(1e-5);
      expect(lr).toBeLessThanOrEqual(1);
      expect(Number.isInteger(plain(t.params.layers))).toBe(true);
      const opt = plain(t.params.optimizer);
      expect(["sgd", "adam"]).toContain(opt);
      expect("momentum" in t.params).toBe(opt === "sgd");
      const loss = Math.log10(lr) ** 2;
      losses.push(loss);
      const { trial } = await ts.api.report({
        trialId: t.id,
        status: ReportStatus.REPORT_STATUS_OK,
        loss,
        metrics: { acc: 0.5 },
      });
      expect(trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
      expect(trial!.loss).toBe(loss);
      expect(trial!.metrics).toEqual({ acc: 0.5 });
    }
    const { trial: best } = await ts.api.getBest({ experiment: "cycle" });
    expect(best!.loss).toBe(Math.min(...losses));
    const { experiment: got } = await ts.api.getExperiment({ name: "cycle" });
    expect(got!.trialCounts!.complete).toBe(5);
  });

  it("returns the existing experiment for an identical re-create and ALREADY_EXISTS for a different one", async () => {
    const def = {
      name: "dupe",
      space: { parameters: [uniform("x", 0, 1)] },
      algorithm: { name: "random", options: {} },
    };
    const first = await ts.api.createExperiment({ experiment: def });
    const again = await ts.api.createExperiment({ experiment: def });
    expect(again.created).toBe(false);
    expect(again.experiment!.seed).toBe(first.experiment!.seed);
    const err = await rejection(
      ts.api.createExperiment({ experiment: { ...def, space: { parameters: [uniform("x", 0, 2)] } } }),
    );
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.details).toContain("dupe");
  });

  it("treats spelled-out default options as the same experiment", async () => {
    const space = { parameters: [uniform("x", 0, 1)] };
    await ts.api.createExperiment({
      experiment: { name: "defaults", space, pruner: { name: "percentile", options: { percentile: int(25) } } },
    });
    const again = await ts.api.createExperiment({
      experiment: {
        name: "defaults",
        space,
        algorithm: { name: "tpe", options: { n_startup_trials: int(20) } },
        pruner: { name: "percentile", options: { percentile: num(25), n_warmup_steps: int(0) } },
      },
    });
    expect(again.created).toBe(false);
    const err = await rejection(
      ts.api.createExperiment({
        experiment: { name: "defaults", space, pruner: { name: "percentile", options: { percentile: num(30) } } },
      }),
    );
    expect(err.code).toBe(status.ALREADY_EXISTS);
  });

  it("maximises when asked and ranks the best accordingly", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "max",
        space: { parameters: [uniform("x", 0, 1)] },
        direction: Direction.DIRECTION_MAXIMIZE,
        algorithm: { name: "random", options: {} },
      },
    });
    for (const loss of [0.2, 0.9, 0.5]) {
      const { trials } = await ts.api.suggest({ experiment: "max" });
      await ts.api.report({ trialId: trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss });
    }
    expect((await ts.api.getBest({ experiment: "max" })).trial!.loss).toBe(0.9);
  });

  it("serves enqueued configurations before the algorithm's, in order", async () => {
    await ts.api.createExperiment({
      experiment: { name: "enq", space: mixedSpace(), algorithm: { name: "random", options: {} } },
    });
    const { trials: queued } = await ts.api.enqueue({
      experiment: "enq",
      configurations: [
        { params: { lr: num(0.01), layers: int(2), optimizer: str("adam") }, userAttrs: { why: "baseline" } },
        { params: { lr: num(0.1), layers: int(3), optimizer: str("sgd"), momentum: num(0.9) }, userAttrs: {} },
      ],
    });
    expect(queued.map((t) => t.state)).toEqual([TrialState.TRIAL_STATE_WAITING, TrialState.TRIAL_STATE_WAITING]);
    const { trials } = await ts.api.suggest({ experiment: "enq", count: 3 });
    expect(trials.map((t) => t.id).slice(0, 2)).toEqual(queued.map((t) => t.id));
    expect(plain(trials[0]!.params.lr)).toBe(0.01);
    expect(plain(trials[1]!.params.momentum)).toBe(0.9);
    expect(trials[0]!.source).toBe(TrialSource.TRIAL_SOURCE_ENQUEUED);
    expect(trials[2]!.source).toBe(TrialSource.TRIAL_SOURCE_ALGORITHM);
    expect(trials[2]!.number).toBe(2);
    // skip_if_exists ignores a configuration already tried.
    const { trials: skipped } = await ts.api.enqueue({
      experiment: "enq",
      skipIfExists: true,
      configurations: [{ params: { lr: num(0.01), layers: int(2), optimizer: str("adam") }, userAttrs: {} }],
    });
    expect(skipped).toHaveLength(0);
  });

  it("imports evaluated history for a warm start", async () => {
    await ts.api.createExperiment({
      experiment: { name: "warm", space: mixedSpace(), algorithm: { name: "random", options: {} } },
    });
    const { trials } = await ts.api.addTrials({
      experiment: "warm",
      trials: [
        {
          params: { lr: num(0.001), layers: int(4), optimizer: str("adam") },
          loss: 0.3,
          metrics: {},
          intermediateValues: [],
          userAttrs: {},
          state: 0,
          failReason: "",
        },
        {
          params: { lr: num(0.01), layers: int(1), optimizer: str("sgd"), momentum: num(0.5) },
          state: TrialState.TRIAL_STATE_FAIL,
          failReason: "oom",
          metrics: {},
          intermediateValues: [],
          userAttrs: {},
        },
        {
          params: { lr: num(0.1), layers: int(2), optimizer: str("adam") },
          state: TrialState.TRIAL_STATE_PRUNED,
          intermediateValues: [
            { step: 1, value: 0.9 },
            { step: 0, value: 1.2 },
          ],
          metrics: {},
          userAttrs: {},
          failReason: "",
        },
      ],
    });
    expect(trials.map((t) => t.state)).toEqual([
      TrialState.TRIAL_STATE_COMPLETE,
      TrialState.TRIAL_STATE_FAIL,
      TrialState.TRIAL_STATE_PRUNED,
    ]);
    expect(trials[2]!.loss).toBe(0.9);
    expect(trials[2]!.intermediateValues.map((v) => v.step)).toEqual([0, 1]);
    expect(trials.every((t) => t.source === TrialSource.TRIAL_SOURCE_IMPORTED)).toBe(true);
    expect((await ts.api.getBest({ experiment: "warm" })).trial!.loss).toBe(0.3);
    const { trials: next } = await ts.api.suggest({ experiment: "warm" });
    expect(next[0]!.number).toBe(3);
  });

  it("treats FAIL and PRUNED reports, repeated identical reports and conflicting ones correctly", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "states",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
      },
    });
    const { trials } = await ts.api.suggest({ experiment: "states", count: 3 });
    const [a, b, c] = trials;
    const failed = await ts.api.report({
      trialId: a!.id,
      status: ReportStatus.REPORT_STATUS_FAIL,
      failReason: "NaN gradients",
    });
    expect(failed.trial!.state).toBe(TrialState.TRIAL_STATE_FAIL);
    expect(failed.trial!.failReason).toBe("NaN gradients");

    expect((await ts.api.reportIntermediate({ trialId: b!.id, step: 0, value: 2.0 })).shouldPrune).toBe(false);
    await ts.api.reportIntermediate({ trialId: b!.id, step: 1, value: 1.5 });
    await ts.api.reportIntermediate({ trialId: b!.id, step: 1, value: 99 }); // repeated step keeps its first value
    const pruned = await ts.api.report({ trialId: b!.id, status: ReportStatus.REPORT_STATUS_PRUNED });
    expect(pruned.trial!.state).toBe(TrialState.TRIAL_STATE_PRUNED);
    expect(pruned.trial!.loss).toBe(1.5);
    expect(pruned.trial!.intermediateValues).toEqual([
      { step: 0, value: 2 },
      { step: 1, value: 1.5 },
    ]);

    const ok = await ts.api.report({ trialId: c!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 });
    const again = await ts.api.report({ trialId: c!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 });
    expect(again.trial).toEqual(ok.trial);
    const conflict = await rejection(
      ts.api.report({ trialId: c!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 }),
    );
    expect(conflict.code).toBe(status.FAILED_PRECONDITION);
    expect(conflict.details).toContain("already finished");
    expect((await ts.api.getTrial({ trialId: c!.id })).trial!.loss).toBe(0.25);
  });

  it("keeps a finished trial's state: PRUNED or FAIL re-reported as OK (even with the same loss) is refused", async () => {
    await ts.api.createExperiment({
      experiment: { name: "final", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
    });
    const [p, f] = (await ts.api.suggest({ experiment: "final", count: 2 })).trials;
    await ts.api.reportIntermediate({ trialId: p!.id, step: 3, value: 0.75 });
    const pruned = (await ts.api.report({ trialId: p!.id, status: ReportStatus.REPORT_STATUS_PRUNED })).trial!;
    expect([pruned.state, pruned.loss]).toEqual([TrialState.TRIAL_STATE_PRUNED, 0.75]);
    const asOk = await rejection(ts.api.report({ trialId: p!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.75 }));
    expect([asOk.code, asOk.details]).toEqual([
      status.FAILED_PRECONDITION,
      `trial ${p!.id} is already finished as PRUNED with loss 0.75; a different report is not accepted`,
    ]);
    // The identical PRUNED report again is the idempotent retry.
    const again = await ts.api.report({ trialId: p!.id, status: ReportStatus.REPORT_STATUS_PRUNED });
    expect(again.trial).toEqual(pruned);
    await ts.api.report({ trialId: f!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "oom" });
    const failAsOk = await rejection(ts.api.report({ trialId: f!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 }));
    expect(failAsOk.code).toBe(status.FAILED_PRECONDITION);
    const failAsPruned = await rejection(ts.api.report({ trialId: f!.id, status: ReportStatus.REPORT_STATUS_PRUNED }));
    expect(failAsPruned.code).toBe(status.FAILED_PRECONDITION);
    const states = (await ts.api.listTrials({ experiment: "final" })).trials.map((t) => [t.state, t.loss]);
    expect(states).toEqual([
      [TrialState.TRIAL_STATE_PRUNED, 0.75],
      [TrialState.TRIAL_STATE_FAIL, undefined],
    ]);
  });

  it("refuses a non-finite loss whatever the status, and leaves the trial RUNNING", async () => {
    await ts.api.createExperiment({
      experiment: { name: "nonfinite", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
    });
    const [t] = (await ts.api.suggest({ experiment: "nonfinite" })).trials;
    for (const [st, loss] of [
      [ReportStatus.REPORT_STATUS_FAIL, Number.NaN],
      [ReportStatus.REPORT_STATUS_PRUNED, Number.POSITIVE_INFINITY],
      [ReportStatus.REPORT_STATUS_PRUNED, Number.NaN],
      [ReportStatus.REPORT_STATUS_FAIL, Number.NEGATIVE_INFINITY],
    ] as const) {
      const err = await rejection(ts.api.report({ trialId: t!.id, status: st, loss }));
      expect([st, err.code, err.details]).toEqual([st, status.INVALID_ARGUMENT, `loss: must be finite, got ${loss}`]);
    }
    expect((await ts.api.getTrial({ trialId: t!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });

  it("pages and filters trials, and streams them", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "paging",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
      },
    });
    const { trials } = await ts.api.suggest({ experiment: "paging", count: 25, workerId: "pager" });
    for (const t of trials.slice(0, 10))
      await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: t.number });
    const seen: number[] = [];
    let pageToken = "";
    do {
      const page = await ts.api.listTrials({ experiment: "paging", pageSize: 7, pageToken });
      seen.push(...page.trials.map((t) => t.number));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual([...Array(25).keys()]);
    const complete = await ts.api.listTrials({ experiment: "paging", states: [TrialState.TRIAL_STATE_COMPLETE] });
    expect(complete.trials).toHaveLength(10);
    expect(complete.nextPageToken).toBe("");
    const mine = await ts.api.listTrials({
      experiment: "paging",
      states: [TrialState.TRIAL_STATE_RUNNING],
      workerId: "pager",
    });
    expect(mine.trials).toHaveLength(15);

    const streamed: number[] = [];
    await new Promise<void>((done, fail) => {
      const call = ts.client.streamTrials({ experiment: "paging", states: [] });
      call.on("data", (r: { trial: { number: number } }) => streamed.push(r.trial.number));
      call.on("end", () => done());
      call.on("error", fail);
    });
    expect(streamed).toEqual([...Array(25).keys()]);
  });

  it("gives 50 concurrent workers 50 distinct trials and loses nothing", async () => {
    await ts.api.createExperiment({
      experiment: { name: "crowd", space: mixedSpace(), algorithm: { name: "random", options: {} } },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ts.api.suggest({ experiment: "crowd", workerId: `w${i}` })),
    );
    const ids = results.map((r) => r.trials[0]!.id);
    const numbers = results.map((r) => r.trials[0]!.number).sort((a, b) => a - b);
    expect(new Set(ids).size).toBe(50);
    expect(numbers).toEqual([...Array(50).keys()]);
    await Promise.all(
      results.map((r, i) =>
        ts.api.report({ trialId: r.trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: i }),
      ),
    );
    const { experiment } = await ts.api.getExperiment({ name: "crowd" });
    expect(experiment!.trialCounts!.complete).toBe(50);
  });

  it("lists and deletes experiments", async () => {
    for (const n of ["ls-a", "ls-b", "ls-c"]) {
      await ts.api.createExperiment({
        experiment: {
          name: n,
          space: { parameters: [choice("c", [{ value: str("x") }, { value: str("y") }])] },
          algorithm: { name: "random", options: {} },
        },
      });
    }
    const names: string[] = [];
    let pageToken = "";
    do {
      const page = await ts.api.listExperiments({ pageSize: 2, pageToken });
      names.push(...page.experiments.map((e) => e.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(["ls-a", "ls-b", "ls-c"]));
    const { trials } = await ts.api.suggest({ experiment: "ls-b" });
    await ts.api.deleteExperiment({ name: "ls-b" });
    expect((await rejection(ts.api.getExperiment({ name: "ls-b" }))).code).toBe(status.NOT_FOUND);
    expect((await rejection(ts.api.getTrial({ trialId: trials[0]!.id }))).code).toBe(status.NOT_FOUND);
  });
});
