/**
 * The one domain error type. Every layer below the gRPC handlers throws
 * ParzenError with a code; `server/status.ts` maps codes to gRPC statuses in
 * one place, so the domain never imports grpc-js.
 */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "PERMISSION_DENIED"
  | "RESOURCE_EXHAUSTED"
  | "DEADLINE_EXCEEDED"
  | "CANCELLED"
  | "UNAVAILABLE"
  | "ABORTED"
  | "INTERNAL";

export class ParzenError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ParzenError";
    this.code = code;
  }
}

/** Starts the message of the ABORTED a store raises when a unit's `expectVersion` is stale (store.ts). */
export const ABORTED_STALE = "the experiment changed on another server";

/** Starts the message of the UNAVAILABLE a store raises when an experiment's lock stays taken past its bound. */
export const LOCK_TIMED_OUT = "another server held the experiment's lock on the database";

export const invalidArgument = (message: string): ParzenError => new ParzenError("INVALID_ARGUMENT", message);
export const notFound = (message: string): ParzenError => new ParzenError("NOT_FOUND", message);
export const failedPrecondition = (message: string): ParzenError => new ParzenError("FAILED_PRECONDITION", message);
export const alreadyExists = (message: string): ParzenError => new ParzenError("ALREADY_EXISTS", message);
