/**
 * The one-server-per-file lock on its own (docs/reliability.md, "One server
 * per database file"): what it refuses, the file and holder its message
 * names, and that it holds nothing once released. db-lock.test.ts checks the
 * same rules through whole servers and other processes.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { acquireProcessLock, lockHolders, type ProcessLock } from "../../src/store/sqlite/process-lock.js";

let dir: string;
const held: { release(): void }[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parzen-plock-"));
});
afterEach(() => {
  while (held.length > 0) held.pop()!.release();
  rmSync(dir, { recursive: true, force: true });
});

const acquire = (path: string): ProcessLock => {
  const lock = acquireProcessLock(path);
  held.push(lock);
  return lock;
};

function refusal(path: string): ParzenError {
  try {
    acquire(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("FAILED_PRECONDITION");
    return err as ParzenError;
  }
  throw new Error(`the lock on ${path} was granted twice`);
}

/** A WAL database with a table, as a server leaves it. */
function database(path: string): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE t (x)");
  db.close();
}

describe("acquireProcessLock", () => {
  it("refuses the same file while held, naming it and this process, and grants it again once released", () => {
    const path = join(dir, "a.db");
    database(path);
    const first = acquire(path);
    const err = refusal(path);
    expect(err.message).toBe(
      `database ${path} is in use by another Parzen server or program (process ${process.pid} (this one)); ` +
        "stop it or use another --db",
    );
    first.release();
    held.splice(held.indexOf(first), 1);
    acquire(path).release();
    held.pop();
  });

  it("locks a file that does not exist yet, beside its real path, and refuses it through a symlinked directory", () => {
    const real = join(dir, "real");
    mkdirSync(real);
    symlinkSync(real, join(dir, "alias"));
    const path = join(dir, "alias", "new.db");
    acquire(path);
    expect(existsSync(join(real, "new.db.lock"))).toBe(true);
    expect(existsSync(join(real, "new.db"))).toBe(false);
    const err = refusal(join(real, "new.db"));
    expect(err.message).toContain(`database ${join(real, "new.db")} is in use`);
    expect(err.message).not.toContain("(/");
  });

  it("names the real file beside a symlink's path", () => {
    const path = join(dir, "a.db");
    database(path);
    symlinkSync(path, join(dir, "link.db"));
    acquire(path);
    expect(refusal(join(dir, "link.db")).message).toContain(
      `database ${join(dir, "link.db")} (${path}) is in use by another Parzen server or program (process ${process.pid}`,
    );
  });

  it("refuses a file another program has open, naming the holder, and grants it once that program closes it", () => {
    const path = join(dir, "a.db");
    database(path);
    const shell = new Database(path);
    shell.prepare("SELECT count(*) FROM t").get();
    try {
      expect(refusal(path).message).toBe(
        `database ${path} is in use by another Parzen server or program (process ${process.pid} (this one)); ` +
          "stop it or use another --db",
      );
    } finally {
      shell.close();
    }
    acquire(path);
  });

  it("names every process holding the file, lowest pid first", async () => {
    const path = join(dir, "a.db");
    database(path);
    // Another program in another process: a connection that reads once and stays open.
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require("better-sqlite3"))(${JSON.stringify(path)});
         db.prepare("SELECT count(*) FROM t").get();
         console.log("open");
         process.stdin.resume();`,
      ],
      { cwd: process.cwd(), stdio: ["pipe", "pipe", "inherit"] },
    );
    try {
      const [line] = (await once(holder.stdout!, "data")) as [Buffer];
      expect(line.toString()).toContain("open");
      const shell = new Database(path);
      shell.prepare("SELECT count(*) FROM t").get();
      try {
        const names = [holder.pid!, process.pid]
          .sort((a, b) => a - b)
          .map((pid) => (pid === process.pid ? `process ${pid} (this one)` : `process ${pid}`));
        expect(refusal(path).message).toBe(
          `database ${path} is in use by another Parzen server or program (${names.join(", ")}); ` +
            "stop it or use another --db",
        );
      } finally {
        shell.close();
      }
      // This process let go: only the other one is named now.
      expect(refusal(path).message).toContain(`(process ${holder.pid}); stop it`);
    } finally {
      holder.kill("SIGKILL");
      await once(holder, "exit");
    }
  });

  it("refuses a file with two names even when nobody holds it, and takes a file that is not a database", () => {
    const a = join(dir, "a.db");
    database(a);
    linkSync(a, join(dir, "b.db"));
    const err = refusal(a);
    expect(err.message).toMatch(new RegExp(`^database ${a} has 2 hard links; .*copy it to a file of its own`));
    // A file that is not SQLite is not the lock's business: opening it names the problem.
    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a database, but long enough to look like a header of some kind\n".repeat(10));
    acquire(text);
  });

  it("refuses with a clear message when the lock file beside the database is unusable", () => {
    const path = join(dir, "a.db");
    writeFileSync(`${path}.lock`, "this is not an SQLite file ".repeat(40));
    const err = refusal(path);
    expect(err.message).toMatch(
      new RegExp(`^database ${path} cannot be locked: its lock file ${path}\\.lock cannot be written \\(`),
    );
    // SQLite's own error stays attached, for the log.
    expect((err.cause as { code?: string }).code).toBe("SQLITE_NOTADB");
  });

  it("refuses a path that exists but cannot be opened as a file, naming it", () => {
    const path = join(dir, "folder.db");
    mkdirSync(path);
    const err = refusal(path);
    expect(err.message).toMatch(new RegExp(`^cannot open database ${path}: `));
    expect((err.cause as { code?: string }).code).toBe("SQLITE_CANTOPEN");
  });

  it("takes no lock for an in-memory database", () => {
    acquire(":memory:");
    acquire(":memory:");
    expect(existsSync(":memory:.lock")).toBe(false);
  });

  it("names the process holding the lock file, from /proc/locks, while its record cannot be read", async () => {
    const path = join(dir, "a.db");
    // Another server in its turn: the lock file held exclusively, by another process.
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require("better-sqlite3"))(${JSON.stringify(`${path}.lock`)});
         db.pragma("locking_mode = EXCLUSIVE");
         db.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER)");
         db.exec("BEGIN EXCLUSIVE");
         console.log("locked");
         process.stdin.resume();`,
      ],
      { cwd: process.cwd(), stdio: ["pipe", "pipe", "inherit"] },
    );
    try {
      const [line] = (await once(holder.stdout!, "data")) as [Buffer];
      expect(line.toString()).toContain("locked");
      expect(refusal(path).message).toBe(
        `database ${path} is in use by another Parzen server or program (process ${holder.pid}); ` +
          "stop it or use another --db",
      );
    } finally {
      holder.kill("SIGKILL");
      await once(holder, "exit");
    }
  });

  it("names the pid recorded in the lock file when another program only reads it, and another process when none is", () => {
    const path = join(dir, "a.db");
    database(path);
    acquire(path).release();
    held.pop();
    // The lock file records who took it last.
    const lockFile = new Database(`${path}.lock`, { readonly: true });
    expect(lockFile.prepare("SELECT pid FROM holder").all()).toEqual([{ pid: process.pid }]);
    lockFile.close();
    for (const [recorded, named] of [
      [4242, "process 4242"],
      [undefined, "another process"],
    ] as const) {
      const edit = new Database(`${path}.lock`);
      edit.exec("DELETE FROM holder");
      if (recorded !== undefined) edit.prepare("INSERT INTO holder (pid) VALUES (?)").run(recorded);
      edit.close();
      // A reader in a transaction (sqlite3 inspecting the file, say) keeps the lock file from being taken, not read.
      const reader = new Database(`${path}.lock`);
      reader.exec("BEGIN");
      reader.prepare("SELECT pid FROM holder").all();
      try {
        expect(refusal(path).message).toBe(
          `database ${path} is in use by another Parzen server or program (${named}); stop it or use another --db`,
        );
      } finally {
        reader.exec("COMMIT");
        reader.close();
      }
    }
    // The refusals left no descriptor of the lock file open behind them.
    const open = readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === `${path}.lock`;
      } catch {
        return false;
      }
    });
    expect(open).toEqual([]);
    acquire(path);
  });
});

/** glibc's st_dev for a device (sys/sysmacros.h `makedev`). */
const makedev = (major: number, minor: number): bigint =>
  (BigInt(minor) & 0xffn) |
  ((BigInt(major) & 0xfffn) << 8n) |
  ((BigInt(minor) & ~0xffn) << 12n) |
  ((BigInt(major) & ~0xfffn) << 32n);

describe("lockHolders (/proc/locks, proc(5))", () => {
  const file = { dev: makedev(0x103, 0x1f2), ino: 5678n };
  const line = (id: number, kind: string, pid: number, device: string, ino: number | bigint) =>
    `${id}: ${kind}  ADVISORY  READ ${pid} ${device}:${ino} 1073741826 1073742335`;

  it("lists each process holding a lock on the file once, by number, lowest first", () => {
    const table = [
      line(1, "POSIX", 1000, "103:1f2", 5678),
      line(2, "FLOCK", 900, "103:1f2", 5678),
      line(3, "POSIX", 1000, "103:1f2", 5678),
      line(14, "POSIX", 77, "103:1f2", 5678),
      line(123, "OFDLCK", 31337, "103:1f2", 5678),
      "",
    ].join("\n");
    expect(lockHolders(table, file)).toEqual([77, 900, 1000, 31337]);
    // Fields apart by any run of blanks (kernels have padded the lock type).
    expect(lockHolders("5: POSIX  ADVISORY  READ  4321 103:1f2:5678 0 EOF", file)).toEqual([4321]);
  });

  it("leaves out locks on another file: another inode, or the same inode on another device", () => {
    const table = [
      line(1, "POSIX", 11, "103:1f2", 5679),
      line(2, "POSIX", 12, "102:1f2", 5678),
      line(3, "POSIX", 13, "103:1f3", 5678),
      line(4, "POSIX", 14, "3:1f2", 5678),
      line(5, "POSIX", 15, "103:f2", 5678),
      line(6, "POSIX", 16, "103:1f2", 56780),
      line(7, "POSIX", 17, "103:1f2", 5678),
    ].join("\n");
    expect(lockHolders(table, file)).toEqual([17]);
    // Devices with small numbers: the low bits alone.
    expect(lockHolders(line(1, "POSIX", 18, "08:01", 5678), { dev: makedev(8, 1), ino: 5678n })).toEqual([18]);
    expect(lockHolders(line(1, "POSIX", 18, "08:01", 5678), { dev: makedev(8, 0x101), ino: 5678n })).toEqual([]);
    expect(lockHolders(line(1, "POSIX", 18, "08:01", 5678), { dev: makedev(0x108, 1), ino: 5678n })).toEqual([]);
  });

  it("counts no process for an OFD lock (pid -1) or a holder it cannot see (pid 0), nor a waiter's line", () => {
    const table = [
      line(1, "OFDLCK", -1, "103:1f2", 5678),
      line(2, "POSIX", 0, "103:1f2", 5678),
      "2: -> POSIX  ADVISORY  WRITE 19 103:1f2:5678 0 EOF",
      "4: LEASE  ACTIVE    READ 21 103:1f2:5678 0 EOF",
    ].join("\n");
    expect(lockHolders(table, file)).toEqual([]);
  });
});
