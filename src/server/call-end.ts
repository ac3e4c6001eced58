/**
 * Why a call ended before its answer: its deadline passed, or its client
 * cancelled. grpc-js tells a handler only that the call was "cancelled".
 */
import { type ServerUnaryCall, status } from "@grpc/grpc-js";

/** What of a grpc-js server call this reads. */
export type EndedCall = Pick<ServerUnaryCall<unknown, unknown>, "getDeadline">;

/**
 * Whether a call that grpc-js reported ended had passed its deadline at
 * `now`: grpc-js ended it for its deadline, or the server's clock has
 * reached the deadline (a client's cancel at or after it is the deadline's).
 */
export function deadlinePassed(call: EndedCall, now: number): boolean {
  // grpc-js's deadline timer runs on libuv's loop clock, which can fire up to
  // a millisecond before Date.now() reaches the deadline: its own answer is
  // the sure sign, the clock the rule for a client's cancel.
  if (Number(statusSentOn(call)) === status.DEADLINE_EXCEEDED) return true;
  const deadline = call.getDeadline();
  return (deadline instanceof Date ? deadline.getTime() : deadline) <= now;
}

/** How many interceptors' calls to look through; far more than a server has (a guard against a cycle). */
const MAX_LINKS = 16;

/**
 * The grpc-status already sent on the call's HTTP/2 stream, or undefined
 * (none yet, or the stream out of reach: then the clock decides).
 *
 * grpc-js exposes no public way to tell its own DEADLINE_EXCEEDED from a
 * client's cancel, so this reads its private fields (grpc-js 1.14): the
 * handler's call's `call`, each interceptor's `nextCall`, and the base call's
 * `stream`; what that stream sent is Node's public Http2Stream API.
 */
function statusSentOn(call: EndedCall): unknown {
  let link = (call as { call?: unknown }).call;
  for (let i = 0; i < MAX_LINKS && typeof link === "object" && link !== null; i++) {
    const stream = (link as { stream?: { sentHeaders?: unknown; sentTrailers?: unknown } }).stream;
    if (typeof stream === "object" && stream !== null) {
      // A trailers-only answer (grpc-js's deadline, before any metadata) carries the status in its headers.
      return grpcStatus(stream.sentTrailers) ?? grpcStatus(stream.sentHeaders);
    }
    link = (link as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

function grpcStatus(headers: unknown): unknown {
  return typeof headers === "object" && headers !== null
    ? (headers as Record<string, unknown>)["grpc-status"]
    : undefined;
}
