/** Parameter importance (GetImportance) through the TypeScript client, on a problem whose important parameter is known. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../../test/integration/harness.js";
import { ParzenClient, choice, uniform } from "../src/index.js";

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

it("ranks the parameter that decides the loss first", async () => {
  const exp = await client.createExperiment({
    name: "importance",
    space: [uniform("x", -1, 1), uniform("noise", 0, 1), choice("opt", ["a", "b"])],
    algorithm: "random",
    seed: 5,
  });
  expect((await exp.importance()).map((p) => p.importance)).toEqual([0, 0, 0]);
  for (let i = 0; i < 150; i++) {
    const t = await exp.suggest();
    await t.report(10 * (t.params.x as number) ** 2);
  }
  const imp = await exp.importance();
  expect(imp.map((p) => p.name).sort()).toEqual(["noise", "opt", "x"]);
  expect(imp[0]!.name).toBe("x");
  expect(imp[0]!.importance).toBeGreaterThan(0.8);
  expect(imp.reduce((a, p) => a + p.importance, 0)).toBeCloseTo(1, 9);
});
