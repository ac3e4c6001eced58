/**
 * How a call's end is told (src/server/call-end.ts), on stand-ins for grpc-js's calls: by the server's clock
 * (the deadline's own millisecond counting as passed) wherever grpc-js's stream is out of reach or sent no
 * DEADLINE_EXCEEDED, and by that status, over the clock, through a bounded chain of interceptors' calls. The
 * reach into grpc-js's real calls, and its deadline answered before Date.now() reaches it, are tested over real
 * gRPC in server-edges.test.ts.
 */
import { describe, expect, it } from "vitest";
import { deadlinePassed } from "../../src/server/call-end.js";

const NOW = Date.UTC(2026, 0, 1);

describe("deadlinePassed", () => {
  it("goes by the clock without grpc-js's call: passed at the deadline's millisecond and after it, not before", () => {
    const call = (deadline: Date | number) => ({ getDeadline: () => deadline });
    expect(deadlinePassed(call(NOW), NOW)).toBe(true);
    expect(deadlinePassed(call(NOW - 1), NOW)).toBe(true);
    expect(deadlinePassed(call(NOW + 1), NOW)).toBe(false);
    expect(deadlinePassed(call(new Date(NOW)), NOW)).toBe(true);
    expect(deadlinePassed(call(new Date(NOW + 1)), NOW)).toBe(false);
    // No deadline: only a client ends the call.
    expect(deadlinePassed(call(Number.POSITIVE_INFINITY), NOW)).toBe(false);
  });

  it("goes by the clock when the calls lead to no stream, even back to themselves, or the stream sent no deadline", () => {
    const loop: { nextCall?: unknown } = {};
    loop.nextCall = loop;
    const deadEnds = [
      loop,
      { nextCall: null },
      {},
      "not a call",
      { stream: null },
      { stream: {} },
      { stream: { sentHeaders: null, sentTrailers: null } },
      // An answer complete: its trailers carry OK.
      { stream: { sentHeaders: { ":status": 200 }, sentTrailers: { "grpc-status": 0 } } },
    ];
    for (const link of deadEnds) {
      const before = { call: link, getDeadline: () => NOW + 1 };
      const at = { call: link, getDeadline: () => NOW };
      expect(deadlinePassed(before, NOW)).toBe(false);
      expect(deadlinePassed(at, NOW)).toBe(true);
    }
  });

  it("takes grpc-js's own DEADLINE_EXCEEDED over the clock, through up to 15 interceptors' calls", () => {
    const base = { stream: { sentHeaders: { ":status": 200, "grpc-status": 4 } } };
    const through = (interceptors: number) => {
      let link: object = base;
      for (let i = 0; i < interceptors; i++) link = { nextCall: link };
      return { call: link, getDeadline: () => NOW + 1 };
    };
    expect(deadlinePassed(through(0), NOW)).toBe(true);
    expect(deadlinePassed(through(15), NOW)).toBe(true);
    // Further is no server's chain: the clock decides.
    expect(deadlinePassed(through(16), NOW)).toBe(false);
  });
});
