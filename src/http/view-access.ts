/**
 * Who may look: the one check every HTTP route but the probes and the
 * static assets goes through. With tokens configured, a request needs
 * `Authorization: Bearer <token>` naming one of them; viewing needs the
 * least privilege there is, so any valid token (a reader's included) is
 * enough, and the token's experiment patterns decide which experiments it
 * sees, as over gRPC (server/authorization.ts). The HTTP API only reads, so
 * there is nothing here to write with.
 */
import type { IncomingMessage } from "node:http";
import { ParzenError } from "../errors.js";
import { type Scope, ScopeMatcher, type TokenSet } from "../server/auth.js";

/** What a request may view: every experiment, or those its token's patterns allow. */
export interface Viewer {
  mayView(experiment: string): boolean;
  /** Throws PERMISSION_DENIED unless the viewer may see `experiment`. */
  check(experiment: string): void;
}

const EVERYONE: Viewer = { mayView: () => true, check: () => {} };
const matcher = new ScopeMatcher();

function scoped(scope: Scope): Viewer {
  const mayView = (name: string) => matcher.allows(scope, name);
  return {
    mayView,
    check(name) {
      if (!mayView(name))
        throw new ParzenError(
          "PERMISSION_DENIED",
          `experiment "${name}" is not one this token may view (allowed: ${scope.experiments.join(", ")})`,
        );
    },
  };
}

/** The request's viewer, or why it may not view at all. */
export function viewerOf(
  req: IncomingMessage,
  tokens: TokenSet | undefined,
): { viewer: Viewer; problem?: undefined } | { viewer?: undefined; problem: string } {
  if (tokens === undefined) return { viewer: EVERYONE };
  const header = req.headers.authorization;
  if (header === undefined) return { problem: 'missing "Authorization: Bearer <token>" header' };
  const m = /^Bearer +(\S+) *$/i.exec(header);
  if (m === null) return { problem: 'malformed "Authorization" header: expected "Bearer <token>"' };
  const scope = tokens.scopeOf(m[1]!);
  return scope === undefined ? { problem: "unknown bearer token" } : { viewer: scoped(scope) };
}
