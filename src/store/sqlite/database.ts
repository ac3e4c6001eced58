/**
 * Opens the SQLite database (WAL, foreign keys, a busy timeout) and brings
 * its schema up to date by applying migrations/NNNN_name.sql in order,
 * tracked with PRAGMA user_version. Refuses a database written by a newer
 * Parzen rather than guessing at its schema.
 */
import Database from "better-sqlite3";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ParzenError } from "../../errors.js";

export type Db = Database.Database;

const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../migrations");

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  return files.map((f, i) => {
    const version = Number.parseInt(f.slice(0, 4), 10);
    if (version !== i + 1) throw new Error(`migrations: expected version ${i + 1}, found ${f}`);
    return { version, name: f, sql: readFileSync(join(dir, f), "utf8") };
  });
}

/** Fails with a clear message when the database file's directory is missing. */
export function checkDatabaseDirectory(path: string): void {
  if (path === ":memory:") return;
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ParzenError("FAILED_PRECONDITION", `database directory ${dir} does not exist`);
  }
}

/** Opens (creating if needed) and migrates a database file, or ":memory:". */
export function openDatabase(path: string, migrations: Migration[] = loadMigrations()): Db {
  checkDatabaseDirectory(path);
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw new ParzenError("FAILED_PRECONDITION", `cannot open database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db, migrations, path);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof ParzenError) throw err;
    throw new ParzenError("FAILED_PRECONDITION", `cannot use database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function migrate(db: Db, migrations: Migration[], path: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `database ${path} has schema version ${current}, newer than this Parzen's ${latest}; upgrade Parzen`,
    );
  }
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
