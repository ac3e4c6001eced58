/**
 * The view layer: renders the in-memory image and stored rows as parzen.v1
 * messages, and is the one place where the domain trial state and source
 * meet the proto enums (both ways). It reads; it never changes state.
 */
import {
  CompletionReason,
  type Experiment,
  ExperimentState as ProtoExperimentState,
  TrialCounts,
} from "@parzen/client/gen/parzen/v1/experiment";
import {
  type Trial,
  TrialSource as ProtoTrialSource,
  TrialState as ProtoTrialState,
} from "@parzen/client/gen/parzen/v1/trial";
import type { TrialSource } from "../../domain/trial-source.js";
import { TRIAL_STATES, type TrialState } from "../../domain/trial-state.js";
import type { TrialRow } from "../../store/rows.js";
import { configToProto } from "../../space/values.js";
import type { CompletionReason as DomainCompletion, ExperimentState } from "../state/experiment-state.js";
import { currentChoice } from "./algorithm-choice.js";

const PROTO_STATE: Readonly<Record<TrialState, ProtoTrialState>> = {
  waiting: ProtoTrialState.TRIAL_STATE_WAITING,
  running: ProtoTrialState.TRIAL_STATE_RUNNING,
  complete: ProtoTrialState.TRIAL_STATE_COMPLETE,
  pruned: ProtoTrialState.TRIAL_STATE_PRUNED,
  fail: ProtoTrialState.TRIAL_STATE_FAIL,
  lost: ProtoTrialState.TRIAL_STATE_LOST,
};

const PROTO_SOURCE: Readonly<Record<TrialSource, ProtoTrialSource>> = {
  algorithm: ProtoTrialSource.TRIAL_SOURCE_ALGORITHM,
  enqueued: ProtoTrialSource.TRIAL_SOURCE_ENQUEUED,
  imported: ProtoTrialSource.TRIAL_SOURCE_IMPORTED,
};

/** The domain state of a proto one; undefined for UNSPECIFIED and unknown numbers. */
export function fromProtoState(s: ProtoTrialState): TrialState | undefined {
  return TRIAL_STATES.find((d) => PROTO_STATE[d] === s);
}

const date = (ms: number | null): Date | undefined => (ms === null ? undefined : new Date(ms));

export function trialView(exp: ExperimentState, t: TrialRow): Trial {
  return {
    id: t.id,
    experiment: exp.row.name,
    number: t.number,
    params: configToProto(exp.space, t.config),
    state: PROTO_STATE[t.state],
    loss: t.loss ?? undefined,
    metrics: { ...t.metrics },
    intermediateValues: t.intermediate.map(([step, value]) => ({ step, value })),
    workerId: t.workerId,
    userAttrs: { ...t.userAttrs },
    source: PROTO_SOURCE[t.source],
    failReason: t.failReason,
    createTime: date(t.createTime),
    startTime: date(t.startTime),
    endTime: date(t.endTime),
    leaseDeadline: t.state === "running" ? date(t.leaseDeadline) : undefined,
    // Multi-objective trials only: a single-objective trial's answer stays what it always was (its loss).
    values: t.values === undefined ? [] : [...t.values],
    constraints: t.constraints === undefined ? [] : [...t.constraints],
    proposedBy: t.proposedBy ?? "",
  };
}

/** Trials per state: TrialCounts' fields are named like the domain states. */
export function countsOf(exp: ExperimentState): TrialCounts {
  const c = TrialCounts.fromPartial({});
  for (const s of TRIAL_STATES) c[s] = exp.countOf(s);
  return c;
}

const PROTO_COMPLETION: Readonly<Record<DomainCompletion, CompletionReason>> = {
  budget: CompletionReason.COMPLETION_REASON_BUDGET,
  goal: CompletionReason.COMPLETION_REASON_GOAL,
  failures: CompletionReason.COMPLETION_REASON_FAILURES,
  deadline: CompletionReason.COMPLETION_REASON_DEADLINE,
  stopped: CompletionReason.COMPLETION_REASON_STOPPED,
  space_exhausted: CompletionReason.COMPLETION_REASON_SPACE_EXHAUSTED,
};

const PROTO_EXPERIMENT_STATE = {
  active: ProtoExperimentState.EXPERIMENT_STATE_ACTIVE,
  paused: ProtoExperimentState.EXPERIMENT_STATE_PAUSED,
  completed: ProtoExperimentState.EXPERIMENT_STATE_COMPLETED,
} as const;

export function completionReasonView(reason: DomainCompletion): CompletionReason {
  return PROTO_COMPLETION[reason];
}

/** The experiment at `now` (ms): its stop conditions are those in force (UpdateExperiment's), not as created. */
export function experimentView(exp: ExperimentState, now: number): Experiment {
  const completion = exp.completion(now);
  const { maxTrials, maxFailedTrials, goal, deadline } = exp.stop;
  const choice = currentChoice(exp);
  return {
    ...exp.def.proto,
    maxTrials,
    maxFailedTrials,
    goal,
    deadline: deadline === undefined ? undefined : new Date(deadline),
    createTime: new Date(exp.row.createTime),
    trialCounts: countsOf(exp),
    state: PROTO_EXPERIMENT_STATE[exp.status(now)],
    completionReason: completion === undefined ? 0 : PROTO_COMPLETION[completion],
    algorithmChoice: { algorithm: choice.algorithm, reason: choice.reason },
  };
}
