/**
 * Several objectives and constraints over real gRPC (issue 20): declaring
 * objectives, reporting values and constraints, the Pareto front, GetBest's
 * refusal for several objectives and its feasibility rule, validation, and
 * single-objective calls of a client built from the contract as it was before
 * (test/fixtures/proto-v1-single-objective) working unchanged.
 */
import { credentials, loadPackageDefinition, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { status } from "@grpc/grpc-js";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const MIN = Direction.DIRECTION_MINIMIZE;
const MAX = Direction.DIRECTION_MAXIMIZE;
const OK = ReportStatus.REPORT_STATUS_OK;

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

const space = { parameters: [uniform("x", 0, 1), uniform("y", 0, 1)] };

async function create(name: string, fields: Record<string, unknown> = {}) {
  return (await ts.api.createExperiment({ experiment: { name, space, seed: 1, ...fields } })).experiment!;
}

/** Suggests one trial and reports `values` (and `constraints`) for it; returns the reported trial. */
async function tell(experiment: string, values: number[], constraints: number[] = []) {
  const [t] = (await ts.api.suggest({ experiment, workerId: "w" })).trials;
  return (await ts.api.report({ trialId: t!.id, status: OK, values, constraints })).trial!;
}

describe("a multi-objective experiment", () => {
  it("declares named objectives with directions, and keeps them across a restart", async () => {
    const exp = await create("mo", {
      objectives: [
        { name: "error", direction: MIN },
        { name: "throughput", direction: MAX },
      ],
    });
    expect(exp.objectives).toEqual([
      { name: "error", direction: MIN },
      { name: "throughput", direction: MAX },
    ]);
    expect(exp.direction).toBe(Direction.DIRECTION_UNSPECIFIED);
    // Unnamed objectives get names by position.
    const unnamed = await create("mo-unnamed", { objectives: [{ direction: MIN }, { direction: MIN }] });
    expect(unnamed.objectives.map((o) => o.name)).toEqual(["objective_0", "objective_1"]);
  });

  it("stores each trial's values, answers the Pareto front in number order, and refuses GetBest", async () => {
    // (error, throughput): error minimised, throughput maximised.
    const reported = [
      [0.5, 10], // dominated by #2
      [0.1, 1], // front: best error
      [0.4, 20], // front
      [0.2, 15], // front
      [0.3, 14], // dominated by #3
      [0.1, 1], // a duplicate of #1: also on the front
    ];
    for (const v of reported) {
      const t = await tell("mo", v);
      expect(t.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
      expect(t.values).toEqual(v);
      expect(t.loss).toBeUndefined();
    }
    const front = (await ts.api.getParetoFront({ experiment: "mo" })).trials;
    expect(front.map((t) => t.number)).toEqual([1, 2, 3, 5]);
    expect(front.map((t) => t.values)).toEqual([reported[1], reported[2], reported[3], reported[5]]);

    const err = await rejection(ts.api.getBest({ experiment: "mo" }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toBe(
      'experiment "mo" has 2 objectives, so no single best trial: call GetParetoFront for its non-dominated trials',
    );

    await ts.restart();
    const again = (await ts.api.getParetoFront({ experiment: "mo" })).trials;
    expect(again).toEqual(front);
    const { trial } = await ts.api.getTrial({ trialId: front[0]!.id });
    expect(trial!.values).toEqual(reported[1]);
  });

  it("refuses reports that do not fit its objectives, precisely", async () => {
    const [t] = (await ts.api.suggest({ experiment: "mo", workerId: "w" })).trials;
    const report = (fields: Record<string, unknown>) =>
      rejection(ts.api.report({ trialId: t!.id, status: OK, ...fields }));
    const cases: [Record<string, unknown>, string][] = [
      [{ loss: 1 }, "loss: this experiment has 2 objectives; report them as values (one per objective)"],
      [{ values: [1] }, "values: this experiment has 2 objectives, got 1 values"],
      [{}, "values: a COMPLETE trial needs 2 finite values, one per objective"],
      [{ values: [1, Number.NaN] }, "values[1]: must be finite, got NaN"],
      [{ values: [1, 2], constraints: [Number.POSITIVE_INFINITY] }, "constraints[0]: must be finite, got Infinity"],
    ];
    for (const [fields, message] of cases) {
      const err = await report(fields);
      expect(err.code, message).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toBe(message);
    }
    // Nothing was stored: the trial is still RUNNING and takes a good report.
    expect((await ts.api.report({ trialId: t!.id, status: OK, values: [0.9, 0] })).trial!.values).toEqual([0.9, 0]);
    // The same report again is idempotent; different values are refused.
    expect((await ts.api.report({ trialId: t!.id, status: OK, values: [0.9, 0] })).trial!.values).toEqual([0.9, 0]);
    expect((await rejection(ts.api.report({ trialId: t!.id, status: OK, values: [0.8, 0] }))).code).toBe(
      status.FAILED_PRECONDITION,
    );
  });

  it("refuses definitions that cannot work with several objectives", async () => {
    const two = [
      { name: "a", direction: MIN },
      { name: "b", direction: MIN },
    ];
    const cases: [Record<string, unknown>, string][] = [
      [
        { objectives: two, direction: MAX },
        "experiment.direction: an experiment with 2 objectives takes a direction per objective " +
          "(experiment.objectives[i].direction); leave experiment.direction unset",
      ],
      [{ objectives: [two[0], two[0]] }, 'experiment.objectives[1].name: "a" is used by another objective'],
      [
        { objectives: [{ name: "a", direction: 7 }, two[1]] },
        "experiment.objectives[0].direction: unknown direction 7",
      ],
      [
        { objectives: two, algorithm: { name: "gp", options: {} } },
        'experiment.algorithm: "gp" optimises one objective; an experiment with 2 objectives needs "auto", "nsga2", "random" or "tpe"',
      ],
      [
        { objectives: two, pruner: { name: "median", options: {} } },
        'experiment.pruner: "median" compares single losses and cannot prune a multi-objective experiment ' +
          "(as in Optuna); leave the pruner unset",
      ],
      [
        { objectives: two, goal: 0.1 },
        "experiment.goal: a goal is one loss to reach; a multi-objective experiment has none",
      ],
      [
        { objectives: [{ name: "a", direction: MIN }], direction: MAX },
        "experiment.direction: contradicts experiment.objectives[0].direction; set only one",
      ],
    ];
    for (const [fields, message] of cases) {
      const algorithm = { name: "random", options: {} };
      const err = await rejection(
        ts.api.createExperiment({ experiment: { name: "bad", space, algorithm, ...fields } }),
      );
      expect(err.code, message).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toBe(message);
    }
  });

  it("takes values and constraints in AddTrials", async () => {
    await create("mo-import", { objectives: [{ direction: MIN }, { direction: MIN }] });
    const params = {
      x: { kind: { $case: "doubleValue" as const, value: 0.5 } },
      y: { kind: { $case: "doubleValue" as const, value: 0.5 } },
    };
    const { trials } = await ts.api.addTrials({
      experiment: "mo-import",
      trials: [
        { params, values: [1, 2], constraints: [0] },
        { params, values: [0, 0], constraints: [1] },
      ],
    });
    expect(trials.map((t) => [t.values, t.constraints])).toEqual([
      [[1, 2], [0]],
      [[0, 0], [1]],
    ]);
    // The infeasible trial dominates but is not on the front.
    expect((await ts.api.getParetoFront({ experiment: "mo-import" })).trials.map((t) => t.values)).toEqual([[1, 2]]);
    const err = await rejection(ts.api.addTrials({ experiment: "mo-import", trials: [{ params, values: [1, 1] }] }));
    expect(err.details).toBe(
      "trials[0].constraints: this experiment's trials carry 1 constraint values; a COMPLETE trial must report them too",
    );
  });
});

describe("constraints", () => {
  it("GetBest and the front ignore infeasible trials; the count of constraints is fixed by the first report", async () => {
    await create("con");
    const a = await tell("con", [0.1], [0.5, -1]); // best loss, infeasible
    expect(a.loss).toBe(0.1);
    expect(a.constraints).toEqual([0.5, -1]);
    let err = await rejection(ts.api.getBest({ experiment: "con" }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toBe('experiment "con" has no feasible COMPLETE trial yet (every constraint value <= 0)');
    const b = await tell("con", [0.3], [0, -2]); // feasible (0 counts as met)
    await tell("con", [0.4], [-1, -1]);
    expect((await ts.api.getBest({ experiment: "con" })).trial!.id).toBe(b.id);
    expect((await ts.api.getParetoFront({ experiment: "con" })).trials.map((t) => t.id)).toEqual([b.id]);

    const [t] = (await ts.api.suggest({ experiment: "con", workerId: "w" })).trials;
    err = await rejection(ts.api.report({ trialId: t!.id, status: OK, loss: 1, constraints: [1] }));
    expect(err.details).toBe("constraints: this experiment's trials carry 2 constraint values, got 1");
    err = await rejection(ts.api.report({ trialId: t!.id, status: OK, loss: 1 }));
    expect(err.details).toBe(
      "constraints: this experiment's trials carry 2 constraint values; a COMPLETE trial must report them too",
    );
    // A failed trial needs none.
    const failed = await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_FAIL });
    expect(failed.trial!.state).toBe(TrialState.TRIAL_STATE_FAIL);

    await ts.restart();
    expect((await ts.api.getBest({ experiment: "con" })).trial!.id).toBe(b.id);
  });

  it("a goal is reached only by a feasible trial", async () => {
    await create("con-goal", { goal: 0.5, maxTrials: 100 });
    await tell("con-goal", [0.1], [1]);
    expect((await ts.api.getExperiment({ name: "con-goal" })).experiment!.completionReason).toBe(0);
    await tell("con-goal", [0.2], [-1]);
    expect((await ts.api.getExperiment({ name: "con-goal" })).experiment!.completionReason).not.toBe(0);
  });
});

describe("single-objective experiments", () => {
  it("take one value in place of the loss, answered as the loss", async () => {
    await create("so", { direction: MAX });
    const t = await tell("so", [0.7]);
    expect(t.loss).toBe(0.7);
    expect(t.values).toEqual([]);
    const [u] = (await ts.api.suggest({ experiment: "so", workerId: "w" })).trials;
    const err = await rejection(ts.api.report({ trialId: u!.id, status: OK, loss: 0.5, values: [0.6] }));
    expect(err.details).toBe("values: values[0] (0.6) differs from loss (0.5); give one of them");
    expect((await rejection(ts.api.report({ trialId: u!.id, status: OK, values: [1, 2] }))).details).toBe(
      "values: this experiment has one objective, got 2 values",
    );
    // The front of one objective: the trials tied for the best loss.
    await ts.api.report({ trialId: u!.id, status: OK, loss: 0.7 });
    expect((await ts.api.getParetoFront({ experiment: "so" })).trials.map((x) => x.number)).toEqual([0, 1]);
  });

  it("work unchanged for a client built from the contract before objectives existed", async () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures/proto-v1-single-objective");
    const def = loadSync(join(root, "parzen/v1/optimizer_service.proto"), {
      includeDirs: [root],
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    type Call = (req: unknown, cb: (err: ServiceError | null, res: Record<string, unknown>) => void) => void;
    const pkg = loadPackageDefinition(def) as unknown as {
      parzen: { v1: { OptimizerService: new (a: string, c: unknown) => Record<string, Call> & { close(): void } } };
    };
    const old = new pkg.parzen.v1.OptimizerService(ts.server.address, credentials.createInsecure());
    const call = (method: string, req: unknown) =>
      new Promise<Record<string, unknown>>((res, rej) =>
        old[method]!.call(old, req, (err, r) => (err === null ? res(r) : rej(err))),
      );
    try {
      const created = await call("CreateExperiment", {
        experiment: {
          name: "old-client",
          space: { parameters: [{ name: "x", uniform: { low: 0, high: 1 } }] },
          direction: "DIRECTION_MAXIMIZE",
          seed: 3,
        },
      });
      expect((created.experiment as { direction: string }).direction).toBe("DIRECTION_MAXIMIZE");
      const losses = [0.2, 0.9, 0.5];
      for (const loss of losses) {
        const { trials } = (await call("Suggest", { experiment: "old-client", count: 1, workerId: "old" })) as {
          trials: { id: number }[];
        };
        const { trial } = (await call("Report", { trialId: trials[0]!.id, status: "REPORT_STATUS_OK", loss })) as {
          trial: { loss: number; state: string };
        };
        expect(trial).toMatchObject({ loss, state: "TRIAL_STATE_COMPLETE" });
      }
      const best = (await call("GetBest", { experiment: "old-client" })) as { trial: { loss: number } };
      expect(best.trial.loss).toBe(0.9);
      // Re-creating it as before is the same experiment.
      const again = await call("CreateExperiment", {
        experiment: {
          name: "old-client",
          space: { parameters: [{ name: "x", uniform: { low: 0, high: 1 } }] },
          direction: "DIRECTION_MAXIMIZE",
          seed: 3,
        },
      });
      expect(again.created).toBe(false);
      // Its stored definition is what release 0.1.0 through today stored: no objectives field.
      const exp = (await ts.api.getExperiment({ name: "old-client" })).experiment!;
      expect(exp.objectives).toEqual([]);
    } finally {
      old.close();
    }
  });
});

describe("a Pareto front too large for one answer", () => {
  it("is refused whole, naming the way around it", async () => {
    const small = await startTestServer({ limits: { maxAnswerBytes: 2000 } });
    try {
      await small.api.createExperiment({ experiment: { name: "ties", space, seed: 1 } });
      const params = {
        x: { kind: { $case: "doubleValue" as const, value: 0.5 } },
        y: { kind: { $case: "doubleValue" as const, value: 0.5 } },
      };
      // Forty trials tied for the best loss: all on the front, more than 2,000 bytes.
      for (let i = 0; i < 2; i++) {
        const trials = Array.from({ length: 20 }, () => ({ params, loss: 1 }));
        await small.api.addTrials({ experiment: "ties", trials });
      }
      const err = await rejection(small.api.getParetoFront({ experiment: "ties" }));
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toBe(
        'experiment "ties": its Pareto front of 40 trials does not fit in one answer (2000 bytes); ' +
          "read the COMPLETE trials with ListTrials instead",
      );
      // A front that fits is answered.
      await small.api.createExperiment({ experiment: { name: "few", space, seed: 1 } });
      await small.api.addTrials({ experiment: "few", trials: [{ params, loss: 1 }] });
      expect((await small.api.getParetoFront({ experiment: "few" })).trials).toHaveLength(1);
    } finally {
      await small.close();
    }
  });
});
