/**
 * Plain records exchanged between the store and the service layer, in
 * domain terms (no protos, no SQL types): what store.ts reads and writes.
 */
import type { TrialSource } from "../domain/trial-source.js";
import type { TrialState } from "../domain/trial-state.js";

export interface ExperimentRow {
  readonly id: number;
  readonly name: string;
  /** Canonical JSON of the experiment definition (see migrations/0001_init.sql); opaque to the store. */
  readonly definition: string;
  readonly createTime: number;
  /**
   * What UpdateExperiment changed since (a user's pause or stop, stop
   * conditions as last set): canonical JSON, opaque to the store, written by
   * `Unit.lifecycle`; null until the first update.
   */
  readonly lifecycle: string | null;
  /** A store with a change feed, in a listing: the experiment's version as read (a reader skips current images). */
  readonly version?: number;
}

/** Parameter values as stored: active parameter name -> internal value. */
export type StoredParams = Record<string, number>;

/** Shared empty values: most trials have no metrics, attributes or curve. */
export const NO_NUMBERS: Readonly<Record<string, number>> = Object.freeze({});
export const NO_STRINGS: Readonly<Record<string, string>> = Object.freeze({});
export const NO_POINTS: readonly [number, number][] = Object.freeze([]) as unknown as [number, number][];

export interface TrialRow {
  id: number;
  experimentId: number;
  number: number;
  state: TrialState;
  source: TrialSource;
  /**
   * Internal values indexed like the space's parameters (NaN when inactive).
   * Stored as a JSON object name -> value; kept in memory only in this
   * compact form (one Float64Array per trial, shared with the algorithms'
   * view of the history).
   */
  config: Float64Array;
  loss: number | null;
  metrics: Readonly<Record<string, number>>;
  userAttrs: Readonly<Record<string, string>>;
  workerId: string;
  failReason: string;
  createTime: number;
  startTime: number | null;
  endTime: number | null;
  leaseDeadline: number | null;
  /** Learning curve as [step, value] in step order (NaN allowed). */
  intermediate: readonly [number, number][];
  /**
   * A multi-objective trial's objective values, one per objective in the
   * experiment's order (`loss` is then null); absent or empty otherwise.
   */
  values?: readonly number[];
  /** Constraint values as reported (feasible when every one is <= 0); absent or empty when none. */
  constraints?: readonly number[];
  /**
   * The algorithm that proposed an "algorithm" trial (for `auto`, the one its
   * rule chose); set when the trial is created, never changed. Absent or
   * empty for other sources and trials stored before it was recorded.
   */
  proposedBy?: string;
}

/** Shared empty list: most trials have no objective values or constraints of their own. */
export const NO_VALUES: readonly number[] = Object.freeze([]) as readonly number[];
