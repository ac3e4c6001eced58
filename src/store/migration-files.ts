/**
 * Numbered SQL migration files (`NNNN_name.sql`), read in order; each store
 * backend keeps its own directory and applies them its own way.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations in `dir`, by version; `label` names the set in the error for a badly numbered file. */
export function loadMigrationFiles(dir: string, label: string): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  // Versions rise strictly but may skip numbers: parallel branches are given numbers ahead of time, and a
  // database records the highest version applied, so a gap is harmless.
  let previous = 0;
  return files.map((f) => {
    const version = Number.parseInt(f.slice(0, 4), 10);
    if (version <= previous) throw new Error(`${label}: expected a version above ${previous}, found ${f}`);
    previous = version;
    return { version, name: f, sql: readFileSync(join(dir, f), "utf8") };
  });
}
