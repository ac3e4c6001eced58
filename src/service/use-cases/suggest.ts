/**
 * Suggest, the whole story in one place:
 *
 *   look up the experiment ─▶ its queue ─▶ lapsed leases, pending retries
 *   ─▶ COMPLETED? done ─▶ PAUSED, or as many as max_trials leaves (none: retry_after) ─▶ enqueued configurations first
 *   ─▶ the algorithm's session for the rest (or the prefetched suggestion) ─▶ the new trials
 *   ─▶ one store write ─▶ the parzen.v1 answer, once that write is committed
 *
 * The mutation path (state/experiments.ts) gives the queue, the write and the
 * wait for the commit; the experiment's image (state/experiment-state.ts)
 * holds its trials and its algorithm session; the runner
 * (runners/worker-runner.ts) runs the session in process, or the algorithm
 * on a worker thread. The answer is built by the view layer (views.ts).
 *
 * Below the story: the suggestion prefetch. In an ask-tell loop a worker
 * asks for its next trial right after reporting the last one, and until that
 * Suggest arrives the server has nothing to do while the worker reads the
 * Report's answer and sends its request. So after a Report that leaves an
 * experiment with no trial RUNNING or WAITING (one worker, between trials),
 * the server starts computing the suggestion that experiment's next Suggest
 * would get, and that Suggest takes it instead of starting from scratch.
 *
 * It changes no suggestion: an algorithm is a pure function of the space,
 * the history, the seed and the trial number, and a prefetched suggestion
 * is used only if the experiment has not changed since (its `version`) and
 * the Suggest is for the same trial number. Anything in between (another
 * Report, an Enqueue, an import, a lapsed lease) makes the Suggest compute
 * afresh. With several workers an experiment always has trials RUNNING,
 * so nothing is prefetched that another worker's call would throw away.
 *
 * A lone worker in the one-trip loop (Report with suggest_next) never sends
 * a Suggest: its next suggestion must see the report it comes with. So once
 * such a Report's answer is on the wire, the server computes ahead what would
 * follow the trial it handed out if that trial joins the bad set (reported
 * worse than every good trial: by far the likeliest outcome), in the
 * experiment's own session (Algorithm.suggestsAhead: TPE). The next Report
 * computes its suggestion from the real history as always; TPE hands back the
 * one computed ahead only when everything it reads is equal (sampler.ts), and
 * computes afresh otherwise. No suggestion ever comes from a history without
 * the trial just reported.
 */
import { invalidArgument } from "../../errors.js";
import { algorithmNamed } from "../../algorithms/registry.js";
import type { SuggestRequest, SuggestResponse } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import type { Observation } from "../../algorithms/types.js";
import type { Config } from "../../space/types.js";
import type { TrialRow } from "../../store/rows.js";
import type { Store } from "../../store/store.js";
import type { AlgorithmRunner } from "../runners/algorithm-runner.js";
import type { ExperimentState } from "../state/experiment-state.js";
import { type Change, type Changes, type ExperimentCache, experimentNamed } from "../state/experiments.js";
import type { Leases } from "./leases.js";
import type { ServiceLimits } from "./limits.js";
import { choiceFor } from "./algorithm-choice.js";
import { checkSuggestAnswer } from "./answer-size.js";
import { newTrialRow } from "./new-trial.js";
import { replayed } from "./replay.js";
import { checkWorkerId, throwIfAborted } from "./request-checks.js";
import { completionReasonView, trialView } from "./views.js";

/**
 * How long a worker waits before asking again when the rest of the budget is
 * all RUNNING: short, because a RUNNING trial that fails frees its place at
 * once, and a Suggest that finds nothing to do is cheap.
 */
export const RETRY_AFTER_MS = 1000;

export interface SuggestDeps {
  readonly store: Store;
  readonly cache: ExperimentCache;
  readonly changes: Changes;
  readonly leases: Leases;
  readonly runner: AlgorithmRunner;
  readonly now: () => number;
  readonly limits: ServiceLimits;
  /** Prefetch a lone worker's next suggestion after its Report (below); default true. */
  readonly prefetch?: boolean;
}

export class SuggestUseCase {
  /** Started by Report (`afterReport`), taken by the next Suggest. */
  readonly prefetch: SuggestionPrefetch;

  constructor(private readonly deps: SuggestDeps) {
    this.prefetch = new SuggestionPrefetch(
      (exp, number) => this.algorithmSuggestion(exp, number, deps.cache.observationHistory(exp)),
      deps.prefetch ?? true,
      (exp, handed) => this.suggestAhead(exp, handed),
    );
  }

  /**
   * The Suggest RPC: `count` trials for `req.workerId` (fewer when the budget
   * leaves fewer), answered once they are committed; or none, with done when
   * the experiment is COMPLETED, or with retry_after when the rest of its
   * budget is all RUNNING.
   */
  readonly suggest = (req: SuggestRequest, signal?: AbortSignal): Promise<SuggestResponse> => {
    const { limits, changes, cache } = this.deps;
    const count = req.count === 0 ? 1 : req.count;
    if (!Number.isInteger(count) || count < 1 || count > limits.maxSuggestCount) {
      throw invalidArgument(`count: must be between 1 and ${limits.maxSuggestCount}, got ${req.count}`);
    }
    checkWorkerId(req.workerId, limits.maxWorkerIdLength);
    return changes.find(
      () => experimentNamed(cache, req.experiment),
      (change) => this.suggestIn(change, req, count, signal),
    );
  };

  /** Inside the experiment's queue. */
  private async suggestIn(
    change: Change,
    req: SuggestRequest,
    requested: number,
    signal?: AbortSignal,
  ): Promise<SuggestResponse> {
    const { leases } = this.deps;
    const exp = change.exp;
    // With other servers on the database the write checks the id instead (state/experiments.ts Change).
    const lookedUp = req.requestId !== "" && change.lookUpRequestFirst;
    if (lookedUp) {
      const replay = await replayed(this.deps.store, exp, "Suggest", req.requestId);
      if (replay !== undefined) return answer(replay);
    }
    // Rare, so checked here: lapsed leases become LOST, and retries still pending are enqueued (leases.ts).
    if (exp.mayHaveLapsed(this.deps.now())) await leases.expire(change);
    if (exp.retriesPending.size > 0) await leases.enqueueRetries(change);
    let verdict = this.verdict(exp, requested);
    if (typeof verdict !== "number") {
      // Nothing to hand out is an answer no write checks: with several servers, make sure from the database.
      await change.current();
      verdict = this.verdict(exp, requested);
      if (typeof verdict !== "number") {
        // No write checks the id here: a retry must get its trials, not done or retry_after.
        const replay =
          lookedUp || req.requestId === "" ? undefined : await replayed(this.deps.store, exp, "Suggest", req.requestId);
        return replay === undefined ? verdict : answer(replay);
      }
    }
    const { started, created } = await this.plan(change, req.workerId, verdict, undefined, signal);
    // A caller that gave up never sees these trials: create nothing for it.
    throwIfAborted(signal);
    await change.write({
      update: started,
      insert: created,
      request:
        req.requestId === ""
          ? undefined
          : { method: "Suggest", requestId: req.requestId, trialIds: started.map((t) => t.id) },
    });
    return answer(startedView(exp, { started, created }));
  }

  /** How many trials may start now (at most `requested`), or the answer when none may: done or retry_after. */
  private verdict(exp: ExperimentState, requested: number): number | SuggestResponse {
    const completion = exp.completion(this.deps.now());
    if (completion !== undefined) return { ...answer([]), done: true, doneReason: completionReasonView(completion) };
    // The queue serialises Suggests, so what is startable here cannot be handed out twice.
    const count = exp.lifecycle.paused ? 0 : Math.min(requested, exp.startable());
    if (count === 0) {
      const ms = RETRY_AFTER_MS;
      return { ...answer([]), retryAfter: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } };
    }
    return count;
  }

  /**
   * Report-and-next, inside the Report's queue task (optimizer.ts): what a
   * Suggest of one trial for `workerId` would answer right after `reported`
   * is put (undefined: the report changes nothing), planned before it is:
   * the caller writes the report and the plan in one unit, then renders the
   * answer with `startedView`. Retries still pending are enqueued first, as a
   * Suggest would (their own unit: they are the lapse's, not the report's).
   */
  async planAfter(
    change: Change,
    reported: TrialRow | undefined,
    workerId: string,
    withdrawn: readonly TrialRow[] = [],
  ): Promise<NextPlan> {
    const exp = change.exp;
    if (exp.retriesPending.size > 0) await this.deps.leases.enqueueRetries(change);
    const verdict = reported === undefined ? this.verdict(exp, 1) : exp.asIfPut(reported, () => this.verdict(exp, 1));
    if (typeof verdict !== "number") return { answer: verdict };
    return this.plan(change, workerId, verdict, reported, undefined, withdrawn);
  }

  /**
   * The trials to start, not yet written: `count` (enqueued ones first, but
   * not the WAITING trials `withdrawn` in the same unit), for `workerId`, the
   * algorithm seeing `pendingReport` (if any) as reported.
   */
  private async plan(
    change: Change,
    workerId: string,
    count: number,
    pendingReport: TrialRow | undefined,
    signal?: AbortSignal,
    withdrawn: readonly TrialRow[] = [],
  ): Promise<{ started: TrialRow[]; created: TrialRow[] }> {
    const { cache } = this.deps;
    const exp = change.exp;
    const now = this.deps.now();
    const lease = now + exp.def.leaseMs;
    const started: TrialRow[] = [];
    const waiting =
      withdrawn.length === 0 ? exp.waiting : exp.waiting.filter((n) => !withdrawn.some((t) => t.number === n));
    // Enqueued configurations first, oldest first.
    for (const number of waiting.slice(0, count)) {
      started.push({
        ...exp.liveTrial(number)!,
        state: "running",
        workerId,
        startTime: now,
        leaseDeadline: lease,
      });
    }
    // Sized before anything is computed or stored: an answer too large to arrive would orphan its trials.
    checkSuggestAnswer(exp, workerId, started, count, this.deps.limits.maxAnswerBytes);
    // Then the algorithm, each batch member seeing the earlier ones as RUNNING.
    const created: TrialRow[] = [];
    const ignoresHistory = algorithmNamed(exp.def.algorithm).ignoresHistory === true;
    // The live history is passed as is (no O(n) copy per Suggest); only a
    // batch adds its own pending members on top.
    const pending: Observation[] = started.map((t) => ({
      number: t.number,
      config: t.config,
      state: "running",
      loss: undefined,
      lastStep: undefined,
    }));
    for (let i = started.length; i < count; i++) {
      throwIfAborted(signal);
      const number = exp.nextNumber + created.length;
      const ready = pending.length === 0 && pendingReport === undefined ? this.prefetch.take(exp, number) : undefined;
      const prefetched = ready === undefined ? undefined : await ready;
      const live = cache.observationHistory(exp);
      // The copy showing the pending report is O(n) per call: 64 workers on random search at 20,000 trials spent
      // a tenth of the server's time, and a fifth more in garbage collection, copying histories nobody read.
      const base = pendingReport === undefined || ignoresHistory ? live : exp.observationsWith(live, pendingReport);
      const history = pending.length === 0 ? base : base.concat(pending);
      const { config, proposedBy } =
        prefetched ?? (await this.algorithmSuggestion(exp, number, history, signal, count - started.length));
      pending.push({ number, config, state: "running", loss: undefined, lastStep: undefined });
      created.push(
        newTrialRow(exp, number, config, now, {
          state: "running",
          source: "algorithm",
          proposedBy,
          workerId,
          startTime: now,
          leaseDeadline: lease,
        }),
      );
    }
    return { started, created };
  }

  /** Computes ahead what would follow trial `handed` (RUNNING) reported as the worst yet (the prefetch, below). */
  private suggestAhead(exp: ExperimentState, handed: number): boolean {
    const { runner, cache } = this.deps;
    if (runner.suggestAhead === undefined) return false;
    const history = exp.observationsAsWorst(cache.observationHistory(exp), handed);
    if (history === undefined) return false;
    const { def } = exp;
    runner.suggestAhead(
      {
        algorithm: def.algorithm,
        options: def.algorithmOptions,
        space: exp.space,
        history,
        seed: def.seed,
        trialNumber: exp.nextNumber,
        batch: 1,
      },
      exp,
    );
    return true;
  }

  /**
   * What `exp`'s algorithm (for `auto`, the one its rule picks for this
   * history: algorithm-choice.ts) suggests for trial `number` given
   * `history`, and its name: in its session, or on a worker thread.
   */
  private async algorithmSuggestion(
    exp: ExperimentState,
    number: number,
    history: readonly Observation[],
    signal?: AbortSignal,
    batch = 1,
  ): Promise<Proposal> {
    const choice = choiceFor(exp, history);
    const config = await this.deps.runner.suggest(
      {
        algorithm: choice.algorithm,
        options: choice.options,
        space: exp.space,
        history,
        seed: exp.def.seed,
        trialNumber: number,
        batch,
      },
      exp,
      signal,
    );
    return { config, proposedBy: choice.algorithm };
  }
}

/** A suggested configuration and the algorithm that proposed it. */
export interface Proposal {
  readonly config: Config;
  readonly proposedBy: string;
}

function answer(trials: Trial[]): SuggestResponse {
  return { trials, done: false, doneReason: 0, retryAfter: undefined };
}

/** Report-and-next's plan: the answer when no trial may start, else the trials to write. */
export type NextPlan =
  | { readonly answer: SuggestResponse }
  | { readonly started: TrialRow[]; readonly created: TrialRow[] };

/** The answer for planned trials, once written (the created ones have their ids then). */
export function startedView(exp: ExperimentState, plan: { started: TrialRow[]; created: TrialRow[] }): Trial[] {
  const out: Trial[] = [];
  for (const t of plan.started) out.push(trialView(exp, t));
  for (const t of plan.created) out.push(trialView(exp, t));
  return out;
}

/** A SuggestResponse handing out `trials` (replays, report-and-next). */
export function trialsAnswer(trials: Trial[]): SuggestResponse {
  return answer(trials);
}

// ---- the prefetch ----------------------------------------------------------------

interface Prefetched {
  readonly version: number;
  readonly number: number;
  readonly config: Promise<Proposal>;
}

/** Computes what a Suggest would for trial `number` of `exp` as it is now. */
export type SuggestionSource = (exp: ExperimentState, number: number) => Promise<Proposal>;

/** Computes ahead in `exp`'s session what would follow trial `handed`; false if it could not start. */
export type SuggestionAhead = (exp: ExperimentState, handed: number) => boolean;

export class SuggestionPrefetch {
  private readonly ready = new WeakMap<ExperimentState, Prefetched>();
  /**
   * Prefetches started, taken by a Suggest, and dropped because the experiment had changed; suggestions
   * computed ahead after a Report with suggest_next (diagnostics).
   */
  readonly stats = { started: 0, used: 0, discarded: 0, ahead: 0 };

  private stopped = false;

  constructor(
    private readonly suggestion: SuggestionSource,
    readonly enabled = true,
    private readonly ahead?: SuggestionAhead,
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
  afterReport(exp: ExperimentState, now: number): (() => void) | undefined {
    // Its own queue task is still running: the queue is checked when the computation would start.
    if (!this.enabled || exp.running.size > 0 || exp.waiting.length > 0) return undefined;
    // Not suggested from until a user's update: that one most likely changes what would be suggested.
    if (exp.completion(now) !== undefined || exp.lifecycle.paused) return undefined;
    const version = exp.version;
    return () => this.start(exp, version);
  }

  /**
   * Call after a Report with suggest_next handed out trial `handed`: if it is
   * the experiment's only trial in play, returns what computes ahead the
   * suggestion after it (above), for the caller to run once the answer is on
   * the wire, as with afterReport.
   */
  afterReportAndNext(exp: ExperimentState, handed: number, now: number): (() => void) | undefined {
    if (!this.enabled || this.ahead === undefined || exp.running.size !== 1 || exp.waiting.length > 0) return undefined;
    if (exp.completion(now) !== undefined || exp.lifecycle.paused) return undefined;
    const version = exp.version;
    const ahead = this.ahead;
    return () => {
      // Anything in between (another worker's call) makes it moot.
      if (this.stopped || exp.version !== version || exp.running.size !== 1 || !exp.queue.idle) return;
      if (ahead(exp, handed)) this.stats.ahead++;
    };
  }

  /**
   * The prefetched suggestion for trial `number`, if `exp` is unchanged since
   * it was started (resolving once it is computed, if it is still running
   * on a worker thread; to undefined if that failed); undefined at once when
   * there is none, so that most SuggestUseCase (several workers) pay nothing.
   * Whenever this gives undefined the caller computes the suggestion itself.
   * Each is handed out at most once.
   */
  take(exp: ExperimentState, number: number): Promise<Proposal | undefined> | undefined {
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
    let config: Promise<Proposal>;
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
