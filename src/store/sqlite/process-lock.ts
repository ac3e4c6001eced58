/**
 * One server per database file. The in-memory history cache is only correct
 * while a single process writes the file, so a second server must refuse to
 * start. The lock is an exclusive SQLite lock on "<db>.lock": the operating
 * system releases it when the holder dies, even by kill -9, so there are no
 * stale lock files to clean up.
 */
import Database from "better-sqlite3";
import { ParzenError } from "../../errors.js";

export interface ProcessLock {
  release(): void;
}

export function acquireProcessLock(dbPath: string): ProcessLock {
  if (dbPath === ":memory:") return { release: () => {} };
  const lockPath = `${dbPath}.lock`;
  const lock = new Database(lockPath, { timeout: 0 });
  try {
    lock.pragma("journal_mode = DELETE");
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER)");
    lock.exec("BEGIN EXCLUSIVE");
    lock.prepare("DELETE FROM holder").run();
    lock.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
    lock.exec("COMMIT");
  } catch (err) {
    lock.close();
    const busy = (err as { code?: string }).code?.startsWith("SQLITE_BUSY") ?? false;
    throw new ParzenError(
      "FAILED_PRECONDITION",
      busy
        ? `database ${dbPath} is in use by another Parzen server (lock ${lockPath}); stop it or use another --db`
        : `cannot lock ${lockPath}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { release: () => lock.close() };
}
