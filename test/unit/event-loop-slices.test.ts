/**
 * EventLoopSlices (runners/event-loop-slices.ts): in-process algorithm work runs at once until it has held the
 * current turn of the event loop for `sliceMs`, from that very millisecond waits until I/O had its turn, and a new
 * turn starts a new slice. The clock is performance.now, read here through a spy so the edges are exact.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventLoopSlices } from "../../src/service/runners/event-loop-slices.js";

let clock = 1_000;
afterEach(() => {
  vi.restoreAllMocks();
});
function fakeClock(): void {
  clock = 1_000;
  vi.spyOn(performance, "now").mockImplementation(() => clock);
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("EventLoopSlices", () => {
  it("runs work at once until it has held the turn for sliceMs, then from that millisecond on waits", async () => {
    fakeClock();
    const slices = new EventLoopSlices(10);
    expect(slices.turn()).toBeUndefined(); // a lone short suggestion never waits
    clock += 9.999;
    expect(slices.turn()).toBeUndefined();
    clock = 1_010;
    const wait = slices.turn();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
  });

  it("starts a new slice in the next turn of the loop", async () => {
    fakeClock();
    const slices = new EventLoopSlices(10);
    expect(slices.turn()).toBeUndefined();
    clock += 50;
    await immediate();
    // The loop turned: the work that comes now has a slice of its own.
    expect(slices.turn()).toBeUndefined();
    clock += 5;
    expect(slices.turn()).toBeUndefined();
    clock += 5;
    expect(slices.turn()).toBeInstanceOf(Promise);
  });

  it("lets I/O queued before the wait run first, and resumes with a fresh slice", async () => {
    fakeClock();
    const slices = new EventLoopSlices(10);
    slices.turn();
    clock += 20;
    const order: string[] = [];
    setImmediate(() => order.push("io"));
    const wait = slices.turn()!;
    expect(wait).toBeInstanceOf(Promise);
    await wait.then(() => order.push("work"));
    expect(order).toEqual(["io", "work"]);
    // Resumed work has the rest of a new slice, timed from its resumption.
    clock += 9;
    expect(slices.turn()).toBeUndefined();
    clock += 1;
    expect(slices.turn()).toBeInstanceOf(Promise);
  });

  it("with a slice of 0, waits on every call after the first in a turn", () => {
    fakeClock();
    const slices = new EventLoopSlices(0);
    expect(slices.turn()).toBeUndefined();
    expect(slices.turn()).toBeInstanceOf(Promise);
  });
});
