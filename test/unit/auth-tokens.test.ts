/**
 * The tokens file syntax, the bearer header and experiment patterns, as
 * docs/reliability.md ("Bearer tokens", "Scoped tokens") documents them: the
 * exact length and character limits of a token, every separator, comments,
 * scopes per line, and the glob rules (`*` any run, `?` one character,
 * everything else literal, the whole name). The integration tests
 * (auth.test.ts, scoped-tokens.test.ts) cover the same rules over gRPC.
 */
import { Metadata } from "@grpc/grpc-js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  authProblem,
  bearerToken,
  loadTokens,
  parseTokenEntries,
  parseTokens,
  ScopeMatcher,
  type Scope,
  TokenSet,
} from "../../src/server/auth.js";
import { Access } from "../../src/server/authorization.js";
import { harness } from "./use-cases-harness.js";

const A = "token-a-0123456789abcdef";
const B = "token-b-0123456789abcdef";
const dir = mkdtempSync(join(tmpdir(), "parzen-auth-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (...values: string[]) => {
  const md = new Metadata();
  for (const v of values) md.add("authorization", v);
  return md;
};

describe("a token's length and characters", () => {
  const weak = /16 to 4096 printable ASCII/;
  it("accepts exactly 16 and exactly 4096 characters, and refuses 15 and 4097", () => {
    expect(parseTokens("x".repeat(16), "t")).toEqual(["x".repeat(16)]);
    expect(parseTokens("x".repeat(4096), "t")).toEqual(["x".repeat(4096)]);
    expect(() => parseTokens("x".repeat(15), "t")).toThrow(weak);
    expect(() => parseTokens("x".repeat(4097), "t")).toThrow(weak);
  });

  it("accepts every printable ASCII character, and refuses control and non-ASCII ones", () => {
    // "!" (0x21) and "~" (0x7e) are the ends of the printable range; "#" starts a comment, "," separates.
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))
      .filter((c) => c !== "#" && c !== ",")
      .join("");
    expect(parseTokens(printable, "t")).toEqual([printable]);
    expect(parseTokens(`!${"a".repeat(14)}~`, "t")).toEqual([`!${"a".repeat(14)}~`]);
    for (const bad of ["\x7f", "\x01", "é"]) {
      expect(() => parseTokens(`${"a".repeat(16)}${bad}`, "t"), JSON.stringify(bad)).toThrow(weak);
    }
  });

  it("names the source in the message", () => {
    expect(() => parseTokens("short", "tokens file /x/y")).toThrow(/^tokens file \/x\/y: every token/);
  });
});

describe("the tokens file syntax", () => {
  it("separates tokens by newlines (CRLF too), spaces, tabs and commas, and drops # comments to the line's end", () => {
    const text = `${A}\r\n${B}\t${A}x,,${B}y  # ${A}z is commented out\n# whole line\n\n`;
    expect(parseTokens(text, "t")).toEqual([A, B, `${A}x`, `${B}y`]);
  });

  it("scopes only the tokens of its own line; a token without attributes is a bare admin token", () => {
    const entries = parseTokenEntries(`${A} role=reader experiments=team-*,,shared\n${B}\n`, "t");
    expect(entries).toEqual([{ token: A, role: "reader", experiments: ["team-*", "shared"] }, B]);
    expect(parseTokenEntries(`${A} experiments=x`, "t")).toEqual([{ token: A, role: "admin", experiments: ["x"] }]);
    expect(parseTokenEntries(`${A} role=worker`, "t")).toEqual([{ token: A, role: "worker", experiments: ["*"] }]);
  });

  it("names the line of a bad attribute", () => {
    expect(() => parseTokenEntries(`${A}\n${B} role=Admin`, "f")).toThrow(
      'f line 2: role "Admin" is not one of admin, worker or reader',
    );
    expect(() => parseTokenEntries(`\n\n${A} experiments=,`, "f")).toThrow("f line 3: experiments= names no pattern");
  });

  it("accepts a token listed twice with the same scope, and refuses it with different scopes", () => {
    expect(parseTokens(`${A}\n${A}`, "t")).toEqual([A, A]);
    expect(parseTokenEntries(`${A} role=worker\n${A} role=worker`, "t")).toHaveLength(2);
    expect(() => parseTokenEntries(`${A}\n${A} role=reader`, "t")).toThrow("t line 2: a token is listed twice");
    expect(() => parseTokenEntries(`${A} experiments=a\n${A} experiments=b`, "t")).toThrow(/listed twice/);
    // A bare token and role=admin experiments=* are the same scope.
    expect(parseTokenEntries(`${A}\n${A} role=admin experiments=*`, "t")).toHaveLength(2);
  });
});

describe("tokens file errors", () => {
  it("are FAILED_PRECONDITION (a server that cannot start), whatever the mistake", () => {
    const path = join(dir, "bad");
    for (const text of ["short", `${A} role=owner`, `${A} experiments=,`, `${A}\n${A} role=reader`, "# none"]) {
      writeFileSync(path, text);
      let err: unknown;
      try {
        loadTokens(path, undefined);
      } catch (e) {
        err = e;
      }
      expect([text, (err as { code?: string } | undefined)?.code]).toEqual([text, "FAILED_PRECONDITION"]);
      expect((err as Error).message).toContain(`tokens file ${path}`);
    }
    try {
      loadTokens(join(dir, "missing"), undefined);
    } catch (e) {
      expect((e as { code?: string }).code).toBe("FAILED_PRECONDITION");
      expect((e as Error).cause).toBeDefined();
    }
  });

  it("tell different pattern lists apart, and take only role= and experiments= at a word's start as attributes", () => {
    expect(() => parseTokenEntries(`${A} experiments=ab\n${A} experiments=a,b`, "t")).toThrow(/listed twice/);
    // "xrole=admin" is a word like any other, so a (too short) token, not an attribute.
    expect(() => parseTokenEntries(`${A} xrole=admin`, "t")).toThrow(/16 to 4096 printable ASCII/);
    expect(parseTokens(`${A} role=reader experiments=x\n${B}`, "t")).toEqual([A, B]);
  });
});

describe("loadTokens", () => {
  it("joins the file's tokens and PARZEN_TOKENS, file first", () => {
    const path = join(dir, "both");
    writeFileSync(path, `${A}\n`);
    expect(loadTokens(path, B)).toEqual([A, B]);
    expect(loadTokens(path, "")).toEqual([A]);
    expect(loadTokens("", B)).toEqual([B]);
    expect(loadTokens(undefined, undefined)).toBeUndefined();
    expect(loadTokens("", " \n ")).toBeUndefined();
  });

  it("refuses a file holding only comments, naming it, and a variable with a weak token", () => {
    const path = join(dir, "comments");
    writeFileSync(path, "# nothing yet\n\n");
    expect(() => loadTokens(path, B)).toThrow(`tokens file ${path} holds no token`);
    expect(() => loadTokens(undefined, "short")).toThrow(/^PARZEN_TOKENS: every token/);
  });
});

describe("the bearer header", () => {
  const tokens = new TokenSet([A]);
  it("takes `Bearer <token>` with any case of the scheme and extra spaces", () => {
    for (const v of [`Bearer ${A}`, `bearer ${A}`, `BEARER   ${A}`, `Bearer ${A}  `]) {
      expect([v, authProblem(meta(v), tokens), bearerToken(meta(v))]).toEqual([v, undefined, A]);
    }
  });

  it("says whether the header is missing, repeated, malformed or unknown", () => {
    expect(authProblem(meta(), tokens)).toBe('missing "authorization: Bearer <token>" metadata');
    expect(authProblem(meta(`Bearer ${A}`, `Bearer ${A}`), tokens)).toBe(
      'more than one "authorization" metadata value',
    );
    for (const v of [A, `Basic ${A}`, `Bearer`, `Bearer ${A} ${B}`, `xBearer ${A}`, `Bearer:${A}`]) {
      expect([v, authProblem(meta(v), tokens)]).toEqual([
        v,
        'malformed "authorization" metadata: expected "Bearer <token>"',
      ]);
      expect(bearerToken(meta(v))).toBeUndefined();
    }
    expect(authProblem(meta(`Bearer ${B}`), tokens)).toBe("unknown bearer token");
    expect(bearerToken(meta(`Bearer ${A}`, `Bearer ${A}`))).toBeUndefined();
    expect(bearerToken(meta())).toBeUndefined();
  });
});

describe("TokenSet", () => {
  it("gives each token its own scope, a bare token admin on every experiment", () => {
    const worker = { token: B, role: "worker" as const, experiments: ["team-*"] };
    const set = new TokenSet([A, worker]);
    expect(set.size).toBe(2);
    expect(set.scopeOf(A)).toEqual({ role: "admin", experiments: ["*"] });
    expect(set.scopeOf(B)).toEqual({ role: "worker", experiments: ["team-*"] });
    expect(set.scopeOf(`${A}x`)).toBeUndefined();
    expect(set.accepts(A)).toBe(true);
    expect(set.accepts(B.slice(0, -1))).toBe(false);
    // A token listed twice counts once (parseTokenEntries refused different scopes already).
    expect(new TokenSet([A, A, worker]).size).toBe(2);
  });
});

describe("Access.scopeOf", () => {
  it("gives the scope of the call's token, and refuses a call without a known one rather than guess", async () => {
    // The server's interceptor refuses such calls first; behind it, Access still refuses them itself.
    const h = await harness();
    try {
      const access = new Access(new TokenSet([A, { token: B, role: "reader", experiments: ["x"] }]), h.optimizer);
      expect(access.scopeOf(meta(`Bearer ${B}`))).toEqual({ role: "reader", experiments: ["x"] });
      for (const md of [meta(), meta(`Bearer ${A}x`)]) {
        const err = (() => {
          try {
            access.scopeOf(md);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(err).toMatchObject({ code: "PERMISSION_DENIED", message: "no valid bearer token" });
      }
    } finally {
      await h.close();
    }
  });
});

describe("experiment patterns", () => {
  const matcher = new ScopeMatcher();
  const allows = (patterns: string[], name: string) => matcher.allows({ role: "reader", experiments: patterns }, name);

  it("`*` matches any run of characters, none included, `?` exactly one", () => {
    expect(allows(["team-*"], "team-")).toBe(true);
    expect(allows(["team-*"], "team-a/b.c\nd")).toBe(true);
    expect(allows(["team-?"], "team-a")).toBe(true);
    expect(allows(["team-?"], "team-")).toBe(false);
    expect(allows(["team-?"], "team-ab")).toBe(false);
    expect(allows(["*"], "")).toBe(true);
  });

  it("matches the whole name, and every other character literally", () => {
    expect(allows(["team"], "team-a")).toBe(false);
    expect(allows(["team"], "my-team")).toBe(false);
    expect(allows(["a.b"], "aXb")).toBe(false);
    expect(allows(["a.b"], "a.b")).toBe(true);
    for (const literal of ["a+b", "(x)", "[ab]", "a|b", "^a$", "a{2}", "a\\b"]) {
      expect([literal, allows([literal], literal)]).toEqual([literal, true]);
    }
    expect(allows(["[ab]"], "a")).toBe(false);
    expect(allows(["a|b"], "a")).toBe(false);
    expect(allows(["a{2}"], "aa")).toBe(false);
  });

  it("allows a name matching any one of the patterns, and keeps each scope's own patterns", () => {
    const one: Scope = { role: "worker", experiments: ["a-*", "shared"] };
    const two: Scope = { role: "worker", experiments: ["b-*"] };
    expect(matcher.allows(one, "shared")).toBe(true);
    expect(matcher.allows(one, "a-1")).toBe(true);
    expect(matcher.allows(two, "a-1")).toBe(false);
    expect(matcher.allows(two, "b-1")).toBe(true);
    expect(matcher.allows(one, "b-1")).toBe(false);
  });
});
