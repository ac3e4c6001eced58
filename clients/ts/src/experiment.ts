/**
 * An experiment handle: the ask side (suggest), seeding (enqueue, addTrials)
 * and the history (trials, best). It holds the experiment as last read;
 * `refresh()` re-reads it (e.g. for up-to-date trial counts).
 */
import { randomUUID } from "node:crypto";
import { invalid, isParzenError } from "./errors.js";
import { Direction, type Experiment as ExperimentProto, type TrialCounts } from "./gen/parzen/v1/experiment.js";
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
  SuggestRequest,
} from "./gen/parzen/v1/optimizer_service.js";
import type { Rpc } from "./rpc.js";
import { stateToProto, type TrialState } from "./state.js";
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

export class Experiment {
  #proto: ExperimentProto;

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

  /** A new RUNNING trial: an enqueued configuration if any is waiting, else the algorithm's proposal. */
  async suggest(): Promise<Trial> {
    const [trial] = await this.suggestMany(1);
    return trial!;
  }

  /**
   * `n` (1-1000) new RUNNING trials at once, for a pool of parallel
   * evaluations; each is proposed knowing the earlier ones are running, so
   * they spread out.
   */
  async suggestMany(n: number): Promise<Trial[]> {
    if (!Number.isSafeInteger(n) || n < 1) throw invalid(`count must be a positive integer, got ${n}`);
    // One request id for every attempt: a retry after a lost response gets the same trials, not new ones.
    const req = SuggestRequest.fromPartial({
      experiment: this.name,
      count: n,
      workerId: this.rpc.settings.workerId,
      requestId: randomUUID(),
    });
    const res = await this.rpc.call("suggest", req);
    return res.trials.map((t) => new Trial(this.rpc, t));
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
      return res.trial === undefined ? undefined : new Trial(this.rpc, res.trial);
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
    return new Trial(this.rpc, res.trial!);
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
      for (const t of res.trials) yield new Trial(this.rpc, t);
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
    return res.trials.map((t) => new Trial(this.rpc, t));
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
    return res.trials.map((t) => new Trial(this.rpc, t));
  }

  /** Deletes the experiment and its whole history. */
  async delete(): Promise<void> {
    await this.rpc.call("deleteExperiment", DeleteExperimentRequest.fromPartial({ name: this.name }));
  }
}
