/**
 * The use-cases behind every RPC, and the one object the gRPC handlers call:
 * create/get/list/delete experiments, suggest, report, learning curves and
 * reading history here; leases and retry_lost in leases.ts, Enqueue and
 * AddTrials in user-trials.ts. Owns the in-memory history cache; speaks
 * proto messages at its edges and domain rows inside. Every mutating call is
 * one SQLite transaction, applied to memory only after it commits, so a
 * rejected call leaves nothing changed.
 */
import { alreadyExists, failedPrecondition, invalidArgument } from "../errors.js";
import type { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import {
  ReportStatus,
  type AddTrialsRequest,
  type EnqueueRequest,
  type ListTrialsRequest,
  type ReportRequest,
  type SuggestRequest,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState, type Trial } from "@parzen/client/gen/parzen/v1/trial";
import type { Store } from "../store/store.js";
import { StoredState, type TrialRow } from "../store/rows.js";
import type { Observation } from "../algorithms/types.js";
import type { Config } from "../space/types.js";
import { prunerNamed } from "../pruners/registry.js";
import type { AlgorithmRunner } from "./algorithm-runner.js";
import { compileDefinition, definitionJson, identityOf } from "./definition.js";
import { ExperimentCache } from "./experiment-cache.js";
import { ExperimentState } from "./experiment-state.js";
import { Leases } from "./leases.js";
import { DEFAULT_LIMITS, type ServiceLimits } from "./limits.js";
import { experimentNamed, trialWithId } from "./lookup.js";
import { newTrialRow } from "./new-trial.js";
import { SuggestionPrefetch } from "./prefetch.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { checkAttrs, checkMetrics, checkWorkerId, pageSizeOf, stateFilter, throwIfAborted } from "./request-checks.js";
import { UserTrials } from "./user-trials.js";
import { experimentView, trialView } from "./views.js";

export interface OptimizerDeps {
  store: Store;
  runner: AlgorithmRunner;
  now?: () => number;
  limits?: Partial<ServiceLimits>;
  /** Compute a lone worker's next suggestion while it handles a Report's answer (prefetch.ts); default true. */
  prefetch?: boolean;
}

const FINISHED = new Set([StoredState.Complete, StoredState.Pruned, StoredState.Fail]);
/** Trials read back from SQLite at a time by StreamTrials. */
const STREAM_CHUNK = 1000;

export class Optimizer {
  private readonly store: Store;
  private readonly runner: AlgorithmRunner;
  private readonly now: () => number;
  readonly limits: ServiceLimits;
  private readonly cache: ExperimentCache;
  private readonly leases: Leases;
  private readonly userTrials: UserTrials;
  readonly prefetch: SuggestionPrefetch;

  constructor(deps: OptimizerDeps) {
    this.store = deps.store;
    this.runner = deps.runner;
    this.now = deps.now ?? Date.now;
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    // Retries lost while the server was down are created when their experiment next loads.
    this.cache = new ExperimentCache(this.store, this.limits.cacheTrials, (exp) => this.leases.retryLostOnLoad(exp));
    this.leases = new Leases(this.store, this.cache, this.now);
    this.userTrials = new UserTrials(this.store, this.now, this.limits);
    this.prefetch = new SuggestionPrefetch(
      (exp, number) => this.algorithmSuggestion(exp, number, this.cache.observationHistory(exp)),
      deps.prefetch ?? true,
    );
    // Memory already holds the writes of a group whose commit failed: reload from what was committed.
    this.store.onRollback(() => this.cache.clear());
  }

  /** Resolves once every write made so far is committed: answer a call only after it. */
  committed(): Promise<void> {
    return this.store.committed();
  }

  /** Commits pending writes now (shutdown). */
  flush(): void {
    this.store.flush();
  }

  // ---- experiments -------------------------------------------------------

  createExperiment(req: Experiment | undefined): { experiment: Experiment; created: boolean } {
    const def = compileDefinition(req, this.limits.space);
    const existing = this.cache.byNameOrLoad(def.proto.name);
    if (existing !== undefined) {
      const seedGiven = req?.seed !== undefined;
      if (identityOf(existing.def, seedGiven) !== identityOf(def, seedGiven)) {
        throw alreadyExists(
          `experiment "${def.proto.name}" already exists with a different definition (space, direction, algorithm, pruner or seed); choose another name or delete it first`,
        );
      }
      return { experiment: experimentView(existing), created: false };
    }
    const row = this.store.insertExperiment(def.proto.name, definitionJson(def.proto), this.now());
    const exp = new ExperimentState(row, def, this.store);
    this.cache.add(exp);
    return { experiment: experimentView(exp), created: true };
  }

  getExperiment(name: string): Experiment {
    return experimentView(experimentNamed(this.cache, name));
  }

  listExperiments(pageSize: number, pageToken: string): { experiments: Experiment[]; nextPageToken: string } {
    const size = pageSizeOf(pageSize, 100, 1000);
    const after = pageToken === "" ? "" : decodePageToken(pageToken, "string");
    const rows = this.store.listExperiments(after as string, size + 1);
    const page = rows.slice(0, size).map((r) => experimentView(this.cache.load(r)));
    const next = rows.length > size ? encodePageToken(rows[size - 1]!.name) : "";
    return { experiments: page, nextPageToken: next };
  }

  deleteExperiment(name: string): void {
    const exp = experimentNamed(this.cache, name);
    this.store.transaction(() => this.store.deleteExperiment(exp.row.id));
    this.cache.remove(exp);
  }

  // ---- ask ---------------------------------------------------------------

  async suggest(req: SuggestRequest, signal?: AbortSignal): Promise<Trial[]> {
    const count = req.count === 0 ? 1 : req.count;
    if (!Number.isInteger(count) || count < 1 || count > this.limits.maxSuggestCount) {
      throw invalidArgument(`count: must be between 1 and ${this.limits.maxSuggestCount}, got ${req.count}`);
    }
    checkWorkerId(req.workerId, this.limits.maxWorkerIdLength);
    const exp = experimentNamed(this.cache, req.experiment);
    return exp.queue.run(async () => {
      if (req.requestId !== "") {
        const replay = this.replay(exp, "Suggest", req.requestId);
        if (replay !== undefined) return replay;
      }
      this.leases.expire(exp);
      this.leases.enqueueRetries(exp);
      const now = this.now();
      const lease = now + exp.def.leaseMs;
      const started: TrialRow[] = [];
      // Enqueued configurations first, oldest first.
      for (const number of exp.waiting.slice(0, count)) {
        started.push({
          ...exp.trial(number),
          state: StoredState.Running,
          workerId: req.workerId,
          startTime: now,
          leaseDeadline: lease,
        });
      }
      // Then the algorithm, each batch member seeing the earlier ones as RUNNING.
      const created: TrialRow[] = [];
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
        const ready = pending.length === 0 ? this.prefetch.take(exp, number) : undefined;
        const prefetched = ready === undefined ? undefined : await ready;
        const base = this.cache.observationHistory(exp);
        const history = pending.length === 0 ? base : base.concat(pending);
        const config = prefetched ?? (await this.algorithmSuggestion(exp, number, history, signal));
        pending.push({ number, config, state: "running", loss: undefined, lastStep: undefined });
        created.push(
          newTrialRow(exp, number, config, now, {
            state: StoredState.Running,
            source: TrialSource.TRIAL_SOURCE_ALGORITHM,
            workerId: req.workerId,
            startTime: now,
            leaseDeadline: lease,
          }),
        );
      }
      // A caller that gave up never sees these trials: create nothing for it.
      throwIfAborted(signal);
      this.store.transaction(() => {
        for (const t of started) this.store.updateTrial(t);
        for (const t of created) t.id = this.store.insertTrial(t, exp.storedParams(t.config));
        if (req.requestId !== "")
          this.store.insertRequest(
            exp.row.id,
            "Suggest",
            req.requestId,
            [...started, ...created].map((t) => t.id),
            now,
          );
      });
      for (const t of [...started, ...created]) exp.put(t);
      return [...started, ...created].map((t) => trialView(exp, t));
    });
  }

  /** What `exp`'s algorithm suggests for trial `number` given `history`. */
  private algorithmSuggestion(
    exp: ExperimentState,
    number: number,
    history: readonly Observation[],
    signal?: AbortSignal,
  ): Promise<Config> {
    return this.runner.suggest(
      {
        algorithm: exp.def.algorithm,
        options: exp.def.algorithmOptions,
        space: exp.space,
        history,
        seed: exp.def.seed,
        trialNumber: number,
      },
      signal,
    );
  }

  // ---- tell --------------------------------------------------------------

  /**
   * Idempotent by content, which is what makes a retried Report safe: the
   * same report for a finished trial returns it unchanged, and nothing can
   * change a finished trial in between. Its request_id therefore needs no
   * log row (one random-key index write per call saved).
   * `whenAnswered` tells when the answer has been sent (see prefetch.ts).
   */
  report(req: ReportRequest, whenAnswered?: (then: () => void) => void): Trial {
    const { exp, trial } = trialWithId(this.cache, req.trialId);
    this.leases.expire(exp);
    const loss = req.loss;
    if (loss !== undefined && !Number.isFinite(loss)) throw invalidArgument(`loss: must be finite, got ${loss}`);
    const metrics = checkMetrics(req.metrics);
    let state: StoredState;
    let finalLoss: number | null = loss ?? null;
    switch (req.status) {
      case ReportStatus.REPORT_STATUS_OK:
        if (loss === undefined) throw invalidArgument("loss: status OK needs a finite loss");
        state = StoredState.Complete;
        break;
      case ReportStatus.REPORT_STATUS_FAIL:
        state = StoredState.Fail;
        break;
      case ReportStatus.REPORT_STATUS_PRUNED: {
        state = StoredState.Pruned;
        const last = trial.intermediate.at(-1)?.[1];
        if (finalLoss === null && last !== undefined && Number.isFinite(last)) finalLoss = last;
        break;
      }
      default:
        throw invalidArgument("status: must be OK, FAIL or PRUNED");
    }
    checkAttrs(req.userAttrs, "user_attrs", this.limits.maxAttrLength);
    if (FINISHED.has(trial.state)) {
      const same =
        trial.state === state &&
        trial.loss === finalLoss &&
        sameRecord(trial.metrics, { ...trial.metrics, ...metrics });
      if (same) return trialView(exp, trial);
      throw failedPrecondition(
        `trial ${trial.id} is already finished as ${TrialState[trial.state as number]}${trial.loss === null ? "" : ` with loss ${trial.loss}`}; a different report is not accepted`,
      );
    }
    if (trial.state === StoredState.Waiting)
      throw failedPrecondition(`trial ${trial.id} is WAITING: it has not been suggested yet`);
    // RUNNING, or LOST whose worker turned out to be alive: the result is accepted.
    const updated: TrialRow = {
      ...trial,
      state,
      loss: finalLoss,
      metrics: { ...trial.metrics, ...metrics },
      userAttrs: { ...trial.userAttrs, ...req.userAttrs },
      failReason: state === StoredState.Fail ? req.failReason : "",
      endTime: this.now(),
      leaseDeadline: null,
    };
    this.store.transaction(() => this.store.updateTrial(updated));
    exp.put(updated);
    if (trial.state === StoredState.Lost)
      this.leases.withdrawRetryLater(exp, updated, `trial ${trial.id} reported its result after its lease lapsed`);
    this.prefetch.afterReport(exp, whenAnswered);
    return trialView(exp, updated);
  }

  /**
   * Records a learning-curve point (a step already recorded keeps its first
   * value) and answers the experiment pruner's verdict for that step. The
   * trial stays RUNNING: the worker finishes it with a PRUNED report.
   */
  reportIntermediate(trialId: number, step: number, value: number): boolean {
    const { exp, trial } = trialWithId(this.cache, trialId);
    if (!Number.isSafeInteger(step) || step < 0)
      throw invalidArgument(`step: must be a non-negative integer, got ${step}`);
    this.leases.expire(exp);
    if (trial.state !== StoredState.Running) {
      throw failedPrecondition(
        `trial ${trialId} is ${TrialState[trial.state as number]}; intermediate values are accepted only while it is RUNNING`,
      );
    }
    let current = trial;
    if (!trial.intermediate.some(([s]) => s === step)) {
      const intermediate = [...trial.intermediate, [step, value] as [number, number]].sort((a, b) => a[0] - b[0]);
      // A reported value is a sign of life: it renews the lease too.
      current = { ...trial, intermediate, leaseDeadline: this.now() + exp.def.leaseMs };
      this.store.transaction(() => {
        this.store.insertIntermediate(trialId, step, value);
        this.store.updateTrial(current);
      });
      exp.put(current);
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
  }

  /** Extends a RUNNING trial's lease, or revives a LOST one (see Leases.heartbeat). */
  heartbeat(trialId: number): Date | Promise<Date> {
    return this.leases.heartbeat(trialId);
  }

  // ---- user-provided trials (user-trials.ts) --------------------------------

  /** Configurations to try next, as WAITING trials that Suggest hands out first. */
  async enqueue(req: EnqueueRequest): Promise<Trial[]> {
    return this.userTrials.enqueue(experimentNamed(this.cache, req.experiment), req);
  }

  /** Finished trials from elsewhere (warm start), imported as they are. */
  async addTrials(req: AddTrialsRequest): Promise<Trial[]> {
    return this.userTrials.addTrials(experimentNamed(this.cache, req.experiment), req);
  }

  // ---- reading history -------------------------------------------------------

  getTrial(trialId: number): Trial {
    const { exp, trial } = trialWithId(this.cache, trialId);
    this.leases.expire(exp);
    // Only a RUNNING trial can have changed (its lease may just have lapsed).
    return trialView(exp, trial.state === StoredState.Running ? exp.trialById(trial.id)! : trial);
  }

  listTrials(req: ListTrialsRequest): { trials: Trial[]; nextPageToken: string } {
    const exp = experimentNamed(this.cache, req.experiment);
    this.leases.expire(exp);
    const size = pageSizeOf(req.pageSize, 1000, this.limits.maxPageSize);
    const start = req.pageToken === "" ? 0 : (decodePageToken(req.pageToken, "number") as number);
    const states = stateFilter(req.states);
    // Candidates by state from memory; the worker id of a finished trial is in SQLite, so
    // rows are read back in chunks until one more match than the page is found.
    const out: Trial[] = [];
    let more = false;
    for (let from = start; !more; ) {
      const numbers = exp.numbersWhere(
        states,
        from,
        req.workerId === "" ? size + 1 - out.length : Math.max(size + 1 - out.length, 256),
      );
      if (numbers.length === 0) break;
      for (const t of exp.rows(numbers)) {
        if (req.workerId !== "" && t.workerId !== req.workerId) continue;
        if (out.length === size) {
          more = true;
          break;
        }
        out.push(trialView(exp, t));
      }
      from = numbers[numbers.length - 1]! + 1;
    }
    return { trials: out, nextPageToken: more ? encodePageToken(out[out.length - 1]!.number + 1) : "" };
  }

  /**
   * All matching trials, in number order, for streaming: those that exist
   * when the call starts, read back in chunks as the stream is consumed.
   */
  *streamTrials(experiment: string, states: TrialState[]): Generator<Trial> {
    const exp = experimentNamed(this.cache, experiment);
    this.leases.expire(exp);
    const wanted = stateFilter(states);
    const end = exp.nextNumber;
    for (let from = 0; from < end; ) {
      const numbers = exp.numbersWhere(wanted, from, STREAM_CHUNK).filter((n) => n < end);
      if (numbers.length === 0) break;
      for (const t of exp.rows(numbers)) yield trialView(exp, t);
      from = numbers[numbers.length - 1]! + 1;
    }
  }

  getBest(experiment: string): Trial {
    const exp = experimentNamed(this.cache, experiment);
    const best = exp.bestNumber();
    if (best === undefined) throw failedPrecondition(`experiment "${experiment}" has no COMPLETE trial yet`);
    return trialView(exp, exp.trial(best));
  }

  /** What the history cache holds now (for tests and diagnostics). */
  cacheStats(): { experiments: number; trials: number; viewed: number } {
    return this.cache.stats();
  }

  /** Marks LOST every RUNNING trial of every loaded experiment whose lease lapsed. */
  sweepLeases(): void {
    this.leases.expireAll();
  }

  // ---- internals -------------------------------------------------------------

  /** The trials a Suggest with this request_id created before, if there was one: a retried call gets the same answer. */
  private replay(exp: ExperimentState, method: string, requestId: string): Trial[] | undefined {
    const ids = this.store.findRequest(method, requestId);
    if (ids === undefined) return undefined;
    return ids.map((id) => {
      const t = exp.trialById(id);
      if (t === undefined)
        throw failedPrecondition(`request_id "${requestId}" was already used for another experiment`);
      return trialView(exp, t);
    });
  }
}

function sameRecord(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
