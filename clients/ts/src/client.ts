/**
 * The connection to a Parzen server and the experiment-level calls. One
 * client per process is enough: it multiplexes every call over one HTTP/2
 * connection and reconnects by itself.
 */
import { type ChannelCredentials, credentials, status, type ChannelOptions } from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { ParzenError, invalid } from "./errors.js";
import { Direction } from "./gen/parzen/v1/experiment.js";
import {
  CreateExperimentRequest,
  DeleteExperimentRequest,
  GetExperimentRequest,
  ListExperimentsRequest,
  OptimizerServiceClient,
} from "./gen/parzen/v1/optimizer_service.js";
import { Experiment } from "./experiment.js";
import type { PrunerSpec } from "./pruner.js";
import { retriedMethods, serviceConfig } from "./retry.js";
import { Rpc } from "./rpc.js";
import { toSearchSpace, type Param } from "./space.js";
import { toValueMap, type ParamValue } from "./values.js";

/** PEM text (a string starting with "-----BEGIN"), a file path, or the bytes. */
export type Pem = string | Buffer;

export interface TlsOptions {
  /** CA certificates to trust instead of the system's. */
  ca?: Pem;
  /** Client certificate and key, for servers that require mutual TLS. */
  cert?: Pem;
  key?: Pem;
}

export interface ConnectOptions {
  /** TLS: `true` trusts the system's CAs; an object gives your own CA and/or client certificate. Plain text when absent. */
  tls?: true | TlsOptions;
  /** Sent as `authorization: Bearer <token>` with every call. */
  token?: string;
  /** Who evaluates the trials this client asks for. Default: `<hostname>-<pid>`. */
  workerId?: string;
  /** Deadline of each call, its retries included. Default 60 s (a GP suggestion can take seconds). */
  timeoutMs?: number;
  /** How long `connect` waits for the server. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * Extra grpc-js channel options, applied over the client's: `"grpc.service_config"` replaces the retry policy,
   * `"grpc.enable_retries": 0` turns retries off.
   */
  channelOptions?: ChannelOptions;
}

export interface ExperimentSpec {
  /** Unique on the server; 1-200 characters. */
  name: string;
  /** Built with uniform(), logUniform(), int(), choice(), ... */
  space: readonly Param[];
  /** Default "minimize". */
  direction?: "minimize" | "maximize";
  /**
   * Several objectives, in order (leave `direction` unset): trials report an
   * array of values and `exp.paretoFront()` replaces `exp.best()`. Names
   * default to "objective_<i>".
   */
  objectives?: readonly { name?: string; direction: "minimize" | "maximize" }[];
  /**
   * "tpe" (the server's default), "random", "gp", "cmaes", "qmc", "grid" or "nsga2" (several objectives:
   * "tpe", "nsga2" or "random"). The server checks the name and options.
   */
  algorithm?: string;
  /** Algorithm options, as the server spells them (e.g. `{ n_startup_trials: 20 }`). */
  options?: Record<string, ParamValue>;
  /** Seed of the experiment's random streams; chosen by the server when absent. */
  seed?: number;
  /** `"median"`, `pruners.median({ nWarmupSteps: 5 })` or `{ name, options }`. None by default. */
  pruner?: string | PrunerSpec;
  /** How long a suggested trial may go without a heartbeat before it is LOST. Server default (30 min) when absent. */
  leaseSeconds?: number;
  /** Re-enqueue the configuration of a trial that became LOST. */
  retryLost?: boolean;
  userAttrs?: Record<string, string>;
  /**
   * Stop conditions (part of the experiment's identity): COMPLETED once COMPLETE + PRUNED trials reach
   * `maxTrials` (FAIL and LOST do not use it up), once FAIL trials reach `maxFailedTrials`, once a COMPLETE loss
   * reaches `goal` (at or below it when minimising), or once the clock passes `deadline`. Then `suggest` throws
   * ExperimentDone.
   */
  maxTrials?: number;
  maxFailedTrials?: number;
  goal?: number;
  deadline?: Date;
}

/** Where `parzen serve` listens by default. */
export const DEFAULT_ADDRESS = "127.0.0.1:50051";
/** The default deadline of each call (`ConnectOptions.timeoutMs`). */
export const DEFAULT_TIMEOUT_MS = 60_000;

export class ParzenClient {
  private constructor(private readonly rpc: Rpc) {}

  /**
   * Connects to `host:port` or `unix:///path.sock` (a bare `/path.sock`
   * works too; default DEFAULT_ADDRESS) and waits until the server answers,
   * so a wrong address fails here rather than at the first suggestion.
   */
  static async connect(address: string = DEFAULT_ADDRESS, opts: ConnectOptions = {}): Promise<ParzenClient> {
    const target = address.startsWith("/") ? `unix://${address}` : address;
    const stub = new OptimizerServiceClient(target, channelCredentials(opts.tls), {
      // Come back quickly after a sidecar server restarts (grpc-js waits 1 s+ by default).
      "grpc.initial_reconnect_backoff_ms": 200,
      "grpc.max_reconnect_backoff_ms": 2000,
      "grpc.service_config": serviceConfig,
      ...opts.channelOptions,
    });
    const rpc = new Rpc(stub, {
      token: opts.token,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      workerId: opts.workerId ?? `${hostname()}-${process.pid}`,
      // Retries turned off: every failure surfaces, nothing waits or is sent again.
      rideOut: opts.channelOptions?.["grpc.enable_retries"] === 0 ? undefined : retriedMethods,
    });
    const deadline = Date.now() + (opts.connectTimeoutMs ?? 10_000);
    try {
      await new Promise<void>((resolve, reject) =>
        stub.waitForReady(deadline, (err) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      stub.close();
      throw new ParzenError(status.UNAVAILABLE, `cannot reach ${address}: ${(err as Error).message}`, "connect", {
        cause: err,
      });
    }
    rpc.reached = true;
    return new ParzenClient(rpc);
  }

  /** The worker id sent with suggestions. */
  get workerId(): string {
    return this.rpc.settings.workerId;
  }

  /**
   * Creates an experiment, or returns the existing one when its definition
   * is identical (so a restarted trainer carries on); a different definition
   * under the same name is ALREADY_EXISTS. `exp.created` tells which.
   */
  async createExperiment(spec: ExperimentSpec): Promise<Experiment> {
    const pruner = typeof spec.pruner === "string" ? { name: spec.pruner } : spec.pruner;
    if (spec.leaseSeconds !== undefined && !(spec.leaseSeconds > 0))
      throw invalid(`leaseSeconds must be positive, got ${spec.leaseSeconds}`);
    const lease = spec.leaseSeconds;
    const dir = (d: string | undefined) =>
      d === "maximize" ? Direction.DIRECTION_MAXIMIZE : Direction.DIRECTION_MINIMIZE;
    const objectives = spec.objectives ?? [];
    if (objectives.length > 0 && spec.direction !== undefined) throw invalid("give direction or objectives, not both");
    for (const o of objectives)
      if (o.direction !== "minimize" && o.direction !== "maximize")
        throw invalid(`objective directions must be "minimize" or "maximize", got ${JSON.stringify(o.direction)}`);
    const req = CreateExperimentRequest.fromPartial({
      experiment: {
        name: spec.name,
        space: toSearchSpace(spec.space),
        direction: objectives.length > 0 ? Direction.DIRECTION_UNSPECIFIED : dir(spec.direction),
        objectives: objectives.map((o) => ({ name: o.name ?? "", direction: dir(o.direction) })),
        algorithm: { name: spec.algorithm ?? "", options: toValueMap(spec.options ?? {}, "algorithm options") },
        ...(spec.seed === undefined ? {} : { seed: spec.seed }),
        pruner:
          pruner === undefined
            ? undefined
            : { name: pruner.name, options: toValueMap(pruner.options ?? {}, "pruner options") },
        leaseDuration:
          lease === undefined ? undefined : { seconds: Math.floor(lease), nanos: Math.round((lease % 1) * 1e9) },
        retryLost: spec.retryLost ?? false,
        userAttrs: spec.userAttrs ?? {},
        maxTrials: spec.maxTrials,
        maxFailedTrials: spec.maxFailedTrials,
        goal: spec.goal,
        deadline: spec.deadline,
      },
    });
    const res = await this.rpc.call("createExperiment", req);
    return new Experiment(this.rpc, res.experiment!, res.created);
  }

  /** An existing experiment; NOT_FOUND if there is none by that name. */
  async experiment(name: string): Promise<Experiment> {
    const res = await this.rpc.call("getExperiment", GetExperimentRequest.fromPartial({ name }));
    return new Experiment(this.rpc, res.experiment!, false);
  }

  /** Every experiment on the server, fetched a page at a time as you iterate. */
  async *listExperiments(opts: { pageSize?: number } = {}): AsyncGenerator<Experiment, void, undefined> {
    let pageToken = "";
    do {
      const res = await this.rpc.call(
        "listExperiments",
        ListExperimentsRequest.fromPartial({ pageSize: opts.pageSize ?? 0, pageToken }),
      );
      for (const e of res.experiments) yield new Experiment(this.rpc, e, false);
      pageToken = res.nextPageToken;
    } while (pageToken !== "");
  }

  /** Deletes an experiment and its whole history. Not retried: after a lost response a repeat would be NOT_FOUND. */
  async deleteExperiment(name: string): Promise<void> {
    await this.rpc.call("deleteExperiment", DeleteExperimentRequest.fromPartial({ name }));
  }

  /** Closes the connection; calls in flight fail with CANCELLED. */
  close(): void {
    this.rpc.stub.close();
  }
}

function channelCredentials(tls: ConnectOptions["tls"]): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  if (tls === true) return credentials.createSsl();
  return credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
}

function pem(x: Pem | undefined): Buffer | null {
  if (x === undefined) return null;
  if (Buffer.isBuffer(x)) return x;
  return x.trimStart().startsWith("-----BEGIN") ? Buffer.from(x) : readFileSync(x);
}
