/**
 * Bearer-token authentication, as a grpc-js server interceptor: every call
 * except the standard health check must carry `authorization: Bearer <token>`
 * metadata naming one of the configured tokens, or it ends with
 * UNAUTHENTICATED before its handler runs. Tokens come from a file and/or the
 * PARZEN_TOKENS environment variable (never from the command line, where
 * `ps` would show them). Only SHA-256 digests are kept in memory and they are
 * compared in constant time.
 */
import {
  Metadata,
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ServerInterceptor,
} from "@grpc/grpc-js";
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { ParzenError } from "../errors.js";

/** Calls under this prefix need no token: orchestrators probe health without credentials. */
export const UNAUTHENTICATED_PREFIXES = ["/grpc.health.v1.Health/"];

const digest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest();

/** What a token may do: admin everything; worker get-or-create, suggest, report, heartbeat and read; reader read. */
export type Role = "admin" | "worker" | "reader";

export interface Scope {
  role: Role;
  /** Experiment-name patterns (`*` any run of characters, `?` one); ["*"] for every experiment. */
  experiments: readonly string[];
}

/** A token limited to a scope (a bare string is an admin token on every experiment, as before scopes existed). */
export interface TokenEntry {
  token: string;
  role: Role;
  experiments: readonly string[];
}

const ADMIN: Scope = { role: "admin", experiments: ["*"] };

/** The accepted tokens, each with its scope. */
export class TokenSet {
  private readonly digests: Buffer[] = [];
  private readonly scopes: Scope[] = [];

  constructor(tokens: Iterable<string | TokenEntry>) {
    const seen = new Set<string>();
    for (const t of tokens) {
      const token = typeof t === "string" ? t : t.token;
      if (seen.has(token)) continue;
      seen.add(token);
      this.digests.push(digest(token));
      this.scopes.push(typeof t === "string" ? ADMIN : { role: t.role, experiments: t.experiments });
    }
  }

  get size(): number {
    return this.digests.length;
  }

  /** The token's scope, or undefined when it is not one of the set. */
  scopeOf(token: string): Scope | undefined {
    const d = digest(token);
    let found: Scope | undefined;
    // Visit every digest, so timing does not tell which one matched.
    for (let i = 0; i < this.digests.length; i++) {
      if (timingSafeEqual(this.digests[i]!, d)) found = this.scopes[i];
    }
    return found;
  }

  accepts(token: string): boolean {
    return this.scopeOf(token) !== undefined;
  }
}

/** A glob (`*`, `?`) as an anchored regular expression. */
function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

/** Whether a scope's experiment patterns cover an experiment name (patterns compiled once per scope). */
export class ScopeMatcher {
  private readonly compiled = new Map<Scope, RegExp[]>();

  allows(scope: Scope, name: string): boolean {
    if (scope.experiments.includes("*")) return true;
    let res = this.compiled.get(scope);
    if (res === undefined) {
      res = scope.experiments.map(globRegExp);
      this.compiled.set(scope, res);
    }
    return res.some((re) => re.test(name));
  }
}

const ROLES: readonly Role[] = ["admin", "worker", "reader"];
const TOKEN = /^[\x21-\x7e]{16,4096}$/;

/**
 * Tokens in a file or variable: separated by newlines, commas or spaces;
 * `#` starts a comment. A token is 16 to 4096 printable ASCII characters.
 * A line may also scope its tokens: `role=admin|worker|reader` and
 * `experiments=PATTERN[,PATTERN...]`; tokens without them are admins on
 * every experiment (today's files keep their meaning).
 */
export function parseTokenEntries(text: string, source: string): (string | TokenEntry)[] {
  const out: (string | TokenEntry)[] = [];
  const scopes = new Map<string, string>();
  for (const [n, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.replace(/#.*$/, "");
    let role: Role | undefined;
    let experiments: string[] | undefined;
    const tokens: string[] = [];
    for (const word of line.split(/\s+/)) {
      if (word === "") continue;
      const attr = /^(role|experiments)=(.*)$/.exec(word);
      if (attr?.[1] === "role") {
        if (!ROLES.includes(attr[2] as Role))
          throw new ParzenError(
            "FAILED_PRECONDITION",
            `${source} line ${n + 1}: role "${attr[2]}" is not one of admin, worker or reader`,
          );
        role = attr[2] as Role;
      } else if (attr?.[1] === "experiments") {
        experiments = attr[2]!.split(",").filter((p) => p !== "");
        if (experiments.length === 0)
          throw new ParzenError("FAILED_PRECONDITION", `${source} line ${n + 1}: experiments= names no pattern`);
      } else {
        for (const t of word.split(",")) if (t !== "") tokens.push(t);
      }
    }
    for (const t of tokens) {
      if (!TOKEN.test(t)) {
        throw new ParzenError(
          "FAILED_PRECONDITION",
          `${source}: every token must be 16 to 4096 printable ASCII characters without spaces or commas`,
        );
      }
      const scope = `${role ?? "admin"} ${(experiments ?? ["*"]).join(",")}`;
      const before = scopes.get(t);
      if (before !== undefined && before !== scope)
        throw new ParzenError(
          "FAILED_PRECONDITION",
          `${source} line ${n + 1}: a token is listed twice with different scopes`,
        );
      scopes.set(t, scope);
      out.push(
        role === undefined && experiments === undefined
          ? t
          : { token: t, role: role ?? "admin", experiments: experiments ?? ["*"] },
      );
    }
  }
  return out;
}

/** The bare tokens of a file or variable (see parseTokenEntries). */
export function parseTokens(text: string, source: string): string[] {
  return parseTokenEntries(text, source).map((t) => (typeof t === "string" ? t : t.token));
}

/** Reads tokens from `file` and the `env` value (either may be absent); undefined when neither gives any. */
export function loadTokens(file: string | undefined, env: string | undefined): (string | TokenEntry)[] | undefined {
  const tokens: (string | TokenEntry)[] = [];
  if (file !== undefined && file !== "") {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ParzenError("FAILED_PRECONDITION", `cannot read tokens file ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const fromFile = parseTokenEntries(text, `tokens file ${file}`);
    if (fromFile.length === 0) throw new ParzenError("FAILED_PRECONDITION", `tokens file ${file} holds no token`);
    tokens.push(...fromFile);
  }
  if (env !== undefined && env.trim() !== "") tokens.push(...parseTokenEntries(env, "PARZEN_TOKENS"));
  return tokens.length === 0 ? undefined : tokens;
}

/** The bearer token of a call's metadata, or undefined. */
export function bearerToken(metadata: Metadata): string | undefined {
  const values = metadata.get("authorization");
  if (values.length !== 1) return undefined;
  return /^Bearer +(\S+) *$/i.exec(String(values[0]))?.[1];
}

/** Why a call's metadata does not authenticate it, or undefined when it does. */
export function authProblem(metadata: Metadata, tokens: TokenSet): string | undefined {
  const values = metadata.get("authorization");
  if (values.length === 0) return 'missing "authorization: Bearer <token>" metadata';
  if (values.length > 1) return 'more than one "authorization" metadata value';
  const m = /^Bearer +(\S+) *$/i.exec(String(values[0]));
  if (m === null) return 'malformed "authorization" metadata: expected "Bearer <token>"';
  return tokens.accepts(m[1]!) ? undefined : "unknown bearer token";
}

export function authInterceptor(tokens: TokenSet, log: Logger): ServerInterceptor {
  return (method, call) => {
    if (UNAUTHENTICATED_PREFIXES.some((p) => method.path.startsWith(p))) return new ServerInterceptingCall(call);
    const responder = new ResponderBuilder()
      .withStart((next) => {
        const listener = new ServerListenerBuilder()
          .withOnReceiveMetadata((metadata, nextMetadata) => {
            const problem = authProblem(metadata, tokens);
            if (problem === undefined) {
              nextMetadata(metadata);
              return;
            }
            log.debug({ method: method.path, peer: call.getPeer(), problem }, "unauthenticated call");
            call.sendStatus({ code: status.UNAUTHENTICATED, details: problem, metadata: new Metadata() });
          })
          .build();
        next(listener);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}
