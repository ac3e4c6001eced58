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
import { isStorageError, storageError } from "./storage-errors.js";

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
  /** Told of every storage failure (full disk, read-only file...) and every successful commit. */
  private readonly storageListeners: ((ok: boolean) => void)[] = [];

  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackTo: Statement;

  constructor(
    private readonly db: Db,
    /** The database file, named in every storage error. */
    private readonly path: string = db.name,
  ) {
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

  /** `listener(false)` after a write failed for the storage's sake, `listener(true)` after each commit. */
  onStorage(listener: (ok: boolean) => void): void {
    this.storageListeners.push(listener);
  }

  /** Runs `fn` as one atomic unit inside the current group (opening one if needed). */
  run<T>(fn: () => T): T {
    try {
      if (this.open === undefined) this.begin();
      this.savepoint.run();
    } catch (err) {
      throw this.storageFailure(err);
    }
    this.units++;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      if (this.db.inTransaction) {
        this.rollbackTo.run();
        this.release.run();
      } else if (this.open !== undefined) {
        // SQLite rolled the whole transaction back (it does on SQLITE_FULL and
        // some I/O errors), so the group's earlier units are gone too: fail
        // their callers now, and let the next unit start a fresh group.
        this.abandon(err);
      }
      if (isStorageError(err)) throw this.storageFailure(err);
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
      this.reject(group, err);
      return;
    }
    this.commits++;
    if (started !== 0)
      for (const listener of this.commitListeners) listener((performance.now() - started) / 1000, units);
    for (const listener of this.storageListeners) listener(true);
    group.resolve();
  }

  /** Fails the open group, whose transaction SQLite has already rolled back. */
  private abandon(err: unknown): void {
    const group = this.open!;
    this.open = undefined;
    this.reject(group, err);
  }

  /** Every caller in a failed group learns that nothing of its call was stored, whatever the cause. */
  private reject(group: OpenGroup, err: unknown): void {
    for (const listener of this.rollbackListeners) listener();
    const mapped = this.storageFailure(err);
    group.reject(
      mapped instanceof ParzenError
        ? mapped
        : new ParzenError(
            "UNAVAILABLE",
            `database ${this.path}: the write failed (${(err as Error).message}); nothing of this call was ` +
              "stored, so retrying it is safe",
            { cause: err },
          ),
    );
  }

  /** The error callers see; storage failures are reported to the storage listeners first. */
  private storageFailure(err: unknown): unknown {
    if (isStorageError(err)) for (const listener of this.storageListeners) listener(false);
    return storageError(err, this.path, true);
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
