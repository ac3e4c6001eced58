/**
 * Who may look: the one check every HTTP route but the probes and the
 * static assets goes through. With tokens configured, a request needs
 * `Authorization: Bearer <token>` naming one of them; viewing needs the
 * least privilege there is, so any valid token (a reader's included) is
 * enough. When tokens gain roles (server/auth.ts), only this function
 * changes. The HTTP API only reads, so there is nothing here to write with.
 */
import type { IncomingMessage } from "node:http";
import type { TokenSet } from "../server/auth.js";

/** Why `req` may not view, or undefined when it may. */
export function viewProblem(req: IncomingMessage, tokens: TokenSet | undefined): string | undefined {
  if (tokens === undefined) return undefined;
  const header = req.headers.authorization;
  if (header === undefined) return 'missing "Authorization: Bearer <token>" header';
  const m = /^Bearer +(\S+) *$/i.exec(header);
  if (m === null) return 'malformed "Authorization" header: expected "Bearer <token>"';
  return tokens.accepts(m[1]!) ? undefined : "unknown bearer token";
}
