/** The trial row the store tests write: RUNNING, its config its number, every other field at rest. */
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../src/store/rows.js";

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
