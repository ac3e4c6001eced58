/** The row of a trial about to be created, so that each creator names only what differs. */
import type { Config } from "../../space/types.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../store/rows.js";
import type { ExperimentState } from "../state/experiment-state.js";

/** Its id stays 0 until the row is inserted. */
export function newTrialRow(
  exp: ExperimentState,
  number: number,
  config: Config,
  createTime: number,
  fields: Partial<Omit<TrialRow, "createTime">> & Pick<TrialRow, "state" | "source">,
): TrialRow {
  return {
    id: 0,
    experimentId: exp.row.id,
    number,
    config,
    loss: null,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "",
    failReason: "",
    createTime,
    startTime: null,
    endTime: null,
    leaseDeadline: null,
    intermediate: NO_POINTS,
    ...fields,
  };
}
