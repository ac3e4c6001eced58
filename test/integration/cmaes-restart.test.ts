/**
 * algorithm cmaes over gRPC: its state lives only in the trials, so an
 * experiment continued by a restarted server suggests exactly what an
 * identical experiment run on without a restart does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { intRange, plain, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

describe("cmaes over gRPC", () => {
  it("continues across a server restart exactly as without one, with two workers", async () => {
    const ts = await startTestServer();
    servers.push(ts);
    const space = { parameters: [uniform("x", -3, 3), uniform("y", -3, 3), intRange("k", 0, 9)] };
    for (const name of ["a", "b"]) {
      await ts.api.createExperiment({
        experiment: { name, space, algorithm: { name: "cmaes", options: {} }, seed: 42 },
      });
    }
    const loss = (p: Record<string, unknown>) => {
      const v = (k: string) => plain(p[k] as never) as number;
      return (v("x") - 1) ** 2 + (v("y") + 0.5) ** 2 + (v("k") - 4) ** 2 / 10;
    };
    /** 24 trials, two at a time, the second of each pair reported first. */
    const run = async (name: string, from: number, to: number) => {
      const seen: string[] = [];
      for (let t = from; t < to; t += 2) {
        const { trials } = await ts.api.suggest({ experiment: name, count: 2, workerId: "w" });
        for (const tr of [...trials].reverse()) {
          seen.push(JSON.stringify(Object.keys(tr.params).map((k) => plain(tr.params[k]))));
          await ts.api.report({ trialId: tr.id, status: ReportStatus.REPORT_STATUS_OK, loss: loss(tr.params) });
        }
      }
      return seen;
    };
    const a1 = await run("a", 0, 24);
    const b1 = await run("b", 0, 24);
    expect(a1).toEqual(b1);
    await ts.restart();
    const a2 = await run("a", 24, 40);
    // The same experiment run straight through, without a restart in between.
    await ts.api.createExperiment({
      experiment: { name: "c", space, algorithm: { name: "cmaes", options: {} }, seed: 42 },
    });
    const c = await run("c", 0, 40);
    expect([...a1, ...a2]).toEqual(c);
    expect(new Set(c).size).toBe(40);
  });
});
