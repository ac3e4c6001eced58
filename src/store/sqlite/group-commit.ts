/**
 * Group commit. Every write made while the event loop works through one
 * turn's incoming calls joins a single SQLite transaction, committed once
 * at the end of the turn (setImmediate); each call's own writes sit in a
 * savepoint inside it, so a call that throws undoes only its part.
 *
 * Why: a commit costs far more than the few row writes of a Suggest or a
 * Report (the WAL frames of every touched page), and under load one commit
 * per call was the server's largest single cost. Durability is unchanged,
 * because callers answer only after `committed()` resolves: an
 * acknowledged call is in a committed transaction, exactly as before.
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "./database.js";
import { ParzenError } from "../../errors.js";

interface OpenGroup {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

const DONE: Promise<void> = Promise.resolve();

export class GroupCommit {
  private open: OpenGroup | undefined;
  /** Successful commits so far (the checkpointer polls it). */
  commits = 0;
  private readonly rollbackListeners: (() => void)[] = [];
  private readonly commitListeners: ((seconds: number, units: number) => void)[] = [];
  /** Units in the open group. */
  private units = 0;

  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackTo: Statement;

  constructor(private readonly db: Db) {
    // Prepared once: db.transaction(fn) would build five wrapper functions per call.
    this.savepoint = db.prepare("SAVEPOINT unit");
    this.release = db.prepare("RELEASE unit");
    this.rollbackTo = db.prepare("ROLLBACK TO unit");
  }

  /**
   * `listener` runs after a failed commit rolled a group back, so that
   * whoever mirrors the database in memory drops what it holds.
   */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  /** `listener` runs after each successful commit with its duration and the units it committed (metrics). */
  onCommit(listener: (seconds: number, units: number) => void): void {
    this.commitListeners.push(listener);
  }

  /** Runs `fn` as one atomic unit inside the current group (opening one if needed). */
  run<T>(fn: () => T): T {
    if (this.open === undefined) this.begin();
    this.units++;
    this.savepoint.run();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      // SQLite may already have rolled the whole transaction back (e.g. on
      // SQLITE_FULL); then there is no savepoint left to return to.
      if (this.db.inTransaction) {
        this.rollbackTo.run();
        this.release.run();
      }
      throw err;
    }
    this.release.run();
    return result;
  }

  /** Resolves once everything written so far is committed; rejects if that commit failed. */
  committed(): Promise<void> {
    return this.open?.promise ?? DONE;
  }

  /** Commits the open group now (before closing the database, say). */
  flush(): void {
    const group = this.open;
    if (group === undefined) return;
    this.open = undefined;
    const units = this.units;
    this.units = 0;
    const started = this.commitListeners.length === 0 ? 0 : performance.now();
    try {
      this.db.exec("COMMIT");
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      for (const listener of this.rollbackListeners) listener();
      group.reject(
        new ParzenError(
          "UNAVAILABLE",
          `the database write failed, so nothing of this call was stored (${(err as Error).message}); ` +
            "retry with the same request_id",
          {
            cause: err,
          },
        ),
      );
      return;
    }
    this.commits++;
    if (started !== 0)
      for (const listener of this.commitListeners) listener((performance.now() - started) / 1000, units);
    group.resolve();
  }

  private begin(): void {
    this.db.exec("BEGIN IMMEDIATE");
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Writes nobody waits for (the lease sweeper's) must not turn a failed
    // commit into an unhandled rejection; waiters still see the failure.
    promise.catch(() => {});
    this.open = { promise, resolve, reject };
    setImmediate(() => this.flush());
  }
}
