/**
 * AddTrials takes a request_id like Suggest: a retried import (the answer
 * lost to a dropped connection or a server restart) returns the trials the
 * first call imported and imports nothing twice, so clients may retry it.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { num, uniform } from "../fixtures.js";
import { rejection, startTestServer, type TestServer } from "../harness.js";

let ts: TestServer;
const space = { parameters: [uniform("x", 0, 1)] };
const trials = [0.1, 0.5, 0.9].map((x) => ({ params: { x: num(x) }, loss: x }));

beforeAll(async () => {
  ts = await startTestServer();
  await ts.api.createExperiment({ experiment: { name: "warm", space } });
  await ts.api.createExperiment({ experiment: { name: "other", space } });
}, 60_000);
afterAll(async () => {
  await ts?.close();
});

it("replays an import with the same request_id, across a restart, and imports nothing twice", async () => {
  const first = await ts.api.addTrials({ experiment: "warm", trials, requestId: "import-1" });
  expect(first.trials).toHaveLength(3);
  const again = await ts.api.addTrials({ experiment: "warm", trials, requestId: "import-1" });
  expect(again.trials.map((t) => t.id)).toEqual(first.trials.map((t) => t.id));
  await ts.restart();
  const afterRestart = await ts.api.addTrials({ experiment: "warm", trials, requestId: "import-1" });
  expect(afterRestart.trials.map((t) => t.id)).toEqual(first.trials.map((t) => t.id));
  expect((await ts.api.getExperiment({ name: "warm" })).experiment!.trialCounts!.complete).toBe(3);
  // Without an id, or with another, it is a new import.
  await ts.api.addTrials({ experiment: "warm", trials, requestId: "import-2" });
  expect((await ts.api.getExperiment({ name: "warm" })).experiment!.trialCounts!.complete).toBe(6);
}, 60_000);

it("refuses a request_id already used on another experiment", async () => {
  const err = await rejection(ts.api.addTrials({ experiment: "other", trials, requestId: "import-1" }));
  expect(err.code).toBe(status.FAILED_PRECONDITION);
  expect(err.details).toContain("import-1");
});
