/**
 * Integration-test harness: a real Parzen (same wiring as `parzen serve`) on
 * an ephemeral port with a real SQLite file in a temp directory, and a
 * promise-returning client over real gRPC.
 */
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { startParzen, type ParzenConfig, type RunningParzen } from "../../src/app.js";
import * as svc from "@parzen/client/gen/parzen/v1/optimizer_service";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";

type Callable<Req, Res> = (req: Req, md: Metadata, cb: (err: ServiceError | null, res: Res) => void) => unknown;

type DeepPartial<T> = T extends Date | Buffer | number | string | boolean | undefined
  ? T
  : T extends readonly (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

type Service = typeof svc.OptimizerServiceService;

/** The unary methods of the service, promisified, taking partial requests. */
export type Api = {
  [K in keyof Service as Service[K]["responseStream"] extends false ? K : never]: (
    req: DeepPartial<Parameters<Service[K]["requestSerialize"]>[0]>,
  ) => Promise<ReturnType<Service[K]["responseDeserialize"]>>;
};

export interface TestServer {
  dir: string;
  dbPath: string;
  server: RunningParzen;
  client: OptimizerServiceClient;
  api: Api;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `metadata` makes each call's metadata (e.g. an authorization header). */
export function promisify(client: OptimizerServiceClient, metadata: () => Metadata = () => new Metadata()): Api {
  return new Proxy({} as Api, {
    get(_t, method: string) {
      // ts-proto encoders need complete messages: fill defaults like a real client would.
      const type = (svc as unknown as Record<string, { fromPartial(o: unknown): unknown }>)[
        `${method[0]!.toUpperCase()}${method.slice(1)}Request`
      ]!;
      return (partial: unknown) =>
        new Promise((resolve, reject) => {
          const req = type.fromPartial(partial);
          const fn = (client as unknown as Record<string, Callable<unknown, unknown>>)[method]!;
          fn.call(client, req, metadata(), (err, res) => (err ? reject(err) : resolve(res)));
        });
    },
  });
}

export async function startTestServer(extra: Partial<ParzenConfig> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "parzen-test-"));
  const dbPath = join(dir, "parzen.db");
  const start = () => startParzen({ db: dbPath, listen: "127.0.0.1:0", logger: pino({ level: "silent" }), ...extra });
  const ts: TestServer = {
    dir,
    dbPath,
    server: await start(),
    client: undefined as unknown as OptimizerServiceClient,
    api: undefined as unknown as Api,
    async restart() {
      ts.client.close();
      await ts.server.stop();
      ts.server = await start();
      connect();
    },
    async close() {
      ts.client.close();
      await ts.server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const connect = () => {
    ts.client = new OptimizerServiceClient(ts.server.address, credentials.createInsecure());
    ts.api = promisify(ts.client);
  };
  connect();
  return ts;
}

/** Resolves to the gRPC error a call fails with (and fails the test if it succeeds). */
export async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("expected the call to fail");
}
