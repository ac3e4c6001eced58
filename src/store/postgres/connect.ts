/**
 * From a `postgres://` / `postgresql://` URL to a connection pool of the
 * `postgres` driver (porsager; chosen by measurement, bench/RESULTS.md), with
 * TLS as libpq's URL parameters ask for it and start-up failures turned into
 * one clear sentence each: unreachable host, authentication, missing
 * database. The URL's password never appears in a message.
 *
 * TLS (`sslmode`, as libpq): `disable` (default here, as the driver's),
 * `prefer`/`require` (encrypt, no verification), `verify-ca` (the server's
 * certificate must chain to `sslrootcert`, or to the system's CAs without
 * it), `verify-full` (also its host name). `sslcert` + `sslkey`: a client
 * certificate.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import postgres from "postgres";
import { ParzenError } from "../../errors.js";

export type Sql = postgres.Sql<Record<string, never>>;

export interface PoolOptions {
  /** Connections in the pool (default 10). */
  max?: number;
}

/** The first key of Parzen's advisory locks ("parz" in ASCII); the second says which lock. */
export const PARZEN_LOCKS = 0x7061727a;

/** Whether a --db value names a PostgreSQL database. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** A URL with its password hidden, for messages and logs (a file path as it is). */
export function redact(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable database URL)";
  }
}

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

/** The experiment and trial ids, times and versions are BIGINT: numbers here (all stay below 2^53). */
const int8 = {
  to: 20,
  from: [20],
  serialize: (x: number) => String(x),
  parse: (x: string) => Number(x),
};

/** A pool; connects lazily, so `checkConnection` is what finds start-up problems. */
export function createPool(url: string, options: PoolOptions = {}): Sql {
  const { url: plain, ssl } = tlsFromUrl(url);
  return postgres(plain, {
    max: options.max ?? 10,
    ssl,
    connect_timeout: 10,
    onnotice: () => {},
    types: { int8 },
    connection: { application_name: "parzen" },
  }) as unknown as Sql;
}

/** One round trip, or the start-up failure in one sentence naming the database (without its password). */
export async function checkConnection(sql: Sql, url: string): Promise<void> {
  try {
    await sql`SELECT 1`;
  } catch (err) {
    throw startupError(err, url);
  }
}

export function startupError(err: unknown, url: string): ParzenError {
  const e = err as { code?: string; message?: string };
  const where = redact(url);
  const why = e.message ?? String(err);
  switch (e.code) {
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return new ParzenError("UNAVAILABLE", `cannot reach the PostgreSQL server of ${where}: ${why}`, { cause: err });
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
