/**
 * What UpdateExperiment changes after creation: a user's pause or stop, and
 * the stop conditions as last set. The definition stays as created (a
 * worker's re-create is compared with it, so raising a budget does not lock
 * the workers out); this record, stored beside it (ExperimentRow.lifecycle),
 * is what the experiment obeys. Until the first update it is the
 * definition's stop conditions, unpaused and not stopped.
 */
import { failedPrecondition } from "../../errors.js";
import type { StopConditions } from "../use-cases/definition.js";

export interface Lifecycle {
  /** Suggest answers retry_after until a RESUME. */
  readonly paused: boolean;
  /** COMPLETED (STOPPED) until a RESUME, whatever the stop conditions say. */
  readonly stopped: boolean;
  readonly stop: StopConditions;
}

/** The lifecycle an experiment starts with: its definition's stop conditions. */
export function initialLifecycle(stop: StopConditions): Lifecycle {
  return { paused: false, stopped: false, stop };
}

interface Stored {
  paused: boolean;
  stopped: boolean;
  maxTrials: number | null;
  maxFailedTrials: number | null;
  goal: number | null;
  /** Milliseconds since the epoch. */
  deadline: number | null;
}

/** The stored form (opaque to the store): JSON with every field present, null for "no limit". */
export function lifecycleJson(l: Lifecycle): string {
  const s: Stored = {
    paused: l.paused,
    stopped: l.stopped,
    maxTrials: l.stop.maxTrials ?? null,
    maxFailedTrials: l.stop.maxFailedTrials ?? null,
    goal: l.stop.goal ?? null,
    deadline: l.stop.deadline ?? null,
  };
  return JSON.stringify(s);
}

/** The lifecycle of a stored experiment; `stored` null means never updated. */
export function parseLifecycle(stored: string | null, stop: StopConditions, experiment: string): Lifecycle {
  if (stored === null) return initialLifecycle(stop);
  let s: Partial<Stored>;
  try {
    s = JSON.parse(stored) as Partial<Stored>;
  } catch {
    throw failedPrecondition(`experiment "${experiment}": stored lifecycle is not JSON: ${stored.slice(0, 100)}`);
  }
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  if (typeof s !== "object" || s === null || typeof s.paused !== "boolean" || typeof s.stopped !== "boolean")
    throw failedPrecondition(`experiment "${experiment}": stored lifecycle is damaged: ${stored.slice(0, 100)}`);
  return {
    paused: s.paused,
    stopped: s.stopped,
    stop: {
      maxTrials: num(s.maxTrials),
      maxFailedTrials: num(s.maxFailedTrials),
      goal: num(s.goal),
      deadline: num(s.deadline),
    },
  };
}
