/**
 * Undecodable requests are the caller's fault, so they must end with
 * INVALID_ARGUMENT. grpc-js answers INTERNAL when a request deserializer
 * throws, and ts-proto's decoders throw on malformed bytes, on int64 values
 * above 2^53 and (as a RangeError) on absurdly deep nesting. This wraps the
 * service definition's deserializers so they never throw: a request that
 * cannot be decoded arrives at the handler as a MalformedRequest, which the
 * handlers answer with INVALID_ARGUMENT.
 *
 * Invalid UTF-8 is one of those: protobuf strings must be UTF-8, but the
 * decoder quietly turns bad bytes into U+FFFD. The decoder's UTF-8 step is
 * wrapped to notice when that happened, and the request is then refused
 * naming the first field that holds a U+FFFD.
 */
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import type { ServiceDefinition } from "@grpc/grpc-js";

export class MalformedRequest {
  constructor(
    readonly reason: string,
    /** The field at fault, when known ("experiment.name"). */
    readonly field?: string,
  ) {}
}

let invalidUtf8Seen = false;

/** Once per process: the library's decoder, noting each string that was not valid UTF-8. */
const installUtf8Watch = (() => {
  let installed = false;
  return () => {
    if (installed) return;
    installed = true;
    const base = getTextEncoding();
    const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    configureTextEncoding({
      ...base,
      decodeUtf8(bytes: Uint8Array, fatal?: boolean): string {
        const text = base.decodeUtf8(bytes, fatal);
        if (text.includes("\ufffd")) {
          try {
            strict.decode(bytes);
          } catch {
            invalidUtf8Seen = true;
          }
        }
        return text;
      },
    } as Parameters<typeof configureTextEncoding>[0]);
  };
})();

export function tolerantService<S extends ServiceDefinition>(service: S): S {
  installUtf8Watch();
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        invalidUtf8Seen = false;
        let request: unknown;
        try {
          request = method.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(err instanceof Error ? err.message : String(err));
        }
        if (invalidUtf8Seen) {
          invalidUtf8Seen = false;
          const field = replacedField(request, "") ?? "a string field";
          return new MalformedRequest(`${field}: not valid UTF-8 (protobuf strings must be UTF-8)`, field);
        }
        return request;
      },
    };
  }
  return out as S;
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The proto path of the first string (or map key) holding U+FFFD in a decoded message. */
function replacedField(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return value.includes("\ufffd") ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = replacedField(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k === "$case") continue;
    // A oneof's value sits under "value" beside its "$case": name it by the case. The oneof's own name is no
    // field of the message (proto paths skip it): "choice", not "domain.choice".
    const c = (value as { $case?: unknown }).$case;
    const segment = k === "value" && typeof c === "string" ? snake(c) : snake(k);
    const oneof = typeof (v as { $case?: unknown } | null)?.$case === "string";
    const here = oneof ? path : path === "" ? segment : `${path}.${segment}`;
    if (k.includes("\ufffd")) return `${path === "" ? "" : `${path}.`}key`;
    const found = replacedField(v, here);
    if (found !== undefined) return found;
  }
  return undefined;
}
