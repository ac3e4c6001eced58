/**
 * Opens the SQLite store the way a server runs it: the one-server-per-file
 * lock, the database (created and migrated), the chosen durability, and the
 * background WAL checkpointer; closing the store undoes all of it, in order.
 * `:memory:` gets neither lock nor checkpointer. Only app.ts and tests call
 * this; the service sees the Store interface.
 */
import type { Logger } from "pino";
import { Checkpointer } from "./checkpointer.js";
import { checkDatabaseDirectory, openDatabase } from "./database.js";
import { acquireProcessLock } from "./process-lock.js";
import { SqliteStore } from "./sqlite-store.js";

/** `normal`: WAL + synchronous=NORMAL (survives process crashes); `full`: synchronous=FULL (power loss too). */
export type Durability = "normal" | "full";

export interface SqliteOptions {
  path: string;
  durability?: Durability;
  /** Where the background checkpointer reports trouble; without one, SQLite checkpoints on the serving thread. */
  log?: Logger;
}

export async function openSqliteStore(options: SqliteOptions): Promise<SqliteStore> {
  const { path, log } = options;
  checkDatabaseDirectory(path);
  const lock = acquireProcessLock(path);
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(path);
    if (options.durability === "full") db.pragma("synchronous = FULL");
  } catch (err) {
    lock.release();
    throw err;
  }
  let store: SqliteStore | undefined;
  const checkpointer =
    path === ":memory:" || log === undefined ? undefined : new Checkpointer(db, path, () => store?.commits() ?? 0, log);
  store = new SqliteStore(db, { checkpointer, lock });
  return store;
}
