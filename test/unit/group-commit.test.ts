import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { GroupCommit } from "../../src/store/sqlite/group-commit.js";

describe("GroupCommit", () => {
  let dir: string;
  let writer: Database.Database;
  let reader: Database.Database;
  const count = () => (reader.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "parzen-group-"));
    writer = new Database(join(dir, "db.sqlite"));
    writer.pragma("journal_mode = WAL");
    writer.pragma("foreign_keys = ON");
    writer.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL,
        parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
    reader = new Database(join(dir, "db.sqlite"), { readonly: true });
  });
  afterEach(() => {
    writer.close();
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits the units of one event-loop turn together, and only then resolves committed()", async () => {
    const group = new GroupCommit(writer);
    const insert = writer.prepare("INSERT INTO t (v) VALUES (?)");
    for (let i = 0; i < 5; i++) group.run(() => insert.run(`u${i}`));
    // Written on the writer's connection, not yet visible to another one.
    expect(count()).toBe(0);
    await group.committed();
    expect(count()).toBe(5);
    expect(writer.inTransaction).toBe(false);
    // With nothing pending, committed() resolves at once.
    await expect(group.committed()).resolves.toBeUndefined();
  });

  it("undoes only the unit that threw", async () => {
    const group = new GroupCommit(writer);
    const insert = writer.prepare("INSERT INTO t (v) VALUES (?)");
    group.run(() => insert.run("kept"));
    expect(() =>
      group.run(() => {
        insert.run("undone");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    group.run(() => insert.run("kept too"));
    await group.committed();
    expect(reader.prepare("SELECT v FROM t ORDER BY id").all()).toEqual([{ v: "kept" }, { v: "kept too" }]);
  });

  it("flush() commits at once", () => {
    const group = new GroupCommit(writer);
    group.run(() => writer.prepare("INSERT INTO t (v) VALUES ('now')").run());
    group.flush();
    expect(count()).toBe(1);
  });

  it("a failed commit rolls the whole group back, rejects its waiters with UNAVAILABLE and tells the listener", async () => {
    const group = new GroupCommit(writer);
    let rollbacks = 0;
    group.onRollback(() => rollbacks++);
    const insert = writer.prepare("INSERT INTO t (v, parent) VALUES (?, ?)");
    group.run(() => insert.run("fine", null));
    // A deferred foreign key is only checked at COMMIT: the whole group fails there.
    group.run(() => insert.run("dangling", 42));
    const err = await group.committed().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("UNAVAILABLE");
    expect((err as ParzenError).message).toMatch(/nothing of this call was stored/);
    expect(rollbacks).toBe(1);
    expect(writer.inTransaction).toBe(false);
    expect(count()).toBe(0);
    // The next group works normally.
    group.run(() => insert.run("after", null));
    await group.committed();
    expect(count()).toBe(1);
  });
});
