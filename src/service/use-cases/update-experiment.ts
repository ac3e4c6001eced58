/**
 * UpdateExperiment: pause, resume or stop an experiment, and set or clear
 * its stop conditions. The change is the experiment's new lifecycle
 * (state/lifecycle.ts), written through the mutation path like any trial
 * change, so it is ordered with the experiment's Suggests and Reports: a
 * Suggest queued behind a PAUSE answers retry_after.
 *
 * Re-opening needs nothing here: completion is derived from the lifecycle
 * and the trials (ExperimentState.completion), so raising or clearing the
 * limit that completed an experiment makes it ACTIVE again. A user's STOP is
 * the exception users expect (as in Katib and Vizier, a stopped study stays
 * stopped): only RESUME undoes it, a budget change alone does not.
 */
import type { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, type UpdateExperimentRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { invalidArgument } from "../../errors.js";
import type { Lifecycle } from "../state/lifecycle.js";
import { type Changes, type ExperimentCache, experimentNamed } from "../state/experiments.js";
import { checkExperimentName, checkStopConditions, type StopConditions, timestampMs } from "./definition.js";
import { experimentView } from "./views.js";

/** What a request changes, checked before the experiment is looked up. */
interface Update {
  readonly action: ExperimentAction;
  /** Per stop condition: the new value, null to clear it, undefined to leave it. */
  readonly stop: { readonly [K in keyof StopConditions]: number | null | undefined };
}

export function updateExperiment(
  changes: Changes,
  cache: ExperimentCache,
  now: () => number,
  req: UpdateExperimentRequest,
): Promise<Experiment> {
  checkExperimentName(req.name, "name");
  const update = checkedUpdate(req);
  return changes.find(
    () => experimentNamed(cache, req.name),
    async (change) => {
      const exp = change.exp;
      const lifecycle = applied(exp.lifecycle, update);
      await change.write({ lifecycle });
      return experimentView(exp, now());
    },
  );
}

function checkedUpdate(req: UpdateExperimentRequest): Update {
  const known = [
    ExperimentAction.EXPERIMENT_ACTION_UNSPECIFIED,
    ExperimentAction.EXPERIMENT_ACTION_PAUSE,
    ExperimentAction.EXPERIMENT_ACTION_RESUME,
    ExperimentAction.EXPERIMENT_ACTION_STOP,
  ];
  if (!known.includes(req.action)) throw invalidArgument(`action: unknown action ${req.action}`);
  checkStopConditions(req, "");
  const one = <T>(field: string, value: T | undefined, clear: boolean): T | null | undefined => {
    if (value !== undefined && clear)
      throw invalidArgument(`${field}: both set and cleared (clear_${field}) in one request; choose one`);
    return clear ? null : value;
  };
  const deadline = req.deadline === undefined ? undefined : timestampMs(req.deadline, "deadline");
  const stop = {
    maxTrials: one("max_trials", req.maxTrials, req.clearMaxTrials),
    maxFailedTrials: one("max_failed_trials", req.maxFailedTrials, req.clearMaxFailedTrials),
    goal: one("goal", req.goal, req.clearGoal),
    deadline: one("deadline", deadline, req.clearDeadline),
  };
  if (
    req.action === ExperimentAction.EXPERIMENT_ACTION_UNSPECIFIED &&
    Object.values(stop).every((v) => v === undefined)
  )
    throw invalidArgument(
      "nothing to update: give an action (PAUSE, RESUME, STOP) or a stop condition to set or clear",
    );
  return { action: req.action, stop };
}

function applied(l: Lifecycle, u: Update): Lifecycle {
  const pick = (now: number | undefined, change: number | null | undefined) =>
    change === undefined ? now : (change ?? undefined);
  const stop: StopConditions = {
    maxTrials: pick(l.stop.maxTrials, u.stop.maxTrials),
    maxFailedTrials: pick(l.stop.maxFailedTrials, u.stop.maxFailedTrials),
    goal: pick(l.stop.goal, u.stop.goal),
    deadline: pick(l.stop.deadline, u.stop.deadline),
  };
  switch (u.action) {
    case ExperimentAction.EXPERIMENT_ACTION_PAUSE:
      return { paused: true, stopped: l.stopped, stop };
    case ExperimentAction.EXPERIMENT_ACTION_RESUME:
      return { paused: false, stopped: false, stop };
    case ExperimentAction.EXPERIMENT_ACTION_STOP:
      // Stopping supersedes a pause: RESUME re-opens it straight to ACTIVE.
      return { paused: false, stopped: true, stop };
    default:
      return { ...l, stop };
  }
}
