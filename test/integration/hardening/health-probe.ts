/**
 * Times health checks on a channel of their own while something else runs,
 * for the tests that check the server keeps answering (no long CPU-bound
 * step on its event loop).
 */
import { credentials, Client } from "@grpc/grpc-js";

export interface HealthProbe {
  /** Stops probing; resolves to every latency measured, in ms (a check still in flight counts until now). */
  stop(): Promise<number[]>;
}

/**
 * Sends a health check every `intervalMs` (the next one waits for the previous answer); a check
 * unanswered after `timeoutMs` counts as that long and ends the probing (the server is stuck).
 */
export function probeHealth(address: string, intervalMs = 10, timeoutMs = 10_000): HealthProbe {
  const client = new Client(address, credentials.createInsecure());
  const latencies: number[] = [];
  let stopped = false;
  let inFlightSince: number | undefined;
  const check = () =>
    new Promise<void>((resolve, reject) => {
      inFlightSince = performance.now();
      client.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        { deadline: Date.now() + timeoutMs },
        (err) => {
          latencies.push(performance.now() - inFlightSince!);
          inFlightSince = undefined;
          if (err) reject(err);
          else resolve();
        },
      );
    });
  const loop = (async () => {
    while (!stopped) {
      await check();
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      const pending = inFlightSince;
      if (pending !== undefined) latencies.push(performance.now() - pending);
      await loop;
      client.close();
      return latencies;
    },
  };
}
