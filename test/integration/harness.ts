/**
 * Integration-test harness: a real Parzen (same wiring as `parzen serve`) on
 * an ephemeral port with a real SQLite file in a temp directory, and the raw
 * service's unary methods as promises, called through the TypeScript client's
 * connection layer (@parzen/client/rpc) over real gRPC.
 */
import { credentials, loadPackageDefinition, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { ParzenError } from "@parzen/client";
import { ParzenError as DomainError } from "../../src/errors.js";
import * as svc from "@parzen/client/gen/parzen/v1/optimizer_service";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { Rpc, type RequestOf, type ResponseOf, type UnaryMethod } from "@parzen/client/rpc";
import { spawn, type SpawnOptions } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { startParzen, type ParzenConfig, type RunningParzen } from "../../src/app.js";

type DeepPartial<T> = T extends Date | Buffer | number | string | boolean | undefined
  ? T
  : T extends readonly (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** The unary methods of the service, promisified, taking partial requests. */
export type Api = { [K in UnaryMethod]: (req: DeepPartial<RequestOf<K>>) => Promise<ResponseOf<K>> };

export interface TestServer {
  dir: string;
  dbPath: string;
  server: RunningParzen;
  client: OptimizerServiceClient;
  api: Api;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The service's unary methods on `stub`, sending `token` (when given) as a bearer token. Each call is made once,
 * never retried, so a test sees exactly what the server answered; failures are the client's ParzenError, with the
 * gRPC `code` and the server's `details`.
 */
export function promisify(stub: OptimizerServiceClient, token?: string): Api {
  // A deadline far beyond any test's: the harness measures nothing against it.
  // The stub's channel has no service config, so nothing is retried.
  const rpc = new Rpc(stub, { token, timeoutMs: 10 * 60_000, workerId: "" });
  return new Proxy({} as Api, {
    get(_t, method: string) {
      // ts-proto encoders need complete messages: fill defaults like a real client would.
      const type = (svc as unknown as Record<string, { fromPartial(o: unknown): unknown }>)[
        `${method[0]!.toUpperCase()}${method.slice(1)}Request`
      ]!;
      return (partial: unknown) => rpc.call(method as UnaryMethod, type.fromPartial(partial) as RequestOf<UnaryMethod>);
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

/** Resolves to the ParzenError a call fails with (and fails the test if it succeeds or fails otherwise). */
export async function rejection(p: Promise<unknown>): Promise<ParzenError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ParzenError) return err;
    throw new Error(`expected a ParzenError, got ${String(err)}`);
  }
  throw new Error("expected the call to fail");
}

/** Resolves to the domain error a server started in process refuses to start with (it fails the test otherwise). */
export async function startFailure(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw new Error(`expected the server's ParzenError, got ${String(err)}`);
  }
  throw new Error("expected the server not to start");
}

/** The standard health service's answer for `service` at `address` ("SERVING", "NOT_SERVING", ...). */
export async function healthCheck(address: string, service: string): Promise<string> {
  const health = new HealthClient(address, credentials.createInsecure());
  try {
    return await new Promise<string>((ok, fail) =>
      health.check({ service }, (err: ServiceError | null, r?: { status: string }) =>
        err ? fail(err) : ok(r!.status),
      ),
    );
  } finally {
    health.close();
  }
}

/** Resolves once the health service reports `wanted` for `service` (through its Watch stream). */
export async function healthBecomes(address: string, service: string, wanted: string): Promise<void> {
  const health = new HealthClient(address, credentials.createInsecure());
  try {
    await new Promise<void>((ok, fail) => {
      const call = health.watch({ service });
      call.on("data", (r: { status: string }) => {
        if (r.status === wanted) {
          call.cancel();
          ok();
        }
      });
      call.on("error", (err: ServiceError) => {
        if (err.code !== 1) fail(err);
      });
    });
  } finally {
    health.close();
  }
}

export const HealthClient = (
  loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: {
      health: {
        v1: {
          Health: new (
            addr: string,
            creds: ReturnType<typeof credentials.createInsecure>,
          ) => {
            check(req: { service: string }, cb: (err: ServiceError | null, r?: { status: string }) => void): void;
            watch(req: { service: string }): NodeJS.EventEmitter & { cancel(): void };
            close(): void;
          };
        };
      };
    };
  }
).grpc.health.v1.Health;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Runs `parzen serve ARGS` from source, expecting it to refuse to start: resolves with its exit code and stderr.
 * A server that does start (logs "listening") fails the caller's expectation; it is killed rather than left
 * running, and so is one that neither starts nor exits within 20 s.
 */
export function refusedServe(
  args: readonly string[],
  options: Pick<SpawnOptions, "uid" | "gid" | "env"> = {},
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", ...args], {
      ...options,
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes('"msg":"listening"')) child.kill("SIGKILL");
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      ok({ code, stderr });
    });
  });
}
