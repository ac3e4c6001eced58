/**
 * Idle and abusive connections: a connection without calls is closed after
 * the configured idle time (a half-open or forgotten connection does not
 * live forever), one with a call in flight is not; the server pings its
 * clients (keepalive) so that a vanished peer is noticed; and it caps the
 * concurrent streams of one connection in its HTTP/2 settings.
 */
import { connect, type ClientHttp2Session } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({
    connections: { idleTimeoutMs: 400, keepaliveMs: 150, keepaliveTimeoutMs: 5000, maxStreamsPerConnection: 7 },
  });
});
afterAll(async () => {
  await ts.close();
});

function session(): Promise<ClientHttp2Session> {
  const s = connect(`http://${ts.server.address}`);
  s.on("error", () => {});
  return new Promise((ok) => s.once("remoteSettings", () => ok(s)));
}

/** Resolves with the milliseconds until the server closed `s` (GOAWAY or close), or fails after `limitMs`. */
function closedWithin(s: ClientHttp2Session, limitMs: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`connection still open after ${limitMs} ms`)), limitMs);
    const done = () => {
      clearTimeout(timer);
      ok(performance.now() - t0);
    };
    s.once("goaway", done);
    s.once("close", done);
  });
}

describe("connections", () => {
  it("closes a connection that has been idle for the configured time", async () => {
    const s = await session();
    const ms = await closedWithin(s, 5000);
    expect(ms).toBeGreaterThanOrEqual(300);
    s.destroy();
  });

  it("keeps a connection with a call in flight open past the idle time", async () => {
    const s = await session();
    // A health Watch stays open until cancelled: a call in flight.
    const stream = s.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Watch",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => {});
    // An empty HealthCheckRequest: a zero flag byte and a zero length.
    stream.write(Buffer.alloc(5));
    stream.end();
    await new Promise((ok) => stream.once("response", ok));
    await expect(closedWithin(s, 1200)).rejects.toThrow(/still open/);
    stream.close();
    s.destroy();
  });

  it("pings its clients (keepalive)", async () => {
    const s = await session();
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("no ping")), 3000);
      s.once("ping", () => {
        clearTimeout(timer);
        ok();
      });
    });
    s.destroy();
  });

  it("caps the concurrent streams of one connection", async () => {
    const s = await session();
    expect(s.remoteSettings.maxConcurrentStreams).toBe(7);
    s.destroy();
  });
});
