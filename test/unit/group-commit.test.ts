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
  it("counts one commit per group and tells the listeners its units and duration, and that storage works", async () => {
    const group = new GroupCommit(writer);
    const commits: [number, number][] = [];
    const storage: boolean[] = [];
    group.onCommit((seconds, units) => commits.push([seconds, units]));
    group.onStorage((ok) => storage.push(ok));
    const insert = writer.prepare("INSERT INTO t (v) VALUES (?)");
    for (let i = 0; i < 3; i++) group.run(() => insert.run(`a${i}`));
    await group.committed();
    group.run(() => insert.run("b"));
    await group.committed();
    expect(group.commits).toBe(2);
    expect(commits.map(([, units]) => units)).toEqual([3, 1]);
    for (const [seconds] of commits) expect(seconds >= 0 && seconds < 10).toBe(true);
    expect(storage).toEqual([true, true]);
    // flush() with nothing open commits nothing.
    group.flush();
    expect(group.commits).toBe(2);
  });

  it("returns the unit's result and rethrows a caller's error unchanged", () => {
    const group = new GroupCommit(writer);
    expect(group.run(() => 42)).toBe(42);
    const mine = new ParzenError("INVALID_ARGUMENT", "bad input");
    expect(() =>
      group.run(() => {
        throw mine;
      }),
    ).toThrow(mine);
  });

  it("on a full disk fails the unit and the group's earlier units, naming the file, and the next group works", async () => {
    const path = join(dir, "db.sqlite");
    const group = new GroupCommit(writer, path);
    let rollbacks = 0;
    const storage: boolean[] = [];
    group.onRollback(() => rollbacks++);
    group.onStorage((ok) => storage.push(ok));
    const insert = writer.prepare("INSERT INTO t (v) VALUES (?)");
    const pages = Number(writer.pragma("page_count", { simple: true }));
    writer.pragma(`max_page_count = ${pages + 2}`);
    group.run(() => insert.run("earlier"));
    const earlier = group.committed().then(
      () => undefined,
      (e: unknown) => e,
    );
    let thrown: unknown;
    try {
      group.run(() => insert.run("x".repeat(100_000)));
    } catch (err) {
      thrown = err;
    }
    for (const err of [thrown, await earlier]) {
      expect(err).toBeInstanceOf(ParzenError);
      expect((err as ParzenError).code).toBe("UNAVAILABLE");
      expect((err as ParzenError).message).toContain(`database ${path}: the disk holding it is full`);
      expect((err as ParzenError).message).toMatch(/nothing of this call was stored/);
    }
    expect(rollbacks).toBe(1);
    expect(storage).not.toContain(true);
    expect(storage).toContain(false);
    expect(writer.inTransaction).toBe(false);

    writer.pragma("max_page_count = 1000000");
    group.run(() => insert.run("after"));
    await group.committed();
    expect(reader.prepare("SELECT v FROM t").all()).toEqual([{ v: "after" }]);
    expect(storage.at(-1)).toBe(true);
  });

  it("answers UNAVAILABLE, running nothing, when another connection holds the write lock", async () => {
    const path = join(dir, "db.sqlite");
    const impatient = new Database(path, { timeout: 0 });
    const other = new Database(path);
    try {
      const group = new GroupCommit(impatient);
      const storage: boolean[] = [];
      group.onStorage((ok) => storage.push(ok));
      other.exec("BEGIN IMMEDIATE");
      let ran = false;
      expect(() =>
        group.run(() => {
          ran = true;
        }),
      ).toThrow(new RegExp(`^database ${path}: it is locked by another connection`));
      expect(ran).toBe(false);
      expect(storage).toEqual([false]);
      other.exec("ROLLBACK");
      group.run(() => impatient.prepare("INSERT INTO t (v) VALUES ('later')").run());
      await group.committed();
      expect(count()).toBe(1);
    } finally {
      other.close();
      impatient.close();
    }
  });

  it("names the file and keeps the cause of a commit that failed for another reason than storage", async () => {
    const group = new GroupCommit(writer);
    const storage: boolean[] = [];
    group.onStorage((ok) => storage.push(ok));
    group.run(() => writer.prepare("INSERT INTO t (v, parent) VALUES ('dangling', 7)").run());
    const err = (await group.committed().then(
      () => undefined,
      (e: unknown) => e,
    )) as ParzenError;
    expect(err.message).toMatch(
      new RegExp(`^database ${join(dir, "db.sqlite")}: the write failed \\(FOREIGN KEY constraint failed\\)`),
    );
    expect((err.cause as { code?: string }).code).toBe("SQLITE_CONSTRAINT_FOREIGNKEY");
    // A constraint is not the storage's fault: readiness is not told otherwise.
    expect(storage).toEqual([]);
  });
});
