/**
 * The one interface every algorithm implements. Algorithms are pure
 * functions of (space, history, rng, options): no I/O, no clocks, no
 * Math.random, so a suggestion is reproducible from the seed and history
 * and can run on a worker thread.
 */
import type { TrialState } from "../domain/trial-state.js";
import type { Rng } from "../math/rng.js";
import type { Config, Scalar, Space } from "../space/types.js";

/** Algorithms see every trial but the WAITING ones (domain/trial-state.ts). */
export type ObservationState = Exclude<TrialState, "waiting">;

/** One trial as an algorithm sees it. */
export interface Observation {
  /** Per-experiment trial number (creation order). */
  readonly number: number;
  readonly config: Config;
  readonly state: ObservationState;
  /**
   * The objective, always to be minimised (negated by the service when the
   * experiment maximises). COMPLETE: the loss. PRUNED: the last intermediate
   * value, if any. Otherwise undefined.
   */
  readonly loss: number | undefined;
  /** PRUNED: the last step reported, used to rank how far it got. */
  readonly lastStep: number | undefined;
}

export interface SuggestInput<O> {
  readonly space: Space;
  /**
   * Every trial of the experiment in number order, including RUNNING ones
   * (other workers' pending work and earlier members of the same batch),
   * which an algorithm should steer away from. WAITING trials are not here.
   */
  readonly history: readonly Observation[];
  readonly rng: Rng;
  readonly options: O;
}

export interface Algorithm<O = unknown> {
  readonly name: string;
  /**
   * Run on a worker thread: set by algorithms whose suggest can take tens of
   * milliseconds or more (the GP), so the event loop keeps serving other RPCs.
   */
  readonly offload?: boolean;
  /** Validates user options (INVALID_ARGUMENT naming the option) and fills in defaults. */
  parseOptions(raw: Readonly<Record<string, Scalar>>): O;
  suggest(input: SuggestInput<O>): Config;
}
