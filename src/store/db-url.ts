/**
 * What a `--db` value names, and how to show it: kept apart from postgres/connect.ts so that telling the backends
 * apart does not load the PostgreSQL driver (about 100 ms of a SQLite server's start-up otherwise).
 */

/** Whether a --db value names a PostgreSQL database. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** A URL with its password hidden, for messages and logs (a file path as it is). */
export function redact(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable database URL)";
  }
}
