/**
 * Budgets from the worker's side: an experiment that is COMPLETED answers
 * "done" (ExperimentDone), one whose remaining budget is all RUNNING, or that
 * is paused, answers "retry after" (waited through here).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { ParzenError } from "./errors.js";
import { CompletionReason } from "./gen/parzen/v1/experiment.js";
import type { SuggestResponse } from "./gen/parzen/v1/optimizer_service.js";
import type { Trial as TrialProto } from "./gen/parzen/v1/trial.js";

/** Why an experiment is COMPLETED. */
export type CompletionReasonName = "BUDGET" | "GOAL" | "FAILURES" | "DEADLINE" | "STOPPED";

/** "BUDGET" for COMPLETION_REASON_BUDGET; undefined for UNSPECIFIED. */
export function reasonName(r: CompletionReason): CompletionReasonName | undefined {
  if (r === CompletionReason.COMPLETION_REASON_UNSPECIFIED) return undefined;
  return CompletionReason[r]?.replace("COMPLETION_REASON_", "") as CompletionReasonName;
}

/**
 * Thrown by `suggest` once the experiment is COMPLETED: not a failure, a
 * worker simply stops. `reason` says why.
 */
export class ExperimentDone extends Error {
  override readonly name = "ExperimentDone";
  constructor(
    readonly experiment: string,
    readonly reason: CompletionReasonName | undefined,
  ) {
    super(`experiment "${experiment}" is done (${reason ?? "completed"})`);
  }
}

/** True when `err` says the experiment is done. */
export function isExperimentDone(err: unknown): err is ExperimentDone {
  return err instanceof ExperimentDone;
}

/**
 * Calls `ask` until its answer carries trials, waiting through retry_after
 * until `timeoutMs` has passed (then DEADLINE_EXCEEDED); done becomes
 * ExperimentDone.
 */
export async function untilTrials(
  experiment: string,
  timeoutMs: number,
  ask: () => Promise<SuggestResponse>,
): Promise<TrialProto[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await ask();
    const trials = checkAnswer(experiment, res);
    if (trials !== undefined) return trials;
    const waitMs = res.retryAfter!.seconds * 1000 + res.retryAfter!.nanos / 1e6;
    if (Date.now() + waitMs > deadline) {
      throw new ParzenError(
        status.DEADLINE_EXCEEDED,
        `experiment "${experiment}": no trial to run within ${timeoutMs} ms (the rest of its max_trials is RUNNING ` +
          "on other workers, or it is paused); ask again later",
        "Suggest",
      );
    }
    await sleep(waitMs);
  }
}

/** The answer's trials; undefined when it says retry_after; throws ExperimentDone when it says done. */
export function checkAnswer(experiment: string, res: SuggestResponse): TrialProto[] | undefined {
  if (res.done) throw new ExperimentDone(experiment, reasonName(res.doneReason));
  if (res.trials.length > 0) return res.trials;
  if (res.retryAfter === undefined) {
    throw new ParzenError(status.INTERNAL, "unexpected answer: no trials, no done, no retry_after", "Suggest");
  }
  return undefined;
}
