/**
 * One server per PostgreSQL database, for now. The store can serve several
 * servers (every unit locks its experiment and bumps its version; the change
 * feed says what others wrote), but the service does not yet pull other
 * servers' changes before it computes from its in-memory history, so two
 * servers would hand out the same trial numbers and enqueued trials. Until
 * it does, a server holds a session-level advisory lock on a reserved
 * connection, and a second server on the same database refuses to start.
 * PostgreSQL releases the lock when that connection ends, also when the
 * server is killed (its socket closes).
 */
import { ParzenError } from "../../errors.js";
import { PARZEN_LOCKS, redact, type Sql } from "./connect.js";

/** Advisory lock (PARZEN_LOCKS, 1): the serving server's. */
const SERVER_LOCK = 1;

export interface ServerLock {
  release(): Promise<void>;
}

export async function acquireServerLock(sql: Sql, url: string): Promise<ServerLock> {
  const conn = await sql.reserve();
  let got = false;
  try {
    const [r] = await conn`SELECT pg_try_advisory_lock(${PARZEN_LOCKS}, ${SERVER_LOCK}) AS got`;
    got = r?.got === true;
  } finally {
    if (!got) conn.release();
  }
  if (!got) {
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `database ${redact(url)} is in use by another Parzen server; stop it or use another database ` +
        "(several servers on one database are not supported yet)",
    );
  }
  return {
    async release() {
      try {
        await conn`SELECT pg_advisory_unlock(${PARZEN_LOCKS}, ${SERVER_LOCK})`;
      } finally {
        conn.release();
      }
    },
  };
}
