/**
 * History deltas (history-sync.ts), as the session thread receives them: through any edits between two sends,
 * in pieces of any size, the receiver's copy becomes the sender's history (states, losses, NaN losses told from
 * none, steps, configurations, objective and constraint values), with no holes and nothing of its old copy lost
 * between pieces; only what changed travels; and a delta's buffers are what postMessage transfers.
 */
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import {
  applyDelta,
  deltaBuffers,
  type HistoryDelta,
  HistorySender,
  piece,
} from "../../src/service/runners/history-sync.js";
import { obs } from "./tpe-helpers.js";

const STATES: Observation["state"][] = ["running", "complete", "pruned", "fail", "lost"];

/** `copy` is `h`, observation by observation (configurations, values and constraints compared as arrays). */
function expectSame(copy: readonly Observation[], h: readonly Observation[]): void {
  expect(copy.length).toBe(h.length);
  const plain = (o: Observation) => ({
    ...o,
    config: Array.from(o.config),
    ...(o.values && { values: Array.from(o.values) }),
    ...(o.constraints && { constraints: Array.from(o.constraints) }),
  });
  for (let i = 0; i < h.length; i++) expect(plain(copy[i]!)).toEqual(plain(h[i]!));
}

/** A random edit of `h` as the service makes them: a trial replaced, appended, inserted, or the tail dropped. */
function edit(h: Observation[], rng: ReturnType<typeof createRng>, next: () => number): Observation[] {
  const out = h.slice();
  const r = rng.uniform();
  const fresh = (number: number) => {
    const state = STATES[Math.floor(rng.uniform() * STATES.length)]!;
    const loss = state === "complete" || (state === "pruned" && rng.uniform() < 0.5) ? rng.normal() : undefined;
    const lastStep = state === "pruned" ? Math.floor(rng.uniform() * 10) : undefined;
    const o = obs(number, state, loss, [rng.uniform(), rng.uniform(), Number.NaN], lastStep);
    // Some trials carry objective values (several objectives) and constraint values, as the service passes them.
    const values =
      state === "complete" && rng.uniform() < 0.5 ? Float64Array.of(rng.normal(), rng.normal()) : undefined;
    const constraints = rng.uniform() < 0.3 ? Float64Array.of(rng.normal()) : undefined;
    return { ...o, ...(values && { values }), ...(constraints && { constraints }) };
  };
  if (r < 0.3 && out.length > 0) {
    const i = Math.floor(rng.uniform() * out.length);
    out[i] = fresh(out[i]!.number);
  } else if (r < 0.6) for (let k = Math.floor(rng.uniform() * 50); k > 0; k--) out.push(fresh(next()));
  else if (r < 0.8 && out.length > 0) out.splice(Math.floor(rng.uniform() * out.length), 0, fresh(next()));
  else out.length = Math.floor(rng.uniform() * out.length);
  return out;
}

describe("history deltas", () => {
  it("bring the receiver's copy to the sender's history through 300 random edits, sent in random pieces", () => {
    const rng = createRng(5);
    let n = 0;
    const sender = new HistorySender();
    const copy: Observation[] = [];
    let h: Observation[] = [];
    for (let step = 0; step < 300; step++) {
      h = edit(h, rng, () => n++);
      const c = sender.changes(h);
      const size = 1 + Math.floor(rng.uniform() * 40);
      for (let from = 0; from === 0 || from < c.items.length; from += size) {
        applyDelta(copy, piece(c, from, Math.min(from + size, c.items.length)));
      }
      expect(copy.length).toBe(h.length);
      for (let i = 0; i < h.length; i++) {
        const { config, ...rest } = h[i]!;
        expect({ ...copy[i]!, config: undefined }).toEqual({ ...rest, config: undefined });
        expect(Array.from(copy[i]!.config)).toEqual(Array.from(config));
      }
    }
    // Only what changed travels: an unchanged history sends nothing.
    expect(sender.changes(h).items.length).toBe(0);
  });
});

describe("history deltas, edge by edge", () => {
  it("after each piece but the last, the copy keeps its old entries and those sent so far, with no hole", () => {
    const sender = new HistorySender();
    const copy: Observation[] = [];
    const old = Array.from({ length: 30 }, (_, i) => obs(i, "complete", i, [i / 30]));
    applyDelta(copy, piece(sender.changes(old), 0, 30));
    // Entries 3, 10..39 change (the history grows to 40); sent 5 at a time.
    const h = old.slice();
    h[3] = obs(3, "fail", undefined, [0.5]);
    for (let i = 10; i < 40; i++) h[i] = obs(i, "running", undefined, [i / 40]);
    const c = sender.changes(h);
    expect(c.before).toBe(30);
    expect(Array.from(c.index)).toEqual([3, ...Array.from({ length: 30 }, (_, k) => 10 + k)]);
    for (let from = 0; from < c.items.length; from += 5) {
      const to = Math.min(from + 5, c.items.length);
      applyDelta(copy, piece(c, from, to));
      const last = c.index[to - 1]!;
      expect(copy.length).toBe(to === c.items.length ? 40 : Math.max(30, last + 1));
      // Nothing past what was sent is changed yet; the old entries there are still whole.
      for (let i = last + 1; i < 30; i++) expect(copy[i]!.loss).toBe(i);
      for (let i = 0; i < copy.length; i++) expect(copy[i]).toBeDefined();
    }
    expectSame(copy, h);
  });

  it("a shrinking history sends its changes and the shorter length, also when nothing else changed", () => {
    const sender = new HistorySender();
    const copy: Observation[] = [];
    const h = Array.from({ length: 25 }, (_, i) => obs(i, "complete", i));
    applyDelta(copy, piece(sender.changes(h), 0, 25));
    const shorter = h.slice(0, 12);
    const c = sender.changes(shorter);
    expect(c.items).toHaveLength(0);
    applyDelta(copy, piece(c, 0, 0));
    expectSame(copy, shorter);
    // Grown again: the dropped entries travel again, even if they are the same objects.
    const c2 = sender.changes(h);
    expect(Array.from(c2.index)).toEqual(Array.from({ length: 13 }, (_, k) => 12 + k));
    applyDelta(copy, piece(c2, 0, c2.items.length));
    expectSame(copy, h);
  });

  it("tells a NaN loss from none, keeps step 0, and carries values and constraints only where they were", () => {
    const h: Observation[] = [
      { ...obs(0, "pruned", Number.NaN, [1, 2]), lastStep: 0 },
      obs(1, "pruned", undefined, [3, 4], 7),
      { ...obs(2, "complete", 0.25, [5, 6]), values: Float64Array.of(1, 2, 3), constraints: Float64Array.of(-1) },
      { ...obs(3, "complete", -0, [Number.NaN, 8]), constraints: Float64Array.of(0.5, 2) },
      { ...obs(4, "lost", undefined, []), values: Float64Array.of(9) },
    ];
    const copy: Observation[] = [];
    applyDelta(copy, piece(new HistorySender().changes(h), 0, h.length));
    expect(copy[0]!.loss).toBeNaN();
    expect(copy[0]!.lastStep).toBe(0);
    expect(copy[1]!.loss).toBeUndefined();
    expect(copy[1]!.lastStep).toBe(7);
    expect(copy.map((o) => o.state)).toEqual(["pruned", "pruned", "complete", "complete", "lost"]);
    expect(copy.map((o) => "values" in o)).toEqual([false, false, true, false, true]);
    expect(copy.map((o) => "constraints" in o)).toEqual([false, false, true, true, false]);
    expectSame(copy, h);
  });

  it("an unchanged history sends nothing; a replaced observation is sent even when equal", () => {
    const sender = new HistorySender();
    const h = Array.from({ length: 40 }, (_, i) => obs(i, "complete", i));
    // A new sender has sent nothing: the receiver's copy is whole up to length 0.
    const first = sender.changes(h);
    expect([first.before, first.length, first.items.length]).toEqual([0, 40, 40]);
    expect(sender.changes(h).items).toHaveLength(0);
    const h2 = h.slice();
    h2[17] = { ...h[17]! };
    const c = sender.changes(h2);
    expect(Array.from(c.index)).toEqual([17]);
    expect(c.before).toBe(40);
  });

  it("a delta's buffers are those postMessage transfers: the sender's arrays are detached, the receiver's copy whole", async () => {
    const h = Array.from({ length: 20 }, (_, i) => ({
      ...obs(i, "complete", i, [i, -i]),
      values: Float64Array.of(i),
      constraints: Float64Array.of(-i),
    }));
    const d = piece(new HistorySender().changes(h), 0, h.length);
    const arrays = Object.values(d).filter((v) => ArrayBuffer.isView(v)) as ArrayBufferView[];
    expect(arrays).toHaveLength(12);
    const { port1, port2 } = new MessageChannel();
    try {
      const received = new Promise<HistoryDelta>((resolve) => port2.once("message", resolve));
      port1.postMessage(d, deltaBuffers(d));
      for (const a of arrays) expect(a.byteLength).toBe(0);
      const copy: Observation[] = [];
      applyDelta(copy, await received);
      expectSame(copy, h);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
