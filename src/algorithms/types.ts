/**
 * The one interface every algorithm implements. A suggestion is a pure
 * function of (space, options, history, rng): no I/O, no clocks, no
 * Math.random, so it is reproducible from the seed and history and can run
 * on a worker thread. What an algorithm keeps between calls lives in an
 * explicit per-experiment session (AlgorithmSession), never in module state.
 */
import type { TrialState } from "../domain/trial-state.js";
import type { Rng } from "../math/rng.js";
import type { Config, Scalar, Space } from "../space/types.js";
import type { SharedMemos } from "./shared-memos.js";

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
  /**
   * Multi-objective experiments, COMPLETE trials: the objective values, each
   * to be minimised (negated by the service where maximised); `loss` is then
   * undefined. Absent otherwise.
   */
  readonly values?: Float64Array;
  /** Trials that reported constraints: their values, feasible when every one is <= 0. Absent otherwise. */
  readonly constraints?: Float64Array;
}

/**
 * What an algorithm keeps for one experiment between suggestions: derived
 * views of the space, memos of what it built from the history, scratch
 * memory. It is only ever an optimisation: a fresh session suggests exactly
 * what a long-lived one does for the same history and rng. Whoever holds the
 * experiment's in-memory state holds its session and drops it with that
 * state; a session is not safe to share between threads.
 */
export interface AlgorithmSession {
  /**
   * The configuration to try next. `history`: every trial of the experiment
   * in number order, including RUNNING ones (other workers' pending work and
   * earlier members of the same batch), which an algorithm should steer away
   * from; WAITING trials are not there. It may be the caller's live array:
   * the session reads it during the call only and keeps no reference to it
   * (it may keep the observations and configurations in it, which callers
   * never mutate: they replace an observation to change it).
   */
  suggest(history: readonly Observation[], rng: Rng): Config;
}

export interface Algorithm<O = unknown> {
  readonly name: string;
  /**
   * Run on a worker thread: set by algorithms whose suggest can take tens of
   * milliseconds or more (the GP), so the event loop keeps serving other RPCs.
   */
  readonly offload?: boolean;
  /**
   * Optimises several objectives (Observation.values). Experiments with more
   * than one objective are refused for algorithms without it.
   */
  readonly multiObjective?: boolean;
  /** Validates user options (INVALID_ARGUMENT naming the option) and fills in defaults. */
  parseOptions(raw: Readonly<Record<string, Scalar>>): O;
  /**
   * A session for one experiment with this compiled space and these options
   * (as parseOptions returned them). `memos`: the memos keyed by content that
   * sessions share, owned by the caller (shared-memos.ts); without them the
   * session keeps its own.
   */
  open(space: Space, options: O, memos?: SharedMemos): AlgorithmSession;
}
