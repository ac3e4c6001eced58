/** The example program (examples/ts/tune.ts) end to end with a tiny budget, against a real server. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { main } from "../../../examples/ts/tune.js";
import { startTestServer, type TestServer } from "../../../test/integration/harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.close();
});

it("tunes ridge regression for a few trials and resumes the same experiment", async () => {
  const lines: string[] = [];
  const first = await main({ address: ts.server.address, trials: 6, log: (l) => lines.push(l) });
  expect(first.trials).toBe(6);
  expect(Number.isFinite(first.loss)).toBe(true);
  expect(first.loss).toBeGreaterThan(0);
  expect(["poly", "rbf"]).toContain(first.params.basis);
  expect(lines[0]).toContain("(new)");
  expect(lines.filter((l) => l.startsWith("trial "))).toHaveLength(6);

  const again = await main({ address: ts.server.address, trials: 2, log: (l) => lines.push(l) });
  expect(lines).toContain("experiment ridge-example (resumed)");
  expect(again.loss).toBeLessThanOrEqual(first.loss);
});
