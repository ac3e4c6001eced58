/** The one place where domain errors become HTTP statuses (as server/status.ts does for gRPC). */
import { ParzenError, type ErrorCode } from "../errors.js";

const HTTP: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  FAILED_PRECONDITION: 412,
  RESOURCE_EXHAUSTED: 429,
  DEADLINE_EXCEEDED: 504,
  CANCELLED: 499,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The HTTP status and message for `err`; anything not a ParzenError is a bug, answered 500 without internals. */
export function httpError(err: unknown): { status: number; message: string; internal: boolean } {
  if (err instanceof ParzenError)
    return { status: HTTP[err.code], message: err.message, internal: err.code === "INTERNAL" };
  return { status: 500, message: "internal error (see the server log)", internal: true };
}
