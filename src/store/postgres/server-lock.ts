/**
 * One server per PostgreSQL database, for now. The store can serve several
 * servers (every unit locks its experiment and bumps its version; the change
 * feed says what others wrote), but the service does not yet pull other
 * servers' changes before it computes from its in-memory history, so two
 * servers would hand out the same trial numbers and enqueued trials. Until
 * it does, a server holds a session-level advisory lock on a connection of
 * its own, and a second server on the same database refuses to start.
 * PostgreSQL releases the lock when that connection ends, also when the
 * server is killed (its socket closes).
 *
 * When the lock's connection breaks (a database restart, a network cut),
 * the lock is gone: `ensure`, called before every write, takes it again on
 * a new connection, and tells `onRegained` listeners, because another server
 * may have written in between (the service then drops what it holds in
 * memory and reloads). If another server holds it now, writes fail with
 * UNAVAILABLE instead of writing beside it.
 */
import type pg from "pg";
import { ParzenError } from "../../errors.js";
import { isConnectionError, PARZEN_LOCKS, type Pool, redact } from "./connect.js";

/** Advisory lock (PARZEN_LOCKS, 1): the serving server's. */
const SERVER_LOCK = 1;

export class ServerLock {
  private client: pg.PoolClient | undefined;
  private taking: Promise<void> | undefined;
  private readonly regained: (() => void)[] = [];

  private constructor(
    private readonly pool: Pool,
    private readonly url: string,
  ) {}

  static async acquire(pool: Pool, url: string): Promise<ServerLock> {
    const lock = new ServerLock(pool, url);
    await lock.take();
    return lock;
  }

  onRegained(listener: () => void): void {
    this.regained.push(listener);
  }

  /** Resolves when this server holds the lock (at once, usually); rejects with UNAVAILABLE if it cannot. */
  ensure(): Promise<void> {
    if (this.client !== undefined) return Promise.resolve();
    this.taking ??= this.take().then(
      () => {
        this.taking = undefined;
        for (const listener of this.regained) listener();
      },
      (err: unknown) => {
        this.taking = undefined;
        throw err instanceof ParzenError && err.code === "FAILED_PRECONDITION"
          ? new ParzenError("UNAVAILABLE", `${err.message}; this server lost its lock on the database`)
          : err;
      },
    );
    return this.taking;
  }

  async release(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c === undefined) return;
    try {
      await c.query("SELECT pg_advisory_unlock($1, $2)", [PARZEN_LOCKS, SERVER_LOCK]);
      c.release();
    } catch (err) {
      c.release(err as Error);
    }
  }

  private async take(): Promise<void> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw isConnectionError(err)
        ? new ParzenError("UNAVAILABLE", `cannot reach the database: ${(err as Error).message}`, { cause: err })
        : err;
    }
    let got = false;
    try {
      const { rows } = await c.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS got", [
        PARZEN_LOCKS,
        SERVER_LOCK,
      ]);
      got = rows[0]?.got === true;
    } catch (err) {
      c.release(err as Error);
      throw isConnectionError(err)
        ? new ParzenError("UNAVAILABLE", `cannot reach the database: ${(err as Error).message}`, { cause: err })
        : err;
    }
    if (!got) {
      c.release();
      throw new ParzenError(
        "FAILED_PRECONDITION",
        `database ${redact(this.url)} is in use by another Parzen server; stop it or use another database ` +
          "(several servers on one database are not supported yet)",
      );
    }
    c.on("error", () => {
      // The connection, and with it the lock, is gone; the next write takes it again.
      if (this.client !== c) return;
      this.client = undefined;
      c.release(new Error("lock connection lost"));
    });
    this.client = c;
  }
}
