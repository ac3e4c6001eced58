/**
 * The one place that calls grpc-js: promisified unary calls, each with the bearer token in its metadata, a deadline
 * and errors turned into ParzenError. Retries happen below, in the channel (see retry.ts). Everything above this
 * file deals in promises and plain values.
 * Exported as @parzen/client/rpc for the Parzen repository's test harness,
 * which calls the raw service through it; not part of the stable API.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Metadata, type CallOptions, type ServiceError, status } from "@grpc/grpc-js";
import { ParzenError } from "./errors.js";
import type { OptimizerServiceClient, OptimizerServiceService } from "./gen/parzen/v1/optimizer_service.js";

type Service = typeof OptimizerServiceService;
/** Names of the unary methods, e.g. "suggest". */
export type UnaryMethod = {
  [K in keyof Service]: Service[K]["responseStream"] extends false ? K : never;
}[keyof Service];
export type RequestOf<K extends keyof Service> = Parameters<Service[K]["requestSerialize"]>[0];
export type ResponseOf<K extends keyof Service> = ReturnType<Service[K]["responseDeserialize"]>;

type UnaryFn = (
  req: unknown,
  md: Metadata,
  opts: Partial<CallOptions>,
  cb: (err: ServiceError | null, res: unknown) => void,
) => unknown;

export interface RpcSettings {
  token: string | undefined;
  /** Deadline of each call, its retries included. */
  timeoutMs: number;
  workerId: string;
  /**
   * Methods ("Suggest", ...) that ride out a server restart once the server
   * has been reached: they wait for a ready channel (gRPC's wait-for-ready)
   * and are sent again when gRPC gives up on them with UNAVAILABLE, until
   * their deadline. Those the service config retries; none when absent (retries
   * turned off, or the test harness, which must see every failure).
   */
  rideOut?: ReadonlySet<string>;
}

/** Pause before a call gRPC gave up on is sent again (Rpc.call). */
export const RESEND_PAUSE_MS = 200;

export class Rpc {
  /** Whether the server has answered (or the connection was seen ready): from then on, retried calls wait for it. */
  reached = false;

  constructor(
    readonly stub: OptimizerServiceClient,
    readonly settings: RpcSettings,
  ) {}

  /**
   * Calls a unary method; the channel's service config decides whether UNAVAILABLE is retried. gRPC does not retry
   * a call whose answer had begun to arrive when the server died, yet the retried methods are safe to repeat (the
   * same request, request id included), so once the server was reached one that ends UNAVAILABLE is sent again,
   * waiting for the server, until the call's deadline.
   */
  async call<K extends UnaryMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    const name = rpcName(method);
    const deadline = Date.now() + this.settings.timeoutMs;
    for (;;) {
      const rideOut = this.reached && (this.settings.rideOut?.has(name) ?? false);
      try {
        return await this.attempt(method, request, deadline, rideOut);
      } catch (err) {
        const resend = rideOut && (err as ParzenError).code === status.UNAVAILABLE;
        if (!resend || Date.now() + RESEND_PAUSE_MS >= deadline) throw err;
        await sleep(RESEND_PAUSE_MS);
      }
    }
  }

  private attempt<K extends UnaryMethod>(
    method: K,
    request: RequestOf<K>,
    deadline: number,
    waitForReady: boolean,
  ): Promise<ResponseOf<K>> {
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      const fn = this.stub[method] as unknown as UnaryFn;
      const md = this.metadata();
      if (waitForReady) md.setOptions({ waitForReady: true });
      fn.call(this.stub, request, md, { deadline }, (err, res) => {
        if (err) return reject(ParzenError.fromGrpc(err, rpcName(method)));
        this.reached = true;
        resolve(res as ResponseOf<K>);
      });
    });
  }

  private metadata(): Metadata {
    const md = new Metadata();
    if (this.settings.token !== undefined) md.set("authorization", `Bearer ${this.settings.token}`);
    return md;
  }
}

/** "suggest" -> "Suggest", the name errors carry. */
function rpcName(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}
