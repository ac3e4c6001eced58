/**
 * How a call's end is told (src/server/call-end.ts) where grpc-js's own call is out of reach: by the server's
 * clock alone, the deadline's own millisecond counting as passed. The reach into grpc-js, and grpc-js's
 * deadline answered before Date.now() reaches it, are tested over real gRPC in server-edges.test.ts.
 */
import { describe, expect, it } from "vitest";
import { deadlinePassed } from "../../src/server/call-end.js";

const NOW = Date.UTC(2026, 0, 1);

describe("deadlinePassed without grpc-js's call in reach", () => {
  it("goes by the clock: passed at the deadline's millisecond and after it, not a millisecond before", () => {
    const call = (deadline: Date | number) => ({ getDeadline: () => deadline });
    expect(deadlinePassed(call(NOW), NOW)).toBe(true);
    expect(deadlinePassed(call(NOW - 1), NOW)).toBe(true);
    expect(deadlinePassed(call(NOW + 1), NOW)).toBe(false);
    expect(deadlinePassed(call(new Date(NOW)), NOW)).toBe(true);
    expect(deadlinePassed(call(new Date(NOW + 1)), NOW)).toBe(false);
    // No deadline: only a client ends the call.
    expect(deadlinePassed(call(Number.POSITIVE_INFINITY), NOW)).toBe(false);
  });

  it("goes by the clock when an interceptor's call leads nowhere, even back to itself", () => {
    const loop: { nextCall?: unknown } = {};
    loop.nextCall = loop;
    for (const link of [loop, { nextCall: null }, {}, "not a call"]) {
      const before = { call: link, getDeadline: () => NOW + 1 };
      const at = { call: link, getDeadline: () => NOW };
      expect(deadlinePassed(before, NOW)).toBe(false);
      expect(deadlinePassed(at, NOW)).toBe(true);
    }
  });
});
