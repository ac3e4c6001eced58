/**
 * A fresh `cmaes` session (a restarted server, an evicted experiment state)
 * rebuilds CMA-ES by replaying the whole history: a generation's update and
 * eigendecomposition per λ trials, about a second of CPU for 10,000 trials in
 * 40-D. That must not hold the event loop: health checks on another channel
 * keep being answered while it runs, and what the replay suggests is exactly
 * what the same history gives in process (the session thread gets the
 * experiment's seed and the trial's number, as the in-process session does).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TrialImport } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { cmaes } from "../../../src/algorithms/cmaes/index.js";
import type { Observation } from "../../../src/algorithms/types.js";
import { createRng } from "../../../src/math/rng.js";
import { compileSpace } from "../../../src/space/compile.js";
import { num, plain, uniform } from "../fixtures.js";
import { startTestServer, type TestServer } from "../harness.js";
import { probeHealth } from "./health-probe.js";

let ts: TestServer;
const DIMS = 40;
const TRIALS = 10_000;
const SEED = 5;
const space = { parameters: Array.from({ length: DIMS }, (_, i) => uniform(`x${i}`, -5, 5)) };
const loss = (c: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += (i + 1) * (c[i]! - 1) ** 2;
  return s;
};
/** What the experiment's next trial must be: the same history run through a session in this process. */
let expected: number[];

beforeAll(async () => {
  // CMA-ES's own trials, made in process with the experiment's seed, then imported: the server's replay
  // recognises them as CMA-ES's members (they are by value), so it has every generation to rebuild.
  const session = cmaes.open(compileSpace(space), cmaes.parseOptions({}));
  const history: Observation[] = [];
  const ask = (t: number) => session.suggest(history, createRng(SEED, t), { seed: SEED, trialNumber: t });
  for (let t = 0; t < TRIALS; t++) {
    const config = ask(t);
    history.push({ number: t, config, state: "complete", loss: loss(config), lastStep: undefined });
  }
  expected = [...ask(TRIALS)];
  ts = await startTestServer();
  await ts.api.createExperiment({
    experiment: { name: "long", space, algorithm: { name: "cmaes", options: {} }, seed: SEED },
  });
  const trials: Partial<TrialImport>[] = history.map((o) => ({
    params: Object.fromEntries([...o.config].map((x, i) => [`x${i}`, num(x)])),
    loss: o.loss!,
  }));
  // In pieces: the answer lists the new trials, under the server's answer size limit.
  for (let from = 0; from < TRIALS; from += 2500) {
    await ts.api.addTrials({ experiment: "long", trials: trials.slice(from, from + 2500) });
  }
  // The import loaded the experiment's state but opened no session: the next Suggest opens one, which
  // replays all 10,000 trials, as after a restart or an eviction.
}, 300_000);
afterAll(async () => {
  await ts?.close();
});

it("answers health checks while a fresh session replays 10,000 trials in 40-D, and suggests what a live one does", async () => {
  const probe = probeHealth(ts.server.address);
  const started = performance.now();
  const { trials } = await ts.api.suggest({ experiment: "long" });
  const suggestMs = performance.now() - started;
  const latencies = await probe.stop();
  const got = Array.from({ length: DIMS }, (_, i) => plain(trials[0]!.params[`x${i}`]) as number);
  expect(trials[0]!.number).toBe(TRIALS);
  expect(got).toEqual(expected);
  const worst = Math.max(...latencies);
  console.log(
    `replay suggest ${suggestMs.toFixed(0)} ms; ${latencies.length} health checks, worst ${worst.toFixed(1)} ms`,
  );
  // The replay runs on the session thread; the event loop only sends the history and answers. Relative to
  // the replay on a busy machine, with an absolute cap.
  expect(worst).toBeLessThan(Math.max(suggestMs / 5, 50));
  expect(worst).toBeLessThan(1000);
}, 120_000);
