/**
 * An experiment handle: the ask side (suggest), seeding (enqueue, addTrials)
 * and the history (trials, best). It holds the experiment as last read;
 * `refresh()` re-reads it (e.g. for up-to-date trial counts).
 */
import { randomUUID } from "node:crypto";
import { invalid, isParzenError } from "./errors.js";
import { type CompletionReasonName, isExperimentDone, reasonName, untilTrials } from "./done.js";
import {
  Direction,
  type Experiment as ExperimentProto,
  ExperimentState,
  type TrialCounts,
} from "./gen/parzen/v1/experiment.js";
import {
  AddTrialsRequest,
  DeleteExperimentRequest,
  EnqueueRequest,
  GetBestRequest,
  GetParetoFrontRequest,
  GetImportanceRequest,
  GetExperimentRequest,
  GetTrialRequest,
  ListTrialsRequest,
  ExperimentAction,
  type ReportResponse,
  ReportStatus,
  SuggestRequest,
  type SuggestResponse,
  UpdateExperimentRequest,
} from "./gen/parzen/v1/optimizer_service.js";
import type { Rpc } from "./rpc.js";
import { stateToProto, type TrialState } from "./state.js";
import { type ChoiceLabels, choiceLabels } from "./labels.js";
import { Trial } from "./trial.js";
import { toValueMap, type ParamValue } from "./values.js";

/** An already-evaluated configuration, for `addTrials`. */
export interface Observation {
  params: Readonly<Record<string, ParamValue>>;
  /** Required for COMPLETE; optional for PRUNED; none for FAIL. */
  loss?: number;
  /** A multi-objective experiment's values, in place of `loss`. */
  values?: readonly number[];
  /** Constraint values, feasible when every one is <= 0. */
  constraints?: readonly number[];
  /** COMPLETE by default. */
  state?: "COMPLETE" | "PRUNED" | "FAIL";
  metrics?: Record<string, number>;
  /** The learning curve, step -> value. */
  intermediate?: ReadonlyMap<number, number> | Record<number, number>;
  userAttrs?: Record<string, string>;
  failReason?: string;
}

export interface TrialsQuery {
  /** Only trials in these states (all when absent or empty). */
  states?: readonly TrialState[];
  /** Only trials suggested to this worker. */
  workerId?: string;
  /** Trials fetched per request (server default 1000); paging is otherwise invisible. */
  pageSize?: number;
}

/** Stop conditions for `update`: a value sets it, `null` removes the limit, absent leaves it. */
export interface StopConditionsUpdate {
  maxTrials?: number | null;
  maxFailedTrials?: number | null;
  goal?: number | null;
  deadline?: Date | null;
}

export class Experiment {
  #proto: ExperimentProto;
  #labels: { space: ExperimentProto["space"]; labels: ChoiceLabels } | undefined;

  constructor(
    private readonly rpc: Rpc,
    proto: ExperimentProto,
    /** False when createExperiment found an identical experiment already there. */
    readonly created: boolean,
  ) {
    this.#proto = proto;
  }

  get name(): string {
    return this.#proto.name;
  }
  /** A single-objective experiment's direction (see `objectives` for several). */
  get direction(): "minimize" | "maximize" {
    return this.#proto.direction === Direction.DIRECTION_MAXIMIZE ? "maximize" : "minimize";
  }
  /** The objectives in order: one, named "loss", for a single-objective experiment declared without them. */
  get objectives(): { name: string; direction: "minimize" | "maximize" }[] {
    if (this.#proto.objectives.length === 0) return [{ name: "loss", direction: this.direction }];
    return this.#proto.objectives.map((o) => ({
      name: o.name,
      direction: o.direction === Direction.DIRECTION_MAXIMIZE ? "maximize" : "minimize",
    }));
  }
  get algorithm(): string {
    return this.#proto.algorithm?.name ?? "";
  }
  /** Which algorithm proposes the next trial and why (for `auto`, its rule's choice), as of the last read (`refresh()`). */
  get algorithmChoice(): { algorithm: string; reason: string } {
    const c = this.#proto.algorithmChoice;
    return { algorithm: c?.algorithm ?? "", reason: c?.reason ?? "" };
  }
  get seed(): number | undefined {
    return this.#proto.seed;
  }
  /** Trials per state, as of the last read. */
  get counts(): Readonly<TrialCounts> | undefined {
    return this.#proto.trialCounts;
  }
  get userAttrs(): Readonly<Record<string, string>> {
    return this.#proto.userAttrs;
  }
  /** "ACTIVE", "PAUSED" or "COMPLETED", as of the last read. */
  get state(): "ACTIVE" | "PAUSED" | "COMPLETED" | "UNSPECIFIED" {
    return (ExperimentState[this.#proto.state] ?? "EXPERIMENT_STATE_UNSPECIFIED").replace(
      "EXPERIMENT_STATE_",
      "",
    ) as "ACTIVE";
  }
  /** Why the experiment is COMPLETED; undefined while it is not. */
  get completionReason(): CompletionReasonName | undefined {
    return reasonName(this.#proto.completionReason);
  }
  /** COMPLETE + PRUNED trials after which it is COMPLETED; undefined: no limit. */
  get maxTrials(): number | undefined {
    return this.#proto.maxTrials;
  }
  get maxFailedTrials(): number | undefined {
    return this.#proto.maxFailedTrials;
  }
  get goal(): number | undefined {
    return this.#proto.goal;
  }
  get deadline(): Date | undefined {
    return this.#proto.deadline;
  }
  /** Each choice parameter's option labels (see Trial.labels). */
  get choiceLabels(): ChoiceLabels {
    if (this.#labels === undefined || this.#labels.space !== this.#proto.space) {
      this.#labels = { space: this.#proto.space, labels: choiceLabels(this.#proto.space) };
    }
    return this.#labels.labels;
  }
  /** The server's message, for anything not surfaced above. */
  get proto(): Readonly<ExperimentProto> {
    return this.#proto;
  }

  /** Re-reads the experiment from the server. */
  async refresh(): Promise<this> {
    const res = await this.rpc.call("getExperiment", GetExperimentRequest.fromPartial({ name: this.name }));
    if (res.experiment !== undefined) this.#proto = res.experiment;
    return this;
  }

  /** PAUSED: `suggest` waits (the server answers retry_after) until `resume()`; RUNNING trials may still report. */
  pause(): Promise<this> {
    return this.update({}, ExperimentAction.EXPERIMENT_ACTION_PAUSE);
  }
  /** Undoes `pause()` and `stop()`: ACTIVE again unless a stop condition still holds. */
  resume(): Promise<this> {
    return this.update({}, ExperimentAction.EXPERIMENT_ACTION_RESUME);
  }
  /** COMPLETED (reason "STOPPED"): every worker's `suggest` throws ExperimentDone; only `resume()` re-opens it. */
  stop(): Promise<this> {
    return this.update({}, ExperimentAction.EXPERIMENT_ACTION_STOP);
  }

  /**
   * Changes the stop conditions given (`null` removes that limit). Raising
   * `maxTrials` of an experiment COMPLETED by its budget re-opens it.
   */
  async update(
    limits: StopConditionsUpdate,
    action: ExperimentAction = ExperimentAction.EXPERIMENT_ACTION_UNSPECIFIED,
  ): Promise<this> {
    const req = UpdateExperimentRequest.fromPartial({
      name: this.name,
      action,
      ...(limits.maxTrials == null ? {} : { maxTrials: limits.maxTrials }),
      ...(limits.maxFailedTrials == null ? {} : { maxFailedTrials: limits.maxFailedTrials }),
      ...(limits.goal == null ? {} : { goal: limits.goal }),
      ...(limits.deadline == null ? {} : { deadline: limits.deadline }),
      clearMaxTrials: limits.maxTrials === null,
      clearMaxFailedTrials: limits.maxFailedTrials === null,
      clearGoal: limits.goal === null,
      clearDeadline: limits.deadline === null,
    });
    const res = await this.rpc.call("updateExperiment", req);
    if (res.experiment !== undefined) this.#proto = res.experiment;
    return this;
  }

  /**
   * A new RUNNING trial: an enqueued configuration if any is waiting, else the
   * algorithm's proposal. Throws ExperimentDone (with its `reason`) once the
   * experiment is COMPLETED. While the rest of its budget is all RUNNING on
   * other workers, or it is paused, it waits as the server's retry_after says
   * and asks again (so this worker runs the replacement if a running trial
   * fails or lapses), for up to `timeoutMs` (default: the client's call
   * timeout), then throws DEADLINE_EXCEEDED.
   */
  async suggest(opts: { timeoutMs?: number } = {}): Promise<Trial> {
    const [trial] = await this.suggestMany(1, opts);
    return trial!;
  }

  /**
   * Up to `n` (1-1000) new RUNNING trials at once, for a pool of parallel
   * evaluations (fewer when `maxTrials` leaves fewer); each is proposed
   * knowing the earlier ones are running, so they spread out. Done and
   * waiting as for `suggest`.
   */
  async suggestMany(n: number, opts: { timeoutMs?: number } = {}): Promise<Trial[]> {
    if (!Number.isSafeInteger(n) || n < 1) throw invalid(`count must be a positive integer, got ${n}`);
    const trials = await untilTrials(this.name, opts.timeoutMs ?? this.rpc.settings.timeoutMs, () =>
      // One request id for every attempt of one call: a retry after a lost response gets the same trials.
      this.rpc.call(
        "suggest",
        SuggestRequest.fromPartial({
          experiment: this.name,
          count: n,
          workerId: this.rpc.settings.workerId,
          requestId: randomUUID(),
        }),
      ),
    );
    return trials.map((t) => new Trial(this.rpc, t, this.choiceLabels));
  }

  /**
   * Trials to evaluate, one after another, until the experiment is done (or you `break`):
   *
   *     for await (const trial of exp.loop()) await trial.report(train(trial.params));
   *
   * One round trip per trial: the body's `report` (`fail`, `prune`) is sent when the loop goes on to the next
   * trial, together with the request for it (Report with suggest_next); a `break` (or a throw) sends it alone, so
   * no trial is started that nobody runs; if that combined call fails after the server may have started the next
   * trial, the trial is released (WAITING again, for another worker), never left RUNNING or failed. A body that ends without reporting fails its trial. Each trial
   * heartbeats while the body runs. `timeoutMs` bounds each wait while the rest of the budget is RUNNING
   * elsewhere (see `suggest`).
   */
  async *loop(opts: { timeoutMs?: number } = {}): AsyncGenerator<Trial, void, undefined> {
    const timeoutMs = opts.timeoutMs ?? this.rpc.settings.timeoutMs;
    let trial: Trial | undefined = await this.suggest({ timeoutMs }).catch((err: unknown) => {
      if (isExperimentDone(err)) return undefined;
      throw err;
    });
    while (trial !== undefined) {
      const current: Trial = trial;
      current.deferred = {};
      const stopKeepAlive = current.keepAlive();
      let goingOn = false;
      try {
        yield current;
        goingOn = true;
      } finally {
        stopKeepAlive();
        const report = current.deferred?.report ?? {
          status: ReportStatus.REPORT_STATUS_FAIL,
          failReason: goingOn ? "the loop body ended without a report" : "the loop stopped before a report",
        };
        current.deferred = undefined;
        trial = undefined;
        if (current.state === "RUNNING" && goingOn) {
          trial = await this.nextFrom((await this.reportAndNext(current, report)).next, timeoutMs);
        } else if (current.state === "RUNNING") {
          await current.send(report, false);
        } else if (goingOn) {
          trial = await this.nextFrom(undefined, timeoutMs);
        }
      }
    }
  }

  /**
   * Reports `trial` with the request for the next one. When the answer is lost where the server may have applied
   * the call (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED; a refusal applied nothing), the same request is sent again
   * (same request id: answered from the first, or applied once) and the next trial it started is released, WAITING
   * again for another worker (Trial.release), before the error is thrown: no trial is left RUNNING that nobody runs.
   */
  private async reportAndNext(trial: Trial, report: Parameters<Trial["send"]>[0]): Promise<ReportResponse> {
    const requestId = randomUUID();
    try {
      return await trial.send(report, true, requestId);
    } catch (err) {
      const definite = isParzenError(err) && !["UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"].includes(err.codeName);
      if (!definite) {
        const again = await trial.send(report, true, requestId).catch(() => undefined);
        for (const t of again?.next?.trials ?? [])
          await new Trial(this.rpc, t, this.choiceLabels).release().catch(() => undefined);
      }
      throw err;
    }
  }

  /** The trial a Report with suggest_next answered (undefined when done), waiting through retry_after. */
  private async nextFrom(first: SuggestResponse | undefined, timeoutMs: number): Promise<Trial | undefined> {
    let answer = first;
    try {
      const [t] = await untilTrials(this.name, timeoutMs, async () => {
        if (answer !== undefined) {
          const a = answer;
          answer = undefined;
          return a;
        }
        return this.rpc.call(
          "suggest",
          SuggestRequest.fromPartial({
            experiment: this.name,
            count: 1,
            workerId: this.rpc.settings.workerId,
            requestId: randomUUID(),
          }),
        );
      });
      return new Trial(this.rpc, t!, this.choiceLabels);
    } catch (err) {
      if (isExperimentDone(err)) return undefined;
      throw err;
    }
  }

  /**
   * The best feasible COMPLETE trial, or undefined while there is none. A
   * multi-objective experiment has no single best: use `paretoFront()`.
   */
  async best(): Promise<Trial | undefined> {
    if (this.#proto.objectives.length > 1)
      throw invalid(`experiment "${this.name}" has several objectives: use paretoFront()`);
    try {
      const res = await this.rpc.call("getBest", GetBestRequest.fromPartial({ experiment: this.name }));
      return res.trial === undefined ? undefined : new Trial(this.rpc, res.trial, this.choiceLabels);
    } catch (err) {
      if (isParzenError(err, "FAILED_PRECONDITION")) return undefined;
      throw err;
    }
  }

  /**
   * The Pareto front: the COMPLETE trials no other one dominates (the
   * feasible ones when trials report constraints), in number order, each
   * with `values`. With one objective: the trials tied for the best loss.
   */
  async paretoFront(): Promise<Trial[]> {
    const res = await this.rpc.call("getParetoFront", GetParetoFrontRequest.fromPartial({ experiment: this.name }));
    return res.trials.map((t) => new Trial(this.rpc, t));
  }

  /**
   * How much each parameter matters to the loss (PED-ANOVA over the COMPLETE
   * trials, computed by the server), most important first; importances sum
   * to 1, or are all 0 while too few trials can be judged.
   */
  async importance(): Promise<{ name: string; importance: number }[]> {
    const res = await this.rpc.call("getImportance", GetImportanceRequest.fromPartial({ experiment: this.name }));
    return res.parameters.map((p) => ({ name: p.name, importance: p.importance }));
  }

  /** One trial by id. */
  async trial(id: number): Promise<Trial> {
    const res = await this.rpc.call("getTrial", GetTrialRequest.fromPartial({ trialId: id }));
    return new Trial(this.rpc, res.trial!, this.choiceLabels);
  }

  /** The history in trial-number order, fetched a page at a time as you iterate. */
  async *trials(query: TrialsQuery = {}): AsyncGenerator<Trial, void, undefined> {
    const states = (query.states ?? []).map(stateToProto);
    let pageToken = "";
    do {
      const req = ListTrialsRequest.fromPartial({
        experiment: this.name,
        states,
        workerId: query.workerId ?? "",
        pageSize: query.pageSize ?? 0,
        pageToken,
      });
      const res = await this.rpc.call("listTrials", req);
      for (const t of res.trials) yield new Trial(this.rpc, t, this.choiceLabels);
      pageToken = res.nextPageToken;
    } while (pageToken !== "");
  }

  /**
   * Adds configurations of your choosing (actual values, exactly the active
   * parameters), served by `suggest` before any proposal, oldest first.
   * Returns the WAITING trials created. Not retried on UNAVAILABLE: it carries
   * no request id, and a repeat after a lost response would enqueue twice.
   */
  async enqueue(
    params: Readonly<Record<string, ParamValue>> | readonly Readonly<Record<string, ParamValue>>[],
    opts: { skipIfExists?: boolean } = {},
  ): Promise<Trial[]> {
    const list = Array.isArray(params) ? params : [params as Readonly<Record<string, ParamValue>>];
    const configurations = list.map((p, i) => ({ params: toValueMap(p, `configuration ${i}`), userAttrs: {} }));
    const skipIfExists = opts.skipIfExists ?? false;
    const res = await this.rpc.call(
      "enqueue",
      EnqueueRequest.fromPartial({ experiment: this.name, configurations, skipIfExists }),
    );
    return res.trials.map((t) => new Trial(this.rpc, t, this.choiceLabels));
  }

  /** Imports results you already have (warm start). Not retried: a repeat would import twice. */
  async addTrials(observations: readonly Observation[]): Promise<Trial[]> {
    const trials = observations.map((o, i) => {
      const curve =
        o.intermediate instanceof Map
          ? [...o.intermediate]
          : Object.entries(o.intermediate ?? {}).map(([s, v]) => [Number(s), v] as const);
      return {
        params: toValueMap(o.params, `trial ${i}`),
        state: stateToProto(o.state ?? "COMPLETE"),
        ...(o.loss === undefined ? {} : { loss: o.loss }),
        values: [...(o.values ?? [])],
        constraints: [...(o.constraints ?? [])],
        metrics: o.metrics ?? {},
        intermediateValues: curve.map(([step, value]) => ({ step, value })),
        userAttrs: o.userAttrs ?? {},
        failReason: o.failReason ?? "",
      };
    });
    // The request id makes a retried import safe: the server imports once.
    const res = await this.rpc.call(
      "addTrials",
      AddTrialsRequest.fromPartial({ experiment: this.name, trials, requestId: randomUUID() }),
    );
    return res.trials.map((t) => new Trial(this.rpc, t, this.choiceLabels));
  }

  /** Deletes the experiment and its whole history. */
  async delete(): Promise<void> {
    await this.rpc.call("deleteExperiment", DeleteExperimentRequest.fromPartial({ name: this.name }));
  }
}
