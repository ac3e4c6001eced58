/**
 * ReleaseTrial: a worker gives back a RUNNING trial it will not run (it
 * stopped with its next trial in hand). The trial becomes WAITING again,
 * with its number and configuration, and is handed out first by the next
 * Suggest, as an enqueued configuration would be: the experiment loses
 * nothing, and the trial counts as neither done nor failed. (Optuna's
 * nearest notion is a WAITING trial from enqueue_trial; a FAIL would use up
 * max_failed_trials for a trial that never ran.)
 *
 * Safe to retry: under a request_id, a repeated call answers the trial as it
 * is now (logged in the request log, like Suggest's); with the worker_id, a
 * call never releases a trial another worker was handed meanwhile.
 */
import { failedPrecondition } from "../../errors.js";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import type { ReleaseTrialRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { TrialRow } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import { type Changes, type ExperimentCache, ownerOfTrial, trialOf } from "../state/experiments.js";
import type { Leases } from "./leases.js";
import { replayed } from "./replay.js";
import { trialView } from "./views.js";

export function releaseTrial(
  deps: { readonly changes: Changes; readonly cache: ExperimentCache; readonly store: Store; readonly leases: Leases },
  req: ReleaseTrialRequest,
): Promise<Trial> {
  return deps.changes.find(
    () => ownerOfTrial(deps.cache, req.trialId),
    async (change) => {
      const exp = change.exp;
      if (req.requestId !== "") {
        const replay = await replayed(deps.store, exp, "ReleaseTrial", req.requestId);
        if (replay !== undefined) {
          if (replay[0]?.id !== req.trialId)
            throw failedPrecondition(
              `request_id "${req.requestId}" was already used to release trial ${replay[0]?.id}, not trial ${req.trialId}`,
            );
          return replay[0];
        }
      }
      await deps.leases.expire(change);
      const trial = await trialOf(exp, req.trialId);
      if (trial.state !== "running")
        throw failedPrecondition(
          `trial ${trial.id} is ${trial.state.toUpperCase()}; only a RUNNING trial can be released`,
        );
      if (req.workerId !== "" && trial.workerId !== req.workerId)
        throw failedPrecondition(
          `trial ${trial.id} is RUNNING for worker "${trial.workerId}", not "${req.workerId}"; it is not released`,
        );
      if (trial.intermediate.length > 0)
        throw failedPrecondition(
          `trial ${trial.id} has reported intermediate values, so it has started; ` +
            "report it as FAIL or PRUNED instead of releasing it",
        );
      const waiting: TrialRow = { ...trial, state: "waiting", workerId: "", startTime: null, leaseDeadline: null };
      await change.write({
        update: [waiting],
        request:
          req.requestId === "" ? undefined : { method: "ReleaseTrial", requestId: req.requestId, trialIds: [trial.id] },
      });
      return trialView(exp, waiting);
    },
  );
}
