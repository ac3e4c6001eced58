/**
 * The numbered migration files both stores read (src/store/migration-files.ts): only `NNNN_name.sql` files, in
 * version order, gaps allowed, a repeated or zero version refused naming the set and the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrationFiles } from "../../src/store/migration-files.js";

describe("loadMigrationFiles", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** A directory holding `files` (name: content), written in the order given. */
  function dirWith(files: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), "parzen-migrations-"));
    dirs.push(dir);
    for (const f of files) writeFileSync(join(dir, f), `-- ${f}`);
    return dir;
  }

  it("reads only NNNN_name.sql files, in version order, with gaps, each with its name and text", () => {
    const dir = dirWith([
      "0010_last_one.sql",
      "0003_b2.sql",
      "0001_init.sql",
      "0004_with_underscores_9.sql",
      // Not migrations: other names, extensions, digits or characters.
      "README.md",
      "0005_init.sql.bak",
      "0006_init.sqlx",
      "x0007_a.sql",
      "007_short.sql",
      "00008_long.sql",
      "0009_Upper.sql",
      "0011_dash-ed.sql",
      "0012_.sql",
      "0013_dot.ted.sql",
      "0014 space.sql",
    ]);
    expect(loadMigrationFiles(dir, "test set")).toEqual([
      { version: 1, name: "0001_init.sql", sql: "-- 0001_init.sql" },
      { version: 3, name: "0003_b2.sql", sql: "-- 0003_b2.sql" },
      { version: 4, name: "0004_with_underscores_9.sql", sql: "-- 0004_with_underscores_9.sql" },
      { version: 10, name: "0010_last_one.sql", sql: "-- 0010_last_one.sql" },
    ]);
  });

  it("reads an empty directory as no migrations", () => {
    expect(loadMigrationFiles(dirWith(["notes.txt"]), "test set")).toEqual([]);
  });

  it("refuses a repeated version, naming the set, the version before and the file", () => {
    const dir = dirWith(["0001_a.sql", "0002_b.sql", "0002_c.sql", "0003_d.sql"]);
    expect(() => loadMigrationFiles(dir, "test set")).toThrow(
      new Error("test set: expected a version above 2, found 0002_c.sql"),
    );
  });

  it("refuses version 0", () => {
    expect(() => loadMigrationFiles(dirWith(["0000_zero.sql", "0001_a.sql"]), "zeros")).toThrow(
      new Error("zeros: expected a version above 0, found 0000_zero.sql"),
    );
  });
});
