/**
 * How a PostgreSQL URL becomes a pool and how start-up and connection failures are told apart
 * (src/store/postgres/connect.ts), without a database: libpq's TLS parameters (files read, modes mapped, the
 * parameters stripped), the pool's settings, one sentence per start-up failure with the password hidden, and which
 * errors mean the connection (not the statement) failed. The PostgreSQL legs (a real server, TLS, the `prefer`
 * fallback) are in test/store/postgres.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { createPool, isConnectionError, openPool, startupError, tlsFromUrl } from "../../src/store/postgres/connect.js";

const URL_WITH_PASSWORD = "postgres://parzen:s3cret@db.example:5432/hpo";

describe("libpq's TLS parameters", () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "parzen-pgtls-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("maps each sslmode, disable being the default and allow meaning prefer", () => {
    expect(tlsFromUrl("postgres://u@h/db?sslmode=disable").ssl).toBe(false);
    expect(tlsFromUrl("postgres://u@h/db?sslmode=allow").ssl).toBe("prefer");
    expect(tlsFromUrl("postgres://u@h/db?sslmode=require").ssl).toEqual({
      rejectUnauthorized: false,
      cert: undefined,
      key: undefined,
    });
  });

  it("reads the root certificate, client certificate and key files, and strips every TLS parameter", () => {
    const ca = file("ca.pem", "CA PEM");
    const cert = file("client.pem", "CLIENT PEM");
    const key = file("client.key", "KEY PEM");
    const { url, ssl } = tlsFromUrl(
      `postgres://u@db.example/db?sslmode=verify-ca&sslrootcert=${ca}&sslcert=${cert}&sslkey=${key}&application_name=a`,
    );
    expect(url).toBe("postgres://u@db.example/db?application_name=a");
    const opts = ssl as Exclude<typeof ssl, false | "prefer">;
    expect(opts.rejectUnauthorized).toBe(true);
    expect(String(opts.ca)).toBe("CA PEM");
    expect(String(opts.cert)).toBe("CLIENT PEM");
    expect(String(opts.key)).toBe("KEY PEM");
    // verify-ca checks the chain, not the host name.
    expect(opts.checkServerIdentity?.("other.example", {} as never)).toBeUndefined();
    expect(opts.servername).toBeUndefined();

    const full = tlsFromUrl(`postgres://u@db.example/db?sslmode=verify-full&sslrootcert=${ca}`).ssl as typeof opts;
    expect(String(full.ca)).toBe("CA PEM");
    expect(full.checkServerIdentity).toBeUndefined();
    expect(full.servername).toBe("db.example");
    expect(full.host).toBeUndefined();
    // An IPv6 address without its brackets, checked against the certificate's IP entries (no SNI).
    const v6 = tlsFromUrl("postgres://u@[::1]:5432/db?sslmode=verify-full").ssl as typeof opts;
    expect(v6.host).toBe("::1");
    expect(v6.servername).toBeUndefined();
    const req = tlsFromUrl(`postgres://u@h/db?sslmode=require&sslcert=${cert}&sslkey=${key}`).ssl as typeof opts;
    expect(String(req.cert)).toBe("CLIENT PEM");
    expect(String(req.key)).toBe("KEY PEM");
  });

  it("refuses an unreadable file by parameter and an invalid URL without its password", () => {
    const missing = join(dir, "missing.pem");
    const err = thrown(() => tlsFromUrl(`postgres://u@h/db?sslmode=require&sslkey=${missing}`));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toMatch(new RegExp(`^--db sslkey: cannot read ${missing}: ENOENT`));
    const bad = thrown(() => tlsFromUrl("postgres://u:s3cret@[bad/db"));
    expect(bad.code).toBe("FAILED_PRECONDITION");
    expect(bad.message).toBe("--db: not a valid URL: (unparsable database URL)");
    const mode = thrown(() => tlsFromUrl("postgres://u@h/db?sslmode=on"));
    expect(mode.code).toBe("FAILED_PRECONDITION");
    expect(mode.message).toBe('--db: unknown sslmode "on" (disable, allow, prefer, require, verify-ca, verify-full)');
  });
});

describe("the pool", () => {
  it("holds 10 connections unless told, asks for TLS as the URL says, and never without TLS when told so", async () => {
    const pools = [
      createPool("postgres://u@h/db"),
      createPool("postgres://u@h/db", { max: 3 }),
      createPool("postgres://u@h/db?sslmode=prefer"),
      createPool("postgres://u@h/db?sslmode=prefer", {}, true),
      createPool("postgres://u@h/db?sslmode=require", {}, true),
      createPool("postgres://u@h/db?sslmode=require"),
      createPool("postgres://u@db.example/db?sslmode=verify-full"),
    ];
    try {
      const opts = pools.map((p) => (p as unknown as { options: Record<string, unknown> }).options);
      expect(opts[0]!.max).toBe(10);
      expect(opts[1]!.max).toBe(3);
      expect(opts[0]!.ssl).toBe(false);
      expect(opts[2]!.ssl).toEqual({ rejectUnauthorized: false });
      expect(opts[3]!.ssl).toBe(false);
      expect(opts[4]!.ssl).toBe(false);
      expect(opts[5]!.ssl).toMatchObject({ rejectUnauthorized: false });
      // Verifying modes reach the pool whole: the host name to check, not a bare "no verification".
      expect(opts[6]!.ssl).toMatchObject({ rejectUnauthorized: true, servername: "db.example" });
      expect(opts[0]!.connectionString).toBe("postgres://u@h/db");
      expect(opts[2]!.connectionString).toBe("postgres://u@h/db");
      expect(opts[0]!.application_name).toBe("parzen");
      expect(opts[0]!.connectionTimeoutMillis).toBe(10_000);
      expect(opts[0]!.keepAlive).toBe(true);
      // An idle connection's death must not end the process: the pool has a listener for it.
      expect(pools[0]!.listenerCount("error")).toBeGreaterThan(0);
      expect(() => pools[0]!.emit("error", new Error("idle client died"))).not.toThrow();
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it("reads BIGINT columns (ids, times, versions) as numbers and other types as pg does", async () => {
    const pool = createPool("postgres://u@h/db");
    try {
      const types = (pool as unknown as { options: { types: { getTypeParser(oid: number, f?: string): unknown } } })
        .options.types;
      const int8 = types.getTypeParser(20, "text") as (s: string) => unknown;
      expect(int8("9007199254740991")).toBe(9007199254740991);
      const int4 = types.getTypeParser(23, "text") as (s: string) => unknown;
      expect(int4("42")).toBe(42);
      const text = types.getTypeParser(25, "text") as (s: string) => unknown;
      expect(text("20")).toBe("20");
    } finally {
      await pool.end();
    }
  });

  it("fails to open an unreachable server UNAVAILABLE, naming it without its password", async () => {
    const err = await openPool("postgres://u:s3cret@127.0.0.1:1/db?sslmode=prefer").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect((err as Error).message).toMatch(
      /^cannot reach the PostgreSQL server of postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\//,
    );
    expect((err as Error).message).not.toContain("s3cret");
  });
});

/**
 * A stand-in for a PostgreSQL server without TLS, speaking just enough of the wire protocol: it declines every
 * SSLRequest ('N', as a server built without TLS does) and answers every startup message with a FATAL error of
 * SQLSTATE 3D000 (no such database), so that a test sees which connection attempts a client made and how.
 */
class NoTlsServer {
  readonly attempts: ("ssl" | "plain")[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
      socket.on("data", (data) => {
        // SSLRequest: length 8, code 80877103.
        if (data.length === 8 && data.readInt32BE(4) === 80877103) {
          this.attempts.push("ssl");
          socket.write("N");
          return;
        }
        this.attempts.push("plain");
        const fields = Buffer.concat([
          Buffer.from("SFATAL\0C3D000\0M"),
          Buffer.from('database "hpo" does not exist\0'),
          Buffer.from("\0"),
        ]);
        const header = Buffer.alloc(5);
        header.write("E", 0);
        header.writeInt32BE(4 + fields.length, 1);
        socket.end(Buffer.concat([header, fields]));
      });
    });
  }
  listen(): Promise<number> {
    return new Promise((ok) =>
      this.server.listen(0, "127.0.0.1", () => ok((this.server.address() as { port: number }).port)),
    );
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

describe("opening a pool on a server without TLS", () => {
  let server: NoTlsServer;
  let port: number;
  beforeAll(async () => {
    server = new NoTlsServer();
    port = await server.listen();
  });
  afterAll(() => server.close());

  it("with sslmode=prefer (or allow) tries TLS, then again without it, as libpq does", async () => {
    for (const mode of ["prefer", "allow"]) {
      server.attempts.length = 0;
      const err = await openPool(`postgres://u:s3cret@127.0.0.1:${port}/hpo?sslmode=${mode}`).catch((e: unknown) => e);
      expect(server.attempts, mode).toEqual(["ssl", "plain"]);
      // The second attempt's own failure is the one reported.
      expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
      expect((err as Error).message).toBe(
        `postgres://u:***@127.0.0.1:${port}/hpo?sslmode=${mode}: database "hpo" does not exist (create it first: CREATE DATABASE ...)`,
      );
    }
  });

  it("with sslmode=require never goes without TLS, and without sslmode never asks for it", async () => {
    server.attempts.length = 0;
    const err = await openPool(`postgres://u@127.0.0.1:${port}/hpo?sslmode=require`).catch((e: unknown) => e);
    expect(server.attempts).toEqual(["ssl"]);
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect((err as Error).message).toMatch(/^cannot use PostgreSQL database .*: The server does not support SSL/);
    server.attempts.length = 0;
    const plain = await openPool(`postgres://u@127.0.0.1:${port}/hpo`).catch((e: unknown) => e);
    expect(server.attempts).toEqual(["plain"]);
    expect((plain as Error).message).toMatch(/create it first/);
  });
});

describe("start-up failures, one sentence each", () => {
  const err = (props: { code?: string; message?: string }) => Object.assign(new Error(props.message ?? ""), props);

  it("an unreachable server: by the system's error code or by the driver's timeout message", () => {
    for (const code of ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]) {
      const cause = err({ code, message: `connect ${code}` });
      const e = startupError(cause, URL_WITH_PASSWORD);
      expect(e.code, code).toBe("UNAVAILABLE");
      expect(e.cause).toBe(cause);
      expect(e.message).toBe(
        `cannot reach the PostgreSQL server of postgres://parzen:***@db.example:5432/hpo: connect ${code}`,
      );
    }
    for (const message of ["timeout expired", "Connection terminated due to connection timeout"])
      expect(startupError(err({ message }), URL_WITH_PASSWORD).code, message).toBe("UNAVAILABLE");
    expect(startupError(err({ code: "ECONNREFUSEDX", message: "x" }), URL_WITH_PASSWORD).code).toBe(
      "FAILED_PRECONDITION",
    );
  });

  it("a refused login, a missing database and anything else, keeping the cause", () => {
    for (const code of ["28P01", "28000"]) {
      const cause = err({ code, message: "password authentication failed" });
      const e = startupError(cause, URL_WITH_PASSWORD);
      expect(e.code).toBe("FAILED_PRECONDITION");
      expect(e.message).toBe(
        "PostgreSQL refused the login for postgres://parzen:***@db.example:5432/hpo: password authentication failed",
      );
      expect(e.cause).toBe(cause);
    }
    const gone = err({ code: "3D000", message: 'database "hpo" does not exist' });
    const missing = startupError(gone, URL_WITH_PASSWORD);
    expect(missing.cause).toBe(gone);
    expect(missing.message).toBe(
      'postgres://parzen:***@db.example:5432/hpo: database "hpo" does not exist (create it first: CREATE DATABASE ...)',
    );
    expect(missing.code).toBe("FAILED_PRECONDITION");
    const denied = err({ code: "42501", message: "permission denied" });
    const other = startupError(denied, URL_WITH_PASSWORD);
    expect(other.cause).toBe(denied);
    expect(other.message).toBe(
      "cannot use PostgreSQL database postgres://parzen:***@db.example:5432/hpo: permission denied",
    );
    // Something thrown that is no Error: its text.
    expect(startupError("plain text", URL_WITH_PASSWORD).message).toBe(
      "cannot use PostgreSQL database postgres://parzen:***@db.example:5432/hpo: plain text",
    );
  });
});

describe("connection errors", () => {
  const err = (props: { code?: string; message?: string }) => Object.assign(new Error(props.message ?? ""), props);

  it("are the unreachable ones, cut connections, connection exceptions and shutdowns", () => {
    for (const code of [
      "ECONNREFUSED",
      "ETIMEDOUT",
      "ECONNRESET",
      "EPIPE",
      "08000",
      "08006",
      "08P01",
      "57P01",
      "57P02",
      "57P03",
    ])
      expect(isConnectionError(err({ code })), code).toBe(true);
    for (const message of [
      "Connection terminated unexpectedly",
      "Client has encountered a connection error and is not queryable",
      "Client was closed and is not queryable",
      "timeout expired",
    ])
      expect(isConnectionError(err({ message })), message).toBe(true);
  });

  it("are not a statement's own errors", () => {
    for (const code of ["23505", "40001", "55P03", "57014", "42P01", "X08000", "ECONNRESETX", ""])
      expect(isConnectionError(err({ code, message: "a statement failed" })), code).toBe(false);
    expect(isConnectionError(err({ message: "duplicate key value violates unique constraint" }))).toBe(false);
    expect(isConnectionError({})).toBe(false);
  });
});

function thrown(fn: () => unknown): ParzenError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParzenError);
    return e as ParzenError;
  }
  throw new Error("expected a ParzenError");
}
