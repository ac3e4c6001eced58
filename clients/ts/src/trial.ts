/**
 * A trial: one configuration to evaluate, and the calls that finish it.
 * Reading it is synchronous (a snapshot of the server's Trial); every method
 * that changes it talks to the server and refreshes the snapshot from the
 * answer, so `state` and `loss` reflect what the server stored.
 */
import { randomUUID } from "node:crypto";
import { invalid } from "./errors.js";
import {
  HeartbeatRequest,
  ReleaseTrialRequest,
  ReportIntermediateRequest,
  ReportRequest,
  type ReportResponse,
  ReportStatus,
} from "./gen/parzen/v1/optimizer_service.js";
import { TrialSource, type Trial as TrialProto } from "./gen/parzen/v1/trial.js";
import { startKeepAlive, type KeepAliveOptions, type StopKeepAlive } from "./keepalive.js";
import type { Rpc } from "./rpc.js";
import { stateFromProto, type TrialState } from "./state.js";
import { type ChoiceLabels, labelsOf } from "./labels.js";
import { fromValueMap, type Params } from "./values.js";

/** What a report says. */
export interface ReportFields {
  status: ReportStatus;
  loss?: number;
  values?: number[];
  constraints?: number[];
  metrics?: Record<string, number>;
  failReason?: string;
}

/** Assumed when a trial carries no lease (e.g. read back after it finished). */
const FALLBACK_LEASE_MS = 30_000;

export class Trial {
  #proto: TrialProto;
  #params: Readonly<Params>;
  #stopKeepAlive: StopKeepAlive | undefined;
  readonly #leaseMs: number;

  constructor(
    private readonly rpc: Rpc,
    proto: TrialProto,
    /** The experiment's choice labels (none for a trial read without its experiment). */
    private readonly choiceLabels: ChoiceLabels = new Map(),
  ) {
    this.#proto = proto;
    this.#params = Object.freeze(fromValueMap(proto.params));
    this.#leaseMs = leaseMs(proto);
  }

  /** Unique across the server. */
  get id(): number {
    return this.#proto.id;
  }
  /** 0-based, in creation order within the experiment. */
  get number(): number {
    return this.#proto.number;
  }
  get experiment(): string {
    return this.#proto.experiment;
  }
  /** The active parameters only: a conditional parameter outside its branch is absent. */
  get params(): Readonly<Params> {
    return this.#params;
  }
  /**
   * The label of each active choice parameter's chosen option, e.g. `{ optimizer: "sgd" }`: what the Python and
   * Go clients, the CLI and the dashboard call it, whatever the stored value (a Python dict option is stored as
   * its index).
   */
  get labels(): Readonly<Record<string, string>> {
    return labelsOf(this.#params, this.choiceLabels);
  }
  get state(): TrialState | "UNSPECIFIED" {
    return stateFromProto(this.#proto.state);
  }
  /** Set for COMPLETE trials, and PRUNED ones that reported a value. */
  get loss(): number | undefined {
    return this.#proto.loss;
  }
  get metrics(): Readonly<Record<string, number>> {
    return this.#proto.metrics;
  }
  /** The learning curve: step -> value. */
  get intermediate(): ReadonlyMap<number, number> {
    return new Map(this.#proto.intermediateValues.map((v) => [v.step, v.value]));
  }
  get workerId(): string {
    return this.#proto.workerId;
  }
  get userAttrs(): Readonly<Record<string, string>> {
    return this.#proto.userAttrs;
  }
  get failReason(): string {
    return this.#proto.failReason;
  }
  /** "ALGORITHM", "ENQUEUED" or "IMPORTED". */
  get source(): string {
    return TrialSource[this.#proto.source]?.replace("TRIAL_SOURCE_", "") ?? "UNSPECIFIED";
  }
  /** The algorithm that proposed it ("tpe", "gp", "cmaes", ...; for `auto`, its rule's choice); "" unless ALGORITHM. */
  get proposedBy(): string {
    return this.#proto.proposedBy;
  }
  /** When a RUNNING trial becomes LOST unless it heartbeats. */
  get leaseDeadline(): Date | undefined {
    return this.#proto.leaseDeadline;
  }
  get createTime(): Date | undefined {
    return this.#proto.createTime;
  }
  get startTime(): Date | undefined {
    return this.#proto.startTime;
  }
  get endTime(): Date | undefined {
    return this.#proto.endTime;
  }
  /** The server's message, for anything not surfaced above. */
  get proto(): Readonly<TrialProto> {
    return this.#proto;
  }

  /**
   * Set while the trial runs inside `exp.loop()`, which sends its report together with the request for the next
   * trial (see Experiment.loop).
   * @internal
   */
  deferred: { report?: ReportFields } | undefined;

  /**
   * Finishes the trial as COMPLETE with a finite loss (lower is better unless
   * the experiment maximises), or, for several objectives, an array of
   * values in the experiment's order. `opts.constraints`: values that are
   * feasible when every one is <= 0.
   */
  report(
    loss: number | readonly number[],
    metrics: Record<string, number> = {},
    opts: { constraints?: readonly number[] } = {},
  ): Promise<Trial> {
    const constraints = [...(opts.constraints ?? [])];
    if (typeof loss === "number")
      return this.finish({ status: ReportStatus.REPORT_STATUS_OK, loss, metrics, constraints });
    return this.finish({ status: ReportStatus.REPORT_STATUS_OK, values: [...loss], metrics, constraints });
  }

  /** The objective values, one per objective (a single-objective trial: `[loss]`); empty while there are none. */
  get values(): number[] {
    if (this.#proto.values.length > 0) return [...this.#proto.values];
    return this.#proto.loss === undefined ? [] : [this.#proto.loss];
  }
  /** The constraint values reported (empty when none). */
  get constraints(): number[] {
    return [...this.#proto.constraints];
  }
  /** Whether every constraint value is <= 0 (true without constraints). */
  get feasible(): boolean {
    return this.#proto.constraints.every((c) => c <= 0);
  }

  /** Finishes the trial as FAIL; the reason is kept in the history. */
  fail(reason: string): Promise<Trial> {
    return this.finish({ status: ReportStatus.REPORT_STATUS_FAIL, failReason: reason });
  }

  /** Finishes the trial as PRUNED; the loss defaults to its last intermediate value. */
  prune(loss?: number): Promise<Trial> {
    return this.finish({ status: ReportStatus.REPORT_STATUS_PRUNED, ...(loss === undefined ? {} : { loss }) });
  }

  /**
   * Records one point of the learning curve (a step already recorded keeps
   * its first value) and returns the pruner's answer: true means stop and
   * call `prune()`. Also renews the lease.
   */
  async reportIntermediate(step: number, value: number): Promise<boolean> {
    if (!Number.isSafeInteger(step) || step < 0) throw invalid(`step must be a non-negative integer, got ${step}`);
    const res = await this.rpc.call(
      "reportIntermediate",
      ReportIntermediateRequest.fromPartial({ trialId: this.id, step, value }),
    );
    return res.shouldPrune;
  }

  /** Extends the lease once; returns the new deadline. */
  async heartbeat(): Promise<Date | undefined> {
    const res = await this.rpc.call("heartbeat", HeartbeatRequest.fromPartial({ trialId: this.id }));
    if (res.leaseDeadline !== undefined) this.#proto = { ...this.#proto, leaseDeadline: res.leaseDeadline };
    return res.leaseDeadline;
  }

  /**
   * Gives the trial back unrun: it is WAITING again, with the same configuration, and the experiment's next
   * `suggest` (from any worker) hands it out first. For a trial this worker will not run after all; it counts
   * as neither failed nor done. FAILED_PRECONDITION unless it is RUNNING for its worker with no intermediate
   * values. Safe to retry (one request id for every attempt).
   */
  async release(): Promise<Trial> {
    this.#stopKeepAlive?.();
    this.#stopKeepAlive = undefined;
    const res = await this.rpc.call(
      "releaseTrial",
      ReleaseTrialRequest.fromPartial({ trialId: this.id, requestId: randomUUID(), workerId: this.#proto.workerId }),
    );
    if (res.trial !== undefined) this.#proto = res.trial;
    return this;
  }

  /**
   * Heartbeats in the background (every third of the lease by default) until
   * the returned function is called or the trial is reported, failed or
   * pruned. Calling it again replaces the previous loop.
   */
  keepAlive(opts: KeepAliveOptions = {}): StopKeepAlive {
    this.#stopKeepAlive?.();
    const stop = startKeepAlive(() => this.heartbeat(), opts.intervalMs ?? this.#leaseMs / 3, opts.onError);
    this.#stopKeepAlive = stop;
    return () => {
      stop();
      if (this.#stopKeepAlive === stop) this.#stopKeepAlive = undefined;
    };
  }

  private async finish(fields: ReportFields): Promise<Trial> {
    if (this.deferred !== undefined) {
      this.deferred.report = fields;
      return this;
    }
    await this.send(fields, false);
    return this;
  }

  /**
   * Reports the trial; with `suggestNext`, the answer's `next` is this worker's next trial (or done, or
   * retry_after), started in the same transaction.
   * @internal
   */
  async send(fields: ReportFields, suggestNext: boolean, requestId: string = randomUUID()): Promise<ReportResponse> {
    this.#stopKeepAlive?.();
    this.#stopKeepAlive = undefined;
    // One request id for every attempt: a retry after a lost response is answered from the first.
    const req = ReportRequest.fromPartial({
      trialId: this.id,
      requestId,
      ...fields,
      suggestNext,
      workerId: suggestNext ? this.rpc.settings.workerId : "",
    });
    const res = await this.rpc.call("report", req);
    if (res.trial !== undefined) {
      this.#proto = res.trial;
      this.#params = Object.freeze(fromValueMap(res.trial.params));
    }
    return res;
  }
}

/**
 * The lease length as the server granted it at the start (deadline - start,
 * both on the server's clock, so client clock skew does not matter).
 */
function leaseMs({ leaseDeadline, startTime }: TrialProto): number {
  const ms =
    leaseDeadline !== undefined && startTime !== undefined ? leaseDeadline.getTime() - startTime.getTime() : NaN;
  return ms > 0 ? ms : FALLBACK_LEASE_MS;
}
