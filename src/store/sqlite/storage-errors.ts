/**
 * SQLite failures that are the storage's, not the caller's or a bug: a full
 * disk, a read-only file or mount, an I/O error, a lock held elsewhere. They
 * become UNAVAILABLE (the condition can pass: space freed, a mount fixed)
 * with the database file named, so an operator reading a client's error
 * knows which file to look at.
 */
import { ParzenError } from "../../errors.js";

const REASONS: [RegExp, string][] = [
  [/^SQLITE_FULL/, "the disk holding it is full"],
  [/^SQLITE_READONLY/, "it cannot be written (a read-only file, directory or mount)"],
  [/^SQLITE_CANTOPEN/, "it or a file beside it (-wal, -shm) cannot be opened"],
  [/^SQLITE_IOERR/, "an I/O error"],
  [/^SQLITE_(BUSY|LOCKED)/, "it is locked by another connection"],
  [/^SQLITE_PERM/, "permission denied"],
  [/^SQLITE_NOMEM/, "SQLite ran out of memory"],
  [/^SQLITE_(CORRUPT|NOTADB)/, "the file is damaged"],
];

function reasonOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  return REASONS.find(([re]) => re.test(code))?.[1];
}

export function isStorageError(err: unknown): boolean {
  return !(err instanceof ParzenError) && reasonOf(err) !== undefined;
}

/**
 * `err` as the caller should see it: storage failures as UNAVAILABLE naming
 * `path` (and saying nothing of the call was stored when `undone`), anything
 * else unchanged.
 */
export function storageError(err: unknown, path: string, undone: boolean): unknown {
  const reason = reasonOf(err);
  if (err instanceof ParzenError || reason === undefined) return err;
  const tail = undone ? "; nothing of this call was stored, so retrying it is safe" : "";
  return new ParzenError("UNAVAILABLE", `database ${path}: ${reason} (${(err as Error).message})${tail}`, {
    cause: err,
  });
}
