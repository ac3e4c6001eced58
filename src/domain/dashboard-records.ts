/**
 * The JSON records of the dashboard's API, the one definition both sides
 * use: the server builds them (service/use-cases/dashboard-views.ts) and
 * the browser reads them (web/src/api.ts). Types only, importing nothing
 * but the trial-state vocabulary, so the browser bundle can use them.
 */
import type { TrialState } from "./trial-state.js";

export type PlainValue = string | number | boolean;

export interface ExperimentSummary {
  name: string;
  algorithm: string;
  direction: "minimize" | "maximize";
  /** The objectives in order: one (named "loss" unless named) for a single-objective experiment. */
  objectives: { name: string; direction: "minimize" | "maximize" }[];
  pruner: string;
  /** ACTIVE, PAUSED by a user, or COMPLETED once a stop condition was met (completionReason says which). */
  state: "active" | "paused" | "completed";
  completionReason: "budget" | "goal" | "failures" | "deadline" | "stopped" | "space_exhausted" | null;
  /** The stop conditions; null where the experiment has none. */
  budget: {
    /** COMPLETE + PRUNED trials that complete the experiment, and how many count so far. */
    maxTrials: number | null;
    used: number;
    maxFailedTrials: number | null;
    /** A COMPLETE loss at or past this completes the experiment (in the experiment's direction). */
    goal: number | null;
  };
  counts: Record<TrialState, number>;
  total: number;
  bestLoss: number | null;
  bestNumber: number | null;
  createTime: string;
  lastActivity: string | null;
  /** Changes whenever a trial changes: a page polls it to know when to refresh. */
  version: number;
}

export interface ParamInfo {
  name: string;
  kind: "float" | "int" | "choice";
  log: boolean;
  /** Numeric bounds (internal scale); undefined for unbounded normals and choices. */
  low?: number;
  high?: number;
  /** A choice's option labels, by option index. */
  labels?: string[];
  /** Where a conditional parameter hangs: active only when `parent` took `option`. */
  parent?: { name: string; option: string };
}

export interface ExperimentDetail extends ExperimentSummary {
  params: ParamInfo[];
}

/** Plot data: one entry per trial shown, numbers ascending; params hold option indices for choices, null if inactive. */
export interface PlotPoints {
  /** Trials with a loss (COMPLETE, or PRUNED with a value). */
  total: number;
  /** Whether `numbers` is a sample of them (then the best trials are always in it). */
  sampled: boolean;
  numbers: number[];
  states: TrialState[];
  losses: number[];
  params: Record<string, (number | null)[]>;
  /** The best-so-far curve over COMPLETE trials at full resolution: the trials where it improved. */
  best: { numbers: number[]; losses: number[] };
}

export interface TrialRecord {
  number: number;
  id: number;
  state: TrialState;
  source: string;
  /** The algorithm that proposed it ("" unless source is "algorithm" and it was recorded). */
  proposedBy: string;
  loss: number | null;
  /** A multi-objective trial's objective values, in the experiment's objective order and directions. */
  values?: number[];
  /** Constraint values as reported, and whether every one is <= 0; absent when the trial has none. */
  constraints?: number[];
  feasible?: boolean;
  params: Record<string, PlainValue>;
  metrics: Record<string, number>;
  userAttrs: Record<string, string>;
  workerId: string;
  failReason: string;
  createTime: string;
  startTime: string | null;
  endTime: string | null;
  intermediate?: [number, number][];
}

export interface TimelineEntry {
  number: number;
  workerId: string;
  state: TrialState;
  start: number;
  end: number | null;
}

/**
 * A multi-objective experiment's COMPLETE trials as objective values (in
 * each objective's own direction): the Pareto front whole, the others
 * sampled evenly above the plot limit. Infeasible trials are among the others.
 */
export interface ParetoPoints {
  objectives: { name: string; direction: "minimize" | "maximize" }[];
  /** COMPLETE trials with values (front included). */
  total: number;
  sampled: boolean;
  front: { numbers: number[]; values: number[][] };
  others: { numbers: number[]; values: number[][]; feasible: boolean[] };
}
