/**
 * The SQLite store's wiring around the Store contract (src/store/sqlite): which failures are the storage's
 * (UNAVAILABLE naming the file) and which pass through, the write-health state machine behind the readiness
 * check, opening and migrating a database (refusals at their exact edges), the durability option, and the
 * background checkpointer's fallback. Real SQLite files in temp directories; timers are faked only for
 * WriteHealth's probe interval.
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { Checkpointer } from "../../src/store/sqlite/checkpointer.js";
import {
  checkDatabaseDirectory,
  latestVersion,
  loadMigrations,
  type Migration,
  openDatabase,
} from "../../src/store/sqlite/database.js";
import { backendOf, openStore, sqlitePath } from "../../src/store/open.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { isStorageError, storageError } from "../../src/store/sqlite/storage-errors.js";
import { WriteHealth } from "../../src/store/sqlite/write-health.js";

const sqliteError = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code });

/** The error `fn` throws (fails the test if it returns). */
function thrown(fn: () => unknown): ParzenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    return err as ParzenError;
  }
  throw new Error("expected a ParzenError");
}

/**
 * Makes files unwritable for this process. Root ignores permission bits, so as root it takes the inode flags:
 * immutable (`chattr +i`: access(2) says EPERM even to root) and append-only (`+a`: access(2) says writable, but
 * SQLite can only open the file read-only); as another user, chmod. Undefined where neither works.
 */
function inodeFlags(dir: string):
  | {
      set(path: string, how: "unwritable" | "append-only"): void;
      clear(path: string, how: "unwritable" | "append-only"): void;
      appendOnly: boolean;
    }
  | undefined {
  const chattr = (flag: string, path: string) => execFileSync("chattr", [flag, path], { stdio: "ignore" });
  if (process.getuid?.() !== 0) {
    return {
      set: (path) => chmodSync(path, 0o555),
      clear: (path) => chmodSync(path, 0o755),
      appendOnly: false,
    };
  }
  const probe = join(dir, "flags-probe");
  writeFileSync(probe, "");
  try {
    chattr("+i", probe);
    chattr("-i", probe);
  } catch {
    return undefined;
  } finally {
    rmSync(probe, { force: true });
  }
  return {
    set: (path, how) => chattr(how === "unwritable" ? "+i" : "+a", path),
    clear: (path, how) => chattr(how === "unwritable" ? "-i" : "-a", path),
    appendOnly: true,
  };
}

describe("storage errors", () => {
  it("turns each kind of storage failure into UNAVAILABLE naming the file and the reason", () => {
    const reasons: [string, string][] = [
      ["SQLITE_FULL", "the disk holding it is full"],
      ["SQLITE_READONLY", "it cannot be written (a read-only file, directory or mount)"],
      ["SQLITE_READONLY_DBMOVED", "it cannot be written (a read-only file, directory or mount)"],
      ["SQLITE_CANTOPEN", "it or a file beside it (-wal, -shm) cannot be opened"],
      ["SQLITE_IOERR", "an I/O error"],
      ["SQLITE_IOERR_WRITE", "an I/O error"],
      ["SQLITE_BUSY", "it is locked by another connection"],
      ["SQLITE_LOCKED", "it is locked by another connection"],
      ["SQLITE_PERM", "permission denied"],
      ["SQLITE_NOMEM", "SQLite ran out of memory"],
      ["SQLITE_CORRUPT", "the file is damaged"],
      ["SQLITE_NOTADB", "the file is damaged"],
    ];
    for (const [code, reason] of reasons) {
      const cause = sqliteError(code, "disk I/O");
      expect(isStorageError(cause), code).toBe(true);
      const err = storageError(cause, "/data/p.db", false) as ParzenError;
      expect(err, code).toBeInstanceOf(ParzenError);
      expect(err.code).toBe("UNAVAILABLE");
      expect(err.message).toBe(`database /data/p.db: ${reason} (disk I/O)`);
      expect(err.cause).toBe(cause);
    }
  });

  it("says that retrying is safe only when the call's writes were undone", () => {
    const err = storageError(sqliteError("SQLITE_FULL", "full"), "p.db", true) as ParzenError;
    expect(err.message).toBe(
      "database p.db: the disk holding it is full (full); nothing of this call was stored, so retrying it is safe",
    );
  });

  it("passes through the caller's errors, bugs and errors that only contain a storage code", () => {
    const constraint = sqliteError("SQLITE_CONSTRAINT_UNIQUE");
    const domain = new ParzenError("NOT_FOUND", "no such trial");
    const plain = new Error("SQLITE_FULL in the message only");
    const embedded = sqliteError("XSQLITE_FULL");
    const numeric = Object.assign(new Error("x"), { code: 13 });
    for (const err of [constraint, domain, plain, embedded, numeric, null, undefined, "SQLITE_FULL"]) {
      expect(isStorageError(err)).toBe(false);
      expect(storageError(err, "p.db", true)).toBe(err);
    }
    // A ParzenError is never re-wrapped, whatever code it carries.
    const wrapped = Object.assign(new ParzenError("UNAVAILABLE", "already said"), { code: "UNAVAILABLE" });
    expect(storageError(wrapped, "p.db", false)).toBe(wrapped);
  });
});

describe("write health", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("goes unwritable once, probes every interval until a probe succeeds, then writable once", async () => {
    let outcome: "fail" | "ok" = "fail";
    let probes = 0;
    const health = new WriteHealth(async () => {
      probes++;
      if (outcome === "fail") throw new Error("still full");
    }, 100);
    const changes: boolean[] = [];
    health.onChange((w) => changes.push(w));
    expect(health.writable).toBe(true);
    health.succeeded(); // already writable: nothing to tell
    expect(changes).toEqual([]);
    health.failed();
    health.failed(); // already unwritable: told once
    expect(health.writable).toBe(false);
    expect(changes).toEqual([false]);
    await vi.advanceTimersByTimeAsync(99);
    expect(probes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(probes).toBe(3);
    expect(health.writable).toBe(false);
    outcome = "ok";
    await vi.advanceTimersByTimeAsync(100);
    expect(probes).toBe(4);
    expect(health.writable).toBe(true);
    expect(changes).toEqual([false, true]);
    // Writable again: the probing stopped.
    await vi.advanceTimersByTimeAsync(1000);
    expect(probes).toBe(4);
    // A second outage is probed like the first.
    outcome = "fail";
    health.failed();
    await vi.advanceTimersByTimeAsync(100);
    expect(probes).toBe(5);
    expect(changes).toEqual([false, true, false]);
  });

  it("never runs two probes at once, and a client's commit ends the probing too", async () => {
    let release: (() => void) | undefined;
    let probes = 0;
    const health = new WriteHealth(
      () =>
        new Promise<void>((_ok, fail) => {
          probes++;
          release = () => fail(new Error("no"));
        }),
      10,
    );
    const changes: boolean[] = [];
    health.onChange((w) => changes.push(w));
    health.failed();
    await vi.advanceTimersByTimeAsync(100);
    expect(probes).toBe(1);
    release!();
    await vi.advanceTimersByTimeAsync(10);
    expect(probes).toBe(2);
    health.succeeded();
    expect(changes).toEqual([false, true]);
    release!();
    await vi.advanceTimersByTimeAsync(100);
    expect(probes).toBe(2);
    expect(health.writable).toBe(true);
  });

  it("probes with the default interval of one second", async () => {
    let probes = 0;
    const health = new WriteHealth(async () => {
      probes++;
      throw new Error("no");
    });
    health.failed();
    await vi.advanceTimersByTimeAsync(999);
    expect(probes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toBe(1);
    health.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(probes).toBe(1);
  });
});

describe("opening a database", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "parzen-open-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const m = (version: number, sql: string): Migration => ({ version, name: `${version}.sql`, sql });
  const version = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return db.pragma("user_version", { simple: true }) as number;
    } finally {
      db.close();
    }
  };

  it("applies only the migrations above the file's version, each recorded, in order", () => {
    const path = join(dir, "p.db");
    openDatabase(path, [m(1, "CREATE TABLE a (x)")]).close();
    expect(version(path)).toBe(1);
    // Version 1 again would fail (the table exists): only 3 and 5 run, in that order.
    const db = openDatabase(path, [
      m(1, "CREATE TABLE a (x)"),
      m(3, "CREATE TABLE b (y)"),
      m(5, "INSERT INTO b SELECT count(*) FROM a"),
    ]);
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(5);
      expect(db.prepare("SELECT y FROM b").all()).toEqual([{ y: 0 }]);
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(db.pragma("synchronous", { simple: true })).toBe(1);
      expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    } finally {
      db.close();
    }
  });

  it("leaves nothing of a failed migration and names the file", () => {
    const path = join(dir, "p.db");
    openDatabase(path, [m(1, "CREATE TABLE a (x)")]).close();
    const err = thrown(() => openDatabase(path, [m(1, ""), m(2, "CREATE TABLE c (z); SELECT nonsense FROM nowhere")]));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toMatch(new RegExp(`^cannot use database ${path}: no such table: nowhere`));
    expect(version(path)).toBe(1);
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'c'").all()).toEqual([]);
    db.close();
  });

  it("refuses a database one version newer than the code, and takes one at exactly its version", () => {
    const path = join(dir, "p.db");
    openDatabase(path, [m(1, "CREATE TABLE a (x)"), m(2, "CREATE TABLE b (x)")]).close();
    const err = thrown(() => openDatabase(path, [m(1, "CREATE TABLE a (x)")]));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toBe(`database ${path} has schema version 2, newer than this Parzen's 1; upgrade Parzen`);
    // Refused before anything changed: still version 2 and not switched to WAL by this open.
    expect(version(path)).toBe(2);
    openDatabase(path, [m(1, ""), m(2, "")]).close();
  });

  it("refuses a SQLite file that is not Parzen's, and takes an empty one", () => {
    const foreign = join(dir, "foreign.db");
    const other = new Database(foreign);
    other.exec("CREATE TABLE mine (x)");
    other.close();
    const err = thrown(() => openDatabase(foreign, [m(1, "CREATE TABLE a (x)")]));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toBe(
      `${foreign} is not a Parzen database (it holds tables but no Parzen schema version); it was left unchanged: ` +
        "use another --db",
    );
    const empty = join(dir, "empty.db");
    new Database(empty).close();
    openDatabase(empty, [m(1, "CREATE TABLE a (x)")]).close();
    expect(version(empty)).toBe(1);
  });

  it("refuses a file that is not a database at all, as FAILED_PRECONDITION naming it", () => {
    const path = join(dir, "text.db");
    writeFileSync(path, "this is not a database, just some text that is long enough to have a header".repeat(20));
    const err = thrown(() => openDatabase(path, [m(1, "CREATE TABLE a (x)")]));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toMatch(new RegExp(`^cannot use database ${path}: `));
    expect((err.cause as { code?: string }).code).toBe("SQLITE_NOTADB");
  });

  it("refuses a path that names a directory, as FAILED_PRECONDITION naming it", () => {
    const err = thrown(() => openDatabase(dir, [m(1, "CREATE TABLE a (x)")]));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toMatch(new RegExp(`^cannot (open|use) database ${dir}: `));
    expect(err.cause).toBeDefined();
  });

  it("names a missing directory, or a file where the directory should be", () => {
    const missing = join(dir, "no", "p.db");
    expect(thrown(() => checkDatabaseDirectory(missing)).message).toBe(
      `database directory ${join(dir, "no")} does not exist`,
    );
    writeFileSync(join(dir, "file"), "");
    const err = thrown(() => openDatabase(join(dir, "file", "p.db"), []));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toBe(`database directory ${join(dir, "file")} does not exist`);
    expect(() => checkDatabaseDirectory(":memory:")).not.toThrow();
    expect(() => checkDatabaseDirectory(join(dir, "p.db"))).not.toThrow();
  });

  it("refuses a directory or a file it cannot write, naming which, and a file that takes no real write", (ctx) => {
    const flags = inodeFlags(dir);
    if (flags === undefined) {
      ctx.skip("as root, only inode flags (chattr) make a file unwritable, and this file system has none");
      return;
    }
    const locked = join(dir, "locked");
    mkdirSync(locked);
    const inLocked = join(locked, "p.db");
    flags.set(locked, "unwritable");
    try {
      const err = thrown(() => openDatabase(inLocked, [m(1, "CREATE TABLE a (x)")]));
      expect(err.code).toBe("FAILED_PRECONDITION");
      expect(err.message).toBe(
        `database ${inLocked} cannot be written: its directory ${locked} is not writable for this user, and SQLite ` +
          "keeps its write-ahead log and lock files beside the database",
      );
    } finally {
      flags.clear(locked, "unwritable");
    }
    const path = join(dir, "p.db");
    openDatabase(path, [m(1, "CREATE TABLE a (x)")]).close();
    flags.set(path, "unwritable");
    try {
      const err = thrown(() => openDatabase(path, [m(1, "CREATE TABLE a (x)")]));
      expect(err.code).toBe("FAILED_PRECONDITION");
      expect(err.message).toBe(
        `database ${path} cannot be written: the file is not writable for this user (read-only)`,
      );
    } finally {
      flags.clear(path, "unwritable");
    }
    // Writable as far as access(2) can tell, but SQLite opens it read-only: the start-up write finds out.
    if (flags.appendOnly) {
      flags.set(path, "append-only");
      try {
        const err = thrown(() => openDatabase(path, [m(1, "CREATE TABLE a (x)")]));
        expect(err.code).toBe("FAILED_PRECONDITION");
        expect(err.message).toBe(`database ${path} cannot be written (attempt to write a readonly database)`);
        expect((err.cause as { code?: string }).code).toBe("SQLITE_READONLY");
      } finally {
        flags.clear(path, "append-only");
      }
    }
    openDatabase(path, [m(1, "CREATE TABLE a (x)")]).close();
  });

  it("knows the latest version of a migration list, and of the shipped one", () => {
    expect(latestVersion([])).toBe(0);
    expect(latestVersion([m(1, ""), m(4, "")])).toBe(4);
    const shipped = loadMigrations();
    expect(shipped[0]!.version).toBe(1);
    // A badly numbered directory is refused naming the set.
    writeFileSync(join(dir, "0001_a.sql"), "");
    writeFileSync(join(dir, "0001_b.sql"), "");
    expect(() => loadMigrations(dir)).toThrow(/^migrations: expected a version above 1, found 0001_b\.sql$/);
    expect(latestVersion(shipped)).toBe(shipped[shipped.length - 1]!.version);
  });

  it("opens :memory: without a lock or checkpointer, migrated to the shipped schema", async () => {
    const store = await openSqliteStore({ path: ":memory:", log: pino({ level: "silent" }) });
    expect(store.db.pragma("user_version", { simple: true })).toBe(latestVersion(loadMigrations()));
    // No checkpointer took over: the connection checkpoints for itself (SQLite's default).
    expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await store.close();
  });

  it("sets synchronous=FULL for durability full, NORMAL otherwise, and hands the checkpointer the WAL", async () => {
    const log = pino({ level: "silent" });
    const full = await openSqliteStore({ path: join(dir, "full.db"), durability: "full", log });
    expect(full.db.pragma("synchronous", { simple: true })).toBe(2);
    expect(full.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    await full.close();
    const normal = await openSqliteStore({ path: join(dir, "normal.db"), durability: "normal", log });
    expect(normal.db.pragma("synchronous", { simple: true })).toBe(1);
    await normal.close();
    // Without a logger there is no checkpointer either.
    const quiet = await openSqliteStore({ path: join(dir, "quiet.db") });
    expect(quiet.db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await quiet.close();
  });

  it("opens --db values: sqlite:// and plain paths as SQLite with the options given", async () => {
    const store = (await openStore(`sqlite://${join(dir, "u.db")}`, {
      durability: "full",
      log: pino({ level: "silent" }),
    })) as SqliteStore;
    expect(store.db.name).toBe(join(dir, "u.db"));
    expect(store.db.pragma("synchronous", { simple: true })).toBe(2);
    expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    await store.close();
    // Only a scheme at the start is one: a path holding "://" further on is a file path like any other.
    expect(backendOf("./odd/x://y.db")).toBe("sqlite");
    expect(sqlitePath("./odd/sqlite://y.db")).toBe("./odd/sqlite://y.db");
    expect(thrown(() => backendOf("mysql://h/db")).code).toBe("FAILED_PRECONDITION");
  });

  it("releases the lock when the database cannot be opened, so a later open succeeds", async () => {
    const path = join(dir, "p.db");
    const other = new Database(path);
    other.exec("CREATE TABLE mine (x)");
    other.close();
    await expect(openSqliteStore({ path })).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    rmSync(path);
    const store = await openSqliteStore({ path });
    await store.close();
  });

  it("closes the store's database and releases its lock on close", async () => {
    const path = join(dir, "p.db");
    const store = await openSqliteStore({ path, log: pino({ level: "silent" }) });
    await expect(openSqliteStore({ path })).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    await store.close();
    expect(store.db.open).toBe(false);
    const again = await openSqliteStore({ path });
    await again.close();
  });
});

describe("the checkpointer without its thread", () => {
  it("falls back to the serving connection checkpointing, logs it, and answers waiting checkpoints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-ckpt-"));
    const db = new Database(join(dir, "db.sqlite"));
    db.pragma("journal_mode = WAL");
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
    try {
      // The worker cannot open a file that does not exist (fileMustExist): its thread fails at start.
      const ckpt = new Checkpointer(db, join(dir, "missing.sqlite"), () => 0, log, 1_000_000);
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      expect(await ckpt.checkpoint()).toEqual({ log: -1, checkpointed: -1 });
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [50, "WAL checkpoint thread failed; checkpointing on the main thread"],
      ]);
      // The thread's error itself is logged, for the operator.
      expect(lines[0]!.err).toBeDefined();
      await ckpt.close();
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("falls back quietly when the serving connection closed before its thread failed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-ckpt-"));
    const db = new Database(join(dir, "db.sqlite"));
    db.pragma("journal_mode = WAL");
    try {
      const ckpt = new Checkpointer(db, join(dir, "missing.sqlite"), () => 0, pino({ level: "silent" }), 1_000_000);
      db.close();
      // The thread's failure still answers the waiting checkpoint, and touches no closed connection.
      expect(await ckpt.checkpoint()).toEqual({ log: -1, checkpointed: -1 });
      await ckpt.close();
    } finally {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers a checkpoint its thread could not run with -1s, warns, and keeps the thread", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-ckpt-"));
    const db = new Database(join(dir, "db.sqlite"));
    db.pragma("journal_mode = WAL");
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
    // The thread opens the file it is given (SQLite reads nothing yet); its first checkpoint finds no database there.
    const text = join(dir, "text.sqlite");
    writeFileSync(text, "not a database, only text long enough to fill a header of one. ".repeat(20));
    const ckpt = new Checkpointer(db, text, () => 0, log, 1_000_000);
    try {
      expect(await ckpt.checkpoint()).toEqual({ log: -1, checkpointed: -1 });
      expect(lines.map((l) => [l.level, l.msg, l.error])).toEqual([
        [40, "background WAL checkpoint failed; will retry", "file is not a database"],
      ]);
      // Only that checkpoint failed, not the thread: the serving connection still leaves checkpoints to it.
      expect(await ckpt.checkpoint()).toEqual({ log: -1, checkpointed: -1 });
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    } finally {
      await ckpt.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
