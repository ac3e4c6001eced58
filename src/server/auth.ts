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

/** The accepted tokens. */
export class TokenSet {
  private readonly digests: Buffer[];

  constructor(tokens: Iterable<string>) {
    this.digests = [...new Set(tokens)].map(digest);
  }

  get size(): number {
    return this.digests.length;
  }

  accepts(token: string): boolean {
    const d = digest(token);
    let ok = false;
    // Visit every digest, so timing does not tell which one matched.
    for (const x of this.digests) ok = timingSafeEqual(x, d) || ok;
    return ok;
  }
}

/**
 * Tokens in a file or variable: separated by newlines, commas or spaces;
 * `#` starts a comment. A token is 16 to 4096 printable ASCII characters.
 */
export function parseTokens(text: string, source: string): string[] {
  const tokens: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    for (const word of line.replace(/#.*$/, "").split(/[\s,]+/)) {
      if (word === "") continue;
      if (!/^[\x21-\x7e]{16,4096}$/.test(word)) {
        throw new ParzenError(
          "FAILED_PRECONDITION",
          `${source}: every token must be 16 to 4096 printable ASCII characters without spaces or commas`,
        );
      }
      tokens.push(word);
    }
  }
  return tokens;
}

/** Reads tokens from `file` and the `env` value (either may be absent); undefined when neither gives any. */
export function loadTokens(file: string | undefined, env: string | undefined): string[] | undefined {
  const tokens: string[] = [];
  if (file !== undefined && file !== "") {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ParzenError("FAILED_PRECONDITION", `cannot read tokens file ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const fromFile = parseTokens(text, `tokens file ${file}`);
    if (fromFile.length === 0) throw new ParzenError("FAILED_PRECONDITION", `tokens file ${file} holds no token`);
    tokens.push(...fromFile);
  }
  if (env !== undefined && env.trim() !== "") tokens.push(...parseTokens(env, "PARZEN_TOKENS"));
  return tokens.length === 0 ? undefined : tokens;
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
