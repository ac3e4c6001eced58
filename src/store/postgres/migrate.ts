/**
 * Brings a PostgreSQL database's schema up to date at start-up: applies
 * migrations/postgres/NNNN_name.sql in order, tracked in `parzen_schema`,
 * all in one transaction under an advisory lock, so servers starting
 * together migrate once and never see half a schema. Refuses a database
 * whose schema is newer than this Parzen knows (written by a newer release),
 * as the SQLite store does.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ParzenError } from "../../errors.js";
import { isConnectionError, PARZEN_LOCKS, type Pool, redact } from "./connect.js";
import { loadMigrationFiles, type Migration } from "../migration-files.js";

const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../migrations/postgres");

/** Advisory lock (PARZEN_LOCKS, 0): serialises migrations. */
const MIGRATION_LOCK = 0;

export type { Migration } from "../migration-files.js";

export function loadPostgresMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return loadMigrationFiles(dir, "postgres migrations");
}

export async function migrate(
  pool: Pool,
  url: string,
  migrations: Migration[] = loadPostgresMigrations(),
): Promise<void> {
  const latest = migrations.at(-1)?.version ?? 0;
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query("BEGIN");
    await c.query("SELECT pg_advisory_xact_lock($1, $2)", [PARZEN_LOCKS, MIGRATION_LOCK]);
    await c.query("CREATE TABLE IF NOT EXISTS parzen_schema (version INTEGER NOT NULL)");
    const { rows } = await c.query<{ version: number }>("SELECT version FROM parzen_schema");
    const current = rows[0]?.version ?? 0;
    if (current > latest) {
      throw new ParzenError(
        "FAILED_PRECONDITION",
        `database ${redact(url)} has schema version ${current}, newer than this Parzen's ${latest}; upgrade Parzen`,
      );
    }
    if (rows.length === 0) await c.query("INSERT INTO parzen_schema (version) VALUES (0)");
    for (const m of migrations.filter((m) => m.version > current)) {
      await c.query(m.sql);
      await c.query("UPDATE parzen_schema SET version = $1", [m.version]);
    }
    await c.query("COMMIT");
  } catch (err) {
    if (isConnectionError(err)) broken = err as Error;
    else await c.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    c.release(broken);
  }
}
