/**
 * The dashboard's view layer: how an experiment's in-memory image and stored
 * rows become the JSON records its API answers (domain/dashboard-records.ts) (user-facing
 * values: choice labels, losses in the experiment's own direction, ISO
 * times). Reads only; dashboard-reads.ts decides what to show.
 */
import { TRIAL_STATES, type TrialState } from "../../domain/trial-state.js";
import type {
  PlainValue,
  ExperimentSummary,
  ParamInfo,
  ExperimentDetail,
  PlotPoints,
  ParetoPoints,
  TrialRecord,
  TimelineEntry,
} from "../../domain/dashboard-records.js";
import type { TrialRow } from "../../store/rows.js";
import type { ParamSpec, Scalar } from "../../space/types.js";
import { externalValue } from "../../space/values.js";
import type { ExperimentState } from "../state/experiment-state.js";

export type {
  PlainValue,
  ExperimentSummary,
  ParamInfo,
  ExperimentDetail,
  PlotPoints,
  ParetoPoints,
  TrialRecord,
  TimelineEntry,
};

export interface TrialQuery {
  /** "number", "loss", "state", "objective:<name>" (several objectives) or "param:<name>". */
  sort?: string;
  desc?: boolean;
  /** States shown (all when empty). */
  states?: readonly TrialState[];
  offset?: number;
  limit?: number;
}

const iso = (ms: number | null): string | null => (ms === null || ms === 0 ? null : new Date(ms).toISOString());

const plain = (s: Scalar): PlainValue => s.value;

export function summaryOf(exp: ExperimentState, now: number): ExperimentSummary {
  const counts = {} as Record<TrialState, number>;
  let total = 0;
  for (const s of TRIAL_STATES) {
    counts[s] = exp.countOf(s);
    total += counts[s];
  }
  const best = exp.bestNumber();
  const sign = exp.def.maximize ? -1 : 1;
  const completion = exp.completion(now);
  const stop = exp.def.stop;
  return {
    name: exp.row.name,
    algorithm: exp.def.algorithm,
    direction: exp.def.maximize ? "maximize" : "minimize",
    objectives: objectivesOf(exp),
    pruner: exp.def.pruner,
    state: exp.status(now),
    completionReason: completion ?? null,
    budget: {
      maxTrials: stop.maxTrials ?? null,
      used: counts.complete + counts.pruned,
      maxFailedTrials: stop.maxFailedTrials ?? null,
      goal: stop.goal ?? null,
    },
    counts,
    total,
    bestLoss: best === undefined ? null : sign * exp.lossOf(best)!,
    bestNumber: best ?? null,
    createTime: new Date(exp.row.createTime).toISOString(),
    lastActivity: iso(exp.lastActivity),
    version: exp.version,
  };
}

export function objectivesOf(exp: ExperimentState): ExperimentSummary["objectives"] {
  return exp.def.objectives.map((o) => ({ name: o.name, direction: o.maximize ? "maximize" : "minimize" }));
}

export function paramInfo(exp: ExperimentState, p: ParamSpec): ParamInfo {
  const d = p.domain;
  const info: ParamInfo =
    d.type === "choice"
      ? { name: p.name, kind: "choice", log: false, labels: [...d.labels] }
      : d.type === "normal"
        ? { name: p.name, kind: "float", log: d.log }
        : { name: p.name, kind: d.type, log: d.log, low: d.low, high: d.high };
  if (p.condition !== undefined) {
    const parent = exp.space.params[p.condition.parent]!;
    info.parent = { name: parent.name, option: String(externalValue(parent, p.condition.option).value) };
  }
  return info;
}

export function trialRecord(exp: ExperimentState, t: TrialRow, withCurve: boolean): TrialRecord {
  const params: Record<string, PlainValue> = {};
  for (const p of exp.space.params) {
    const v = t.config[p.index]!;
    if (!Number.isNaN(v)) params[p.name] = plain(externalValue(p, v));
  }
  const record: TrialRecord = {
    number: t.number,
    id: t.id,
    state: t.state,
    source: t.source,
    proposedBy: t.proposedBy ?? "",
    loss: t.loss,
    params,
    metrics: { ...t.metrics },
    userAttrs: { ...t.userAttrs },
    workerId: t.workerId,
    failReason: t.failReason,
    createTime: new Date(t.createTime).toISOString(),
    startTime: iso(t.startTime),
    endTime: iso(t.endTime),
  };
  if (t.values !== undefined && t.values.length > 0) record.values = [...t.values];
  if (t.constraints !== undefined && t.constraints.length > 0) {
    record.constraints = [...t.constraints];
    record.feasible = t.constraints.every((v) => v <= 0);
  }
  if (withCurve) record.intermediate = t.intermediate.map(([s, v]) => [s, v]);
  return record;
}
