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
