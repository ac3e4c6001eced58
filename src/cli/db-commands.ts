/**
 * `parzen migrate` and `parzen copy`: operations on a database itself, with
 * no server in between. `migrate` brings a schema up to this Parzen's
 * version ahead of a rolling upgrade (the README's "Upgrading servers that
 * share a database" gives the order); `copy` moves a whole history between
 * databases (store/copy.ts).
 */
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { type Command, Option } from "commander";
import { copyDatabase } from "../store/copy.js";
import { backendOf, openStore, sqlitePath } from "../store/open.js";
import { openPool, redact } from "../store/postgres/connect.js";
import { PostgresStore } from "../store/postgres/postgres-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";

export function addDatabaseCommands(program: Command): void {
  program
    .command("migrate")
    .description("create or upgrade a database's schema to this Parzen's version, then exit")
    .addOption(
      new Option("--db <path-or-url>", "SQLite database file, or a postgres:// (postgresql://) URL")
        .env("PARZEN_DB")
        .makeOptionMandatory(),
    )
    .action(async (opts: { db: string }) => {
      const before = await schemaVersionOf(opts.db);
      const store = await openStore(opts.db, { poolSize: 1 });
      let after: number;
      try {
        after = await versionIn(store);
      } finally {
        await store.close();
      }
      const what = before === after ? "already at" : `migrated from ${before} to`;
      process.stdout.write(`parzen: database ${redact(opts.db)} ${what} schema version ${after}\n`);
    });

  program
    .command("copy")
    .description("copy a whole history (experiments, trials, curves, request ids) into an empty database")
    .requiredOption("--from <path-or-url>", "the database to read: a SQLite file (sqlite:///path) or a postgres:// URL")
    .requiredOption("--to <path-or-url>", "the empty database to write: a SQLite file or a postgres:// URL")
    .action(async (opts: { from: string; to: string }) => {
      const n = await copyDatabase(opts.from, opts.to);
      process.stdout.write(
        `parzen: copied ${n.experiments} experiments, ${n.trials} trials, ${n.intermediate_values} curve points ` +
          `and ${n.request_log} logged requests from ${redact(opts.from)} to ${redact(opts.to)}\n`,
      );
    });
}

/** The schema version a database is at before this command touches it (0: empty or new). */
async function schemaVersionOf(db: string): Promise<number> {
  if (backendOf(db) === "postgres") {
    const pool = await openPool(db, { max: 1 });
    try {
      const { rows: found } = await pool.query("SELECT to_regclass('parzen_schema') IS NOT NULL AS present");
      if (found[0]?.present !== true) return 0;
      const { rows } = await pool.query("SELECT max(version) AS v FROM parzen_schema");
      return Number(rows[0]?.v ?? 0);
    } finally {
      await pool.end();
    }
  }
  const path = sqlitePath(db);
  if (!existsSync(path)) return 0;
  const file = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return file.pragma("user_version", { simple: true }) as number;
  } finally {
    file.close();
  }
}

async function versionIn(store: unknown): Promise<number> {
  if (store instanceof PostgresStore) {
    const { rows } = await store.pool.query("SELECT version FROM parzen_schema");
    return Number(rows[0]?.version);
  }
  if (store instanceof SqliteStore) return store.db.pragma("user_version", { simple: true }) as number;
  throw new Error("unknown store");
}
