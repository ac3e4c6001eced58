/**
 * The `retry_lost` experiment option, as pure rules over trial rows: which
 * LOST trials get their configuration re-enqueued, and the user_attrs that
 * link a retry to the trial it replaces. Leases (leases.ts) applies these rules
 * inside the experiment's queue (retries are new trials and need numbers);
 * nothing here touches the store. The behaviour is documented in
 * docs/reliability.md ("Leases and retry_lost").
 */
import type { TrialRow } from "../../store/rows.js";

/** On a retry: id of the LOST trial whose configuration it repeats. */
export const RETRY_OF = "parzen.retry_of";
/** On a retry: 2 for the first retry, 3 for the second... (the original is attempt 1). */
export const ATTEMPT = "parzen.attempt";
/** On a LOST trial: id of the WAITING trial that repeats its configuration. */
export const RETRIED_AS = "parzen.retried_as";
/** On a retry that was never started because the trial it repeats came back: why. */
export const WITHDRAWN = "parzen.withdrawn";

/** A configuration is tried at most this many times in all (the original and two retries). */
export const MAX_ATTEMPTS = 3;

export function attemptOf(t: TrialRow): number {
  const n = Number(t.userAttrs[ATTEMPT] ?? "1");
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/** Whether a trial is LOST and its configuration still has to be re-enqueued. */
export function needsRetry(t: TrialRow): boolean {
  return (
    t.state === "lost" &&
    t.userAttrs[RETRIED_AS] === undefined &&
    t.userAttrs[WITHDRAWN] === undefined &&
    attemptOf(t) < MAX_ATTEMPTS
  );
}

/** The user_attrs of the retry of `lost`. */
export function retryAttrs(lost: TrialRow): Record<string, string> {
  return { [RETRY_OF]: String(lost.id), [ATTEMPT]: String(attemptOf(lost) + 1) };
}

/** The id of the retry of `t`, if its configuration was re-enqueued. */
export function retriedAs(t: TrialRow): number | undefined {
  const v = t.userAttrs[RETRIED_AS];
  return v === undefined ? undefined : Number(v);
}

/** `t` without the link to its retry (used when a LOST trial comes back and its retry is withdrawn). */
export function unlinkRetry(t: TrialRow): Record<string, string> {
  const { [RETRIED_AS]: _dropped, ...rest } = t.userAttrs;
  return rest;
}
