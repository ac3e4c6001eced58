/**
 * The session thread's side (session-worker.ts), driven in this process through a real MessageChannel as
 * SessionThread drives it on its thread: a session opens with its first message and keeps its copy of the
 * history from the deltas that follow (history-sync.ts), each suggestion is the algorithm's own for that history,
 * seed and trial number, a dropped session is gone, and failures answer the suggestion they belong to with the
 * domain error's code (INTERNAL for anything else) instead of killing the thread.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { algorithmNamed } from "../../src/algorithms/registry.js";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { runSuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { HistorySender, piece } from "../../src/service/runners/history-sync.js";
import { type SessionRequest, type SessionResponse, serveSessions } from "../../src/service/runners/session-worker.js";
import { compileSpace } from "../../src/space/compile.js";
import { everyKind } from "./tpe-helpers.js";

const space = compileSpace(everyKind);
const memos = createSharedMemos();

/** `n` finished trials of random search over `space` with losses from `seed`. */
function history(n: number, seed: number): Observation[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => ({
    number: i,
    config: runSuggestJob({ algorithm: "random", options: {}, space, history: [], seed, trialNumber: i }, memos),
    state: i % 7 === 3 ? ("fail" as const) : ("complete" as const),
    loss: i % 7 === 3 ? undefined : rng.normal(),
    lastStep: undefined,
  }));
}

let ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports) p.close();
  ports = [];
});

/** A session host on one end of a fresh channel; `ask` posts a suggest and resolves with its answer. */
function host() {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  serveSessions(port1);
  const waiting = new Map<number, (r: SessionResponse) => void>();
  const answers: SessionResponse[] = [];
  port2.on("message", (r: SessionResponse) => {
    answers.push(r);
    waiting.get(r.id)?.(r);
  });
  let nextId = 1;
  const post = (req: SessionRequest) => port2.postMessage(req);
  return {
    answers,
    post,
    ask(req: Omit<Extract<SessionRequest, { type: "suggest" }>, "type" | "id">): Promise<SessionResponse> {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        post({ type: "suggest", id, ...req });
      });
    },
  };
}

const tpeOptions = algorithmNamed("tpe").parseOptions({});
const open = { algorithm: "tpe", options: tpeOptions, space };

/** The whole of `h` as one delta, from a fresh sender. */
const whole = (h: readonly Observation[]) => {
  const c = new HistorySender().changes(h);
  return piece(c, 0, c.items.length);
};

const inProcess = (h: readonly Observation[], seed: number, trialNumber: number, algorithm = "tpe") =>
  Array.from(
    runSuggestJob(
      { algorithm, options: algorithmNamed(algorithm).parseOptions({}), space, history: h, seed, trialNumber },
      memos,
    ),
  );

describe("the session host", () => {
  it("opens a session with its first message and suggests what the algorithm does in process", async () => {
    const hst = host();
    const h = history(40, 1);
    const sender = new HistorySender();
    const first = sender.changes(h);
    const a = await hst.ask({ key: 1, open, delta: piece(first, 0, first.items.length), seed: 11, trialNumber: 40 });
    expect(a.error).toBeUndefined();
    expect(Array.from(a.config!)).toEqual(inProcess(h, 11, 40));
    // The answer owns its buffer (it is transferred, so a view would carry, and detach, a larger one).
    expect(a.config!.buffer.byteLength).toBe(a.config!.length * 8);

    // Later messages carry only the changes, and the seed and trial number of their own suggestion.
    const h2 = h.slice();
    h2[5] = { ...h2[5]!, loss: -50 };
    h2.push({ number: 40, config: a.config!, state: "running", loss: undefined, lastStep: undefined });
    const c2 = sender.changes(h2);
    expect(c2.items.length).toBe(2);
    const b = await hst.ask({
      key: 1,
      open: undefined,
      delta: piece(c2, 0, c2.items.length),
      seed: 12,
      trialNumber: 41,
    });
    expect(Array.from(b.config!)).toEqual(inProcess(h2, 12, 41));
    expect(Array.from(b.config!)).not.toEqual(inProcess(h2, 11, 41));
    expect(Array.from(b.config!)).not.toEqual(inProcess(h2, 12, 40));
  });

  it("passes the seed and trial number as the algorithm's context (CMA-ES keeps one sequence per experiment)", async () => {
    const hst = host();
    const cmaOpen = { algorithm: "cmaes", options: algorithmNamed("cmaes").parseOptions({}), space };
    const h = history(30, 2);
    for (const [key, seed, trialNumber] of [
      [5, 3, 30],
      [6, 4, 31],
    ] as const) {
      const a = await hst.ask({ key, open: cmaOpen, delta: whole(h), seed, trialNumber });
      expect(a.error).toBeUndefined();
      expect(Array.from(a.config!)).toEqual(inProcess(h, seed, trialNumber, "cmaes"));
    }
  });

  it("applies sync pieces in order before the suggestion that follows them", async () => {
    const hst = host();
    const h = history(45, 3);
    const c = new HistorySender().changes(h);
    hst.post({ type: "sync", key: 2, open, delta: piece(c, 0, 20) });
    hst.post({ type: "sync", key: 2, open: undefined, delta: piece(c, 20, 30) });
    const a = await hst.ask({ key: 2, open: undefined, delta: piece(c, 30, 45), seed: 5, trialNumber: 45 });
    expect(Array.from(a.config!)).toEqual(inProcess(h, 5, 45));
  });

  it("keeps each session's history apart, and forgets a dropped session", async () => {
    const hst = host();
    const h1 = history(30, 4);
    const h2 = history(35, 5);
    await hst.ask({ key: 7, open, delta: whole(h1), seed: 1, trialNumber: 30 });
    await hst.ask({ key: 8, open, delta: whole(h2), seed: 1, trialNumber: 35 });
    const empty = piece(new HistorySender().changes([]), 0, 0);
    hst.post({ type: "drop", key: 7 });
    const gone = await hst.ask({ key: 7, open: undefined, delta: empty, seed: 1, trialNumber: 30 });
    expect(gone.error).toEqual({ code: "INTERNAL", message: "algorithm session 7 is not open" });
    // The other session is untouched: a delta changing nothing (its length kept) suggests from its own history.
    const kept = await hst.ask({ key: 8, open: undefined, delta: { ...empty, length: 35 }, seed: 3, trialNumber: 35 });
    expect(Array.from(kept.config!)).toEqual(inProcess(h2, 3, 35));
  });

  it("answers a suggestion for a session never opened with INTERNAL, and keeps serving", async () => {
    const hst = host();
    const empty = piece(new HistorySender().changes([]), 0, 0);
    const a = await hst.ask({ key: 99, open: undefined, delta: empty, seed: 1, trialNumber: 0 });
    expect(a).toEqual({ id: 1, error: { code: "INTERNAL", message: "algorithm session 99 is not open" } });
    const b = await hst.ask({ key: 99, open, delta: empty, seed: 1, trialNumber: 0 });
    expect(Array.from(b.config!)).toEqual(inProcess([], 1, 0));
  });

  it("answers a session that cannot open with the suggestion after its sync, once, with the error's own code", async () => {
    const hst = host();
    const h = history(12, 6);
    const c = new HistorySender().changes(h);
    hst.post({ type: "sync", key: 3, open: { ...open, algorithm: "nope" }, delta: piece(c, 0, 6) });
    const a = await hst.ask({ key: 3, open: undefined, delta: piece(c, 6, 12), seed: 1, trialNumber: 12 });
    expect(a.config).toBeUndefined();
    expect(a.error?.code).toBe("INVALID_ARGUMENT");
    expect(a.error?.message).toMatch(/^algorithm: unknown algorithm "nope"/);
    // The failure was answered: the next suggestion for that key is judged on its own.
    const b = await hst.ask({ key: 3, open, delta: whole(h), seed: 1, trialNumber: 12 });
    expect(b.error).toBeUndefined();
    expect(Array.from(b.config!)).toEqual(inProcess(h, 1, 12));
  });

  it("answers an error that is not a domain error as INTERNAL with its message", async () => {
    const hst = host();
    const a = await hst.ask({
      key: 4,
      open: { ...open, options: undefined },
      delta: whole([]),
      seed: 1,
      trialNumber: 0,
    });
    expect(a.error?.code).toBe("INTERNAL");
    expect(a.error?.message).toMatch(/Cannot read properties of undefined/);
    // A sync's failure of that kind too, answered by the suggestion that follows it.
    hst.post({ type: "sync", key: 9, open: { ...open, options: undefined }, delta: whole([]) });
    const b = await hst.ask({ key: 9, open: undefined, delta: whole([]), seed: 1, trialNumber: 0 });
    expect(b.error?.code).toBe("INTERNAL");
    expect(b.error?.message).toMatch(/Cannot read properties of undefined/);
  });
});
