/**
 * Assembles a running Parzen: lock and open the database, build the service
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
import { type Durability, openSqliteStore } from "./store/sqlite/open.js";
import { TokenSet } from "./server/auth.js";
import { isLocalAddress, ParzenServer, type TlsMaterial } from "./server/server.js";

export type { Durability };

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle: when set, clients must present a certificate it signed (mutual TLS). */
  clientCaFile?: string;
}

export interface ParzenConfig {
  db: string;
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
  tokens?: readonly string[];
  durability?: Durability;
  now?: () => number;
  runner?: AlgorithmRunner;
  /** Worker threads for offloaded algorithms (GP). */
  algorithmThreads?: number;
  /** Prefetch a lone worker's next suggestion after its Report (service/prefetch.ts); default true. */
  prefetch?: boolean;
}

export interface RunningParzen {
  readonly address: string;
  readonly optimizer: Optimizer;
  stop(graceMs?: number): Promise<void>;
}

export async function startParzen(config: ParzenConfig): Promise<RunningParzen> {
  const log = config.logger ?? pino({ level: "info" });
  const tls = config.tls === undefined ? undefined : readTls(config.tls);
  const tokens = config.tokens === undefined || config.tokens.length === 0 ? undefined : new TokenSet(config.tokens);
  if (!isLocalAddress(config.listen)) {
    if (tls === undefined && tokens === undefined && !config.allowRemote) {
      throw new ParzenError(
        "FAILED_PRECONDITION",
        `refusing to listen on ${config.listen} without authentication or TLS; use a loopback address or a ` +
          "unix socket, configure TLS (--tls-cert, --tls-key) and/or bearer tokens (--tokens-file, PARZEN_TOKENS), " +
          "or pass --allow-remote",
      );
    }
    if (tls === undefined && tokens !== undefined)
      log.warn({ listen: config.listen }, "bearer tokens will cross the network in clear text: configure TLS too");
  }
  const limits: Partial<ServiceLimits> = { ...config.limits };
  if (config.spaceLimits !== undefined)
    limits.space = { ...DEFAULT_SPACE_LIMITS, ...config.limits?.space, ...config.spaceLimits };
  const store = await openSqliteStore({ path: config.db, durability: config.durability, log });
  const runner = config.runner ?? new WorkerRunner(config.algorithmThreads ?? 1);
  // An answer must also fit the server's own message limit, when that is set below what clients accept.
  if (config.maxMessageBytes !== undefined && limits.maxAnswerBytes === undefined)
    limits.maxAnswerBytes = Math.min(DEFAULT_LIMITS.maxAnswerBytes, config.maxMessageBytes - 1024);
  const optimizer = new Optimizer({ store, runner, now: config.now, limits, prefetch: config.prefetch });
  const server = new ParzenServer(optimizer, log, { maxMessageBytes: config.maxMessageBytes, tls, tokens });
  let address: string;
  try {
    address = await server.listen(config.listen);
  } catch (err) {
    await store.close();
    throw err;
  }
  log.info(
    {
      address,
      db: config.db,
      tls: tls !== undefined,
      mutualTls: tls?.clientCa !== undefined,
      tokens: tokens?.size ?? 0,
      durability: config.durability ?? "normal",
    },
    "listening",
  );
  let stopping: Promise<void> | undefined;
  return {
    address,
    optimizer,
    stop(graceMs?: number) {
      stopping ??= (async () => {
        await server.stop(graceMs);
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
