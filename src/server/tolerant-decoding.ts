/**
 * Undecodable requests are the caller's fault, so they must end with
 * INVALID_ARGUMENT. grpc-js answers INTERNAL when a request deserializer
 * throws, and ts-proto's decoders throw on malformed bytes, on int64 values
 * above 2^53 and (as a RangeError) on absurdly deep nesting. This wraps the
 * service definition's deserializers so they never throw: a request that
 * cannot be decoded arrives at the handler as a MalformedRequest, which the
 * handlers answer with INVALID_ARGUMENT.
 */
import type { ServiceDefinition } from "@grpc/grpc-js";

export class MalformedRequest {
  constructor(readonly reason: string) {}
}

export function tolerantService<S extends ServiceDefinition>(service: S): S {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(err instanceof Error ? err.message : String(err));
        }
      },
    };
  }
  return out as S;
}
