/**
 * Suggestion prefetch. In an ask-tell loop a worker asks for its next trial
 * right after reporting the last one, and until that Suggest arrives the
 * server has nothing to do while the worker reads the Report's answer and
 * sends its request. So after a Report that leaves an experiment with no
 * trial RUNNING or WAITING (one worker, between trials), the server starts
 * computing the suggestion that experiment's next Suggest would get, and
 * that Suggest takes it instead of starting from scratch.
 *
 * It changes no suggestion: an algorithm is a pure function of the space,
 * the history, the seed and the trial number, and a prefetched suggestion
 * is used only if the experiment has not changed since (its `version`) and
 * the Suggest is for the same trial number. Anything in between (another
 * Report, an Enqueue, an import, a lapsed lease) makes the Suggest compute
 * afresh. With several workers an experiment always has trials RUNNING,
 * so nothing is prefetched that another worker's call would throw away.
 */
import type { Config } from "../../space/types.js";
import type { ExperimentState } from "../state/experiment-state.js";

interface Prefetched {
  readonly version: number;
  readonly number: number;
  readonly config: Promise<Config>;
}

/** Computes what a Suggest would for trial `number` of `exp` as it is now. */
export type SuggestionSource = (exp: ExperimentState, number: number) => Promise<Config>;

export class SuggestionPrefetch {
  private readonly ready = new WeakMap<ExperimentState, Prefetched>();
  /** Prefetches started, taken by a Suggest, and dropped because the experiment had changed (diagnostics). */
  readonly stats = { started: 0, used: 0, discarded: 0 };

  private stopped = false;

  constructor(
    private readonly suggestion: SuggestionSource,
    readonly enabled = true,
  ) {}

  /** Starts nothing more (shutdown: the algorithm runner is about to close). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Call after a Report changed `exp`. If the experiment is now quiet, returns
   * what starts computing its next suggestion: the caller runs it once the
   * Report's answer is on the wire (only the transport knows when: see
   * server/handlers.ts), so the computation never holds up that answer.
   * Nothing is computed if it is never run.
   */
  afterReport(exp: ExperimentState): (() => void) | undefined {
    // Its own queue task is still running: the queue is checked when the computation would start.
    if (!this.enabled || exp.running.size > 0 || exp.waiting.length > 0) return undefined;
    const version = exp.version;
    return () => this.start(exp, version);
  }

  /**
   * The prefetched suggestion for trial `number`, if `exp` is unchanged since
   * it was started (resolving once it is computed, if it is still running
   * on a worker thread; to undefined if that failed); undefined at once when
   * there is none, so that most Suggests (several workers) pay nothing.
   * Whenever this gives undefined the caller computes the suggestion itself.
   * Each is handed out at most once.
   */
  take(exp: ExperimentState, number: number): Promise<Config | undefined> | undefined {
    const p = this.ready.get(exp);
    if (p === undefined) return undefined;
    this.ready.delete(exp);
    if (p.version !== exp.version || p.number !== number) {
      this.stats.discarded++;
      return undefined;
    }
    // A failure may be transient (a worker thread replaced): the caller's own attempt decides.
    return p.config.then(
      (config) => {
        this.stats.used++;
        return config;
      },
      () => undefined,
    );
  }

  private start(exp: ExperimentState, version: number): void {
    // A call that came in meanwhile (the Suggest itself, usually) has made this moot.
    if (this.stopped || exp.version !== version || !quiet(exp)) return;
    let config: Promise<Config>;
    try {
      config = this.suggestion(exp, exp.nextNumber);
    } catch {
      return; // The Suggest computes it again, and reports any error to its caller.
    }
    // Nobody may ever take it: its failure must not become an unhandled rejection.
    config.catch(() => undefined);
    this.stats.started++;
    this.ready.set(exp, { version, number: exp.nextNumber, config });
  }
}

/** Nothing running, waiting or queued: the next call is most likely this worker's next Suggest. */
function quiet(exp: ExperimentState): boolean {
  return exp.running.size === 0 && exp.waiting.length === 0 && exp.queue.idle;
}
