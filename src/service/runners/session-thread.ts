/**
 * A worker thread that keeps experiments' algorithm sessions (see
 * Algorithm.threadSession: TPE), each with its own copy of the experiment's
 * history, kept in step by deltas (history-sync.ts). A suggestion costs the
 * event loop a diff of the history by identity and a small message; the
 * algorithm itself, a millisecond per suggestion at 1,000 trials but tens at
 * 20,000, and seconds for a batch, runs on the thread. Suggestions are the
 * same as in process: the session there sees the same history and rng.
 *
 * Sessions live as long as their holder keeps the handle (ThreadSession):
 * dropping it (release, or garbage collection of the handle) frees the
 * thread's copy. If the thread dies, every handle is stale (its generation)
 * and the next suggestion opens a new session on a new thread, sending the
 * whole history again.
 */
import { Worker } from "node:worker_threads";
import { ParzenError, type ErrorCode } from "../../errors.js";
import type { Config } from "../../space/types.js";
import type { RemoteSession, SessionHolder, SuggestJob } from "./algorithm-runner.js";
import { deltaBuffers, type HistoryChanges, type HistoryDelta, HistorySender, piece } from "./history-sync.js";
import type { SessionRequest, SessionResponse } from "./session-worker.js";

/** The main thread's handle on one experiment's session on the thread. */
class ThreadSession implements RemoteSession {
  readonly remote = true;
  readonly sender = new HistorySender();
  opened = false;
  /** Settles once everything this session's calls so far have to send is posted. */
  sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly owner: SessionThread,
    readonly key: number,
    readonly generation: number,
  ) {}

  release(): void {
    this.owner.drop(this.key, this.generation, this);
  }
}

/** Changed trials per message: the first suggestion of a session sends the whole history in pieces this large. */
const PIECE = 10_000;

/** Resolves in a later turn of the event loop, after I/O was polled. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

interface Pending {
  resolve(config: Config): void;
  reject(err: Error): void;
}

export class SessionThread {
  private worker: Worker | undefined;
  /** Bumped when the thread is replaced: handles of an older generation are stale. */
  private generation = 0;
  private nextKey = 1;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Frees the thread's copy of a session whose handle was collected without a release. */
  private readonly collected = new FinalizationRegistry<{ key: number; generation: number }>(({ key, generation }) =>
    this.drop(key, generation, undefined),
  );

  suggest(job: SuggestJob, holder: SessionHolder): Promise<Config> {
    this.thread();
    const held = holder.threadSession;
    let s: ThreadSession;
    if (held instanceof ThreadSession && held.generation === this.generation) s = held;
    else {
      s = new ThreadSession(this, this.nextKey++, this.generation);
      this.collected.register(s, { key: s.key, generation: s.generation }, s);
      holder.threadSession = s;
    }
    const session = s;
    const changes = session.sender.changes(job.history);
    const open = { algorithm: job.algorithm, options: job.options, space: job.space };
    const send = async (): Promise<Config> => {
      // A long change (the whole history, on a session's first suggestion) goes in pieces, each packed in a
      // turn of the event loop of its own; the thread applies them in order before the suggestion.
      let from = 0;
      for (; changes.items.length - from > PIECE; from += PIECE) {
        const opening = this.opening(session, open);
        this.post(session, changes, from, from + PIECE, (delta) => ({
          type: "sync",
          key: session.key,
          open: opening,
          delta,
        }));
        await nextTurn();
      }
      return new Promise<Config>((resolve, reject) => {
        const id = this.nextId++;
        const failed = (err: Error) => {
          // Whatever the thread holds for it may be half made: the next suggestion starts afresh.
          if (holder.threadSession === session) {
            holder.threadSession = undefined;
            session.release();
          }
          reject(err);
        };
        this.pending.set(id, { resolve, reject: failed });
        const opening = this.opening(session, open);
        const { seed, trialNumber } = job;
        const request = (delta: HistoryDelta): SessionRequest => {
          return { type: "suggest", id, key: session.key, open: opening, delta, seed, trialNumber };
        };
        if (!this.post(session, changes, from, changes.items.length, request)) {
          this.pending.delete(id);
          failed(this.stopped("the thread was replaced while the history was sent"));
        }
      });
    };
    // After what this session's earlier calls still have to send (a prefetch and a Suggest can overlap).
    const result = session.sending.then(send, send);
    session.sending = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** The open parameters on a session's first message, then nothing. */
  private opening<T>(s: ThreadSession, open: T): T | undefined {
    if (s.opened) return undefined;
    s.opened = true;
    return open;
  }

  /** Packs entries `from` to `to` of `changes` and posts them in `request`; false if the thread `s` was opened on is gone. */
  private post(
    s: ThreadSession,
    changes: HistoryChanges,
    from: number,
    to: number,
    request: (delta: HistoryDelta) => SessionRequest,
  ): boolean {
    if (s.generation !== this.generation || this.worker === undefined) return false;
    const delta = piece(changes, from, to);
    this.worker.postMessage(request(delta), deltaBuffers(delta));
    return true;
  }

  private stopped(why: string): ParzenError {
    return new ParzenError(
      "UNAVAILABLE",
      `the algorithm thread stopped (${why}); nothing of this call was stored, retry it`,
    );
  }

  /** Frees the session `key` on the thread, if it is still the thread the session was opened on. */
  drop(key: number, generation: number, handle: ThreadSession | undefined): void {
    if (handle !== undefined) this.collected.unregister(handle);
    if (generation !== this.generation || this.worker === undefined) return;
    const request: SessionRequest = { type: "drop", key };
    this.worker.postMessage(request);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.replaced(new ParzenError("UNAVAILABLE", "server shutting down"));
    if (w !== undefined) await w.terminate();
  }

  private thread(): Worker {
    if (this.worker !== undefined) return this.worker;
    const source = import.meta.url.endsWith(".ts");
    // From source (tests, `npm run parzen`) the worker first registers the TypeScript loader.
    const w = new Worker(new URL(source ? "./session-worker-source.mjs" : "./session-worker.js", import.meta.url));
    w.on("message", (msg: SessionResponse) => {
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new ParzenError(msg.error.code as ErrorCode, msg.error.message));
      else p.resolve(msg.config!);
    });
    // Nothing of a suggestion is stored before it comes back, and the next one starts a new thread: a retry works.
    w.on("error", (err) => {
      if (this.worker === w) this.replaced(this.stopped(err.message));
    });
    w.on("exit", (code) => {
      if (this.worker === w) this.replaced(this.stopped(`exit code ${code}`));
    });
    // Idle, it must not keep the process alive; a suggestion in flight is awaited by a call that does.
    w.unref();
    this.worker = w;
    return w;
  }

  /** The thread is gone: its sessions with it; callers waiting on it get `err`. */
  private replaced(err: ParzenError): void {
    this.worker = undefined;
    this.generation++;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
