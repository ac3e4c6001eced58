/** The experiment or trial a request names, loaded if need be; INVALID_ARGUMENT or NOT_FOUND otherwise. */
import { invalidArgument, notFound } from "../errors.js";
import type { TrialRow } from "../store/rows.js";
import { checkExperimentName } from "./definition.js";
import type { ExperimentCache } from "./experiment-cache.js";
import type { ExperimentState } from "./experiment-state.js";

export function experimentNamed(cache: ExperimentCache, name: string): ExperimentState {
  checkExperimentName(name, "experiment");
  const exp = cache.byNameOrLoad(name);
  if (exp === undefined) throw notFound(`experiment "${name}" does not exist`);
  return exp;
}

export function trialWithId(cache: ExperimentCache, trialId: number): { exp: ExperimentState; trial: TrialRow } {
  if (!Number.isSafeInteger(trialId) || trialId <= 0)
    throw invalidArgument(`trial_id: must be a positive integer, got ${trialId}`);
  const exp = cache.ownerOfTrial(trialId);
  const trial = exp?.trialById(trialId);
  if (exp === undefined || trial === undefined) throw notFound(`trial ${trialId} does not exist`);
  return { exp, trial };
}
