/**
 * Request-id replay: the trials a Suggest or AddTrials with this request_id
 * created before (a Report with suggest_next: the reported trial, then the
 * next one; ReleaseTrial: the released trial), so that a retried call gets the same answer instead of
 * creating trials a second time.
 */
import { failedPrecondition } from "../../errors.js";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import type { Store } from "../../store/store.js";
import type { ExperimentState } from "../state/experiment-state.js";
import { trialOf } from "../state/experiments.js";
import { trialView } from "./views.js";

/** The logged answer to `method` under `requestId` on `exp`, or undefined when the id is new. */
export async function replayed(
  store: Store,
  exp: ExperimentState,
  method: "Suggest" | "AddTrials" | "Report" | "ReleaseTrial",
  requestId: string,
): Promise<Trial[] | undefined> {
  const logged = await store.findRequest(method, requestId);
  if (logged === undefined) return undefined;
  if (logged.experimentId !== exp.row.id)
    throw failedPrecondition(`request_id "${requestId}" was already used for another experiment`);
  const out: Trial[] = [];
  for (const id of logged.trialIds) out.push(trialView(exp, await trialOf(exp, id)));
  return out;
}
