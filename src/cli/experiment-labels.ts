/** How the CLI shows an experiment's lifecycle state and budget (`experiments`, `pause`, `update`, ...). */
import { CompletionReason, type Experiment, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";

/** "ACTIVE", "PAUSED", or "COMPLETED (budget)". */
export function stateLabel(e: Experiment): string {
  if (e.state === ExperimentState.EXPERIMENT_STATE_COMPLETED) {
    const reason = CompletionReason[e.completionReason] ?? String(e.completionReason);
    return `COMPLETED (${reason.replace("COMPLETION_REASON_", "").toLowerCase()})`;
  }
  return (ExperimentState[e.state] ?? "UNSPECIFIED").replace("EXPERIMENT_STATE_", "");
}

/** COMPLETE + PRUNED trials (what max_trials counts) out of max_trials: "37/40", or "37/-" without a limit. */
export function budgetLabel(e: Experiment): string {
  const used = (e.trialCounts?.complete ?? 0) + (e.trialCounts?.pruned ?? 0);
  return `${used}/${e.maxTrials ?? "-"}`;
}
