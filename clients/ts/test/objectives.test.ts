/** Several objectives and constraints through the TypeScript client against a real Parzen. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../../test/integration/harness.js";
import { ParzenClient, ParzenError, uniform } from "../src/index.js";

let ts: TestServer;
let client: ParzenClient;
beforeAll(async () => {
  ts = await startTestServer();
  client = await ParzenClient.connect(ts.server.address, { workerId: "vitest" });
});
afterAll(async () => {
  client?.close();
  await ts?.close();
});

describe("several objectives", () => {
  it("declares objectives, reports arrays of values, and reads the Pareto front", async () => {
    const exp = await client.createExperiment({
      name: "ts-mo",
      space: [uniform("x", 0, 1)],
      objectives: [
        { name: "error", direction: "minimize" },
        { name: "throughput", direction: "maximize" },
      ],
      seed: 1,
    });
    expect(exp.objectives).toEqual([
      { name: "error", direction: "minimize" },
      { name: "throughput", direction: "maximize" },
    ]);
    const reported = [
      [0.5, 10],
      [0.1, 1],
      [0.4, 20],
      [0.3, 14],
    ];
    for (const v of reported) {
      const t = await (await exp.suggest()).report(v);
      expect(t.values).toEqual(v);
      expect(t.loss).toBeUndefined();
    }
    const front = await exp.paretoFront();
    expect(front.map((t) => t.number)).toEqual([1, 2, 3]);
    const err = await exp.best().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).message).toContain('experiment "ts-mo" has several objectives: use paretoFront()');
    await expect(
      client.createExperiment({
        name: "x",
        space: [uniform("x", 0, 1)],
        direction: "maximize",
        objectives: [{ direction: "minimize" }],
      }),
    ).rejects.toThrow("give direction or objectives, not both");
  });
});

describe("constraints", () => {
  it("reports constraints and leaves infeasible trials out of best and the front", async () => {
    const exp = await client.createExperiment({ name: "ts-con", space: [uniform("x", 0, 1)], seed: 1 });
    const bad = await (await exp.suggest()).report(0.1, {}, { constraints: [1] });
    const good = await (await exp.suggest()).report(0.5, {}, { constraints: [-1] });
    expect([bad.feasible, good.feasible]).toEqual([false, true]);
    expect(bad.constraints).toEqual([1]);
    expect(bad.values).toEqual([0.1]);
    expect((await exp.best())?.id).toBe(good.id);
    expect((await exp.paretoFront()).map((t) => t.id)).toEqual([good.id]);
    const [imported] = await exp.addTrials([{ params: { x: 0.5 }, loss: 0.2, constraints: [0] }]);
    expect(imported!.feasible).toBe(true);
    expect((await exp.best())?.id).toBe(imported!.id);
  });
});

describe("nsga2", () => {
  it("runs a bi-objective experiment with constraints, and the server checks its options", async () => {
    const exp = await client.createExperiment({
      name: "ts-nsga2",
      space: [uniform("x", 0, 1), uniform("y", 0, 1)],
      objectives: [{ direction: "minimize" }, { direction: "minimize" }],
      algorithm: "nsga2",
      options: { population_size: 4, crossover: "sbx", eta: 10 },
      seed: 2,
    });
    for (let k = 0; k < 12; k++) {
      const trial = await exp.suggest();
      const x = trial.params.x as number;
      const y = trial.params.y as number;
      expect(x >= 0 && x <= 1 && y >= 0 && y <= 1).toBe(true);
      await trial.report([x, 1 - x + y], {}, { constraints: [0.1 - x] });
    }
    const front = await exp.paretoFront();
    expect(front.length).toBeGreaterThan(0);
    expect(front.every((t) => t.feasible)).toBe(true);
    await expect(
      client.createExperiment({
        name: "ts-nsga2-bad",
        space: [uniform("x", 0, 1)],
        algorithm: "nsga2",
        options: { population_size: 1 },
      }),
    ).rejects.toThrow('nsga2 options: "population_size" Too small: expected number to be >=2');
  });
});
