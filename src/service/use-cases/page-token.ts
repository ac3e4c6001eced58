/** Opaque page tokens: base64url JSON of the position after the last item. */
import { invalidArgument } from "../../errors.js";

export function encodePageToken(position: string | number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString("base64url");
}

export function decodePageToken(token: string, kind: "string" | "number"): string | number {
  try {
    const { p } = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { p: unknown };
    if (typeof p === kind && (kind === "string" || Number.isSafeInteger(p))) return p as string | number;
  } catch {
    // fall through to the error below
  }
  throw invalidArgument("page_token: not a token returned by this server");
}
