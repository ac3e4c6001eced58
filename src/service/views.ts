/** Renders stored rows as parzen.v1 messages. */
import { type Experiment, TrialCounts } from "@parzen/client/gen/parzen/v1/experiment";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import { StoredState, type TrialRow } from "../store/rows.js";
import { configToProto } from "../space/values.js";
import type { ExperimentState } from "./experiment-state.js";

const date = (ms: number | null): Date | undefined => (ms === null ? undefined : new Date(ms));

export function trialView(exp: ExperimentState, t: TrialRow): Trial {
  return {
    id: t.id,
    experiment: exp.row.name,
    number: t.number,
    params: configToProto(exp.space, t.config),
    state: t.state as number,
    loss: t.loss ?? undefined,
    metrics: { ...t.metrics },
    intermediateValues: t.intermediate.map(([step, value]) => ({ step, value })),
    workerId: t.workerId,
    userAttrs: { ...t.userAttrs },
    source: t.source,
    failReason: t.failReason,
    createTime: date(t.createTime),
    startTime: date(t.startTime),
    endTime: date(t.endTime),
    leaseDeadline: t.state === StoredState.Running ? date(t.leaseDeadline) : undefined,
  };
}

const COUNTED_AS: Record<StoredState, keyof TrialCounts & string> = {
  [StoredState.Waiting]: "waiting",
  [StoredState.Running]: "running",
  [StoredState.Complete]: "complete",
  [StoredState.Pruned]: "pruned",
  [StoredState.Fail]: "fail",
  [StoredState.Lost]: "lost",
};

const COUNTS = Object.entries(COUNTED_AS).map(([s, field]) => [Number(s) as StoredState, field] as const);

export function countsOf(exp: ExperimentState): TrialCounts {
  const c = TrialCounts.fromPartial({});
  for (const [state, field] of COUNTS) c[field] = exp.countOf(state);
  return c;
}

export function experimentView(exp: ExperimentState): Experiment {
  return { ...exp.def.proto, createTime: new Date(exp.row.createTime), trialCounts: countsOf(exp) };
}
