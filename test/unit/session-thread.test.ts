/**
 * TPE's sessions on their own thread (session-thread.ts), fed the history by
 * deltas (history-sync.ts, whose own tests are history-sync.test.ts): the
 * suggestions are exactly those of the algorithm run in process on the same
 * history and rng; the thread's failures answer precisely, and close() too.
 */
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import type { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { tpe } from "../../src/algorithms/tpe/index.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import {
  dropSession,
  runSuggestJob,
  type SessionHolder,
  type SuggestJob,
} from "../../src/service/runners/algorithm-runner.js";
import { SessionThread } from "../../src/service/runners/session-thread.js";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { compileSpace } from "../../src/space/compile.js";
import { everyKind, obs } from "./tpe-helpers.js";

describe("a session on the session thread", () => {
  const thread = new SessionThread();
  afterAll(() => thread.close());

  it("suggests exactly what the algorithm does in process, over a history edited between suggestions", async () => {
    const space = compileSpace(everyKind);
    const options = tpe.parseOptions({});
    const memos = createSharedMemos();
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    const history: Observation[] = [];
    const rng = createRng(17);
    for (let t = 0; t < 60; t++) {
      const job: SuggestJob = { algorithm: "tpe", options, space, history: history.slice(), seed: 3, trialNumber: t };
      const remote = await thread.suggest(job, holder);
      expect(Array.from(remote)).toEqual(Array.from(runSuggestJob(job, memos)));
      // Running first, finished later (as a worker reports it), sometimes failing.
      history.push({ number: t, config: remote, state: "running", loss: undefined, lastStep: undefined });
      if (t > 2) {
        const i = t - 3;
        const failed = rng.uniform() < 0.2;
        history[i] = { ...history[i]!, state: failed ? "fail" : "complete", loss: failed ? undefined : rng.normal() };
      }
    }
  }, 60_000);

  it("suggests what the algorithm does in process for several objectives and constraints", async () => {
    const space = compileSpace(everyKind);
    const options = tpe.parseOptions({});
    const memos = createSharedMemos();
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    const history: Observation[] = [];
    const rng = createRng(23);
    for (let t = 0; t < 40; t++) {
      const job: SuggestJob = { algorithm: "tpe", options, space, history: history.slice(), seed: 4, trialNumber: t };
      const remote = await thread.suggest(job, holder);
      expect(Array.from(remote)).toEqual(Array.from(runSuggestJob(job, memos)));
      history.push({
        number: t,
        config: remote,
        state: "complete",
        loss: undefined,
        lastStep: undefined,
        values: Float64Array.of(rng.uniform(), rng.uniform()),
        constraints: Float64Array.of(rng.normal()),
      });
    }
  }, 60_000);

  it("opens a new session for a holder whose session was released, suggesting the same", async () => {
    const space = compileSpace(everyKind);
    const options = tpe.parseOptions({});
    const history = Array.from({ length: 40 }, (_, i) =>
      obs(
        i,
        "complete",
        Math.sin(i),
        Array.from({ length: space.params.length }, () => 0.5),
      ),
    );
    const job: SuggestJob = { algorithm: "tpe", options, space, history, seed: 9, trialNumber: 40 };
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    const first = await thread.suggest(job, holder);
    const handle = holder.threadSession!;
    handle.release();
    holder.threadSession = undefined;
    expect(Array.from(await thread.suggest(job, holder))).toEqual(Array.from(first));
    expect(holder.threadSession).not.toBe(handle);
  }, 60_000);

  it("answers UNAVAILABLE when its thread dies mid-suggestion, then suggests the same on a new one", async () => {
    const space = compileSpace(everyKind);
    const options = tpe.parseOptions({});
    const memos = createSharedMemos();
    const rng = createRng(2);
    const history = Array.from({ length: 3000 }, (_, i) => ({
      number: i,
      config: runSuggestJob({ algorithm: "random", options: {}, space, history: [], seed: 1, trialNumber: i }, memos),
      state: "complete" as const,
      loss: rng.normal(),
      lastStep: undefined,
    }));
    const job: SuggestJob = { algorithm: "tpe", options, space, history, seed: 4, trialNumber: 3000 };
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    const pending = thread.suggest(job, holder);
    await (thread as unknown as { worker: Worker }).worker.terminate();
    await expect(pending).rejects.toMatchObject({ code: "UNAVAILABLE" });
    const again = await thread.suggest(job, holder);
    expect(Array.from(again)).toEqual(Array.from(runSuggestJob(job, memos)));
  }, 60_000);

  it("sends a long history in pieces, in order even when a second suggestion follows at once", async () => {
    const space = compileSpace({ parameters: everyKind.parameters.slice(0, 3) });
    const options = tpe.parseOptions({});
    const memos = createSharedMemos();
    const rng = createRng(8);
    const random = { algorithm: "random", options: {}, space, history: [], seed: 5 };
    const history: Observation[] = Array.from({ length: 25_000 }, (_, i) => ({
      number: i,
      config: runSuggestJob({ ...random, trialNumber: i }, memos),
      state: "complete" as const,
      loss: rng.normal(),
      lastStep: undefined,
    }));
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    const first: SuggestJob = {
      algorithm: "tpe",
      options,
      space,
      history: history.slice(),
      seed: 6,
      trialNumber: 25_000,
    };
    const pendingFirst = thread.suggest(first, holder);
    history[7] = { ...history[7]!, loss: -100 };
    const second: SuggestJob = { ...first, history: history.slice(), trialNumber: 25_001 };
    const pendingSecond = thread.suggest(second, holder);
    expect(Array.from(await pendingFirst)).toEqual(Array.from(runSuggestJob(first, memos)));
    expect(Array.from(await pendingSecond)).toEqual(Array.from(runSuggestJob(second, memos)));
  }, 120_000);

  it("packs a long history's pieces each in a turn of its own, so other work runs between them", async () => {
    const space = compileSpace({ parameters: everyKind.parameters.slice(0, 2) });
    const memos = createSharedMemos();
    const random = { algorithm: "random", options: {}, space, history: [], seed: 3 };
    const history: Observation[] = Array.from({ length: 25_000 }, (_, i) => ({
      number: i,
      config: runSuggestJob({ ...random, trialNumber: i }, memos),
      state: "complete" as const,
      loss: Math.sin(i),
      lastStep: undefined,
    }));
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const job: SuggestJob = {
        algorithm: "tpe",
        options: tpe.parseOptions({}),
        space,
        history,
        seed: 2,
        trialNumber: 0,
      };
      const pending = own.suggest(job, holder);
      const worker = (own as unknown as { worker: Worker }).worker;
      const kinds: string[] = [];
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (msg: unknown, transfer?: Parameters<Worker["postMessage"]>[1]) => {
        kinds.push((msg as { type: string }).type);
        post(msg, transfer);
      };
      // Scheduled before the first piece is packed: it runs after that piece and before the rest.
      const seenBetween = new Promise<string[]>((resolve) => setImmediate(() => resolve(kinds.slice())));
      expect(await seenBetween).toEqual(["sync"]);
      expect(Array.from(await pending)).toEqual(Array.from(runSuggestJob(job, memos)));
      expect(kinds).toEqual(["sync", "sync", "suggest"]);
    } finally {
      await own.close();
    }
  }, 120_000);

  it("answers the thread's error with its code, and opens a new session for the holder's next suggestion", async () => {
    const space = compileSpace(everyKind);
    const memos = createSharedMemos();
    const options = tpe.parseOptions({});
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    const bad: SuggestJob = { algorithm: "nope", options, space, history: [], seed: 1, trialNumber: 0 };
    await expect(thread.suggest(bad, holder)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/^algorithm: unknown algorithm "nope"/),
    });
    // Whatever the thread kept of it may be half made: the holder's next suggestion opens a session afresh.
    expect(holder.threadSession).toBeUndefined();
    const good: SuggestJob = { algorithm: "tpe", options, space, history: [], seed: 1, trialNumber: 0 };
    expect(Array.from(await thread.suggest(good, holder))).toEqual(Array.from(runSuggestJob(good, memos)));
    expect(holder.threadSession).toBeDefined();
    // An error of another kind (options the algorithm cannot read) is INTERNAL, with its message.
    const odd: SuggestJob = { ...good, options: undefined, trialNumber: 1 };
    const other: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    await expect(thread.suggest(odd, other)).rejects.toMatchObject({
      code: "INTERNAL",
      message: expect.stringMatching(/Cannot read properties of undefined/),
    });
    // The first holder's session is not affected by the other's failure.
    const next: SuggestJob = { ...good, trialNumber: 1 };
    const held = holder.threadSession;
    expect(Array.from(await thread.suggest(next, holder))).toEqual(Array.from(runSuggestJob(next, memos)));
    expect(holder.threadSession).toBe(held);
  }, 60_000);

  it("says how the thread stopped when it dies mid-suggestion", async () => {
    const space = compileSpace(everyKind);
    const memos = createSharedMemos();
    const history = Array.from({ length: 2000 }, (_, i) => ({
      number: i,
      config: runSuggestJob({ algorithm: "random", options: {}, space, history: [], seed: 1, trialNumber: i }, memos),
      state: "complete" as const,
      loss: Math.sin(i),
      lastStep: undefined,
    }));
    const job: SuggestJob = {
      algorithm: "tpe",
      options: tpe.parseOptions({}),
      space,
      history,
      seed: 2,
      trialNumber: 2000,
    };
    const own = new SessionThread();
    try {
      const pending = own.suggest(job, { algorithmSession: undefined, threadSession: undefined });
      await (own as unknown as { worker: Worker }).worker.terminate();
      await expect(pending).rejects.toMatchObject({
        code: "UNAVAILABLE",
        message: expect.stringMatching(
          /^the algorithm thread stopped \(exit code \d+\); nothing of this call was stored, retry it$/,
        ),
      });
    } finally {
      await own.close();
    }
  }, 60_000);
});

describe("a thread that fails", () => {
  it("answers the suggestion waiting on it UNAVAILABLE with the thread's error, and the next one opens a new thread", async () => {
    const space = compileSpace(everyKind);
    const memos = createSharedMemos();
    const options = tpe.parseOptions({});
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const job: SuggestJob = { algorithm: "tpe", options, space, history: [], seed: 3, trialNumber: 0 };
      const pending = own.suggest(job, holder);
      // A message the thread cannot read fails it with an uncaught error (its "error" event) before the suggestion.
      const worker = (own as unknown as { worker: Worker }).worker;
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.postMessage(null);
      await expect(pending).rejects.toMatchObject({
        code: "UNAVAILABLE",
        message: expect.stringMatching(
          /^the algorithm thread stopped \(.*Cannot read properties of null.*\); nothing of this call was stored, retry it$/,
        ),
      });
      await exited;
      expect(Array.from(await own.suggest(job, holder))).toEqual(Array.from(runSuggestJob(job, memos)));
    } finally {
      await own.close();
    }
  }, 60_000);
});

describe("a thread that died between two suggestions", () => {
  it("leaves the holder's handle stale: its next suggestion opens a session on the new thread, sending everything", async () => {
    const space = compileSpace(everyKind);
    const memos = createSharedMemos();
    const options = tpe.parseOptions({});
    const history = Array.from({ length: 40 }, (_, i) =>
      obs(
        i,
        "complete",
        Math.cos(i),
        Array.from(
          runSuggestJob({ algorithm: "random", options: {}, space, history: [], seed: 2, trialNumber: i }, memos),
        ),
      ),
    );
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const first: SuggestJob = { algorithm: "tpe", options, space, history, seed: 5, trialNumber: 40 };
      await own.suggest(first, holder);
      const handle = holder.threadSession;
      const exited = new Promise((resolve) => (own as unknown as { worker: Worker }).worker.once("exit", resolve));
      await (own as unknown as { worker: Worker }).worker.terminate();
      await exited;
      const next: SuggestJob = { ...first, trialNumber: 41 };
      expect(Array.from(await own.suggest(next, holder))).toEqual(Array.from(runSuggestJob(next, memos)));
      expect(holder.threadSession).not.toBe(handle);
    } finally {
      await own.close();
    }
  }, 60_000);
});

describe("closing the session thread", () => {
  const space = compileSpace(everyKind);
  const memos = createSharedMemos();
  const options = tpe.parseOptions({});
  const history = Array.from({ length: 2000 }, (_, i) => ({
    number: i,
    config: runSuggestJob({ algorithm: "random", options: {}, space, history: [], seed: 3, trialNumber: i }, memos),
    state: "complete" as const,
    loss: Math.cos(i),
    lastStep: undefined,
  }));

  it("answers a suggestion still computing UNAVAILABLE (shutting down)", async () => {
    const own = new SessionThread();
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    // A first suggestion opens the thread and the session; the second computes while the thread closes.
    const small: SuggestJob = {
      algorithm: "tpe",
      options,
      space,
      history: history.slice(0, 5),
      seed: 1,
      trialNumber: 5,
    };
    await own.suggest(small, holder);
    const pending = own.suggest({ ...small, history, trialNumber: 2000 }, holder);
    // Once its message is posted (the history sent), close: the thread is terminated with the suggestion pending.
    await new Promise((resolve) => setImmediate(resolve));
    await own.close();
    await expect(pending).rejects.toMatchObject({ code: "UNAVAILABLE", message: "server shutting down" });
  }, 60_000);

  it("answers a suggestion whose history was not sent yet UNAVAILABLE, nothing stored; a later one starts a new thread", async () => {
    const own = new SessionThread();
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    const job: SuggestJob = {
      algorithm: "tpe",
      options,
      space,
      history: history.slice(0, 30),
      seed: 4,
      trialNumber: 30,
    };
    const pending = own.suggest(job, holder);
    const closing = own.close();
    await expect(pending).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message:
        "the algorithm thread stopped (the thread was replaced while the history was sent); " +
        "nothing of this call was stored, retry it",
    });
    await closing;
    expect(holder.threadSession).toBeUndefined();
    try {
      expect(Array.from(await own.suggest(job, holder))).toEqual(Array.from(runSuggestJob(job, memos)));
    } finally {
      await own.close();
    }
  }, 60_000);
});

describe("what a session's handle frees on the thread", () => {
  const space = compileSpace(everyKind);
  const memos = createSharedMemos();
  const options = tpe.parseOptions({});
  const history = Array.from({ length: 30 }, (_, i) =>
    obs(
      i,
      "complete",
      Math.sin(i / 3),
      Array.from(
        runSuggestJob({ algorithm: "random", options: {}, space, history: [], seed: 6, trialNumber: i }, memos),
      ),
    ),
  );
  const job: SuggestJob = { algorithm: "tpe", options, space, history, seed: 7, trialNumber: 30 };
  const keyOf = (h: SessionHolder) => (h.threadSession as unknown as { key: number }).key;

  it("release frees the thread's copy: a handle used after its release finds no session there", async () => {
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      await own.suggest(job, holder);
      // A handle that is kept sends no history and no opening again: the thread's copy is what it suggests from.
      const next: SuggestJob = { ...job, trialNumber: 31 };
      expect(Array.from(await own.suggest(next, holder))).toEqual(Array.from(runSuggestJob(next, memos)));
      const key = keyOf(holder);
      holder.threadSession!.release();
      await expect(own.suggest({ ...job, trialNumber: 32 }, holder)).rejects.toMatchObject({
        code: "INTERNAL",
        message: `algorithm session ${key} is not open`,
      });
      // The failed handle is let go: the holder's next suggestion opens a session afresh.
      expect(holder.threadSession).toBeUndefined();
      const last: SuggestJob = { ...job, trialNumber: 33 };
      expect(Array.from(await own.suggest(last, holder))).toEqual(Array.from(runSuggestJob(last, memos)));
      expect(keyOf(holder)).not.toBe(key);
    } finally {
      await own.close();
    }
  }, 60_000);

  it("a handle collected without a release frees the thread's copy too", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      await own.suggest(job, holder);
      const key = keyOf(holder);
      // What the main thread tells the thread (the thread's side of "drop" is session-worker.test.ts's).
      const worker = (own as unknown as { worker: Worker }).worker;
      const sent: unknown[] = [];
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (msg: unknown, transfer?: Parameters<Worker["postMessage"]>[1]) => {
        sent.push(msg);
        post(msg, transfer);
      };
      const drops = () => sent.filter((m) => (m as { type: string }).type === "drop");
      holder.threadSession = undefined;
      // No event says when a finalizer has run: collect, and give it turns, a bounded number of times.
      for (let i = 0; i < 100 && drops().length === 0; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(drops()).toEqual([{ type: "drop", key }]);
      // A released handle is not freed a second time when it is collected.
      await own.suggest(job, holder);
      const second = keyOf(holder);
      holder.threadSession!.release();
      expect(drops()).toEqual([
        { type: "drop", key },
        { type: "drop", key: second },
      ]);
      holder.threadSession = undefined;
      for (let i = 0; i < 20; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(drops()).toHaveLength(2);
    } finally {
      await own.close();
    }
  }, 60_000);

  it("a release after the thread stopped is a no-op", async () => {
    const own = new SessionThread();
    const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
    await own.suggest(job, holder);
    await own.close();
    expect(() => holder.threadSession!.release()).not.toThrow();
  }, 60_000);

  it("a session whose thread was replaced while its history was sent in pieces sends nothing to the new thread", async () => {
    const small = compileSpace({ parameters: everyKind.parameters.slice(0, 2) });
    const random = { algorithm: "random", options: {}, space: small, history: [], seed: 2 };
    const long: Observation[] = Array.from({ length: 25_000 }, (_, i) => ({
      number: i,
      config: runSuggestJob({ ...random, trialNumber: i }, memos),
      state: "complete" as const,
      loss: Math.cos(i),
      lastStep: undefined,
    }));
    const own = new SessionThread();
    try {
      const a: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const first = own.suggest(
        { algorithm: "tpe", options, space: small, history: long, seed: 1, trialNumber: 25_000 },
        a,
      );
      // The first piece is posted in the call's first turn; the next ones each in a turn of their own.
      await new Promise((resolve) => setImmediate(resolve));
      const closing = own.close();
      // A suggestion of another experiment starts the next thread at once, while the first one's pieces are due.
      const b: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const other: SuggestJob = { ...job, trialNumber: 31 };
      const second = own.suggest(other, b);
      await closing;
      await expect(first).rejects.toMatchObject({
        code: "UNAVAILABLE",
        message:
          "the algorithm thread stopped (the thread was replaced while the history was sent); " +
          "nothing of this call was stored, retry it",
      });
      expect(Array.from(await second)).toEqual(Array.from(runSuggestJob(other, memos)));
    } finally {
      await own.close();
    }
  }, 120_000);
});

describe("the session thread's edges", () => {
  const small = compileSpace({ parameters: everyKind.parameters.slice(0, 2) });
  const memos = createSharedMemos();
  const options = tpe.parseOptions({});
  const history = (n: number): Observation[] =>
    Array.from({ length: n }, (_, i) => obs(i, "complete", Math.sin(i), [((i * 7) % 50) / 10 - 2, 1 + (i % 9)]));
  const workerOf = (t: SessionThread) => (t as unknown as { worker: Worker }).worker;

  it("sends a history of exactly one piece (10,000 trials) with the suggestion, in one message", async () => {
    const own = new SessionThread();
    try {
      const job: SuggestJob = {
        algorithm: "tpe",
        options,
        space: small,
        history: history(10_000),
        seed: 3,
        trialNumber: 0,
      };
      const pending = own.suggest(job, { algorithmSession: undefined, threadSession: undefined });
      const worker = workerOf(own);
      const kinds: string[] = [];
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (msg: unknown, transfer?: Parameters<Worker["postMessage"]>[1]) => {
        kinds.push((msg as { type: string }).type);
        post(msg, transfer);
      };
      expect(Array.from(await pending)).toEqual(Array.from(runSuggestJob(job, memos)));
      expect(kinds).toEqual(["suggest"]);
    } finally {
      await own.close();
    }
  }, 60_000);

  it("a failure of a session its holder has dropped since leaves the holder's current session alone", async () => {
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const bad: SuggestJob = { algorithm: "nope", options, space: small, history: [], seed: 1, trialNumber: 0 };
      const failing = own.suggest(bad, holder);
      // The holder drops that session (an `auto` experiment changing phase does) and opens another at once.
      dropSession(holder);
      const good: SuggestJob = {
        algorithm: "tpe",
        options,
        space: small,
        history: history(30),
        seed: 1,
        trialNumber: 30,
      };
      const answered = own.suggest(good, holder);
      const current = holder.threadSession;
      await expect(failing).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      expect(Array.from(await answered)).toEqual(Array.from(runSuggestJob(good, memos)));
      expect(holder.threadSession).toBe(current);
      const next: SuggestJob = { ...good, trialNumber: 31 };
      expect(Array.from(await own.suggest(next, holder))).toEqual(Array.from(runSuggestJob(next, memos)));
      expect(holder.threadSession).toBe(current);
    } finally {
      await own.close();
    }
  }, 60_000);

  it("drops an answer that no call waits for (the call was already failed)", async () => {
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const job: SuggestJob = {
        algorithm: "tpe",
        options,
        space: small,
        history: history(20),
        seed: 2,
        trialNumber: 20,
      };
      expect(Array.from(await own.suggest(job, holder))).toEqual(Array.from(runSuggestJob(job, memos)));
      // The thread's answer to a call no longer pending, e.g. one that crossed the thread's replacement.
      expect(() => workerOf(own).emit("message", { id: 1, config: Float64Array.of(0, 0) })).not.toThrow();
      const next: SuggestJob = { ...job, trialNumber: 21 };
      expect(Array.from(await own.suggest(next, holder))).toEqual(Array.from(runSuggestJob(next, memos)));
    } finally {
      await own.close();
    }
  }, 60_000);

  it("an error reported by a thread already replaced does not fail the new thread's suggestions", async () => {
    const own = new SessionThread();
    try {
      const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
      const job: SuggestJob = {
        algorithm: "tpe",
        options,
        space: small,
        history: history(20),
        seed: 4,
        trialNumber: 20,
      };
      await own.suggest(job, holder);
      const old = workerOf(own);
      // Replaced at close; a suggestion starts the next thread while the old one is still stopping.
      const closing = own.close();
      const next: SuggestJob = { ...job, trialNumber: 21 };
      const pending = own.suggest(next, holder);
      expect(workerOf(own)).not.toBe(old);
      // The old thread fails on its way out (its listeners are still there until it exits).
      old.emit("error", new Error("a late error of the old thread"));
      await closing;
      expect(Array.from(await pending)).toEqual(Array.from(runSuggestJob(next, memos)));
    } finally {
      await own.close();
    }
  }, 60_000);

  it("close stops the thread itself", async () => {
    const own = new SessionThread();
    const job: SuggestJob = { algorithm: "tpe", options, space: small, history: history(5), seed: 5, trialNumber: 5 };
    await own.suggest(job, { algorithmSession: undefined, threadSession: undefined });
    const worker = workerOf(own);
    expect(worker.threadId).toBeGreaterThan(0);
    await own.close();
    // A Worker's threadId is -1 once its thread has stopped.
    expect(worker.threadId).toBe(-1);
  }, 60_000);
});
