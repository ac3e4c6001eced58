/**
 * algorithm auto over gRPC: the rule's choice on the experiment
 * (algorithm_choice) and on each trial (proposed_by, stored), the switch from
 * the GP to CMA-ES at gp_trials, and a restarted server that continues with
 * the same choices and the same suggestions as a server that never stopped.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource } from "@parzen/client/gen/parzen/v1/trial";
import { intRange, mixedSpace, num, plain, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const space = { parameters: [uniform("x", -3, 3), intRange("k", 0, 9)] };
const options = {
  gp_trials: { kind: { $case: "intValue", value: 6 } },
  cmaes_after_gp: { kind: { $case: "boolValue", value: true } },
} as const;
const loss = (p: Record<string, unknown>) => {
  const v = (k: string) => plain(p[k] as never) as number;
  return (v("x") - 1) ** 2 + (v("k") - 4) ** 2 / 10;
};

describe("auto over gRPC", () => {
  it("shows the GP phase, then CMA-ES, on the experiment and each trial, and a restart changes nothing", async () => {
    const ts = await startTestServer();
    servers.push(ts);
    const create = (name: string) =>
      ts.api.createExperiment({ experiment: { name, space, algorithm: { name: "auto", options }, seed: 11 } });
    const created = await create("a");
    expect(created.experiment?.algorithmChoice).toEqual({
      algorithm: "gp",
      reason: "0 of the GP phase's 6 finished trials: GP",
    });
    /** Trials `from`..`to` one at a time: what each got, and who proposed it. */
    const run = async (name: string, from: number, to: number) => {
      const seen: string[] = [];
      for (let t = from; t < to; t++) {
        const { trials } = await ts.api.suggest({ experiment: name, workerId: "w" });
        const tr = trials[0]!;
        const x = plain(tr.params.x) as number;
        const k = plain(tr.params.k) as number;
        expect(x).toBeGreaterThanOrEqual(-3);
        expect(x).toBeLessThanOrEqual(3);
        expect(Number.isInteger(k) && k >= 0 && k <= 9).toBe(true);
        seen.push(`${tr.proposedBy}:${x},${k}`);
        await ts.api.report({ trialId: tr.id, status: ReportStatus.REPORT_STATUS_OK, loss: loss(tr.params) });
      }
      return seen;
    };
    const before = await run("a", 0, 9);
    expect(before.map((s) => s.split(":")[0])).toEqual([...Array(6).fill("gp"), ...Array(3).fill("cmaes")]);
    const { experiment } = await ts.api.getExperiment({ name: "a" });
    expect(experiment?.algorithmChoice?.algorithm).toBe("cmaes");
    expect(experiment?.algorithmChoice?.reason).toMatch(/^9 finished trials, no choice parameter: CMA-ES/);

    await ts.restart();
    expect((await ts.api.getExperiment({ name: "a" })).experiment?.algorithmChoice?.algorithm).toBe("cmaes");
    // What was stored survives the restart.
    const stored = (await ts.api.listTrials({ experiment: "a", pageSize: 100 })).trials.map((t) => t.proposedBy);
    expect(stored).toEqual(before.map((s) => s.split(":")[0]));
    const after = await run("a", 9, 16);
    expect(after.every((s) => s.startsWith("cmaes:"))).toBe(true);

    // The same experiment run straight through, without a restart in between.
    await create("b");
    expect(await run("b", 0, 16)).toEqual([...before, ...after]);
  });

  it("gives conditional spaces to TPE and leaves enqueued trials without a proposer", async () => {
    const ts = await startTestServer();
    servers.push(ts);
    await ts.api.createExperiment({ experiment: { name: "c", space: mixedSpace(), algorithm: { name: "auto" } } });
    await ts.api.enqueue({
      experiment: "c",
      configurations: [
        {
          params: {
            lr: num(0.01),
            layers: { kind: { $case: "intValue", value: 2 } },
            optimizer: { kind: { $case: "stringValue", value: "adam" } },
          },
        },
      ],
    });
    const { trials } = await ts.api.suggest({ experiment: "c", count: 3, workerId: "w" });
    expect(trials.map((t) => [t.source, t.proposedBy])).toEqual([
      [TrialSource.TRIAL_SOURCE_ENQUEUED, ""],
      [TrialSource.TRIAL_SOURCE_ALGORITHM, "tpe"],
      [TrialSource.TRIAL_SOURCE_ALGORITHM, "tpe"],
    ]);
    const { experiment } = await ts.api.getExperiment({ name: "c" });
    expect(experiment?.algorithmChoice).toEqual({ algorithm: "tpe", reason: "conditional parameters: TPE" });
    // Several objectives: accepted, and TPE's.
    const mo = await ts.api.createExperiment({
      experiment: { name: "mo", space, algorithm: { name: "auto" }, objectives: [{ name: "a" }, { name: "b" }] },
    });
    expect(mo.experiment?.algorithmChoice).toEqual({ algorithm: "tpe", reason: "2 objectives: TPE" });
    const moTrials = await ts.api.suggest({ experiment: "mo", count: 2, workerId: "w" });
    expect(moTrials.trials.map((t) => t.proposedBy)).toEqual(["tpe", "tpe"]);
  });

  it("names an explicit algorithm as the proposer and the choice, without a reason", async () => {
    const ts = await startTestServer();
    servers.push(ts);
    const { experiment } = await ts.api.createExperiment({
      experiment: { name: "r", space, algorithm: { name: "random" } },
    });
    expect(experiment?.algorithmChoice).toEqual({ algorithm: "random", reason: "" });
    const { trials } = await ts.api.suggest({ experiment: "r", count: 2, workerId: "w" });
    expect(trials.map((t) => t.proposedBy)).toEqual(["random", "random"]);
  });
});
