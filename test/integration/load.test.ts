/**
 * Load smoke test: a few seconds of 48 concurrent workers, each on its own
 * channel, doing suggest -> report cycles on a random-search experiment.
 * Zero errors, zero trials handed out twice, and every report stored. No
 * throughput assertion here (the machine is shared); `npm run bench` measures
 * throughput and latency.
 */
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { uniform, intRange } from "./fixtures.js";
import { promisify, startTestServer, type TestServer } from "./harness.js";

const WORKERS = 48;
const RUN_MS = 3_000;

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

describe("load smoke", () => {
  it(`${WORKERS} concurrent workers: no errors, no duplicate trials, nothing lost`, async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "load",
        space: { parameters: [uniform("x", -5, 5), intRange("n", 1, 100)] },
        algorithm: { name: "random", options: {} },
      },
    });
    const seen = new Map<number, number>(); // trial id -> times handed out
    const errors: unknown[] = [];
    let cycles = 0;
    const end = Date.now() + RUN_MS;
    const worker = async (w: number) => {
      // A channel per worker, like separate processes; the option keeps grpc-js from sharing one connection.
      const client = new OptimizerServiceClient(ts.server.address, credentials.createInsecure(), {
        "parzen.test_worker": w,
      } as object);
      const api = promisify(client);
      try {
        while (Date.now() < end) {
          const { trials } = await api.suggest({ experiment: "load", workerId: `w${w}` });
          for (const t of trials) seen.set(t.id, (seen.get(t.id) ?? 0) + 1);
          const t = trials[0]!;
          await api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: (t.number % 97) / 10 });
          cycles++;
        }
      } catch (err) {
        errors.push(err);
      } finally {
        client.close();
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    expect(errors).toEqual([]);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    expect(cycles).toBeGreaterThan(WORKERS);
    const counts = (await ts.api.getExperiment({ name: "load" })).experiment!.trialCounts!;
    expect(counts.complete).toBe(cycles);
    expect(counts.running).toBe(0);
    const numbers = (await ts.api.listTrials({ experiment: "load", pageSize: 10_000 })).trials.map((t) => t.number);
    expect(numbers).toEqual(Array.from({ length: cycles }, (_, i) => i));
  }, 60_000);
});
