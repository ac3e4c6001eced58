/**
 * The one-server-per-file lock on its own (docs/reliability.md, "One server
 * per database file"): what it refuses, the file and holder its message
 * names, and that it holds nothing once released. db-lock.test.ts checks the
 * same rules through whole servers and other processes.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { acquireProcessLock, type ProcessLock } from "../../src/store/sqlite/process-lock.js";

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
  });

  it("refuses a path that exists but cannot be opened as a file, naming it", () => {
    const path = join(dir, "folder.db");
    mkdirSync(path);
    expect(refusal(path).message).toMatch(new RegExp(`^cannot open database ${path}: `));
  });

  it("takes no lock for an in-memory database", () => {
    acquire(":memory:");
    acquire(":memory:");
    expect(existsSync(":memory:.lock")).toBe(false);
  });
});
