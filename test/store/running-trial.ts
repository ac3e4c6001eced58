/** The rows the store tests write: a RUNNING trial, and a Suggest's request-log record. */
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../src/store/rows.js";

/** A RUNNING trial, its config its number, every other field at rest. */
export function runningTrial(experimentId: number, number: number, fields: Partial<TrialRow> = {}): TrialRow {
  return {
    id: 0,
    experimentId,
    number,
    state: "running",
    source: "algorithm",
    config: Float64Array.of(number),
    loss: null,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "w",
    failReason: "",
    createTime: 1,
    startTime: 1,
    endTime: null,
    leaseDeadline: 100,
    intermediate: NO_POINTS,
    ...fields,
  };
}

/** A Suggest's request-log record under `requestId`, naming the trials its unit inserts. */
export function suggestRequest(requestId: string) {
  return { method: "Suggest", requestId, trialIds: [], withInserted: true, createTime: 1 };
}
