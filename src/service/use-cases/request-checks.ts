/**
 * Checks of request fields that several RPCs share, with the INVALID_ARGUMENT
 * (or CANCELLED) messages clients see. The limits are passed in, not read
 * from a service, so each check is one plain call on the hot paths.
 */
import { invalidArgument, ParzenError } from "../../errors.js";
import type { TrialState } from "../../domain/trial-state.js";
import type { TrialState as ProtoTrialState } from "@parzen/client/gen/parzen/v1/trial";
import { fromProtoState } from "./views.js";

/** A page_size: 0 means `dflt`. */
export function pageSizeOf(requested: number, dflt: number, max: number): number {
  if (requested === 0) return dflt;
  if (!Number.isInteger(requested) || requested < 1 || requested > max)
    throw invalidArgument(`page_size: must be between 1 and ${max}, got ${requested}`);
  return requested;
}

export function checkWorkerId(workerId: string, maxLength: number): void {
  if (workerId.length > maxLength) throw invalidArgument(`worker_id: longer than ${maxLength} characters`);
}

/** Returns `metrics` itself, every value finite. */
export function checkMetrics(metrics: Record<string, number>, field = "metrics"): Record<string, number> {
  for (const [k, v] of Object.entries(metrics)) {
    if (!Number.isFinite(v)) throw invalidArgument(`${field}: "${k}" must be finite, got ${v}`);
  }
  return metrics;
}

/** Each entry within `maxAttrLength` characters, the whole map within `maxAttrsBytes` UTF-8 bytes. */
export function checkAttrs(
  attrs: Record<string, string>,
  field: string,
  limits: { readonly maxAttrLength: number; readonly maxAttrsBytes: number },
): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(attrs)) {
    if (k.length + v.length > limits.maxAttrLength)
      throw invalidArgument(`${field}: "${k.slice(0, 40)}" is longer than ${limits.maxAttrLength} characters`);
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (bytes > limits.maxAttrsBytes)
    throw invalidArgument(`${field}: ${bytes} bytes in all, more than the limit of ${limits.maxAttrsBytes} bytes`);
}

/** The `states` filter of ListTrials and StreamTrials (empty: every state). */
export function stateFilter(states: readonly ProtoTrialState[]): Set<TrialState> {
  const out = new Set<TrialState>();
  for (const s of states) {
    const state = fromProtoState(s);
    if (state === undefined) throw invalidArgument(`states: unknown trial state ${s}`);
    out.add(state);
  }
  return out;
}

/** Stops a Suggest whose caller gave up (cancelled, or past its deadline: the reason says which). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof ParzenError
      ? signal.reason
      : new ParzenError("CANCELLED", "suggest cancelled by the client");
  }
}
