/**
 * Assembles a running Parzen: lock and open the database, build the service
 * and the gRPC server, listen. Used by the CLI and by the integration tests,
 * so both run exactly the same wiring.
 */
import pino, { type Logger } from "pino";
import { ParzenError } from "./errors.js";
import type { AlgorithmRunner } from "./service/algorithm-runner.js";
import { WorkerRunner } from "./service/worker-runner.js";
import { Optimizer, type ServiceLimits } from "./service/optimizer.js";
import { checkDatabaseDirectory, openDatabase } from "./store/database.js";
import { acquireProcessLock } from "./store/process-lock.js";
import { Store } from "./store/store.js";
import { isLocalAddress, ParzenServer } from "./server/server.js";

export interface ParzenConfig {
  db: string;
  listen: string;
  logger?: Logger;
  /** Allow a non-loopback TCP address without transport security. */
  allowRemote?: boolean;
  maxMessageBytes?: number;
  limits?: Partial<ServiceLimits>;
  now?: () => number;
  runner?: AlgorithmRunner;
  /** Worker threads for offloaded algorithms (GP). */
  algorithmThreads?: number;
}

export interface RunningParzen {
  readonly address: string;
  readonly optimizer: Optimizer;
  stop(graceMs?: number): Promise<void>;
}

export async function startParzen(config: ParzenConfig): Promise<RunningParzen> {
  const log = config.logger ?? pino({ level: "info" });
  if (!isLocalAddress(config.listen) && !config.allowRemote) {
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `refusing to listen on ${config.listen} without authentication or TLS; use a loopback address or a unix socket, or pass --allow-remote`,
    );
  }
  checkDatabaseDirectory(config.db);
  const lock = acquireProcessLock(config.db);
  let db;
  try {
    db = openDatabase(config.db);
  } catch (err) {
    lock.release();
    throw err;
  }
  const runner = config.runner ?? new WorkerRunner(config.algorithmThreads ?? 1);
  const optimizer = new Optimizer({ store: new Store(db), runner, now: config.now, limits: config.limits });
  const server = new ParzenServer(optimizer, log, { maxMessageBytes: config.maxMessageBytes });
  let address: string;
  try {
    address = await server.listen(config.listen);
  } catch (err) {
    db.close();
    lock.release();
    throw err;
  }
  log.info({ address, db: config.db }, "listening");
  let stopping: Promise<void> | undefined;
  return {
    address,
    optimizer,
    stop(graceMs?: number) {
      stopping ??= (async () => {
        await server.stop(graceMs);
        await runner.close();
        db.close();
        lock.release();
        log.info("stopped");
      })();
      return stopping;
    },
  };
}
