/**
 * Worker-thread entry of SessionThread (session-thread.ts): holds sessions
 * by key, each with its copy of its experiment's history, updated by the
 * delta that comes with every suggestion. Nothing here outlives the thread.
 * `serveSessions` takes the port as a parameter so that a test can drive it
 * in its own thread over a MessageChannel (mutation testing sees no thread).
 */
import { parentPort } from "node:worker_threads";
import { algorithmNamed } from "../../algorithms/registry.js";
import { createSharedMemos } from "../../algorithms/shared-memos.js";
import type { AlgorithmSession, Observation } from "../../algorithms/types.js";
import { ParzenError } from "../../errors.js";
import { createRng } from "../../math/rng.js";
import type { Config, Space } from "../../space/types.js";
import { applyDelta, type HistoryDelta } from "./history-sync.js";

/** What opens a session: present on a session's first message only. */
type Open = { readonly algorithm: string; readonly options: unknown; readonly space: Space } | undefined;

export type SessionRequest =
  /** A piece of a long history change; a suggest message follows with the rest. */
  | { readonly type: "sync"; readonly key: number; readonly open: Open; readonly delta: HistoryDelta }
  | {
      readonly type: "suggest";
      readonly id: number;
      readonly key: number;
      readonly open: Open;
      readonly delta: HistoryDelta;
      readonly seed: number;
      readonly trialNumber: number;
    }
  | { readonly type: "drop"; readonly key: number };

export interface SessionResponse {
  readonly id: number;
  readonly config?: Config;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The side of a message port the session host uses (a worker's parentPort; a MessageChannel's port in tests). */
export interface SessionPort {
  on(event: "message", listener: (msg: SessionRequest) => void): unknown;
  postMessage(value: SessionResponse, transfer?: readonly ArrayBuffer[]): void;
}

/** Holds the sessions opened through `port` and answers their suggestions on it (the thread's whole job). */
export function serveSessions(port: SessionPort): void {
  const memos = createSharedMemos();
  const sessions = new Map<number, { session: AlgorithmSession; history: Observation[] }>();
  /** Errors of sync messages, answered with the suggest message that follows them. */
  const failedToOpen = new Map<number, unknown>();
  const sessionFor = (key: number, open: Open) => {
    let s = sessions.get(key);
    if (s === undefined) {
      if (open === undefined) throw new ParzenError("INTERNAL", `algorithm session ${key} is not open`);
      s = { session: algorithmNamed(open.algorithm).open(open.space, open.options, memos), history: [] };
      sessions.set(key, s);
    }
    return s;
  };
  port.on("message", (msg: SessionRequest) => {
    if (msg.type === "drop") {
      sessions.delete(msg.key);
      return;
    }
    if (msg.type === "sync") {
      // Errors (a session that cannot open) surface with the suggest message that follows.
      try {
        applyDelta(sessionFor(msg.key, msg.open).history, msg.delta);
      } catch (err) {
        failedToOpen.set(msg.key, err);
      }
      return;
    }
    try {
      const failed = failedToOpen.get(msg.key);
      if (failed !== undefined) {
        failedToOpen.delete(msg.key);
        throw failed;
      }
      const s = sessionFor(msg.key, msg.open);
      applyDelta(s.history, msg.delta);
      // A copy with a buffer of its own: a view would take its whole buffer along.
      // With the context as in process: algorithms that keep one sequence per experiment (cmaes) need the numbers.
      const context = { seed: msg.seed, trialNumber: msg.trialNumber };
      const config = s.session.suggest(s.history, createRng(msg.seed, msg.trialNumber), context).slice();
      const response: SessionResponse = { id: msg.id, config };
      port.postMessage(response, [config.buffer as ArrayBuffer]);
    } catch (err) {
      const code = err instanceof ParzenError ? err.code : "INTERNAL";
      const response: SessionResponse = { id: msg.id, error: { code, message: (err as Error).message } };
      port.postMessage(response);
    }
  });
}

if (parentPort !== null) serveSessions(parentPort);
