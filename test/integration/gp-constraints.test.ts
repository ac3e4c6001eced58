/**
 * The GP with constraints over real gRPC (issue 20): on the 4-D sphere
 * subject to sum(x) ≥ 2 (feasible optimum 1 at x_i = 0.5), reported as the
 * constraint 2 − sum(x) ≤ 0, the GP's suggestions after its startup trials
 * are feasible more often than random search's and find a better feasible
 * value, seed by seed; and the GP still refuses several objectives.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { int, plain, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const OK = ReportStatus.REPORT_STATUS_OK;
const MIN = Direction.DIRECTION_MINIMIZE;
const D = 4;
const STARTUP = 10;
const TRIALS = 34;

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

const space = { parameters: Array.from({ length: D }, (_, i) => uniform(`x${i}`, -5, 5)) };

interface Run {
  /** Share of feasible suggestions after the startup trials. */
  feasibleShare: number;
  bestFeasible: number;
}

async function run(algorithm: "gp" | "random", seed: number): Promise<Run> {
  const name = `csphere-${algorithm}-${seed}`;
  const options = algorithm === "gp" ? { n_startup_trials: int(STARTUP) } : {};
  await ts.api.createExperiment({ experiment: { name, space, seed, algorithm: { name: algorithm, options } } });
  let feasibleAfterStartup = 0;
  let bestFeasible = Number.POSITIVE_INFINITY;
  for (let t = 0; t < TRIALS; t++) {
    const [trial] = (await ts.api.suggest({ experiment: name, workerId: "w" })).trials;
    const x = Array.from({ length: D }, (_, i) => plain(trial!.params[`x${i}`]) as number);
    const loss = x.reduce((a, v) => a + v * v, 0);
    const c = 2 - x.reduce((a, v) => a + v, 0);
    await ts.api.report({ trialId: trial!.id, status: OK, loss, constraints: [c] });
    if (c <= 0) {
      bestFeasible = Math.min(bestFeasible, loss);
      if (t >= STARTUP) feasibleAfterStartup++;
    }
  }
  // GetBest agrees: the best FEASIBLE trial.
  const best = (await ts.api.getBest({ experiment: name })).trial;
  if (Number.isFinite(bestFeasible)) expect(best?.loss).toBe(bestFeasible);
  return { feasibleShare: feasibleAfterStartup / (TRIALS - STARTUP), bestFeasible };
}

describe("gp with constraints over gRPC", () => {
  for (const seed of [1, 2]) {
    it(
      `beats random search on feasibility and on the best feasible value (seed ${seed})`,
      { timeout: 240_000 },
      async () => {
        const gp = await run("gp", seed);
        const random = await run("random", seed);
        expect(gp.feasibleShare, JSON.stringify({ gp, random })).toBeGreaterThan(random.feasibleShare);
        expect(gp.feasibleShare).toBeGreaterThanOrEqual(0.7);
        expect(gp.bestFeasible, JSON.stringify({ gp, random })).toBeLessThan(random.bestFeasible);
      },
    );
  }

  it("refuses an experiment with several objectives, saying which algorithms take one", async () => {
    const err = await rejection(
      ts.api.createExperiment({
        experiment: {
          name: "gp-two",
          space,
          algorithm: { name: "gp", options: {} },
          objectives: [
            { name: "a", direction: MIN },
            { name: "b", direction: MIN },
          ],
        },
      }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(
      /^experiment\.algorithm: "gp" optimises one objective; an experiment with 2 objectives needs "auto", "nsga2", "random" or "tpe"$/,
    );
    expect(err.details).toContain('"tpe"');
  });
});
