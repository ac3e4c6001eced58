/**
 * The history cache is bounded: with a small trial budget, idle experiments
 * are dropped from memory and reload from SQLite on their next use, with
 * nothing lost and suggestions still reproducible.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ limits: { cacheTrials: 50 } });
});
afterAll(async () => {
  await ts.close();
});

describe("bounded history cache", () => {
  it("drops idle experiments beyond the budget and reloads them intact", async () => {
    const names = ["c0", "c1", "c2"];
    const open: Record<string, number[]> = {};
    for (const name of names) {
      await ts.api.createExperiment({
        experiment: { name, space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" }, seed: 5 },
      });
      const { trials } = await ts.api.suggest({ experiment: name, count: 30 });
      for (const t of trials.slice(0, 25))
        await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: t.number });
      open[name] = trials.slice(25).map((t) => t.id);
    }
    const stats = ts.server.optimizer.diagnostics().cache;
    expect(stats.trials).toBeLessThanOrEqual(60);
    expect(stats.experiments).toBeLessThan(3);
    // c0 was dropped: reporting one of its trials reloads it, and its history is whole.
    await ts.api.report({ trialId: open.c0![0]!, status: ReportStatus.REPORT_STATUS_OK, loss: -1 });
    const { experiment } = await ts.api.getExperiment({ name: "c0" });
    expect(experiment!.trialCounts).toMatchObject({ complete: 26, running: 4 });
    expect((await ts.api.getBest({ experiment: "c0" })).trial!.loss).toBe(-1);
    for (const name of names) {
      const { trials } = await ts.api.listTrials({ experiment: name });
      expect(trials.map((t) => t.number)).toEqual([...Array(30).keys()]);
    }
    // Numbering continues correctly after a reload.
    expect((await ts.api.suggest({ experiment: "c1" })).trials[0]!.number).toBe(30);
  });
});
