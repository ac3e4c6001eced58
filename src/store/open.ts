/**
 * One `--db` value to one Store: `postgres://` or `postgresql://` URLs open
 * PostgreSQL (postgres/), anything else is a SQLite file path (sqlite/), also
 * written `sqlite://PATH` (`sqlite:///abs/path`). Only app.ts and tools call
 * this; the service sees the Store interface.
 */
import type { Logger } from "pino";
import { ParzenError } from "../errors.js";
import { isPostgresUrl, redact } from "./db-url.js";
import { type Durability, openSqliteStore } from "./sqlite/open.js";
import type { Store } from "./store.js";

export type { Durability };

export interface StoreOptions {
  /** SQLite only: see sqlite/open.ts. PostgreSQL's durability is the server's (synchronous_commit). */
  durability?: Durability;
  log?: Logger;
  /** PostgreSQL only: connections in the pool. */
  poolSize?: number;
  /** PostgreSQL only: how long to wait for an experiment's lock held by another server. */
  lockTimeoutMs?: number;
}

export type Backend = "sqlite" | "postgres";

export function backendOf(db: string): Backend {
  if (isPostgresUrl(db)) return "postgres";
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(db)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== "sqlite") {
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `--db ${redact(db)}: unknown database scheme "${scheme}"; use a SQLite file path or a postgres:// URL`,
    );
  }
  return "sqlite";
}

/** A SQLite path from `--db` (without its optional sqlite:// prefix). */
export const sqlitePath = (db: string): string => db.replace(/^sqlite:\/\//i, "");

export async function openStore(db: string, options: StoreOptions = {}): Promise<Store> {
  if (backendOf(db) === "postgres") {
    // Loaded only here: a SQLite server never loads the PostgreSQL driver.
    const { openPostgresStore } = await import("./postgres/open.js");
    return openPostgresStore({ url: db, poolSize: options.poolSize, lockTimeoutMs: options.lockTimeoutMs });
  }
  return openSqliteStore({ path: sqlitePath(db), durability: options.durability, log: options.log });
}
