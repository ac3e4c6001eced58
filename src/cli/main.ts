#!/usr/bin/env node
/**
 * The `parzen` command. `parzen serve` runs the server until SIGTERM/SIGINT,
 * then shuts down gracefully. Start-up problems (bad database path, port in
 * use, newer schema, unreadable TLS files) end the process with one clear
 * line and exit code 1. Every option also reads a PARZEN_* environment
 * variable; bearer tokens come only from a file or PARZEN_TOKENS, never from
 * argv (visible to every user through `ps`).
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import pino, { stdTimeFunctions } from "pino";
import { startParzen, type Durability } from "../app.js";
import { applyHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT } from "./heap-growth.js";
import { addHealthCommand } from "./health-command.js";
import { addBestCommand } from "./best-command.js";
import { addHistoryCommands } from "./history-commands.js";
import { checkListenAddress } from "./listen-address.js";
import { addExperimentCommands } from "./experiment-commands.js";
import { addDatabaseCommands } from "./db-commands.js";
import { ParzenError } from "../errors.js";
import { loadTokens } from "../server/auth.js";
import { DEFAULT_CONNECTION_LIMITS } from "../server/connections.js";
import { DEFAULT_MAX_STREAMS } from "../server/stream-gate.js";
import { DEFAULT_SPACE_LIMITS } from "../space/compile.js";
import { DEFAULT_LIMITS } from "../service/use-cases/limits.js";

const program = new Command();
program
  .name("parzen")
  .description("Hyperparameter optimisation service (TPE, random, GP) over gRPC")
  .version(packageVersion(), "-V, --version", "print the version of Parzen");

program
  .command("serve")
  .description("run the gRPC server and the HTTP dashboard")
  .addOption(
    new Option("--db <path-or-url>", "SQLite database file, or a postgres:// (postgresql://) URL")
      .env("PARZEN_DB")
      .default("./parzen.db"),
  )
  .addOption(
    new Option("--db-pool-size <n>", "PostgreSQL: connections in the pool")
      .env("PARZEN_DB_POOL_SIZE")
      .default(10)
      .argParser(positiveInt),
  )
  .addOption(
    new Option(
      "--db-lock-timeout-seconds <n>",
      "PostgreSQL: how long a call waits for an experiment's lock held by another server before UNAVAILABLE",
    )
      .env("PARZEN_DB_LOCK_TIMEOUT_SECONDS")
      .default(10)
      .argParser(positiveInt),
  )
  .addOption(
    new Option("--listen <address>", "host:port (port 0 picks a free port) or unix:///path.sock")
      .env("PARZEN_LISTEN")
      .default("127.0.0.1:50051")
      .argParser(checkListenAddress),
  )
  .addOption(
    new Option(
      "--http <address>",
      'dashboard, /metrics, /healthz and /readyz: host:port (port 0 picks a free port) or "off"',
    )
      .env("PARZEN_HTTP")
      .default("127.0.0.1:8080"),
  )
  .addOption(new Option("--no-metrics", "do not collect Prometheus metrics (/metrics)").env("PARZEN_NO_METRICS"))
  .addOption(
    new Option("--log-level <level>", "fatal, error, warn, info, debug or trace")
      .env("PARZEN_LOG_LEVEL")
      .default("info"),
  )
  .addOption(
    new Option("--log-time <format>", "timestamps in log lines: epoch (milliseconds) or iso")
      .env("PARZEN_LOG_TIME")
      .choices(["epoch", "iso"])
      .default("epoch"),
  )
  .addOption(
    new Option("--allow-remote", "allow a non-loopback address without TLS or tokens")
      .env("PARZEN_ALLOW_REMOTE")
      .default(false),
  )
  .addOption(
    new Option("--max-message-bytes <n>", "largest request or response accepted")
      .env("PARZEN_MAX_MESSAGE_BYTES")
      .argParser(positiveInt),
  )
  .addOption(
    new Option("--algorithm-threads <n>", "worker threads for slow algorithms (GP)")
      .env("PARZEN_ALGORITHM_THREADS")
      .default(1)
      .argParser(positiveInt),
  )
  .addOption(
    new Option("--grace-seconds <n>", "how long shutdown waits for calls in flight")
      .env("PARZEN_GRACE_SECONDS")
      .default(10)
      .argParser(positiveInt),
  )
  .addOption(
    new Option(
      "--durability <level>",
      "normal: survives process crashes (kill -9); full: also power loss, slower writes",
    )
      .env("PARZEN_DURABILITY")
      .choices(["normal", "full"])
      .default("normal"),
  )
  .addOption(new Option("--tls-cert <file>", "PEM certificate chain: serve TLS").env("PARZEN_TLS_CERT"))
  .addOption(new Option("--tls-key <file>", "PEM private key of --tls-cert").env("PARZEN_TLS_KEY"))
  .addOption(
    new Option("--tls-client-ca <file>", "PEM CA bundle: require client certificates it signed (mutual TLS)").env(
      "PARZEN_TLS_CLIENT_CA",
    ),
  )
  .addOption(
    new Option(
      "--tokens-file <file>",
      "bearer tokens, one per line: every call but the health check needs one (also PARZEN_TOKENS)",
    ).env("PARZEN_TOKENS_FILE"),
  )
  .addOption(
    limit(
      "--max-parameters <n>",
      "parameters per search space",
      "PARZEN_MAX_PARAMETERS",
      DEFAULT_SPACE_LIMITS.maxParameters,
    ),
  )
  .addOption(
    limit(
      "--max-nesting-depth <n>",
      "levels of conditional parameters",
      "PARZEN_MAX_NESTING_DEPTH",
      DEFAULT_SPACE_LIMITS.maxDepth,
    ),
  )
  .addOption(
    limit(
      "--max-choice-options <n>",
      "options per choice parameter",
      "PARZEN_MAX_CHOICE_OPTIONS",
      DEFAULT_SPACE_LIMITS.maxChoiceOptions,
    ),
  )
  .addOption(
    limit(
      "--max-suggest-count <n>",
      "trials per Suggest call",
      "PARZEN_MAX_SUGGEST_COUNT",
      DEFAULT_LIMITS.maxSuggestCount,
    ),
  )
  .addOption(
    limit("--max-page-size <n>", "trials per ListTrials page", "PARZEN_MAX_PAGE_SIZE", DEFAULT_LIMITS.maxPageSize),
  )
  .addOption(
    limit("--max-enqueue <n>", "configurations per Enqueue call", "PARZEN_MAX_ENQUEUE", DEFAULT_LIMITS.maxEnqueue),
  )
  .addOption(limit("--max-import <n>", "trials per AddTrials call", "PARZEN_MAX_IMPORT", DEFAULT_LIMITS.maxImport))
  .addOption(
    new Option("--idle-timeout-seconds <n>", "close connections without a call in flight for this long")
      .env("PARZEN_IDLE_TIMEOUT_SECONDS")
      .default(DEFAULT_CONNECTION_LIMITS.idleTimeoutMs / 1000)
      .argParser(positiveInt),
  )
  .addOption(
    new Option("--keepalive-seconds <n>", "ping each client this often; close the connection if it does not answer")
      .env("PARZEN_KEEPALIVE_SECONDS")
      .default(DEFAULT_CONNECTION_LIMITS.keepaliveMs / 1000)
      .argParser(positiveInt),
  )
  .addOption(
    new Option("--max-connection-age-seconds <n>", "close connections gracefully after this long (0: never)")
      .env("PARZEN_MAX_CONNECTION_AGE_SECONDS")
      .default(0)
      .argParser(nonNegativeInt),
  )
  .addOption(
    limit(
      "--max-streams-per-connection <n>",
      "concurrent calls on one connection",
      "PARZEN_MAX_STREAMS_PER_CONNECTION",
      DEFAULT_CONNECTION_LIMITS.maxStreamsPerConnection,
    ),
  )
  .addOption(
    limit("--max-streams <n>", "concurrent StreamTrials calls, server-wide", "PARZEN_MAX_STREAMS", DEFAULT_MAX_STREAMS),
  )
  .addOption(
    new Option(
      "--cache-trials <n>",
      "trials kept in memory across experiments; idle experiments beyond it reload from the database when used",
    )
      .env("PARZEN_CACHE_TRIALS")
      .default(DEFAULT_LIMITS.cacheTrials)
      .argParser(positiveInt),
  )
  .addOption(
    new Option(
      "--heap-growth <percent>",
      "how far the JavaScript heap may grow past its live data before a full garbage collection (0: V8's default, tuned for throughput, not footprint)",
    )
      .env("PARZEN_HEAP_GROWTH")
      .default(DEFAULT_HEAP_GROWTH_PERCENT)
      .argParser(nonNegativeInt),
  )
  .addOption(
    new Option(
      "--no-prefetch",
      "do not compute a lone worker's next suggestion while it handles its Report's answer (suggestions are the same either way)",
    ).env("PARZEN_NO_PREFETCH"),
  )
  .action(async (opts: ServeOptions, command: Command) => {
    const log = pino({ level: opts.logLevel, timestamp: opts.logTime === "iso" ? stdTimeFunctions.isoTime : true });
    applyHeapGrowth(opts.heapGrowth);
    if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
      throw new ParzenError("FAILED_PRECONDITION", "--tls-cert and --tls-key go together");
    if (opts.tlsClientCa !== undefined && opts.tlsCert === undefined)
      throw new ParzenError("FAILED_PRECONDITION", "--tls-client-ca needs --tls-cert and --tls-key");
    const running = await startParzen({
      db: opts.db,
      dbPoolSize: opts.dbPoolSize,
      dbLockTimeoutMs: opts.dbLockTimeoutSeconds * 1000,
      listen: opts.listen,
      http: opts.http,
      httpExplicit: command.getOptionValueSource("http") !== "default",
      metrics: opts.metrics,
      logger: log,
      allowRemote: opts.allowRemote,
      maxMessageBytes: opts.maxMessageBytes,
      algorithmThreads: opts.algorithmThreads,
      prefetch: opts.prefetch,
      maxStreams: opts.maxStreams,
      connections: {
        idleTimeoutMs: opts.idleTimeoutSeconds * 1000,
        keepaliveMs: opts.keepaliveSeconds * 1000,
        maxAgeMs: opts.maxConnectionAgeSeconds * 1000,
        maxStreamsPerConnection: opts.maxStreamsPerConnection,
      },
      durability: opts.durability,
      tls:
        opts.tlsCert === undefined || opts.tlsKey === undefined
          ? undefined
          : { certFile: opts.tlsCert, keyFile: opts.tlsKey, clientCaFile: opts.tlsClientCa },
      tokens: loadTokens(opts.tokensFile, process.env.PARZEN_TOKENS),
      limits: {
        maxSuggestCount: opts.maxSuggestCount,
        maxPageSize: opts.maxPageSize,
        maxEnqueue: opts.maxEnqueue,
        maxImport: opts.maxImport,
        cacheTrials: opts.cacheTrials,
      },
      spaceLimits: {
        maxParameters: opts.maxParameters,
        maxDepth: opts.maxNestingDepth,
        maxChoiceOptions: opts.maxChoiceOptions,
      },
    });
    const shutdown = (signal: string) => {
      log.info({ signal }, "shutting down");
      running.stop(opts.graceSeconds * 1000).then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });

interface ServeOptions {
  db: string;
  dbPoolSize: number;
  dbLockTimeoutSeconds: number;
  listen: string;
  http: string;
  metrics: boolean;
  logLevel: string;
  logTime: "epoch" | "iso";
  allowRemote: boolean;
  maxMessageBytes?: number;
  graceSeconds: number;
  algorithmThreads: number;
  durability: Durability;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tokensFile?: string;
  maxParameters: number;
  maxNestingDepth: number;
  maxChoiceOptions: number;
  maxSuggestCount: number;
  maxPageSize: number;
  maxEnqueue: number;
  maxImport: number;
  maxStreams: number;
  idleTimeoutSeconds: number;
  keepaliveSeconds: number;
  maxConnectionAgeSeconds: number;
  maxStreamsPerConnection: number;
  cacheTrials: number;
  heapGrowth: number;
  prefetch: boolean;
}

/** The version in the package.json beside src/ or dist/ (the same file from a checkout and an installed package). */
function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return typeof pkg === "object" && pkg !== null && "version" in pkg ? String(pkg.version) : "unknown";
}

function limit(flags: string, what: string, env: string, dflt: number): Option {
  return new Option(flags, `most ${what} accepted`).env(env).default(dflt).argParser(positiveInt);
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`expected a positive integer, got ${v}`);
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${v}`);
  return n;
}

// Piped into `head`, stdout closes early: that ends the command quietly, as for any Unix tool.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

addHistoryCommands(program);
addBestCommand(program);
addExperimentCommands(program);
addHealthCommand(program);
addDatabaseCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof ParzenError ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`parzen: ${message}\n`);
  process.exit(1);
});
