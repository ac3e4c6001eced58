/**
 * `parzen copy`: moves a whole history from one database to another
 * (SQLite to PostgreSQL, back, or between two of a kind), exactly: every
 * experiment, trial, learning-curve point and request-log entry with its
 * ids, so trial ids that clients hold, retry links between trials and
 * logged request ids stay valid. Both databases are opened as a server
 * opens them (created and migrated to this Parzen's schema; a SQLite file in
 * use by a server is refused by its lock). The source is read in one
 * snapshot; the destination must hold no experiment and is written in one
 * transaction, so a failed copy leaves it empty.
 *
 * The schemas' columns are the same on both backends; what differs is
 * translated here: PostgreSQL's per-experiment versions (a copy starts at 0,
 * which every server's change feed reads as "everything"), NaN curve values
 * (NULL in SQLite), and PostgreSQL's identity sequences (moved past the
 * copied ids).
 */
import type pg from "pg";
import { ParzenError } from "../errors.js";
import { backendOf, sqlitePath } from "./open.js";
import { openPostgresStore } from "./postgres/open.js";
import type { PostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore } from "./sqlite/open.js";
import type { SqliteStore } from "./sqlite/sqlite-store.js";
import { redact } from "./postgres/connect.js";

type Row = Record<string, unknown>;

interface Table {
  readonly name: string;
  readonly columns: readonly string[];
  /** The primary key, for paging in a stable order. */
  readonly key: readonly string[];
}

/** In dependency order (a trial after its experiment, a point after its trial). */
export const TABLES: readonly Table[] = [
  { name: "experiments", columns: ["id", "name", "definition", "create_time", "lifecycle"], key: ["id"] },
  {
    name: "trials",
    columns: [
      "id",
      "experiment_id",
      "number",
      "state",
      "source",
      "params",
      "loss",
      "metrics",
      "user_attrs",
      "worker_id",
      "fail_reason",
      "create_time",
      "start_time",
      "end_time",
      "lease_deadline",
      "objective_values",
      "constraint_values",
      "proposed_by",
    ],
    key: ["id"],
  },
  { name: "intermediate_values", columns: ["trial_id", "step", "value"], key: ["trial_id", "step"] },
  {
    name: "request_log",
    columns: ["experiment_id", "method", "request_id", "trial_ids", "create_time"],
    key: ["method", "request_id"],
  },
];

/** Rows per statement: PostgreSQL takes at most 65,535 parameters (18 columns × 2,000). */
const PAGE = 2000;

/** One side of a copy: reads pages in key order, or writes them. */
interface Side {
  count(table: Table): Promise<number>;
  page(table: Table, after: readonly unknown[] | undefined, limit: number): Promise<Row[]>;
  insert(table: Table, rows: readonly Row[]): Promise<void>;
  begin(write: boolean): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

export interface CopyCounts {
  experiments: number;
  trials: number;
  intermediate_values: number;
  request_log: number;
}

export async function copyDatabase(from: string, to: string): Promise<CopyCounts> {
  if (from === to) throw new ParzenError("INVALID_ARGUMENT", "--from and --to name the same database");
  const source = await openSide(from);
  let dest: Side;
  try {
    dest = await openSide(to);
  } catch (err) {
    await source.close();
    throw err;
  }
  const counts = { experiments: 0, trials: 0, intermediate_values: 0, request_log: 0 } as CopyCounts;
  try {
    await source.begin(false);
    await dest.begin(true);
    const held = await dest.count(TABLES[0]!);
    if (held > 0) {
      throw new ParzenError(
        "FAILED_PRECONDITION",
        `--to ${redact(to)} already holds ${held} experiment(s); copy into an empty database`,
      );
    }
    for (const table of TABLES) {
      let after: unknown[] | undefined;
      for (;;) {
        const rows = await source.page(table, after, PAGE);
        if (rows.length === 0) break;
        await dest.insert(table, rows);
        counts[table.name as keyof CopyCounts] += rows.length;
        const last = rows[rows.length - 1]!;
        after = table.key.map((k) => last[k]);
        if (rows.length < PAGE) break;
      }
    }
    await dest.commit();
    await source.commit();
  } catch (err) {
    await dest.rollback().catch(() => {});
    await source.rollback().catch(() => {});
    throw err;
  } finally {
    await dest.close();
    await source.close();
  }
  return counts;
}

async function openSide(db: string): Promise<Side> {
  return backendOf(db) === "postgres"
    ? postgresSide(await openPostgresStore({ url: db, poolSize: 1 }))
    : sqliteSide(await openSqliteStore({ path: sqlitePath(db) }));
}

const keyAfter = (table: Table, first: number) =>
  `(${table.key.join(", ")}) > (${table.key.map((_, i) => `$${first + i}`).join(", ")})`;

function postgresSide(store: PostgresStore): Side {
  let c: pg.PoolClient | undefined;
  let writing = false;
  const client = () => c!;
  return {
    async begin(write) {
      writing = write;
      c = await store.pool.connect();
      // A reader sees one snapshot even while servers write.
      await c.query(write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    },
    async count(table) {
      const { rows } = await client().query(`SELECT count(*)::int AS n FROM ${table.name}`);
      return rows[0].n as number;
    },
    async page(table, after, limit) {
      const where = after === undefined ? "" : `WHERE ${keyAfter(table, 2)}`;
      const { rows } = await client().query(
        `SELECT ${table.columns.join(", ")} FROM ${table.name} ${where} ORDER BY ${table.key.join(", ")} LIMIT $1`,
        [limit, ...(after ?? [])],
      );
      return rows as Row[];
    },
    async insert(table, rows) {
      const cols = [...table.columns];
      // A copied history starts at version 0: a server's first look at it pulls everything.
      if (table.name === "trials") cols.push("version");
      const values: unknown[] = [];
      const tuples = rows.map((r) => {
        const first = values.length;
        for (const col of table.columns) values.push(fromSqlite(table, col, r[col]));
        if (table.name === "trials") values.push(0);
        return `(${cols.map((_, i) => `$${first + i + 1}`).join(", ")})`;
      });
      await client().query(`INSERT INTO ${table.name} (${cols.join(", ")}) VALUES ${tuples.join(", ")}`, values);
    },
    async commit() {
      // Ids the copy brought must not be handed out again.
      for (const t of writing ? ["experiments", "trials"] : []) {
        await client().query(
          `SELECT setval(pg_get_serial_sequence('${t}', 'id'), COALESCE((SELECT max(id) FROM ${t}), 0) + 1, false)`,
        );
      }
      await client().query("COMMIT");
      // Statistics for the copied tables now, not at autovacuum's first visit: until then PostgreSQL would plan
      // the servers' statements for empty tables.
      if (writing) await client().query(`ANALYZE ${TABLES.map((t) => t.name).join(", ")}`);
    },
    async rollback() {
      await c?.query("ROLLBACK");
    },
    async close() {
      c?.release();
      c = undefined;
      await store.close();
    },
  };
}

/** A value read from either backend as PostgreSQL stores it: a curve's NaN is NULL in SQLite. */
function fromSqlite(table: Table, col: string, v: unknown): unknown {
  return table.name === "intermediate_values" && col === "value" && v === null ? Number.NaN : v;
}

function sqliteSide(store: SqliteStore): Side {
  const db = store.db;
  return {
    async begin(write) {
      db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
    },
    async count(table) {
      return (db.prepare(`SELECT count(*) AS n FROM ${table.name}`).get() as { n: number }).n;
    },
    async page(table, after, limit) {
      const where =
        after === undefined ? "" : `WHERE (${table.key.join(", ")}) > (${table.key.map(() => "?").join(", ")})`;
      return db
        .prepare(
          `SELECT ${table.columns.join(", ")} FROM ${table.name} ${where} ORDER BY ${table.key.join(", ")} LIMIT ?`,
        )
        .all(...(after ?? []), limit) as Row[];
    },
    async insert(table, rows) {
      const insert = db.prepare(
        `INSERT INTO ${table.name} (${table.columns.join(", ")}) VALUES (${table.columns.map(() => "?").join(", ")})`,
      );
      for (const r of rows) insert.run(...table.columns.map((col) => toSqlite(table, col, r[col])));
    },
    async commit() {
      db.exec("COMMIT");
    },
    async rollback() {
      if (db.inTransaction) db.exec("ROLLBACK");
    },
    async close() {
      await store.close();
    },
  };
}

/** A value as SQLite stores it: NaN curve values as NULL. */
function toSqlite(table: Table, col: string, v: unknown): unknown {
  return table.name === "intermediate_values" && col === "value" && typeof v === "number" && Number.isNaN(v) ? null : v;
}
