/**
 * How `--db` picks a backend and how a PostgreSQL URL's TLS parameters and
 * password are read (store/open.ts, store/postgres/connect.ts): no database
 * needed, so these run everywhere.
 */
import { describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { backendOf, openStore, sqlitePath } from "../../src/store/open.js";
import { redact, tlsFromUrl } from "../../src/store/postgres/connect.js";

describe("--db", () => {
  it("names PostgreSQL with postgres:// or postgresql:// and SQLite otherwise", () => {
    expect(backendOf("postgres://u@h/db")).toBe("postgres");
    expect(backendOf("POSTGRESQL://u@h:5433/db?sslmode=require")).toBe("postgres");
    expect(backendOf("./parzen.db")).toBe("sqlite");
    expect(backendOf(":memory:")).toBe("sqlite");
    expect(backendOf("sqlite:///var/lib/parzen.db")).toBe("sqlite");
    expect(sqlitePath("sqlite:///var/lib/parzen.db")).toBe("/var/lib/parzen.db");
    expect(sqlitePath("sqlite://rel.db")).toBe("rel.db");
    expect(sqlitePath("./parzen.db")).toBe("./parzen.db");
  });

  it("refuses an unknown scheme by name, without echoing a password", () => {
    let err: unknown;
    try {
      backendOf("mysql://root:pw@h/db");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).message).toMatch(/unknown database scheme "mysql"/);
    expect((err as ParzenError).message).not.toContain("pw");
  });

  it("hides the password of a URL and leaves a file path alone", () => {
    expect(redact("postgres://u:s3cret@h:5432/db")).toBe("postgres://u:***@h:5432/db");
    expect(redact("postgres://u@h/db")).toBe("postgres://u@h/db");
    expect(redact("./parzen.db")).toBe("./parzen.db");
  });

  it("reads libpq's sslmode into TLS options and strips the TLS parameters from the URL", () => {
    expect(tlsFromUrl("postgres://u@h/db")).toEqual({ url: "postgres://u@h/db", ssl: false });
    expect(tlsFromUrl("postgres://u@h/db?sslmode=prefer").ssl).toBe("prefer");
    const req = tlsFromUrl("postgres://u@h/db?sslmode=require&application_name=x");
    expect(req.url).toBe("postgres://u@h/db?application_name=x");
    expect(req.ssl).toMatchObject({ rejectUnauthorized: false });
    expect(tlsFromUrl("postgres://u@db.example/db?sslmode=verify-full").ssl).toMatchObject({
      rejectUnauthorized: true,
      servername: "db.example",
    });
    expect(tlsFromUrl("postgres://u@127.0.0.1/db?sslmode=verify-full").ssl).toMatchObject({ host: "127.0.0.1" });
    expect(() => tlsFromUrl("postgres://u@h/db?sslmode=maybe")).toThrow(/unknown sslmode "maybe"/);
  });
});

describe("--db values at their edges (db-url.ts, open.ts)", () => {
  it("takes the scheme only at the start and in any case", () => {
    expect(backendOf("PostgreS://u@h/db")).toBe("postgres");
    expect(backendOf("SQLite:///var/x.db")).toBe("sqlite");
    expect(sqlitePath("SQLITE:///var/x.db")).toBe("/var/x.db");
    // A scheme that merely ends in "postgres" is another scheme, refused by name.
    expect(() => backendOf("my-postgres://u@h/db")).toThrow(/unknown database scheme "my-postgres"/);
    expect(() => backendOf("postgresqlx://u@h/db")).toThrow(/unknown database scheme "postgresqlx"/);
    // One slash is no URL: a file path (a strange one).
    expect(backendOf("postgres:/tmp/db")).toBe("sqlite");
  });

  it("refuses an unknown scheme with the whole advice and the URL redacted", () => {
    let err: unknown;
    try {
      backendOf("MySQL://root:pw@h/db");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect((err as Error).message).toBe(
      '--db mysql://root:***@h/db: unknown database scheme "MySQL"; use a SQLite file path or a postgres:// URL',
    );
  });

  it("hides passwords of any scheme, in any case, and says so when a URL cannot be parsed", () => {
    expect(redact("POSTGRESQL://u:pw@h/db")).toBe("postgresql://u:***@h/db");
    expect(redact("mysql://root:pw@h/db")).toBe("mysql://root:***@h/db");
    // Never echo what could not be parsed: it may hold a password.
    expect(redact("postgres://u:pw@[bad/db")).toBe("(unparsable database URL)");
    // Only a scheme at the start makes a URL: a path holding "://" further on is shown as it is.
    expect(redact("./odd/x://u:pw@[y.db")).toBe("./odd/x://u:pw@[y.db");
    expect(redact("1x://u:pw@h/db")).toBe("1x://u:pw@h/db");
  });

  it("opens a postgres:// URL as PostgreSQL: an unreachable one fails UNAVAILABLE naming it, password hidden", async () => {
    const err = await openStore("postgresql://u:secret@127.0.0.1:1/db", { poolSize: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect((err as Error).message).toMatch(
      /^cannot reach the PostgreSQL server of postgresql:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: /,
    );
  });
});
