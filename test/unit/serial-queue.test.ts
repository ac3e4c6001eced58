import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { SerialQueue } from "../../src/service/state/serial-queue.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("SerialQueue", () => {
  it("runs tasks one at a time in arrival order, a failure not stopping the next", async () => {
    const q = new SerialQueue();
    const order: string[] = [];
    const slow = q.run(async () => {
      order.push("a starts");
      await new Promise((r) => setTimeout(r, 20));
      order.push("a ends");
      return 1;
    });
    const failing = q.run(() => {
      order.push("b");
      throw new Error("b failed");
    });
    const last = q.run(() => {
      order.push("c");
      return 3;
    });
    expect(q.idle).toBe(false);
    await expect(slow).resolves.toBe(1);
    await expect(failing).rejects.toThrow("b failed");
    await expect(last).resolves.toBe(3);
    expect(order).toEqual(["a starts", "a ends", "b", "c"]);
    expect(q.idle).toBe(true);
  });

  it("drained() resolves once every task, including ones queued meanwhile, has run", async () => {
    const q = new SerialQueue();
    await q.drained();
    const order: string[] = [];
    q.run(async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push("first");
      // Queued by a running task, as a lease expiry queues a retry.
      q.run(() => order.push("queued by first"));
    });
    q.run(() => Promise.reject(new Error("ignored"))).catch(() => undefined);
    await q.drained();
    expect(order).toEqual(["first", "queued by first"]);
    expect(q.idle).toBe(true);
  });

  it("does not keep the last task's result alive (an AddTrials answer holds thousands of trials)", async () => {
    const q = new SerialQueue();
    let ref: WeakRef<object> | undefined;
    await q.run(() => {
      const answer = { trials: new Array(10_000).fill(0) };
      ref = new WeakRef(answer);
      return answer;
    });
    await new Promise((r) => setImmediate(r));
    collectGarbage();
    expect(ref!.deref()).toBeUndefined();
  });
});

describe("SerialQueue's count", () => {
  it("counts the tasks queued or running, a failed one included, down to 0 as each settles", async () => {
    const q = new SerialQueue();
    expect([q.queued, q.idle]).toEqual([0, true]);
    let release!: () => void;
    const first = q.run(() => new Promise<void>((r) => (release = r)));
    const second = q.run(() => Promise.reject(new Error("no")));
    const third = q.run(() => 3);
    expect([q.queued, q.idle]).toEqual([3, false]);
    await new Promise((r) => setImmediate(r));
    expect(q.queued).toBe(3); // the first one runs, the others wait
    release();
    await first;
    await expect(second).rejects.toThrow("no");
    await third;
    await q.drained();
    expect([q.queued, q.idle]).toEqual([0, true]);
  });

  it("drained() waits for a task that is still running, not only for the tail at the call", async () => {
    const q = new SerialQueue();
    let done = false;
    let release!: () => void;
    void q.run(async () => {
      await new Promise<void>((r) => (release = r));
      done = true;
    });
    const drained = q.drained().then(() => done);
    await new Promise((r) => setImmediate(r));
    release();
    expect(await drained).toBe(true);
  });
});
