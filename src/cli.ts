#!/usr/bin/env node
/**
 * The `parzen` command. `parzen serve` runs the server until SIGTERM/SIGINT,
 * then shuts down gracefully. Start-up problems (bad database path, port in
 * use, newer schema) end the process with one clear line and exit code 1.
 */
import { Command, Option } from "commander";
import pino from "pino";
import { startParzen } from "./app.js";
import { ParzenError } from "./errors.js";

const program = new Command();
program.name("parzen").description("Hyperparameter optimisation service (TPE, random, GP) over gRPC");

program
  .command("serve")
  .description("run the gRPC server")
  .addOption(new Option("--db <path>", "SQLite database file").env("PARZEN_DB").default("./parzen.db"))
  .addOption(
    new Option("--listen <address>", "host:port (port 0 picks a free port) or unix:///path.sock").env("PARZEN_LISTEN").default("127.0.0.1:50051"),
  )
  .addOption(new Option("--log-level <level>", "fatal, error, warn, info, debug or trace").env("PARZEN_LOG_LEVEL").default("info"))
  .addOption(new Option("--allow-remote", "allow a non-loopback address without TLS or tokens").env("PARZEN_ALLOW_REMOTE").default(false))
  .addOption(new Option("--max-message-bytes <n>", "largest request or response accepted").env("PARZEN_MAX_MESSAGE_BYTES").argParser(positiveInt))
  .addOption(new Option("--algorithm-threads <n>", "worker threads for slow algorithms (GP)").env("PARZEN_ALGORITHM_THREADS").default(1).argParser(positiveInt))
  .addOption(new Option("--grace-seconds <n>", "how long shutdown waits for calls in flight").env("PARZEN_GRACE_SECONDS").default(10).argParser(positiveInt))
  .action(async (opts: { db: string; listen: string; logLevel: string; allowRemote: boolean; maxMessageBytes?: number; graceSeconds: number; algorithmThreads: number }) => {
    const log = pino({ level: opts.logLevel });
    const running = await startParzen({
      db: opts.db,
      listen: opts.listen,
      logger: log,
      allowRemote: opts.allowRemote,
      maxMessageBytes: opts.maxMessageBytes,
      algorithmThreads: opts.algorithmThreads,
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

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`expected a positive integer, got ${v}`);
  return n;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof ParzenError ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`parzen: ${message}\n`);
  process.exit(1);
});
