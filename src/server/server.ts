/**
 * Builds and runs the gRPC server: the OptimizerService, the standard health
 * service and server reflection (so grpcurl works without the protos), on
 * TCP or a unix socket, in plain text or TLS (optionally verifying client
 * certificates), with optional bearer-token authentication (auth.ts).
 * Undecodable requests are answered INVALID_ARGUMENT (tolerant-decoding.ts).
 * Stopping is graceful: health goes NOT_SERVING and calls in flight drain
 * (bounded by a grace period); app.ts then closes the service and the store.
 * This is the only layer that sees grpc-js.
 */
import {
  logVerbosity,
  Server,
  ServerCredentials,
  setLogger,
  setLogVerbosity,
  type ServerInterceptor,
} from "@grpc/grpc-js";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { HealthImplementation } from "grpc-health-check";
import { existsSync, lstatSync, readFileSync, unlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { ParzenError } from "../errors.js";
import { OptimizerServiceService } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Optimizer } from "../service/use-cases/optimizer.js";
import { authInterceptor, type TokenSet } from "./auth.js";
import { Access } from "./authorization.js";
import { type ConnectionLimits, connectionOptions } from "./connections.js";
import { createHandlers } from "./handlers.js";
import { DEFAULT_MAX_STREAMS, StreamGate } from "./stream-gate.js";
import { tolerantService } from "./tolerant-decoding.js";
import { addLazyReflection, type ReflectionPackage } from "./lazy-reflection.js";

const DESCRIPTOR_SET = resolve(dirname(fileURLToPath(import.meta.url)), "descriptor-set.binpb");
const SERVICE_NAME = "parzen.v1.OptimizerService";

export interface TlsMaterial {
  /** PEM certificate chain presented to clients. */
  cert: Buffer;
  /** PEM private key of `cert`. */
  key: Buffer;
  /** PEM CA bundle: when given, clients must present a certificate it signed. */
  clientCa?: Buffer;
}

export interface ServerOptions {
  maxMessageBytes?: number;
  tls?: TlsMaterial;
  /** When given, every call but the health check needs `authorization: Bearer <token>`. */
  tokens?: TokenSet;
  /** Interceptors that run before authentication (logging and metrics: call-observer.ts). */
  interceptors?: ServerInterceptor[];
  /** Concurrent StreamTrials calls allowed server-wide (stream-gate.ts); more are RESOURCE_EXHAUSTED. */
  maxStreams?: number;
  /** Idle timeout, keepalive, age and streams per connection (connections.ts); defaults where absent. */
  connections?: Partial<ConnectionLimits>;
}

export interface ServerDiagnostics {
  /** StreamTrials calls open now. */
  streams: number;
}

export class ParzenServer {
  readonly grpc: Server;
  private readonly health: HealthImplementation;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly streams: StreamGate;
  private stopping = false;

  constructor(
    private readonly optimizer: Optimizer,
    private readonly log: Logger,
    private readonly options: ServerOptions = {},
  ) {
    routeGrpcLogs(log);
    const max = options.maxMessageBytes ?? 16 * 1024 * 1024;
    this.grpc = new Server({
      "grpc.max_receive_message_length": max,
      "grpc.max_send_message_length": max,
      // Channelz bookkeeping costs every call a few percent of the server's CPU, and nothing here serves channelz.
      "grpc.enable_channelz": 0,
      ...connectionOptions(options.connections),
      interceptors: [
        ...(options.interceptors ?? []),
        ...(options.tokens === undefined ? [] : [authInterceptor(options.tokens, log)]),
      ],
    });
    this.streams = new StreamGate(options.maxStreams ?? DEFAULT_MAX_STREAMS);
    this.grpc.addService(
      tolerantService(OptimizerServiceService),
      createHandlers(
        optimizer,
        log,
        this.streams,
        options.tokens === undefined ? undefined : new Access(options.tokens, optimizer),
      ),
    );
    this.health = new HealthImplementation({ "": "SERVING", [SERVICE_NAME]: "SERVING" });
    this.health.addToServer(this.grpc);
    // Reflection is served from a buf-built descriptor set (scripts/gen.sh)
    // rather than from proto-loader's parse of the sources, which loses the
    // well-known types' files and map entries, so grpcurl could not resolve
    // google.protobuf.Timestamp (grpc-node#2958).
    // Built on the first reflection call (lazy-reflection.ts): start-up stays fast.
    addLazyReflection(
      this.grpc,
      () =>
        ({
          // The reflection service reads only `fileDescriptorProtos`; these are the exact files buf compiled.
          "parzen.v1.__descriptors": { fileDescriptorProtos: splitDescriptorSet(readFileSync(DESCRIPTOR_SET)) },
        }) as unknown as ReflectionPackage,
    );
  }

  /** Binds `address` ("host:port", port 0 for any free port, or "unix:///path") and returns the address bound. */
  async listen(address: string): Promise<string> {
    const socketPath = unixPath(address);
    if (socketPath !== undefined) removeStaleSocket(socketPath);
    const creds = this.credentials();
    const port = await new Promise<number>((ok, fail) =>
      this.grpc.bindAsync(address, creds, (err, p) => (err ? fail(err) : ok(p))),
    ).catch((err: Error) => {
      throw new ParzenError("UNAVAILABLE", `cannot listen on ${address}: ${err.message}`, { cause: err });
    });
    // Leases also lapse for experiments nobody is touching.
    this.sweeper = setInterval(() => {
      this.optimizer.sweepLeases().catch((err: unknown) => this.log.error({ err }, "lease sweep failed"));
    }, 5_000);
    this.sweeper.unref();
    if (socketPath !== undefined) return address;
    return address.replace(/:\d+$/, `:${port}`);
  }

  diagnostics(): ServerDiagnostics {
    return { streams: this.streams.count };
  }

  /** Resolves once at most `atMost` StreamTrials calls are open. */
  streamsIdle(atMost = 0): Promise<void> {
    return this.streams.idle(atMost);
  }

  private credentials(): ServerCredentials {
    const tls = this.options.tls;
    if (tls === undefined) return ServerCredentials.createInsecure();
    try {
      // grpc-js parses the PEM only when binding, where a bad certificate or key would fail as UNAVAILABLE
      // ("cannot listen"), a condition that may pass; unusable material is the operator's to fix: check it here.
      createSecureContext({
        cert: tls.cert,
        key: tls.key,
        ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }),
      });
      return ServerCredentials.createSsl(
        tls.clientCa ?? null,
        [{ cert_chain: tls.cert, private_key: tls.key }],
        tls.clientCa !== undefined,
      );
    } catch (err) {
      throw new ParzenError("FAILED_PRECONDITION", `unusable TLS certificate or key: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * Readiness: the service's own health name is NOT_SERVING while the
   * database takes no writes (a full disk, say), so a readiness probe sends
   * clients elsewhere; "" (liveness) stays SERVING, since restarting the
   * process would not help.
   */
  setWritable(writable: boolean): void {
    if (this.stopping) return;
    this.health.setStatus(SERVICE_NAME, writable ? "SERVING" : "NOT_SERVING");
    if (writable) this.log.info("database writes succeed again: ready");
    else this.log.error("database writes fail: not ready (health service parzen.v1.OptimizerService NOT_SERVING)");
  }

  /** Graceful stop: NOT_SERVING, drain for up to `graceMs`, then force. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.health.setStatus("", "NOT_SERVING");
    this.health.setStatus(SERVICE_NAME, "NOT_SERVING");
    await new Promise<void>((done) => {
      const timer = setTimeout(() => {
        this.log.warn({ graceMs }, "calls still running after the grace period; forcing shutdown");
        this.grpc.forceShutdown();
        done();
      }, graceMs);
      this.grpc.tryShutdown(() => {
        clearTimeout(timer);
        done();
      });
    });
  }
}

/** The raw bytes of each FileDescriptorProto in a FileDescriptorSet (field 1, repeated). */
function splitDescriptorSet(set: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(set);
  const files: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType);
  }
  return files;
}

/** grpc-js writes its own diagnostics to stderr; send them to the structured log instead. */
function routeGrpcLogs(log: Logger): void {
  setLogVerbosity(logVerbosity.ERROR);
  const write = (...args: unknown[]) => log.debug({ source: "grpc-js" }, args.map(String).join(" "));
  setLogger({ error: write, info: write, debug: write });
}

function unixPath(address: string): string | undefined {
  if (address.startsWith("unix://")) return address.slice("unix://".length);
  if (address.startsWith("unix:")) return address.slice("unix:".length);
  return undefined;
}

/** A socket file left by a killed server would make bind fail; sockets are safe to remove. */
function removeStaleSocket(path: string): void {
  if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
}

/** Whether an address only accepts connections from this machine. */
export function isLocalAddress(address: string): boolean {
  if (unixPath(address) !== undefined) return true;
  const host = address.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
