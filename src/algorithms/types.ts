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
 * Which experiment and trial a suggestion is for. The rng is derived from
 * the same two numbers; algorithms that keep one sequence per experiment
 * (qmc, grid, cmaes) need them as numbers: the seed fixes the sequence's
 * scramble or order, the trial number (unique per experiment, even across
 * workers and servers) the position in it. Callers that leave it out get
 * seed 0 and the number after the history's last.
 */
export interface SuggestContext {
  readonly seed: number;
  readonly trialNumber: number;
}

/** The context a caller gave, or the documented default. */
export function contextOf(history: readonly Observation[], context: SuggestContext | undefined): SuggestContext {
  if (context !== undefined) return context;
  const last = history.length === 0 ? -1 : history[history.length - 1]!.number;
  return { seed: 0, trialNumber: last + 1 };
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
  suggest(history: readonly Observation[], rng: Rng, context?: SuggestContext): Config;
}

export interface Algorithm<O = unknown> {
  readonly name: string;
  /**
   * Run on a worker thread: set by algorithms whose suggest can take tens of
   * milliseconds or more (the GP), so the event loop keeps serving other RPCs.
   */
  readonly offload?: boolean;
  /**
   * Keep the experiment's session on a worker thread, fed the history
   * incrementally: set by algorithms whose suggestion costs milliseconds,
   * growing with the history (TPE), too much for the event loop in a batch
   * or over a long history, but made too often to send the whole history
   * every time. Neither flag: the session runs in process (random search).
   */
  readonly threadSession?: boolean;
  /**
   * Its session keeps its last suggestion with the inputs it read, hands it
   * back for equal inputs, and keeps no other state a call changes: so a
   * suggestion computed ahead from a likely history (a lone worker's pending
   * report) costs nothing when the real history matches, and nothing changes
   * when it does not.
   */
  readonly suggestsAhead?: boolean;
  /**
   * Its suggestions never read the history (random search): the service then
   * hands it the live history as it is, without the per-call O(n) copy that
   * shows a pending report (use-cases/suggest.ts).
   */
  readonly ignoresHistory?: boolean;
  /**
   * With threadSession: a fresh session rebuilds its state by replaying the
   * whole history (cmaes: a generation's update per λ trials, a second of CPU
   * at 10,000 trials in 40-D), so even a lone suggestion over a short history
   * runs on the session thread, never in process where that replay would
   * hold the event loop.
   */
  readonly replaysHistory?: boolean;
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
  /**
   * Rejects (INVALID_ARGUMENT) a space this algorithm cannot search with
   * these options, when the experiment is created (grid: a space that is
   * not finite). Absent: every space is fine.
   */
  checkSpace?(space: Space, options: O): void;
  /**
   * For algorithms that hand out each point of a finite set once (grid): a
   * tally of the points the experiment's trials took, so the service can
   * complete the experiment when none is left (state/experiment-state.ts).
   */
  exhaustible?(space: Space, options: O): Exhaustible;
}

/** Counts the distinct points of a finite design the trials took. */
export interface Exhaustible {
  /** A trial's configuration (every trial, any state, once, when it is created). */
  add(config: Config): void;
  /** Points of the design no trial has taken yet. */
  remaining(): number;
}
