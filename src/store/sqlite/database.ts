/**
 * Opens the SQLite database (WAL, foreign keys, a busy timeout) and brings
 * its schema up to date by applying migrations/NNNN_name.sql in order,
 * tracked with PRAGMA user_version. Refuses a database written by a newer
 * Parzen rather than guessing at its schema.
 */
import Database from "better-sqlite3";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ParzenError } from "../../errors.js";
import { loadMigrationFiles, type Migration } from "../migration-files.js";

export type Db = Database.Database;

const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../migrations");

export type { Migration } from "../migration-files.js";

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return loadMigrationFiles(dir, "migrations");
}

/**
 * Fails with a clear message when the database file's directory is missing,
 * or when it or the file cannot be written (SQLite would otherwise open a
 * read-only file read-only without a word, and fail every write later).
 */
export function checkDatabaseDirectory(path: string): void {
  if (path === ":memory:") return;
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ParzenError("FAILED_PRECONDITION", `database directory ${dir} does not exist`);
  }
  const unwritable = (p: string): string | undefined => {
    try {
      accessSync(p, constants.W_OK);
      return undefined;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EROFS" ? "on a read-only file system" : "not writable";
    }
  };
  const dirProblem = unwritable(dir);
  if (dirProblem !== undefined) {
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `database ${path} cannot be written: its directory ${dir} is ${dirProblem} for this user, and SQLite ` +
        "keeps its write-ahead log and lock files beside the database",
    );
  }
  const fileProblem = existsSync(path) ? unwritable(path) : undefined;
  if (fileProblem !== undefined)
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `database ${path} cannot be written: the file is ${fileProblem} for this user (read-only)`,
    );
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
    // Before anything changes the file (WAL mode persists in it): refuse what Parzen cannot use.
    checkSchema(db, latestVersion(migrations), path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db, migrations);
    if (path !== ":memory:") checkWritable(db, path);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof ParzenError) throw err;
    throw new ParzenError("FAILED_PRECONDITION", `cannot use database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Refuses a database of a newer Parzen, and a SQLite file that is not Parzen's at all. */
function checkSchema(db: Db, latest: number, path: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > latest) {
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `database ${path} has schema version ${current}, newer than this Parzen's ${latest}; upgrade Parzen`,
    );
  }
  if (current === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get() as {
      n: number;
    };
    if (tables.n > 0) {
      throw new ParzenError(
        "FAILED_PRECONDITION",
        `${path} is not a Parzen database (it holds tables but no Parzen schema version); it was left unchanged: ` +
          "use another --db",
      );
    }
  }
}

/** A real committed write at start-up: a server that cannot write should not start and report SERVING. */
function checkWritable(db: Db, path: string): void {
  try {
    const version = db.pragma("user_version", { simple: true }) as number;
    db.transaction(() => db.pragma(`user_version = ${version}`)).immediate();
  } catch (err) {
    throw new ParzenError("FAILED_PRECONDITION", `database ${path} cannot be written (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/** The schema version the migrations bring a database to (0 for none). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

function migrate(db: Db, migrations: Migration[]): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (const m of migrations.filter((m) => m.version > current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
