/**
 * Trial states as short strings ("COMPLETE"), the names the Python client
 * uses, instead of the generated enum's numbers.
 */
import { TrialState as Proto } from "./gen/parzen/v1/trial.js";

export type TrialState = "WAITING" | "RUNNING" | "COMPLETE" | "PRUNED" | "FAIL" | "LOST";

const toProto: Record<TrialState, Proto> = {
  WAITING: Proto.TRIAL_STATE_WAITING,
  RUNNING: Proto.TRIAL_STATE_RUNNING,
  COMPLETE: Proto.TRIAL_STATE_COMPLETE,
  PRUNED: Proto.TRIAL_STATE_PRUNED,
  FAIL: Proto.TRIAL_STATE_FAIL,
  LOST: Proto.TRIAL_STATE_LOST,
};

export function stateToProto(s: TrialState): Proto {
  const p = toProto[s];
  if (p === undefined) throw new TypeError(`unknown trial state ${JSON.stringify(s)}`);
  return p;
}

/** The state's name; "UNSPECIFIED" only for a message from a newer server. */
export function stateFromProto(p: Proto): TrialState | "UNSPECIFIED" {
  for (const [name, value] of Object.entries(toProto)) if (value === p) return name as TrialState;
  return "UNSPECIFIED";
}
