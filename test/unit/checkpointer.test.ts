import Database from "better-sqlite3";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Checkpointer } from "../../src/store/sqlite/checkpointer.js";

/** Rows of `t` in the database file alone, i.e. what has been checkpointed out of the WAL. */
function rowsInMainFile(dir: string): number {
  const copy = join(dir, "copy.sqlite");
  copyFileSync(join(dir, "db.sqlite"), copy);
  const db = new Database(copy, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
  } finally {
    db.close();
    rmSync(copy);
  }
}

describe("Checkpointer", () => {
  let dir: string;
  let db: Database.Database;
  let commits = 0;
  const log = pino({ level: "silent" });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "parzen-ckpt-"));
    db = new Database(join(dir, "db.sqlite"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    db.pragma("wal_checkpoint(TRUNCATE)");
    commits = 0;
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (n: number) => {
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    for (let i = 0; i < n; i++) {
      insert.run("x".repeat(200));
      commits++;
    }
  };

  it("stops the serving connection from checkpointing, and copies the WAL into the database file itself", async () => {
    const lines: unknown[] = [];
    const heard = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const ckpt = new Checkpointer(db, join(dir, "db.sqlite"), () => commits, heard, 1_000_000);
    try {
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      write(3000); // well past SQLite's default 1,000-page trigger
      expect(rowsInMainFile(dir)).toBe(0);
      const r = await ckpt.checkpoint();
      expect(r.log).toBeGreaterThan(0);
      expect(r.checkpointed).toBe(r.log);
      expect(rowsInMainFile(dir)).toBe(3000);
      // A checkpoint that ran is nothing to tell the operator about.
      expect(lines).toEqual([]);
    } finally {
      await ckpt.close();
    }
  });

  it("checkpoints on its own once commits were made", async () => {
    const ckpt = new Checkpointer(db, join(dir, "db.sqlite"), () => commits, log, 20);
    try {
      await new Promise((r) => setTimeout(r, 100));
      // Twice: a checkpoint's answer lets the next commits be checkpointed too.
      for (const total of [500, 1000]) {
        write(500);
        const deadline = Date.now() + 5000;
        while (rowsInMainFile(dir) < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(rowsInMainFile(dir)).toBe(total);
      }
    } finally {
      await ckpt.close();
    }
    // After close the connection checkpoints for itself again (SQLite's default).
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    db.close();
    expect(statSync(join(dir, "db.sqlite")).size).toBeGreaterThan(1000 * 200);
  });

  it("closes after the serving connection has closed, leaving it alone", async () => {
    const ckpt = new Checkpointer(db, join(dir, "db.sqlite"), () => commits, log, 1_000_000);
    write(10);
    db.close();
    await expect(ckpt.close()).resolves.toBeUndefined();
  });
});
