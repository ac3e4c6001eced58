/**
 * Assembles a running Parzen: lock and open the database (SQLite or PostgreSQL), build the service
 * and the gRPC server, listen. Used by the CLI and by the integration tests,
 * so both run exactly the same wiring. Also the one place that decides
 * whether an address may be served at all: a non-loopback TCP address needs
 * TLS or bearer tokens, unless the operator explicitly allows it.
 */
import { readFileSync } from "node:fs";
import pino, { type Logger } from "pino";
import { ParzenError } from "./errors.js";
import { DEFAULT_SPACE_LIMITS, type SpaceLimits } from "./space/compile.js";
import type { AlgorithmRunner } from "./service/runners/algorithm-runner.js";
import { WorkerRunner } from "./service/runners/worker-runner.js";
import { Optimizer } from "./service/use-cases/optimizer.js";
import { DEFAULT_LIMITS, type ServiceLimits } from "./service/use-cases/limits.js";
import { type Durability, openStore } from "./store/open.js";
import { redact } from "./store/db-url.js";
import { type TokenEntry, TokenSet } from "./server/auth.js";
import type { ConnectionLimits } from "./server/connections.js";
import { isLocalAddress, ParzenServer, type ServerDiagnostics, type TlsMaterial } from "./server/server.js";
import { callObserver } from "./server/call-observer.js";
import { defaultWebRoot } from "./http/assets.js";
import { HttpListener } from "./http/http-server.js";
import { Metrics } from "./metrics/metrics.js";
import { TimedRunner } from "./metrics/timed-runner.js";
import { RETRY_OF } from "./service/use-cases/retry-lost.js";

export type { Durability };

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle: when set, clients must present a certificate it signed (mutual TLS). */
  clientCaFile?: string;
}

export interface ParzenConfig {
  /** A SQLite file path or a postgres:// URL (store/open.ts). */
  db: string;
  /** PostgreSQL: connections in the pool. */
  dbPoolSize?: number;
  /** PostgreSQL: how long a call waits for an experiment's lock held by another server before UNAVAILABLE. */
  dbLockTimeoutMs?: number;
  listen: string;
  logger?: Logger;
  /** Allow a non-loopback TCP address without transport security. */
  allowRemote?: boolean;
  maxMessageBytes?: number;
  limits?: Partial<ServiceLimits>;
  /** Overrides of the search-space limits (parameters, nesting depth, ...). */
  spaceLimits?: Partial<SpaceLimits>;
  tls?: TlsFiles;
  /** Bearer tokens; when given, every call but the health check must carry one. */
  tokens?: readonly (string | TokenEntry)[];
  durability?: Durability;
  now?: () => number;
  runner?: AlgorithmRunner;
  /** Worker threads for offloaded algorithms (GP). */
  algorithmThreads?: number;
  /** Prefetch a lone worker's next suggestion after its Report (service/use-cases/suggest.ts); default true. */
  prefetch?: boolean;
  /** HTTP listener (dashboard, /metrics, /healthz, /readyz): "host:port" or "off"; default off here (the CLI's is 127.0.0.1:8080). */
  http?: string;
  /**
   * Whether `http` was chosen by the operator: then failing to bind it is a start-up error; otherwise (the
   * default address) a taken port only costs the dashboard, with a warning. Default true.
   */
  httpExplicit?: boolean;
  /** Prometheus metrics (/metrics); default true. */
  metrics?: boolean;
  /** Directory of the built dashboard; default dist/web (src/http/assets.ts). */
  webRoot?: string;
  /** Concurrent StreamTrials calls allowed server-wide; default 256. */
  maxStreams?: number;
  /** Idle timeout, keepalive, connection age and streams per connection; defaults in server/connections.ts. */
  connections?: Partial<ConnectionLimits>;
}

export interface RunningParzen {
  readonly address: string;
  /** The HTTP listener's address, undefined when it is off (or its default port was taken). */
  readonly httpAddress: string | undefined;
  readonly optimizer: Optimizer;
  /** The gRPC layer's own figures (open streams). */
  diagnostics(): ServerDiagnostics;
  /** Resolves once at most `atMost` StreamTrials calls are open. */
  streamsIdle(atMost?: number): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

export async function startParzen(config: ParzenConfig): Promise<RunningParzen> {
  const log = config.logger ?? pino({ level: "info" });
  const tls = config.tls === undefined ? undefined : readTls(config.tls);
  const tokens = config.tokens === undefined || config.tokens.length === 0 ? undefined : new TokenSet(config.tokens);
  const http = config.http === undefined || config.http === "off" ? undefined : config.http;
  for (const listen of http === undefined ? [config.listen] : [config.listen, http]) {
    if (isLocalAddress(listen)) continue;
    if (tls === undefined && tokens === undefined && !config.allowRemote) {
      throw new ParzenError(
        "FAILED_PRECONDITION",
        `refusing to listen on ${listen} without authentication or TLS; use a loopback address or a ` +
          "unix socket, configure TLS (--tls-cert, --tls-key) and/or bearer tokens (--tokens-file, PARZEN_TOKENS), " +
          "or pass --allow-remote",
      );
    }
    if (tls === undefined && tokens !== undefined)
      log.warn({ listen }, "bearer tokens will cross the network in clear text: configure TLS too");
  }
  const metrics = config.metrics === false ? undefined : new Metrics();
  const limits: Partial<ServiceLimits> = { ...config.limits };
  if (config.spaceLimits !== undefined)
    limits.space = { ...DEFAULT_SPACE_LIMITS, ...config.limits?.space, ...config.spaceLimits };
  const store = await openStore(config.db, {
    durability: config.durability,
    log,
    poolSize: config.dbPoolSize,
    lockTimeoutMs: config.dbLockTimeoutMs,
  });
  if (metrics !== undefined) store.onCommit?.((seconds, units) => metrics.commit(seconds, units));
  // An answer must also fit the server's own message limit, when that is set below what clients accept.
  if (config.maxMessageBytes !== undefined && limits.maxAnswerBytes === undefined)
    limits.maxAnswerBytes = Math.min(DEFAULT_LIMITS.maxAnswerBytes, config.maxMessageBytes - 1024);
  const baseRunner = config.runner ?? new WorkerRunner(config.algorithmThreads ?? 1);
  const runner = metrics === undefined ? baseRunner : new TimedRunner(baseRunner, metrics);
  const optimizer = new Optimizer({
    store,
    runner,
    now: config.now,
    limits,
    prefetch: config.prefetch,
    observeTrials: metrics && ((_exp, t, from) => metrics.trial(t.state, from, t.userAttrs[RETRY_OF] !== undefined)),
  });
  const server = new ParzenServer(optimizer, log, {
    maxMessageBytes: config.maxMessageBytes,
    tls,
    tokens,
    interceptors: [callObserver(log, metrics)],
    maxStreams: config.maxStreams,
    connections: config.connections,
  });
  store.writes?.onChange((writable) => server.setWritable(writable));
  if (metrics !== undefined && store.feed !== undefined)
    metrics.feed(
      () => optimizer.feedStats,
      () => store.feed?.roundTrips,
    );
  let address: string;
  let httpListener: HttpListener | undefined;
  let httpAddress: string | undefined;
  try {
    address = await server.listen(config.listen);
    if (http !== undefined) {
      httpListener = new HttpListener({
        reads: optimizer.reads,
        log,
        metrics,
        tokens,
        tls,
        webRoot: config.webRoot ?? defaultWebRoot(),
        writable: () => store.writes?.writable ?? true,
      });
      try {
        httpAddress = await httpListener.listen(http);
      } catch (err) {
        if (config.httpExplicit !== false) throw err;
        log.warn(
          { http, reason: (err as Error).message },
          "the dashboard's default HTTP address is taken (another server or a notebook?): serving gRPC without " +
            "the dashboard and /metrics; choose one with --http host:port (port 0 picks a free one) or --http off",
        );
        httpListener = undefined;
      }
    }
  } catch (err) {
    await server.stop(0);
    await runner.close();
    await store.close();
    throw err;
  }
  log.info(
    {
      address,
      db: redact(config.db),
      tls: tls !== undefined,
      mutualTls: tls?.clientCa !== undefined,
      tokens: tokens?.size ?? 0,
      durability: config.durability ?? "normal",
      http: httpAddress,
    },
    "listening",
  );
  if (httpListener !== undefined && httpAddress !== undefined)
    log.info({ url: `${httpListener.scheme}://${httpAddress}/` }, "dashboard");
  let stopping: Promise<void> | undefined;
  return {
    address,
    httpAddress,
    optimizer,
    diagnostics: () => server.diagnostics(),
    streamsIdle: (atMost?: number) => server.streamsIdle(atMost),
    stop(graceMs?: number) {
      stopping ??= (async () => {
        await Promise.all([server.stop(graceMs), httpListener?.stop()]);
        await optimizer.close();
        await runner.close();
        await store.close();
        log.info("stopped");
      })();
      return stopping;
    },
  };
}

function readTls(files: TlsFiles): TlsMaterial {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ParzenError("FAILED_PRECONDITION", `cannot read ${what} ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  return {
    cert: read("TLS certificate", files.certFile),
    key: read("TLS key", files.keyFile),
    clientCa: files.clientCaFile === undefined ? undefined : read("TLS client CA", files.clientCaFile),
  };
}
