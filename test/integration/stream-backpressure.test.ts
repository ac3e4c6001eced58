/**
 * StreamTrials under clients that do not read: the server writes only as
 * fast as each client takes the messages (HTTP/2 flow control, 'drain'), so
 * many unread streams on a large experiment hold little memory and leave
 * health checks and Suggests unaffected; a cancelled stream ends its loop;
 * and more concurrent streams than the configured bound are refused with
 * RESOURCE_EXHAUSTED.
 */
import { credentials, status, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { num, uniform } from "./fixtures.js";
import { healthCheck, startTestServer, type TestServer } from "./harness.js";

const TRIALS = 10_000;
const STREAMS = 30;
/** About 1 KB of user attributes per trial, so that buffering whole streams would be plain in memory. */
const PAD = "p".repeat(1000);

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ maxStreams: STREAMS + 2 });
  await ts.api.createExperiment({
    experiment: { name: "big", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
  });
  for (let from = 0; from < TRIALS; from += 2000) {
    const trials = Array.from({ length: 2000 }, (_, i) => ({
      params: { x: num((from + i) / TRIALS) },
      loss: from + i,
      userAttrs: { pad: PAD },
    }));
    await ts.api.addTrials({ experiment: "big", trials });
  }
}, 120_000);
afterAll(async () => {
  await ts.close();
});

type Stream = ClientReadableStream<{ trial: Trial }>;

/** Opens a stream and resolves once its first message arrived, without reading further. */
function openUnread(client: OptimizerServiceClient): Promise<Stream> {
  const call = client.streamTrials({ experiment: "big", states: [] }) as Stream;
  call.on("error", () => {});
  return new Promise((ok, fail) => {
    call.once("readable", () => ok(call));
    call.once("error", fail);
  });
}

describe("StreamTrials backpressure", () => {
  it("keeps memory bounded and other calls fast while many streams go unread", async () => {
    const client = new OptimizerServiceClient(ts.server.address, credentials.createInsecure());
    try {
      const before = process.memoryUsage();
      const streams = await Promise.all(Array.from({ length: STREAMS }, () => openUnread(client)));
      let worst = 0;
      let peak = 0;
      const sample = () => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
      };
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        expect(await healthCheck(ts.server.address, "")).toBe("SERVING");
        await ts.api.suggest({ experiment: "big", workerId: "probe" });
        worst = Math.max(worst, performance.now() - t0);
        sample();
      }
      console.log(
        `unread streams: peak +${(peak / 2 ** 20).toFixed(0)} MB, worst health+Suggest ${worst.toFixed(0)} ms`,
      );
      expect(peak).toBeLessThan(100 * 1024 * 1024);
      expect(worst).toBeLessThan(1000);
      // Every stream is still open and paused: the server has not pushed whole experiments into memory.
      expect(ts.server.diagnostics().streams).toBe(STREAMS);

      for (const s of streams) s.cancel();
      await ts.server.streamsIdle();
      expect(ts.server.diagnostics().streams).toBe(0);
    } finally {
      client.close();
    }
  }, 120_000);

  it("still delivers every trial, in order, to a client that reads", async () => {
    const numbers: number[] = [];
    await new Promise<void>((done, fail) => {
      const call = ts.client.streamTrials({ experiment: "big", states: [] });
      call.on("data", (r: { trial: Trial }) => numbers.push(r.trial.number));
      call.on("end", done);
      call.on("error", fail);
    });
    expect(numbers.length).toBeGreaterThanOrEqual(TRIALS);
    expect(numbers.every((n, i) => n === i)).toBe(true);
  }, 60_000);

  it("refuses streams beyond the bound with RESOURCE_EXHAUSTED, and takes new ones once some end", async () => {
    const client = new OptimizerServiceClient(ts.server.address, credentials.createInsecure());
    try {
      const streams = await Promise.all(Array.from({ length: STREAMS + 2 }, () => openUnread(client)));
      const err = await new Promise<ServiceError>((ok) => {
        const call = client.streamTrials({ experiment: "big", states: [] });
        call.on("data", () => {});
        call.on("error", ok);
      });
      expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(err.details).toMatch(/StreamTrials.*32.*--max-streams/);
      streams.pop()!.cancel();
      await ts.server.streamsIdle(STREAMS + 1);
      const again = await openUnread(client);
      again.cancel();
      for (const s of streams) s.cancel();
      await ts.server.streamsIdle();
    } finally {
      client.close();
    }
  }, 60_000);
});
