/**
 * The one trial-state vocabulary, shared by every layer: the service, the
 * in-memory history, the algorithms (which never see "waiting") and the
 * pruners all use these names. Conversions live only at the edges: to
 * parzen.v1.TrialState numbers in the view layer (service/views.ts), to the
 * schema's integers in the store (store/sqlite/). Nothing here may import
 * from another layer.
 *
 *   waiting ──Suggest──▶ running ──Report──▶ complete | pruned | fail
 *                          │  ▲
 *                 lease lapses  Heartbeat / late Report
 *                          ▼  │
 *                          lost
 */
export const TRIAL_STATES = ["waiting", "running", "complete", "pruned", "fail", "lost"] as const;

export type TrialState = (typeof TRIAL_STATES)[number];

/** Whether a trial in state `s` has its result: it can no longer change (but see `lost`, which can come back). */
export function isFinished(s: TrialState): boolean {
  return s === "complete" || s === "pruned" || s === "fail";
}
