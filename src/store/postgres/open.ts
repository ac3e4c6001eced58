/**
 * Opens the PostgreSQL store the way a server runs it: a pool, one round
 * trip to turn an unreachable host, a refused login or a missing database
 * into one clear start-up error, then the schema migrated (or a database
 * written by a newer Parzen refused), and, for a server, the one-server lock.
 * Only store/open.ts and tests call this.
 */
import { ParzenError } from "../../errors.js";
import { openPool, startupError } from "./connect.js";
import { migrate } from "./migrate.js";
import { ServerLock } from "./server-lock.js";
import { PostgresStore } from "./postgres-store.js";

export interface PostgresOptions {
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Refuse to start beside another server on the database (server-lock.ts); what `parzen serve` does. */
  exclusive?: boolean;
}

export async function openPostgresStore(options: PostgresOptions): Promise<PostgresStore> {
  const pool = await openPool(options.url, { max: options.poolSize });
  let lock: ServerLock | undefined;
  try {
    try {
      await migrate(pool, options.url);
    } catch (err) {
      throw err instanceof ParzenError ? err : startupError(err, options.url);
    }
    if (options.exclusive) lock = await ServerLock.acquire(pool, options.url);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return new PostgresStore(pool, lock);
}
