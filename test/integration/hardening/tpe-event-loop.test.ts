/**
 * A big TPE batch must not stall the server: while a Suggest(count = 300)
 * runs on an experiment with 20,000 trials (seconds of TPE work in all),
 * health checks on another channel keep being answered quickly. Before TPE
 * work was sliced, the whole batch ran in one turn of the event loop and a
 * health check waited for all of it; now it runs on its session thread.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TrialImport } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { createRng } from "../../../src/math/rng.js";
import { num, uniform } from "../fixtures.js";
import { startTestServer, type TestServer } from "../harness.js";
import { probeHealth } from "./health-probe.js";

let ts: TestServer;
const DIMS = 6;
const TRIALS = 20_000;

beforeAll(async () => {
  ts = await startTestServer();
  const space = { parameters: Array.from({ length: DIMS }, (_, i) => uniform(`x${i}`, 0, 1)) };
  await ts.api.createExperiment({ experiment: { name: "big", space, seed: 7 } });
  const rng = createRng(11);
  const trials: Partial<TrialImport>[] = Array.from({ length: TRIALS }, () => {
    const xs = Array.from({ length: DIMS }, () => rng.uniform());
    return {
      params: Object.fromEntries(xs.map((x, i) => [`x${i}`, num(x)])),
      loss: xs.reduce((s, x) => s + (x - 0.3) ** 2, 0),
    };
  });
  await ts.api.addTrials({ experiment: "big", trials });
  // Load and build the session once, so the timed batch is TPE work only.
  await ts.api.suggest({ experiment: "big" });
}, 120_000);
afterAll(async () => {
  await ts?.close();
});

it("answers health checks within a bound while a Suggest(count = 300) runs TPE over 20,000 trials", async () => {
  const probe = probeHealth(ts.server.address);
  const started = performance.now();
  const { trials } = await ts.api.suggest({ experiment: "big", count: 300 });
  const suggestMs = performance.now() - started;
  const latencies = await probe.stop();
  expect(trials).toHaveLength(300);
  const worst = Math.max(...latencies);
  console.log(`suggest ${suggestMs.toFixed(0)} ms; ${latencies.length} health checks, worst ${worst.toFixed(1)} ms`);
  // Before: one check waited for the whole batch; sliced on the event loop, for a TPE step (up to
  // a fifth of the batch on a loaded machine). TPE now runs on its session thread: what is left on
  // the event loop is the commit and the answer. The target is 100 ms on a quiet machine (the fault
  // suite measures it); on a busy CI machine everything slows down, so the bound here is relative
  // to the batch, with an absolute cap.
  expect(worst).toBeLessThan(suggestMs / 20);
  expect(worst).toBeLessThan(1000);
}, 120_000);
