/**
 * From a `postgres://` / `postgresql://` URL to a connection pool of
 * node-postgres (`pg`; chosen in bench/RESULTS.md, "PostgreSQL driver"), with
 * TLS as libpq's URL parameters ask for it and start-up failures turned into
 * one clear sentence each: unreachable host, authentication, missing
 * database. The URL's password never appears in a message.
 *
 * TLS (`sslmode`, as libpq): `disable` (the default), `prefer`/`allow`
 * (encrypt if the server can, no verification), `require` (encrypt, no
 * verification), `verify-ca` (the server's
 * certificate must chain to `sslrootcert`, or to the system's CAs without
 * it), `verify-full` (also its host name). `sslcert` + `sslkey`: a client
 * certificate.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import pg from "pg";
import { ParzenError } from "../../errors.js";
import { redact } from "../db-url.js";

export type Pool = pg.Pool;

export interface PoolOptions {
  /** Connections in the pool (default 10). */
  max?: number;
}

/** The first key of Parzen's advisory locks ("parz" in ASCII); the second says which lock. */
export const PARZEN_LOCKS = 0x7061727a;

export { isPostgresUrl, redact } from "../db-url.js";

const TLS_PARAMS = ["sslmode", "sslrootcert", "sslcert", "sslkey"] as const;

/** libpq's TLS parameters as a tls.connect option object (false: no TLS), and the URL without them. */
export function tlsFromUrl(url: string): { url: string; ssl: false | "prefer" | ConnectionOptions } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ParzenError("FAILED_PRECONDITION", `--db: not a valid URL: ${redact(url)}`);
  }
  const p = u.searchParams;
  const mode = p.get("sslmode") ?? "disable";
  const read = (param: string): Buffer | undefined => {
    const file = p.get(param);
    if (file === null) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ParzenError("FAILED_PRECONDITION", `--db ${param}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const client = { cert: read("sslcert"), key: read("sslkey") };
  let ssl: false | "prefer" | ConnectionOptions;
  switch (mode) {
    case "disable":
      ssl = false;
      break;
    case "allow":
    case "prefer":
      ssl = "prefer";
      break;
    case "require":
      ssl = { rejectUnauthorized: false, ...client };
      break;
    case "verify-ca":
      // Chain checked, host name not: skip only the identity check.
      ssl = { rejectUnauthorized: true, ca: read("sslrootcert"), checkServerIdentity: () => undefined, ...client };
      break;
    case "verify-full":
      // An IP address is checked against the certificate's IP entries; SNI carries only names.
      ssl = {
        rejectUnauthorized: true,
        ca: read("sslrootcert"),
        ...(isIP(hostOf(u)) ? { host: hostOf(u) } : { servername: hostOf(u) }),
        ...client,
      };
      break;
    default:
      throw new ParzenError(
        "FAILED_PRECONDITION",
        `--db: unknown sslmode "${mode}" (disable, allow, prefer, require, verify-ca, verify-full)`,
      );
  }
  for (const k of TLS_PARAMS) p.delete(k);
  return { url: u.toString(), ssl };
}

/** The host name of a URL, without the brackets of an IPv6 address. */
const hostOf = (u: URL): string => u.hostname.replace(/^\[(.*)\]$/, "$1");

/** Ids, times and versions are BIGINT: numbers here (all stay below 2^53). Everything else as pg parses it. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20
      ? (x: string) => Number(x)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * A pool; connects lazily, so `checkConnection` is what finds start-up
 * problems. `prefer` asks for TLS; openPool retries without it when the
 * server has none (libpq's fallback).
 */
export function createPool(url: string, options: PoolOptions = {}, withoutTls = false): Pool {
  const { url: plain, ssl } = tlsFromUrl(url);
  const pool = new pg.Pool({
    connectionString: plain,
    max: options.max ?? 10,
    ssl: withoutTls || ssl === false ? false : ssl === "prefer" ? { rejectUnauthorized: false } : ssl,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    // A lock turn sends its units without waiting for each answer (postgres-store.ts); elsewhere a connection
    // runs one statement at a time, as without pipelining.
    pipeline: true,
    application_name: "parzen",
    types,
  });
  // An idle client whose connection dies emits this; without a listener it would end the process.
  pool.on("error", () => {});
  return pool;
}

/** The pool for `url`, checked by one round trip; start-up failures in one sentence naming the database. */
export async function openPool(url: string, options: PoolOptions = {}): Promise<Pool> {
  let pool = createPool(url, options);
  try {
    await checkConnection(pool, url);
  } catch (err) {
    const noTls = /does not support SSL/i.test(String((err as ParzenError).cause ?? ""));
    await pool.end().catch(() => {});
    if (!(noTls && tlsFromUrl(url).ssl === "prefer")) throw err;
    pool = createPool(url, options, true);
    await checkConnection(pool, url).catch(async (e: unknown) => {
      await pool.end().catch(() => {});
      throw e;
    });
  }
  return pool;
}

async function checkConnection(pool: Pool, url: string): Promise<void> {
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    throw startupError(err, url);
  }
}

export function startupError(err: unknown, url: string): ParzenError {
  const e = err as { code?: string; message?: string };
  const where = redact(url);
  const why = e.message ?? String(err);
  if (isUnreachable(err)) {
    return new ParzenError("UNAVAILABLE", `cannot reach the PostgreSQL server of ${where}: ${why}`, { cause: err });
  }
  switch (e.code) {
    case "28P01":
    case "28000":
      return new ParzenError("FAILED_PRECONDITION", `PostgreSQL refused the login for ${where}: ${why}`, {
        cause: err,
      });
    case "3D000":
      return new ParzenError("FAILED_PRECONDITION", `${where}: ${why} (create it first: CREATE DATABASE ...)`, {
        cause: err,
      });
    default:
      return new ParzenError("FAILED_PRECONDITION", `cannot use PostgreSQL database ${where}: ${why}`, {
        cause: err,
      });
  }
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    UNREACHABLE.has(e.code ?? "") ||
    /timeout expired|Connection terminated due to connection timeout/i.test(e.message ?? "")
  );
}

/**
 * Whether an error means the connection (not the statement) failed: the
 * server is gone, shutting down or unreachable. node-postgres reports a cut
 * connection by message only.
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? "";
  return (
    isUnreachable(err) ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    code.startsWith("08") ||
    code === "57P01" || // admin_shutdown
    code === "57P02" || // crash_shutdown
    code === "57P03" || // cannot_connect_now
    /Connection terminated|Client has encountered a connection error|not queryable/i.test(e.message ?? "")
  );
}
