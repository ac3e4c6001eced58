/**
 * One error type for everything the client throws, so callers branch on a
 * gRPC status code rather than on message text. A server refusal keeps the
 * server's own message (`details`), which names the offending field.
 */
import { type Metadata, status, type ServiceError } from "@grpc/grpc-js";

/** gRPC status names ("NOT_FOUND", "INVALID_ARGUMENT", ...). */
export type StatusName = keyof typeof status;

export class ParzenError extends Error {
  override readonly name = "ParzenError";
  /** The gRPC status code as a number (`status.NOT_FOUND` is 5). */
  readonly code: number;
  /** The gRPC status code's name, e.g. "NOT_FOUND". */
  readonly codeName: string;
  /** The server's message (or the client's, for mistakes caught locally). */
  readonly details: string;
  /** The RPC that failed, e.g. "Suggest"; "client" for local checks. */
  readonly method: string;
  /** Trailing metadata from the server, when there was a server. */
  readonly metadata: Metadata | undefined;

  constructor(code: number, details: string, method: string, options: { metadata?: Metadata; cause?: unknown } = {}) {
    const codeName = status[code] ?? `CODE_${code}`;
    super(`${method}: ${codeName}: ${details}`, { cause: options.cause });
    this.code = code;
    this.codeName = codeName;
    this.details = details;
    this.method = method;
    this.metadata = options.metadata;
  }

  /** True when this error has the given status, by name: `err.is("NOT_FOUND")`. */
  is(codeName: StatusName): boolean {
    return this.code === status[codeName];
  }

  /** Wraps whatever a grpc-js call rejected with. */
  static fromGrpc(err: unknown, method: string): ParzenError {
    if (err instanceof ParzenError) return err;
    const e = err as Partial<ServiceError>;
    if (typeof e?.code === "number") {
      return new ParzenError(e.code, e.details ?? e.message ?? "", method, { metadata: e.metadata, cause: err });
    }
    return new ParzenError(status.UNKNOWN, err instanceof Error ? err.message : String(err), method, { cause: err });
  }
}

/** A mistake caught before anything was sent, reported like the server's INVALID_ARGUMENT. */
export function invalid(details: string): ParzenError {
  return new ParzenError(status.INVALID_ARGUMENT, details, "client");
}

/** True when `err` is a ParzenError, optionally with the given status name. */
export function isParzenError(err: unknown, codeName?: StatusName): err is ParzenError {
  return err instanceof ParzenError && (codeName === undefined || err.is(codeName));
}
