/**
 * The use-cases behind every RPC, and the one object the gRPC handlers call:
 * create/get/list/delete experiments, report, learning curves and reading
 * history here; Suggest and its prefetch in suggest.ts, leases and
 * retry_lost in leases.ts, Enqueue and AddTrials in user-trials.ts. Owns the
 * in-memory history cache.
 *
 * Every mutating method takes the one mutation path (state/experiments.ts: the
 * experiment's queue, one store unit, the in-memory image, then the commit)
 * and resolves only once what it wrote is committed; every read resolves
 * once what it read is committed. So a caller simply awaits and answers, and
 * a rejected call leaves nothing changed.
 *
 * At its boundary it takes the generated request messages as they are (plain
 * data, no transport objects: converting them to domain types here would
 * cost a copy of every configuration and import for nothing, and the
 * definition and the parameter values can only be checked against the
 * compiled space, which lives here) and answers parzen.v1 messages built by
 * the view layer (views.ts), the one place where domain values become proto
 * values. It never sees the transport: the server tells it when an answer is
 * out by running a plain callback (`ReportResult.afterAnswer`).
 */
import { alreadyExists, failedPrecondition, invalidArgument, ParzenError } from "../../errors.js";
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import {
  ReportStatus,
  type AddTrialsRequest,
  type EnqueueRequest,
  type ListTrialsRequest,
  type ReleaseTrialRequest,
  type ReportRequest,
  type SuggestRequest,
  type SuggestResponse,
  type UpdateExperimentRequest,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Trial, TrialState as ProtoTrialState } from "@parzen/client/gen/parzen/v1/trial";
import { isFinished, type TrialState } from "../../domain/trial-state.js";
import type { Store } from "../../store/store.js";
import type { TrialRow } from "../../store/rows.js";
import { prunerNamed } from "../../pruners/registry.js";
import type { AlgorithmRunner } from "../runners/algorithm-runner.js";
import {
  type Change,
  Changes,
  ExperimentCache,
  experimentNamed,
  ownerOfTrial,
  type TrialObserver,
  trialOf,
} from "../state/experiments.js";
import type { FeedStats } from "../state/feed-sync.js";
import { checkExperimentName, compileCreate, definitionJson, identityOf } from "./definition.js";
import { ExperimentState } from "../state/experiment-state.js";
import { Leases } from "./leases.js";
import { releaseTrial } from "./release.js";
import { DEFAULT_LIMITS, type ServiceLimits } from "./limits.js";
import { startedView, SuggestUseCase, trialsAnswer } from "./suggest.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { checkAttrs, checkMetrics, checkWorkerId, pageSizeOf, stateFilter } from "./request-checks.js";
import { UserTrials } from "./user-trials.js";
import { DashboardReads } from "./dashboard-reads.js";
import { PageBudget, trialBytes } from "./answer-size.js";
import { replayed } from "./replay.js";
import { retriedAs, WITHDRAWN } from "./retry-lost.js";
import { checkOutcome, sameValues } from "./outcome.js";
import { experimentView, trialView } from "./views.js";
import { updateExperiment } from "./update-experiment.js";

export interface OptimizerDeps {
  store: Store;
  runner: AlgorithmRunner;
  now?: () => number;
  limits?: Partial<ServiceLimits>;
  /** Compute a lone worker's next suggestion while it handles a Report's answer (suggest.ts); default true. */
  prefetch?: boolean;
  /** Told of every trial written (metrics: trials created and finished, lease expiries, retries). */
  observeTrials?: TrialObserver;
}

export interface ReportResult {
  readonly trial: Trial;
  /** With suggest_next: the next trial, or done, or retry_after (ReportResponse.next). */
  readonly next?: SuggestResponse;
  /**
   * When set, the caller runs it once the answer is on the wire (or after
   * sending it, if it cannot tell): the server then prefetches the next
   * suggestion of a lone worker (suggest.ts) without delaying this answer.
   */
  readonly afterAnswer: (() => void) | undefined;
}

export interface Diagnostics {
  /** What the history cache holds: experiments and trials in memory, experiments keeping an algorithm view and session. */
  readonly cache: { experiments: number; trials: number; viewed: number; sessions: number };
  /** Prefetches started, taken by a Suggest, and dropped because the experiment had changed. */
  readonly prefetch: { started: number; used: number; discarded: number; ahead: number };
}

/** Trials read back from the store at a time by StreamTrials. */
const STREAM_CHUNK = 200;

export class Optimizer {
  private readonly store: Store;
  private readonly now: () => number;
  readonly limits: ServiceLimits;
  private readonly cache: ExperimentCache;
  private readonly changes: Changes;
  private readonly leases: Leases;
  private readonly userTrials: UserTrials;
  private readonly suggests: SuggestUseCase;
  /** The Suggest RPC: the use-case's own method (suggest.ts), so a Suggest goes from the handler straight there. */
  readonly suggestAnswer: SuggestUseCase["suggest"];

  /** Suggest's trials alone (in-process callers: tests, benchmarks). */
  async suggest(req: SuggestRequest, signal?: AbortSignal): Promise<Trial[]> {
    return (await this.suggestAnswer(req, signal)).trials;
  }
  /** Read-only views for the dashboard (src/http): summaries, plot data, paged tables. */
  readonly reads: DashboardReads;

  /** With several servers on the database: what keeping the images current cost so far (for metrics). */
  get feedStats(): FeedStats | undefined {
    return this.cache.sync?.stats;
  }

  constructor(deps: OptimizerDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    // Retries lost while the server was down are created when their experiment next loads.
    this.cache = new ExperimentCache(this.store, this.limits.cacheTrials, (exp) => this.leases.retryLostOnLoad(exp));
    this.changes = new Changes(this.store, this.cache, this.now, deps.observeTrials);
    this.leases = new Leases(this.changes, this.cache, this.now);
    this.userTrials = new UserTrials(this.changes, this.cache, this.now, this.limits, (exp, method, id) =>
      replayed(this.store, exp, method, id),
    );
    this.suggests = new SuggestUseCase({
      store: this.store,
      cache: this.cache,
      changes: this.changes,
      leases: this.leases,
      runner: deps.runner,
      now: this.now,
      limits: this.limits,
      prefetch: deps.prefetch,
    });
    this.suggestAnswer = this.suggests.suggest;
    this.reads = new DashboardReads(this.store, this.cache, this.changes, this.leases, this.now);
    // Memory already holds the writes of a group whose commit failed: reload from what was committed.
    this.store.onRollback(() => this.cache.clear());
  }

  // ---- experiments -------------------------------------------------------

  /**
   * The one change that runs outside an experiment queue, there being no
   * experiment yet: the store's unique names settle concurrent creates.
   */
  async createExperiment(req: Experiment | undefined): Promise<{ experiment: Experiment; created: boolean }> {
    const name = req === undefined ? undefined : checkExperimentName(req.name, "experiment.name");
    for (let attempt = 1; ; attempt++) {
      const existing = name === undefined ? undefined : await this.cache.byNameOrLoad(name);
      // A re-create is judged by the rules the stored experiment was created under (definition.ts).
      const def = compileCreate(req, this.limits.space, existing?.def);
      if (existing !== undefined) {
        const seedGiven = req?.seed !== undefined;
        if (identityOf(existing.def, seedGiven) !== identityOf(def, seedGiven)) {
          throw alreadyExists(
            `experiment "${def.proto.name}" already exists with a different definition (space, direction, ` +
              "algorithm, pruner, seed or stop conditions); choose another name or delete it first",
          );
        }
        return this.changes.settled({ experiment: experimentView(existing, this.now()), created: false });
      }
      checkAttrs(def.proto.userAttrs, "experiment.user_attrs", this.limits);
      let written: Awaited<ReturnType<Store["createExperiment"]>>;
      try {
        written = await this.store.createExperiment(def.proto.name, definitionJson(def.proto), this.now());
      } catch (err) {
        // Created by a concurrent call since the lookup: compare with that one.
        if (err instanceof ParzenError && err.code === "ALREADY_EXISTS" && attempt === 1) continue;
        throw err;
      }
      const exp = this.cache.adopt(new ExperimentState(written.value, def, this.store));
      await written.durable;
      return { experiment: experimentView(exp, this.now()), created: true };
    }
  }

  async getExperiment(name: string): Promise<Experiment> {
    const exp = await this.changes.current(() => experimentNamed(this.cache, name));
    return this.changes.settled(experimentView(exp, this.now()));
  }

  async listExperiments(
    pageSize: number,
    pageToken: string,
  ): Promise<{ experiments: Experiment[]; nextPageToken: string }> {
    const size = pageSizeOf(pageSize, 100, 1000);
    const after = pageToken === "" ? "" : decodePageToken(pageToken, "string");
    const rows = await this.store.listExperiments(after as string, size + 1);
    const page: Experiment[] = [];
    const budget = new PageBudget(this.limits.maxAnswerBytes);
    let next = rows.length > size ? encodePageToken(rows[size - 1]!.name) : "";
    let last = after as string;
    for (const r of rows.slice(0, size)) {
      const exp = await this.changes.listed(r);
      if (exp === undefined) continue;
      const view = experimentView(exp, this.now());
      if (!budget.take(Experiment.encode(view).finish().length + 6)) {
        next = encodePageToken(last);
        break;
      }
      page.push(view);
      last = r.name;
    }
    return this.changes.settled({ experiments: page, nextPageToken: next });
  }

  /** Pauses, resumes or stops an experiment, or changes its stop conditions (update-experiment.ts). */
  updateExperiment(req: UpdateExperimentRequest): Promise<Experiment> {
    return updateExperiment(this.changes, this.cache, this.now, req);
  }

  deleteExperiment(name: string): Promise<void> {
    return this.changes.find(
      () => experimentNamed(this.cache, name),
      async (change) => {
        await change.deleteExperiment();
        change.exp.deleted = true;
        this.cache.remove(change.exp);
      },
    );
  }

  // ---- tell --------------------------------------------------------------

  /**
   * Idempotent by content, which is what makes a retried Report safe: the
   * same report for a finished trial returns it unchanged, and nothing can
   * change a finished trial in between. Its request_id therefore needs no
   * log row (one random-key index write per call saved).
   */
  report(req: ReportRequest): Promise<ReportResult> {
    if (req.suggestNext) checkWorkerId(req.workerId, this.limits.maxWorkerIdLength);
    return this.changes.find(
      () => ownerOfTrial(this.cache, req.trialId),
      async (change) => {
        const exp = change.exp;
        // Such a Report logs its request_id in the unit that finishes the trial, so while the trial is RUNNING
        // none can have been applied to it: the log is read only otherwise, or when the id turns out to be taken.
        if (req.suggestNext && req.requestId !== "" && exp.liveTrialById(req.trialId)?.state !== "running") {
          const replay = await this.replayedReport(exp, req);
          if (replay !== undefined) return replay;
        }
        await this.leases.expire(change);
        const trial = await trialOf(exp, req.trialId);
        const loss = req.loss;
        if (loss !== undefined && !Number.isFinite(loss)) throw invalidArgument(`loss: must be finite, got ${loss}`);
        const metrics = checkMetrics(req.metrics);
        const single = exp.def.objectives.length === 1;
        let state: TrialState;
        switch (req.status) {
          case ReportStatus.REPORT_STATUS_OK:
            if (single && loss === undefined && req.values.length === 0)
              throw invalidArgument("loss: status OK needs a finite loss");
            state = "complete";
            break;
          case ReportStatus.REPORT_STATUS_FAIL:
            state = "fail";
            break;
          case ReportStatus.REPORT_STATUS_PRUNED:
            state = "pruned";
            break;
          default:
            throw invalidArgument("status: must be OK, FAIL or PRUNED");
        }
        const outcome = checkOutcome(req, state, exp.def.objectives.length, exp.constraintCount);
        let finalLoss = outcome.loss;
        if (state === "pruned" && single) {
          const last = trial.intermediate.at(-1)?.[1];
          if (finalLoss === null && last !== undefined && Number.isFinite(last)) finalLoss = last;
        }
        checkAttrs(req.userAttrs, "user_attrs", this.limits);
        if (isFinished(trial.state)) {
          const same =
            trial.state === state &&
            trial.loss === finalLoss &&
            sameValues(trial.values, outcome.values) &&
            sameValues(trial.constraints, outcome.constraints) &&
            sameRecord(trial.metrics, { ...trial.metrics, ...metrics });
          if (same) return req.suggestNext ? this.reportAndNext(change, req, trial, undefined) : unchanged(exp, trial);
          throw failedPrecondition(
            `trial ${trial.id} is already finished as ${trial.state.toUpperCase()}` +
              `${trial.loss === null ? "" : ` with loss ${trial.loss}`}; a different report is not accepted`,
          );
        }
        if (trial.state === "waiting")
          throw failedPrecondition(`trial ${trial.id} is WAITING: it has not been suggested yet`);
        // RUNNING, or LOST whose worker turned out to be alive: the result is accepted.
        const updated: TrialRow = {
          ...trial,
          state,
          loss: finalLoss,
          ...(outcome.values === undefined ? {} : { values: outcome.values }),
          ...(outcome.constraints === undefined ? {} : { constraints: outcome.constraints }),
          metrics: { ...trial.metrics, ...metrics },
          userAttrs: { ...trial.userAttrs, ...req.userAttrs },
          failReason: state === "fail" ? req.failReason : "",
          endTime: this.now(),
          leaseDeadline: null,
        };
        if (req.suggestNext) return this.reportAndNext(change, req, trial, updated);
        await change.write({ update: [updated] });
        if (trial.state === "lost")
          this.leases.withdrawRetryLater(exp, updated, `trial ${trial.id} reported its result after its lease lapsed`);
        return { trial: trialView(exp, updated), afterAnswer: this.suggests.prefetch.afterReport(exp, this.now()) };
      },
    );
  }

  /**
   * Report with suggest_next, inside the report's queue task: the next trial
   * is planned as a Suggest would right after the report (suggest.ts
   * planAfter), and the report, the next trial and the request log go in one
   * unit, so a retry under the same request_id finds both (replayedReport)
   * and a failure leaves neither. `updated` is undefined when the report
   * was already recorded (the same report again, whose first answer handed
   * out no trial, or it would have been replayed).
   */
  private async reportAndNext(
    change: Change,
    req: ReportRequest,
    trial: TrialRow,
    updated: TrialRow | undefined,
  ): Promise<ReportResult> {
    const exp = change.exp;
    // The report takes this trial back: its retry must not be enqueued, let alone handed out as the next trial;
    // one already WAITING is withdrawn in the report's own unit (docs/reliability.md, "retry_lost").
    const withdrawn: TrialRow[] = [];
    if (updated !== undefined && trial.state === "lost") {
      exp.retriesPending.delete(trial.id);
      const retryId = retriedAs(updated);
      const retry = retryId === undefined ? undefined : exp.liveTrialById(retryId);
      if (retry?.state === "waiting") {
        const reason = `trial ${trial.id} reported its result after its lease lapsed`;
        withdrawn.push({
          ...retry,
          state: "lost",
          endTime: this.now(),
          userAttrs: { ...retry.userAttrs, [WITHDRAWN]: reason },
        });
      }
    }
    const plan = await this.suggests.planAfter(change, updated, req.workerId || trial.workerId, withdrawn);
    const reported = updated === undefined ? [] : [updated, ...withdrawn];
    let next: SuggestResponse;
    let afterAnswer: (() => void) | undefined;
    if ("answer" in plan) {
      if (updated !== undefined) await change.write({ update: reported });
      next = plan.answer;
    } else {
      try {
        await change.write({
          update: [...reported, ...plan.started],
          insert: plan.created,
          request:
            req.requestId === ""
              ? undefined
              : { method: "Report", requestId: req.requestId, trialIds: [trial.id, ...plan.started.map((t) => t.id)] },
        });
      } catch (err) {
        // The id is taken (its log was not read for a RUNNING trial): the unit wrote nothing; answer as the log says.
        if (req.requestId === "" || !(err instanceof ParzenError && err.code === "ALREADY_EXISTS")) throw err;
        const replay = await this.replayedReport(exp, req);
        if (replay !== undefined) return replay;
        throw err;
      }
      next = trialsAnswer(startedView(exp, plan));
      const handed = plan.created[0] ?? plan.started[0];
      if (handed !== undefined) afterAnswer = this.suggests.prefetch.afterReportAndNext(exp, handed.number, this.now());
    }
    return { trial: trialView(exp, updated ?? trial), next, afterAnswer };
  }

  /** The logged answer of a Report with suggest_next under this request_id, if it handed out a trial. */
  private async replayedReport(exp: ExperimentState, req: ReportRequest): Promise<ReportResult | undefined> {
    const logged = await replayed(this.store, exp, "Report", req.requestId);
    if (logged === undefined) return undefined;
    const [reported, ...next] = logged;
    if (reported?.id !== req.trialId)
      throw failedPrecondition(
        `request_id "${req.requestId}" was already used to report trial ${reported?.id}, not trial ${req.trialId}`,
      );
    return { trial: reported, next: trialsAnswer(next), afterAnswer: undefined };
  }

  /**
   * Records a learning-curve point (a step already recorded keeps its first
   * value) and answers the experiment pruner's verdict for that step. The
   * trial stays RUNNING: the worker finishes it with a PRUNED report.
   */
  reportIntermediate(trialId: number, step: number, value: number): Promise<boolean> {
    return this.changes.find(
      () => ownerOfTrial(this.cache, trialId),
      async (change) => {
        const exp = change.exp;
        if (!Number.isSafeInteger(step) || step < 0)
          throw invalidArgument(`step: must be a non-negative integer, got ${step}`);
        await this.leases.expire(change);
        const trial = await trialOf(exp, trialId);
        if (trial.state !== "running") {
          throw failedPrecondition(
            `trial ${trialId} is ${trial.state.toUpperCase()}; ` +
              "intermediate values are accepted only while it is RUNNING",
          );
        }
        let current = trial;
        if (!trial.intermediate.some(([s]) => s === step)) {
          const intermediate = [...trial.intermediate, [step, value] as [number, number]].sort((a, b) => a[0] - b[0]);
          // A reported value is a sign of life: it renews the lease too.
          current = { ...trial, intermediate, leaseDeadline: this.now() + exp.def.leaseMs };
          await change.write({ update: [current], points: [{ trialId, step, value }] });
        }
        const pruner = prunerNamed(exp.def.pruner);
        // Trial numbers are contiguous, so the curves array is dense.
        const trials = exp.curves();
        return pruner.shouldPrune({
          trial: trials[current.number]!,
          step,
          trials,
          options: exp.def.prunerOptions,
          experiment: exp.row.name,
          maximize: exp.def.maximize,
        });
      },
    );
  }

  /** Extends a RUNNING trial's lease, or revives a LOST one (see Leases.heartbeat). */
  heartbeat(trialId: number): Promise<Date> {
    return this.leases.heartbeat(trialId);
  }

  /** Gives back a RUNNING trial nobody will run: WAITING again, handed out first (release.ts). */
  releaseTrial(req: ReleaseTrialRequest): Promise<Trial> {
    const { changes, cache, store, leases } = this;
    return releaseTrial({ changes, cache, store, leases }, req);
  }

  // ---- user-provided trials (user-trials.ts) --------------------------------

  /** Configurations to try next, as WAITING trials that Suggest hands out first. */
  enqueue(req: EnqueueRequest): Promise<Trial[]> {
    return this.userTrials.enqueue(req);
  }

  /** Finished trials from elsewhere (warm start), imported as they are. */
  addTrials(req: AddTrialsRequest): Promise<Trial[]> {
    return this.userTrials.addTrials(req);
  }

  // ---- reading history -------------------------------------------------------

  /** The name of the experiment that owns a trial, if any (the server's token scopes ask before a call runs). */
  async experimentOfTrial(trialId: number): Promise<string | undefined> {
    return (await this.cache.ownerOfTrial(trialId))?.row.name;
  }

  async getTrial(trialId: number): Promise<Trial> {
    const exp = await this.changes.current(() => ownerOfTrial(this.cache, trialId));
    await this.leases.expireNow(exp);
    return this.changes.settled(trialView(exp, await trialOf(exp, trialId)));
  }

  async listTrials(req: ListTrialsRequest): Promise<{ trials: Trial[]; nextPageToken: string }> {
    const exp = await this.changes.current(() => experimentNamed(this.cache, req.experiment));
    await this.leases.expireNow(exp);
    const size = pageSizeOf(req.pageSize, 1000, this.limits.maxPageSize);
    const start = req.pageToken === "" ? 0 : (decodePageToken(req.pageToken, "number") as number);
    const states = stateFilter(req.states);
    // Candidates by state from memory; the worker id of a finished trial is in the store, so
    // rows are read back in chunks until one more match than the page is found.
    const out: Trial[] = [];
    const budget = new PageBudget(this.limits.maxAnswerBytes);
    let more = false;
    for (let from = start; !more; ) {
      const numbers = exp.numbersWhere(
        states,
        from,
        req.workerId === "" ? size + 1 - out.length : Math.max(size + 1 - out.length, 256),
      );
      if (numbers.length === 0) break;
      for (const t of await exp.rows(numbers)) {
        if (req.workerId !== "" && t.workerId !== req.workerId) continue;
        const view = trialView(exp, t);
        if (out.length === size || !budget.take(trialBytes(view))) {
          more = true;
          break;
        }
        out.push(view);
      }
      from = numbers[numbers.length - 1]! + 1;
    }
    const next = more ? encodePageToken(out[out.length - 1]!.number + 1) : "";
    return this.changes.settled({ trials: out, nextPageToken: next });
  }

  /**
   * All matching trials, in number order, for streaming: those that exist
   * when the call starts, read back in chunks as the stream is consumed.
   * `pace` is awaited before each chunk is handed out: the caller's turn on
   * the event loop (server/turns.ts). A chunk waits for the commit of what
   * it read, and every stream reading during one commit resumes when it
   * lands, in one run of microtasks; without a turn there, 200 streams
   * encode and write their chunks in one stall of a third of a second.
   */
  async *streamTrials(
    experiment: string,
    states: readonly ProtoTrialState[],
    pace?: () => Promise<void>,
  ): AsyncGenerator<Trial> {
    const exp = await this.changes.current(() => experimentNamed(this.cache, experiment));
    await this.leases.expireNow(exp);
    const wanted = stateFilter(states);
    const end = exp.nextNumber;
    for (let from = 0; from < end; ) {
      const numbers = exp.numbersWhere(wanted, from, STREAM_CHUNK).filter((n) => n < end);
      if (numbers.length === 0) break;
      const rows = await this.changes.settled(await exp.rows(numbers));
      await pace?.();
      for (const t of rows) yield trialView(exp, t);
      from = numbers[numbers.length - 1]! + 1;
    }
  }

  async getBest(experiment: string): Promise<Trial> {
    const exp = await this.changes.current(() => experimentNamed(this.cache, experiment));
    const m = exp.def.objectives.length;
    if (m > 1) {
      throw failedPrecondition(
        `experiment "${experiment}" has ${m} objectives, so no single best trial: ` +
          "call GetParetoFront for its non-dominated trials",
      );
    }
    const best = exp.bestNumber();
    if (best === undefined) {
      throw failedPrecondition(
        exp.constraintCount > 0 && exp.countOf("complete") > 0
          ? `experiment "${experiment}" has no feasible COMPLETE trial yet (every constraint value <= 0)`
          : `experiment "${experiment}" has no COMPLETE trial yet`,
      );
    }
    return this.changes.settled(trialView(exp, await exp.trial(best)));
  }

  /** The non-dominated COMPLETE trials (feasible ones when trials carry constraints), in number order. */
  async getParetoFront(experiment: string): Promise<Trial[]> {
    const exp = await this.changes.current(() => experimentNamed(this.cache, experiment));
    const numbers = exp.paretoNumbers();
    const trials = (await exp.rows(numbers)).map((t) => trialView(exp, t));
    // A front too large for one answer is refused whole rather than cut short (a cut front would look complete).
    const budget = new PageBudget(this.limits.maxAnswerBytes);
    if (!trials.every((t) => budget.take(trialBytes(t)))) {
      throw failedPrecondition(
        `experiment "${experiment}": its Pareto front of ${trials.length} trials does not fit in one answer ` +
          `(${this.limits.maxAnswerBytes} bytes); read the COMPLETE trials with ListTrials instead`,
      );
    }
    return this.changes.settled(trials);
  }

  /**
   * Stops background work and lets queued changes finish: no more
   * prefetches start, and the retries and withdrawals already queued are
   * applied. Call once the server takes no more calls, before the store and
   * the algorithm runner close.
   */
  async close(): Promise<void> {
    this.suggests.prefetch.stop();
    await Promise.all([...this.cache.loaded()].map((exp) => exp.queue.drained()));
  }

  /** A snapshot of the service's internal counters, for tests, benchmarks and operators. */
  diagnostics(): Diagnostics {
    return { cache: this.cache.stats(), prefetch: { ...this.suggests.prefetch.stats } };
  }

  /** Marks LOST every RUNNING trial of every loaded experiment whose lease lapsed. */
  sweepLeases(): Promise<void> {
    return this.leases.expireAll();
  }
}

/** A repeated report without suggest_next: the trial as it is. */
function unchanged(exp: ExperimentState, trial: TrialRow): ReportResult {
  return { trial: trialView(exp, trial), afterAnswer: undefined };
}

function sameRecord(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
