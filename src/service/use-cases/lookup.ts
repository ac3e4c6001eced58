/**
 * The experiment a request names, or the one that owns the trial it names,
 * loaded if need be: INVALID_ARGUMENT for a malformed name or id, NOT_FOUND
 * for one that does not exist. Lookups only; they change nothing.
 */
import { invalidArgument, notFound } from "../../errors.js";
import { checkExperimentName } from "./definition.js";
import type { ExperimentCache } from "../state/experiment-cache.js";
import type { TrialRow } from "../../store/rows.js";
import type { ExperimentState } from "../state/experiment-state.js";

export async function experimentNamed(cache: ExperimentCache, name: string): Promise<ExperimentState> {
  checkExperimentName(name, "experiment");
  const exp = await cache.byNameOrLoad(name);
  if (exp === undefined) throw notFound(`experiment "${name}" does not exist`);
  return exp;
}

/** Checks a trial id's form; call before any lookup, so a malformed id is INVALID_ARGUMENT whatever else is wrong. */
export function checkTrialId(trialId: number): void {
  if (!Number.isSafeInteger(trialId) || trialId <= 0)
    throw invalidArgument(`trial_id: must be a positive integer, got ${trialId}`);
}

export async function ownerOfTrial(cache: ExperimentCache, trialId: number): Promise<ExperimentState> {
  checkTrialId(trialId);
  const exp = await cache.ownerOfTrial(trialId);
  if (exp === undefined) throw notFound(`trial ${trialId} does not exist`);
  return exp;
}

/** Trial `trialId` of `exp` (inside a change: its current row). */
export async function trialOf(exp: ExperimentState, trialId: number): Promise<TrialRow> {
  const trial = await exp.trialById(trialId);
  if (trial === undefined) throw notFound(`trial ${trialId} does not exist`);
  return trial;
}
