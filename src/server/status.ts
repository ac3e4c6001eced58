/**
 * The one place where domain errors become gRPC statuses. Anything that is
 * not a ParzenError is a bug: it is logged and answered as INTERNAL without
 * leaking internals to the caller.
 */
import { status, type ServiceError } from "@grpc/grpc-js";
import { ParzenError, type ErrorCode } from "../errors.js";
import { Metadata } from "@grpc/grpc-js";

const CODES: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  UNAVAILABLE: status.UNAVAILABLE,
  ABORTED: status.ABORTED,
  INTERNAL: status.INTERNAL,
};

/** Details travel in a trailer; an echo of a megabyte-long input must not blow the header limits. */
const MAX_DETAILS = 2000;

export function toServiceError(err: unknown): { error: Partial<ServiceError>; internal: boolean } {
  if (err instanceof ParzenError) {
    const details = err.message.length > MAX_DETAILS ? `${err.message.slice(0, MAX_DETAILS)}…` : err.message;
    return { error: { code: CODES[err.code], details, metadata: new Metadata() }, internal: err.code === "INTERNAL" };
  }
  return {
    error: { code: status.INTERNAL, details: "internal error (see the server log)", metadata: new Metadata() },
    internal: true,
  };
}
