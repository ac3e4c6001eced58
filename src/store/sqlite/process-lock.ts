/**
 * One server per database file. The in-memory history cache is only correct
 * while a single process writes the file, so a second server must refuse to
 * start, whatever path reaches the file: a symlink, a relative path, a hard
 * link, a bind mount.
 *
 * The lock that follows the file is SQLite's own: every connection to a WAL
 * database holds a shared POSIX lock on the database file for as long as it
 * is open, and POSIX locks belong to the file (device and inode), not to the
 * path. So before opening, a probe connection asks for an exclusive lock on
 * the file; it gets one only when no other connection, in any process, has
 * the file open. The probe changes nothing in the file (not even its journal
 * mode) and costs writes nothing: the lock that keeps others out afterwards
 * is the shared one the serving connections hold anyway.
 *
 * "<db>.lock" (beside the file's real path) still serializes two servers
 * starting at the same moment, which the probe alone would let through, and
 * records the holder's pid for the message. A database with more than one
 * hard link is refused: SQLite names the WAL after the path it opened, so
 * two names would mean two WALs for one file, and a crash under one name
 * would hide committed transactions from a server started under the other.
 */
import Database from "better-sqlite3";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ParzenError } from "../../errors.js";

export interface ProcessLock {
  release(): void;
}

export function acquireProcessLock(dbPath: string): ProcessLock {
  if (dbPath === ":memory:") return { release: () => {} };
  const real = realPath(dbPath);
  const lockPath = `${real}.lock`;
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
    if (busy(err)) throw inUse(dbPath, real, holderFromLockFile(lockPath));
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `database ${dbPath} cannot be locked: its lock file ${lockPath} cannot be written (${(err as Error).message})`,
      { cause: err },
    );
  }
  try {
    probeFile(dbPath, real);
  } catch (err) {
    lock.close();
    throw err;
  }
  return { release: () => lock.close() };
}

/** The file's real path (symlinks resolved); for a file not created yet, its real directory and its name. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return join(realpathSync(dirname(path)), basename(path));
  }
}

/** Refuses the file if any connection anywhere has it open, or if it has several names. */
function probeFile(dbPath: string, real: string): void {
  if (!existsSync(real)) return;
  const links = statSync(real).nlink;
  const probe = openProbe(dbPath);
  let held = false;
  try {
    probe.pragma("locking_mode = EXCLUSIVE");
    probe.exec("BEGIN EXCLUSIVE");
    probe.exec("COMMIT");
  } catch (err) {
    // Not a database, say: opening it properly reports that with the file named.
    if (!busy(err)) return;
    held = true;
  } finally {
    probe.close();
  }
  // Only once the probe is closed: its own shared lock would name this process as a holder.
  if (held) throw inUse(dbPath, real, holdersOf(real));
  if (links > 1) {
    throw new ParzenError(
      "FAILED_PRECONDITION",
      `database ${dbPath} has ${links} hard links; SQLite keeps a write-ahead log per name, so a database with ` +
        "several names can lose or corrupt committed data: copy it to a file of its own and use that",
    );
  }
}

function openProbe(dbPath: string): Database.Database {
  try {
    return new Database(dbPath, { timeout: 0, fileMustExist: true });
  } catch (err) {
    throw new ParzenError("FAILED_PRECONDITION", `cannot open database ${dbPath}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function busy(err: unknown): boolean {
  return (err as { code?: string }).code?.startsWith("SQLITE_BUSY") ?? false;
}

function inUse(dbPath: string, real: string, holders: readonly number[]): ParzenError {
  const file = real === dbPath ? dbPath : `${dbPath} (${real})`;
  const who =
    holders.length === 0
      ? "another process"
      : holders.map((pid) => (pid === process.pid ? `process ${pid} (this one)` : `process ${pid}`)).join(", ");
  return new ParzenError(
    "FAILED_PRECONDITION",
    `database ${file} is in use by another Parzen server or program (${who}); stop it or use another --db`,
  );
}

function holderFromLockFile(lockPath: string): number[] {
  try {
    const db = new Database(lockPath, { readonly: true, timeout: 0 });
    try {
      const row = db.prepare("SELECT pid FROM holder").get() as { pid: number } | undefined;
      return row === undefined ? [] : [row.pid];
    } finally {
      db.close();
    }
  } catch {
    // The holder keeps it locked exclusively: /proc/locks still says who.
    return holdersOf(lockPath);
  }
}

/** Processes holding POSIX locks on the file, from Linux's /proc/locks (empty elsewhere). */
function holdersOf(path: string): number[] {
  let table: string;
  try {
    table = readFileSync("/proc/locks", "utf8");
  } catch {
    return [];
  }
  return lockHolders(table, statSync(path, { bigint: true }));
}

/**
 * The pids holding locks on the file `st` (its device and inode) in a /proc/locks table (proc(5)), lowest first.
 * The table names the device by major:minor in hex; `st.dev` is glibc's encoding of the two.
 */
export function lockHolders(table: string, st: { dev: bigint; ino: bigint }): number[] {
  const dev = st.dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const pids = new Set<number>();
  for (const line of table.split("\n")) {
    // "1: POSIX  ADVISORY  READ 1234 08:01:5678 1073741826 1073742335"
    const m = /^\d+: (?:POSIX|OFDLCK|FLOCK)\s+\S+\s+\S+\s+(-?\d+) ([0-9a-f]+):([0-9a-f]+):(\d+) /.exec(line);
    if (m === null) continue;
    if (BigInt(`0x${m[2]}`) === major && BigInt(`0x${m[3]}`) === minor && BigInt(m[4]!) === st.ino) {
      const pid = Number(m[1]);
      // An OFD lock belongs to no process (pid -1); a holder in a pid namespace this one cannot see shows as 0.
      if (pid > 0) pids.add(pid);
    }
  }
  return [...pids].sort((a, b) => a - b);
}
