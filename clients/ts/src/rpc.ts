/**
 * The one place that calls grpc-js: promisified unary calls, each with the bearer token in its metadata, a deadline
 * and errors turned into ParzenError. Retries happen below, in the channel (see retry.ts). Everything above this
 * file deals in promises and plain values.
 * Exported as @parzen/client/rpc for the Parzen repository's test harness,
 * which calls the raw service through it; not part of the stable API.
 */
import { Metadata, type CallOptions, type ServiceError } from "@grpc/grpc-js";
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
   * Methods ("Suggest", ...) that wait for a ready channel once the server
   * has been reached (gRPC's wait-for-ready): those the service config
   * retries, so a server restart within the deadline costs a pause. None
   * when absent (the test harness, which must see every failure).
   */
  waitForReady?: ReadonlySet<string>;
}

export class Rpc {
  /** Whether the server has answered (or the connection was seen ready): from then on, retried calls wait for it. */
  reached = false;

  constructor(
    readonly stub: OptimizerServiceClient,
    readonly settings: RpcSettings,
  ) {}

  /** Calls a unary method; the channel's service config decides whether UNAVAILABLE is retried. */
  call<K extends UnaryMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    const name = rpcName(method);
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      const fn = this.stub[method] as unknown as UnaryFn;
      const md = this.metadata();
      if (this.reached && this.settings.waitForReady?.has(name)) md.setOptions({ waitForReady: true });
      fn.call(this.stub, request, md, { deadline: Date.now() + this.settings.timeoutMs }, (err, res) => {
        if (err) return reject(ParzenError.fromGrpc(err, name));
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
