/**
 * The server's bounds and fairness on their own (docs/reliability.md): the StreamTrials bound (RESOURCE_EXHAUSTED
 * at exactly --max-streams, a slot given back once however often its release is called, waiters woken when few
 * enough streams are open), turns on the event loop one per waiter in arrival order, and the connection limits
 * as grpc-js options (the age and its grace only when an age is set).
 */
import { describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { connectionOptions, DEFAULT_CONNECTION_LIMITS } from "../../src/server/connections.js";
import { DEFAULT_MAX_STREAMS, StreamGate } from "../../src/server/stream-gate.js";
import { Turns } from "../../src/server/turns.js";

/** Whether `p` has settled after the microtasks queued so far (and one macrotask turn) ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
}

describe("StreamGate", () => {
  it("admits exactly max streams and refuses the next with RESOURCE_EXHAUSTED naming the limit", () => {
    expect(DEFAULT_MAX_STREAMS).toBe(256);
    expect(new StreamGate().max).toBe(256);
    const gate = new StreamGate(2);
    const a = gate.enter();
    gate.enter();
    expect(gate.count).toBe(2);
    let err: unknown;
    try {
      gate.enter();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("RESOURCE_EXHAUSTED");
    expect((err as ParzenError).message).toBe(
      "too many concurrent StreamTrials calls: this server allows 2 (--max-streams); retry once one finishes, or page through ListTrials",
    );
    expect(gate.count).toBe(2);
    a();
    expect(gate.count).toBe(1);
    gate.enter();
    expect(gate.count).toBe(2);
  });

  it("a slot is given back once, however often its release is called", () => {
    const gate = new StreamGate(3);
    const a = gate.enter();
    gate.enter();
    a();
    a();
    a();
    expect(gate.count).toBe(1);
  });

  it("idle(n) resolves at once with at most n open, else when the count falls to n", async () => {
    const gate = new StreamGate(5);
    await expect(settled(gate.idle())).resolves.toBe(true);
    const releases = [gate.enter(), gate.enter(), gate.enter()];
    await expect(settled(gate.idle(3))).resolves.toBe(true);
    const toOne = gate.idle(1);
    const toZero = gate.idle();
    const toTwo = gate.idle(2);
    expect(await settled(toTwo)).toBe(false);
    releases[0]!();
    expect(await settled(toTwo)).toBe(true);
    expect(await settled(toOne)).toBe(false);
    releases[1]!();
    expect(await settled(toOne)).toBe(true);
    expect(await settled(toZero)).toBe(false);
    releases[2]!();
    expect(await settled(toZero)).toBe(true);
    expect(gate.count).toBe(0);
  });

  it("a repeated release does not wake a waiter early", async () => {
    const gate = new StreamGate(5);
    const a = gate.enter();
    gate.enter();
    const zero = gate.idle(0);
    a();
    a();
    expect(await settled(zero)).toBe(false);
    expect(gate.count).toBe(1);
  });
});

describe("Turns", () => {
  it("lets waiters go one per loop turn, in arrival order", async () => {
    const turns = new Turns();
    const order: string[] = [];
    const a = turns.take().then(() => order.push("a"));
    const b = turns.take().then(() => order.push("b"));
    const c = turns.take().then(() => order.push("c"));
    // A setImmediate queued now runs in the same turn as the first waiter's, before the second one's.
    setImmediate(() => order.push("immediate"));
    await Promise.all([a, b, c]);
    expect(order).toEqual(["a", "immediate", "b", "c"]);
  });

  it("a waiter arriving later still gets its own turn", async () => {
    const turns = new Turns();
    await turns.take();
    let second = false;
    const p = turns.take().then(() => {
      second = true;
    });
    expect(second).toBe(false);
    await p;
    expect(second).toBe(true);
  });

  it("schedules nothing once its waiters are gone: an idle Turns keeps no loop turn busy", async () => {
    const turns = new Turns();
    const immediates = () => process.getActiveResourcesInfo().filter((r) => r === "Immediate").length;
    const before = immediates();
    await Promise.all([turns.take(), turns.take()]);
    // Two turns on: one for the immediate that let the last waiter go to end, one more for any it queued.
    for (let i = 0; i < 2; i++) await new Promise((ok) => setImmediate(ok));
    expect(immediates()).toBe(before);
  });
});

describe("connection limits as grpc-js options", () => {
  it("defaults: 5 min idle, 60 s keepalive with 20 s to answer, no age, 256 streams per connection", () => {
    expect(DEFAULT_CONNECTION_LIMITS).toEqual({
      idleTimeoutMs: 300_000,
      keepaliveMs: 60_000,
      keepaliveTimeoutMs: 20_000,
      maxAgeMs: 0,
      maxStreamsPerConnection: 256,
    });
    expect(connectionOptions()).toEqual({
      "grpc.max_connection_idle_ms": 300_000,
      "grpc.keepalive_time_ms": 60_000,
      "grpc.keepalive_timeout_ms": 20_000,
      "grpc.max_concurrent_streams": 256,
    });
  });

  it("each limit given overrides its default; an age brings a 60 s grace", () => {
    expect(
      connectionOptions({
        idleTimeoutMs: 1,
        keepaliveMs: 2,
        keepaliveTimeoutMs: 3,
        maxAgeMs: 4,
        maxStreamsPerConnection: 5,
      }),
    ).toEqual({
      "grpc.max_connection_idle_ms": 1,
      "grpc.keepalive_time_ms": 2,
      "grpc.keepalive_timeout_ms": 3,
      "grpc.max_concurrent_streams": 5,
      "grpc.max_connection_age_ms": 4,
      "grpc.max_connection_age_grace_ms": 60_000,
    });
    expect(connectionOptions({ maxAgeMs: 1 })["grpc.max_connection_age_ms"]).toBe(1);
    expect(connectionOptions({ maxAgeMs: 0 })).not.toHaveProperty("grpc.max_connection_age_ms");
  });
});
