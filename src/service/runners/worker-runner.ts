/**
 * Runs every algorithm off the event loop but the cheap ones:
 * - offloaded ones (Algorithm.offload: the GP) on worker threads, each job
 *   in a session opened for it with its whole history (algorithm-worker.ts),
 *   so a slow model fit never blocks the event loop. A cancelled or
 *   timed-out job terminates its worker (pure jobs can be abandoned safely);
 *   a fresh worker takes its place.
 * - thread-session ones (Algorithm.threadSession: TPE) in the experiment's
 *   session kept on a thread of their own (session-thread.ts), fed the
 *   history incrementally; a batch of a thousand over a long history used to
 *   hold the event loop for seconds. Not on the GP's threads, so a fit never
 *   delays them. A lone suggestion over a short history runs in process
 *   (IN_PROCESS_HISTORY), in a session of its own there, unless the
 *   algorithm replays its history in a fresh session (cmaes): always there.
 * - the rest (random search) in process, in the experiment's session, cut
 *   into slices of the event loop (event-loop-slices.ts) so a large batch
 *   never holds it for long.
 */
import { Worker } from "node:worker_threads";
import { algorithmNamed } from "../../algorithms/registry.js";
import { createSharedMemos } from "../../algorithms/shared-memos.js";
import { ParzenError, type ErrorCode } from "../../errors.js";
import type { Config } from "../../space/types.js";
import { createRng } from "../../math/rng.js";
import type { Algorithm } from "../../algorithms/types.js";
import { type AlgorithmRunner, claimSessions, type SessionHolder, type SuggestJob } from "./algorithm-runner.js";
import { EventLoopSlices } from "./event-loop-slices.js";
import { SessionThread } from "./session-thread.js";

/** How long in-process algorithm work may run in one turn of the event loop before other I/O is served. */
const SLICE_MS = 10;

/**
 * Below this many trials a lone suggestion of a thread-session algorithm runs
 * in process: TPE takes about a millisecond at 1,000 trials, and a round trip
 * to a thread (waking it up, on a busy machine a scheduler's time slice) would
 * add more than it saves. Batches always go to the thread.
 */
const IN_PROCESS_HISTORY = 4000;

function inProcess(job: SuggestJob, algorithm: Algorithm<unknown>): boolean {
  return algorithm.replaysHistory !== true && (job.batch ?? 1) === 1 && job.history.length < IN_PROCESS_HISTORY;
}

interface Pending {
  job: SuggestJob;
  resolve(config: Config): void;
  reject(err: Error): void;
}

class AlgorithmWorker {
  private worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const source = import.meta.url.endsWith(".ts");
    // From source (tests, `npm start`) the worker first registers the TypeScript loader.
    const w = new Worker(new URL(source ? "./algorithm-worker-source.mjs" : "./algorithm-worker.js", import.meta.url));
    w.on("message", (msg: { id: number; config?: Config; error?: { code: ErrorCode; message: string } }) => {
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new ParzenError(msg.error.code, msg.error.message));
      else p.resolve(msg.config!);
    });
    w.on("error", (err) => this.failAll(new ParzenError("INTERNAL", `algorithm worker failed: ${err.message}`)));
    w.unref();
    return w;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  run(job: SuggestJob, signal?: AbortSignal): Promise<Config> {
    return new Promise<Config>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const id = this.nextId++;
      const onAbort = () => {
        // The only way to stop a synchronous computation is to replace the
        // thread; other callers' jobs are re-posted to the new one.
        this.pending.delete(id);
        void this.worker.terminate();
        this.worker = this.spawn();
        for (const [otherId, p] of this.pending) this.worker.postMessage({ id: otherId, job: p.job });
        reject(abortError(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        job,
        resolve: (c) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(c);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      this.worker.postMessage({ id, job });
    });
  }

  close(): Promise<number> {
    this.failAll(new ParzenError("UNAVAILABLE", "server shutting down"));
    return this.worker.terminate();
  }
}

function abortError(signal: AbortSignal): ParzenError {
  const reason = signal.reason as unknown;
  if (reason instanceof ParzenError) return reason;
  return new ParzenError("CANCELLED", "suggest cancelled by the client");
}

export class WorkerRunner implements AlgorithmRunner {
  private readonly workers: AlgorithmWorker[] = [];
  private turn = 0;
  /** This thread's memos, for the algorithms run in process. */
  private readonly memos = createSharedMemos();
  private readonly slices = new EventLoopSlices(SLICE_MS);
  private readonly sessionThread = new SessionThread();

  constructor(private readonly threads = 1) {}

  suggest(job: SuggestJob, holder: SessionHolder, signal?: AbortSignal): Promise<Config> {
    const algorithm = algorithmNamed(job.algorithm);
    claimSessions(holder, job.algorithm);
    if (algorithm.threadSession && !inProcess(job, algorithm)) return this.sessionThread.suggest(job, holder);
    if (!algorithm.offload) {
      const wait = this.slices.turn();
      if (wait === undefined) return this.inProcess(job, holder);
      return wait.then(() => this.inProcess(job, holder));
    }
    if (this.workers.length < this.threads) this.workers.push(new AlgorithmWorker());
    const w = this.workers[this.turn++ % this.workers.length]!;
    return w.run(job, signal);
  }

  suggestAhead(job: SuggestJob, holder: SessionHolder): void {
    const algorithm = algorithmNamed(job.algorithm);
    // Only where the real suggestion will run: the in-process session.
    if (!algorithm.suggestsAhead || (algorithm.threadSession && !inProcess(job, algorithm))) return;
    // A failure is the real call's to report.
    this.inProcess(job, holder).catch(() => undefined);
  }

  private inProcess(job: SuggestJob, holder: SessionHolder): Promise<Config> {
    try {
      // The experiment's own session, opened on its first suggestion.
      holder.algorithmSession ??= algorithmNamed(job.algorithm).open(job.space, job.options, this.memos);
      const context = { seed: job.seed, trialNumber: job.trialNumber };
      return Promise.resolve(
        holder.algorithmSession.suggest(job.history, createRng(job.seed, job.trialNumber), context),
      );
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.map((w) => w.close()), this.sessionThread.close()]);
    this.workers.length = 0;
  }
}
