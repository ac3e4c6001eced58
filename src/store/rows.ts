/** Plain records exchanged between the store and the service layer. */

export interface ExperimentRow {
  readonly id: number;
  readonly name: string;
  /** Canonical JSON of the experiment definition (see migrations/0001_init.sql). */
  readonly definition: string;
  readonly createTime: number;
}

/** Numeric values of parzen.v1.TrialState, as stored. */
export const enum StoredState {
  Waiting = 1,
  Running = 2,
  Complete = 3,
  Pruned = 4,
  Fail = 5,
  Lost = 6,
}

export interface TrialRow {
  id: number;
  experimentId: number;
  number: number;
  state: StoredState;
  /** parzen.v1.TrialSource value. */
  source: number;
  /** Active parameter name -> internal value. */
  params: Record<string, number>;
  loss: number | null;
  metrics: Record<string, number>;
  userAttrs: Record<string, string>;
  workerId: string;
  failReason: string;
  createTime: number;
  startTime: number | null;
  endTime: number | null;
  leaseDeadline: number | null;
  /** Learning curve as [step, value] in step order (NaN allowed). */
  intermediate: [number, number][];
}
