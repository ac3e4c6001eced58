/**
 * Worker-thread entry of SessionThread (session-thread.ts): holds sessions
 * by key, each with its copy of its experiment's history, updated by the
 * delta that comes with every suggestion. Nothing here outlives the thread.
 */
import { parentPort } from "node:worker_threads";
import { algorithmNamed } from "../../algorithms/registry.js";
import { createSharedMemos } from "../../algorithms/shared-memos.js";
import type { AlgorithmSession, Observation } from "../../algorithms/types.js";
import { ParzenError } from "../../errors.js";
import { createRng } from "../../math/rng.js";
import type { Config, Space } from "../../space/types.js";
import { applyDelta, type HistoryDelta } from "./history-sync.js";

export type SessionRequest =
  | {
      readonly type: "suggest";
      readonly id: number;
      readonly key: number;
      /** Present on a session's first suggestion. */
      readonly open: { readonly algorithm: string; readonly options: unknown; readonly space: Space } | undefined;
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

const port = parentPort;
if (port !== null) {
  const memos = createSharedMemos();
  const sessions = new Map<number, { session: AlgorithmSession; history: Observation[] }>();
  port.on("message", (msg: SessionRequest) => {
    if (msg.type === "drop") {
      sessions.delete(msg.key);
      return;
    }
    try {
      let s = sessions.get(msg.key);
      if (s === undefined) {
        if (msg.open === undefined) throw new ParzenError("INTERNAL", `algorithm session ${msg.key} is not open`);
        const session = algorithmNamed(msg.open.algorithm).open(msg.open.space, msg.open.options, memos);
        s = { session, history: [] };
        sessions.set(msg.key, s);
      }
      applyDelta(s.history, msg.delta);
      // A copy with a buffer of its own: a view would take its whole buffer along.
      const config = s.session.suggest(s.history, createRng(msg.seed, msg.trialNumber)).slice();
      const response: SessionResponse = { id: msg.id, config };
      port.postMessage(response, [config.buffer as ArrayBuffer]);
    } catch (err) {
      const code = err instanceof ParzenError ? err.code : "INTERNAL";
      const response: SessionResponse = { id: msg.id, error: { code, message: (err as Error).message } };
      port.postMessage(response);
    }
  });
}
