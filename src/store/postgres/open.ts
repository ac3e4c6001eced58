/**
 * Opens the PostgreSQL store the way a server runs it: a pool, one round
 * trip to turn an unreachable host, a refused login or a missing database
 * into one clear start-up error, then the schema migrated (or a database
 * written by a newer Parzen refused). Any number of servers may open one
 * database: each unit locks its experiment, and the change feed keeps every
 * server's images current (service/state/feed-sync.ts).
 * Only store/open.ts and tests call this.
 */
import { ParzenError } from "../../errors.js";
import { openPool, startupError } from "./connect.js";
import { migrate } from "./migrate.js";
import { PostgresStore } from "./postgres-store.js";

export interface PostgresOptions {
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Bound on waiting for an experiment's lock held by another server (default 10 s). */
  lockTimeoutMs?: number;
}

export async function openPostgresStore(options: PostgresOptions): Promise<PostgresStore> {
  const pool = await openPool(options.url, { max: options.poolSize });
  try {
    await migrate(pool, options.url);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err instanceof ParzenError ? err : startupError(err, options.url);
  }
  return new PostgresStore(pool, { lockTimeoutMs: options.lockTimeoutMs });
}
