/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the
 * connection that commits runs a checkpoint whenever the WAL passes 1,000
 * pages: it copies those pages into the database file and syncs it, on the
 * thread that answers calls. Under load that was half the cost of
 * committing, and a stall for every caller. Here the serving connection
 * never checkpoints; a worker thread with its own connection runs passive
 * checkpoints (which never block the writer) whenever something was
 * committed since the last one. Durability is unchanged: a commit is
 * durable once it is in the WAL, checkpointed or not.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { Db } from "./database.js";

// Plain CommonJS run with eval: it needs no TypeScript loader, so it
// works the same from sources (tests, `npm start`) and from a build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
parentPort.on("message", (id) => {
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ id, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

export interface CheckpointResult {
  /** Frames in the WAL. */
  log: number;
  /** Frames copied into the database file (all of them when equal to `log`). */
  checkpointed: number;
}

export class Checkpointer {
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private readonly waiting = new Map<number, (r: CheckpointResult) => void>();
  private nextId = 1;
  private inFlight = false;
  private seenCommits = 0;
  private failed = false;

  /**
   * @param commits how many commits the serving connection has made so far;
   *   polled every `intervalMs`, a checkpoint runs only when it moved.
   */
  constructor(
    private readonly db: Db,
    path: string,
    private readonly commits: () => number,
    private readonly log: Logger,
    intervalMs = 100,
  ) {
    db.pragma("wal_autocheckpoint = 0");
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve("better-sqlite3"), path },
    });
    this.worker.unref();
    this.worker.on("message", (m: { id: number; log?: number; checkpointed?: number; error?: string }) => {
      this.inFlight = false;
      if (m.error !== undefined) log.warn({ error: m.error }, "background WAL checkpoint failed; will retry");
      this.waiting.get(m.id)?.({ log: m.log ?? -1, checkpointed: m.checkpointed ?? -1 });
      this.waiting.delete(m.id);
    });
    this.worker.on("error", (err) => this.fallBack(err));
    this.timer = setInterval(() => {
      const n = this.commits();
      if (n === this.seenCommits || this.inFlight || this.failed) return;
      this.seenCommits = n;
      void this.checkpoint();
    }, intervalMs);
    this.timer.unref();
  }

  /** Runs one passive checkpoint now. */
  checkpoint(): Promise<CheckpointResult> {
    const id = this.nextId++;
    this.inFlight = true;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage(id);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.worker.terminate();
    // Whatever the WAL still holds, closing the last connection checkpoints.
    if (!this.failed && this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
  }

  /** Without the worker, the serving connection checkpoints for itself again, as SQLite does by default. */
  private fallBack(err: Error): void {
    this.failed = true;
    clearInterval(this.timer);
    this.log.error({ err }, "WAL checkpoint thread failed; checkpointing on the main thread");
    if (this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
    for (const resolve of this.waiting.values()) resolve({ log: -1, checkpointed: -1 });
    this.waiting.clear();
  }
}
