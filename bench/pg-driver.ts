/**
 * Which PostgreSQL driver for the store: node-postgres (`pg`) or `postgres`
 * (porsager), measured on the store's hot path on a throwaway local
 * PostgreSQL (fsync on). One unit = one transaction that locks and bumps the
 * experiment's version, inserts a trial, logs its request id and commits;
 * then the read a Report does (the trial back by number range). Sequential
 * (one client: latency) and 16 concurrent units over 16 experiments on a
 * pool of 8 (throughput). Interleaved rounds, so both drivers see the same
 * machine. Run: `npx tsx bench/pg-driver.ts [units per round] [--fsync]`.
 */
import pg from "pg";
import postgres from "postgres";
import { startCluster } from "../test/pg-cluster.js";

const UNITS = Number(process.argv[2] ?? 2000);
/** `--fsync`: commits pay a real flush (the disk's latency then dominates every driver's figures). */
const DURABLE = process.argv.includes("--fsync");
const ROUNDS = 3;
const CONCURRENCY = 16;
const POOL = 8;

const SCHEMA = `
CREATE TABLE experiments (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, version BIGINT NOT NULL DEFAULT 0);
CREATE TABLE trials (id BIGSERIAL PRIMARY KEY, experiment_id BIGINT NOT NULL REFERENCES experiments ON DELETE CASCADE,
  number INT NOT NULL, state SMALLINT NOT NULL, params TEXT NOT NULL, loss DOUBLE PRECISION, worker_id TEXT NOT NULL,
  create_time BIGINT NOT NULL, lease_deadline BIGINT, version BIGINT NOT NULL, UNIQUE (experiment_id, number));
CREATE TABLE request_log (experiment_id BIGINT NOT NULL REFERENCES experiments ON DELETE CASCADE,
  method TEXT NOT NULL, request_id TEXT NOT NULL, trial_ids TEXT NOT NULL, PRIMARY KEY (method, request_id));`;

const LOCK = "UPDATE experiments SET version = version + 1 WHERE id = $1 RETURNING version";
const INSERT = `INSERT INTO trials (experiment_id, number, state, params, loss, worker_id, create_time, lease_deadline,
  version) VALUES ($1, $2, 2, $3, NULL, 'w', $4, $5, $6) RETURNING id`;
const LOG = "INSERT INTO request_log (experiment_id, method, request_id, trial_ids) VALUES ($1, 'Suggest', $2, $3)";
const READ = "SELECT * FROM trials WHERE experiment_id = $1 AND number BETWEEN $2 AND $3 ORDER BY number";

const PARAMS = JSON.stringify({ x0: 0.1, x1: 0.2, x2: 0.3, x3: 0.4, x4: 0.5, x5: 0.6 });

interface Driver {
  name: string;
  unit(exp: number, number: number, requestId: string): Promise<void>;
  close(): Promise<void>;
}

function nodePostgres(url: string): Driver {
  pg.types.setTypeParser(20, Number);
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  return {
    name: "pg 8 (node-postgres)",
    async unit(exp, number, requestId) {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        const v = await c.query({ name: "lock", text: LOCK, values: [exp] });
        const now = Date.now();
        const ins = await c.query({
          name: "ins",
          text: INSERT,
          values: [exp, number, PARAMS, now, now + 60_000, v.rows[0].version],
        });
        await c.query({ name: "log", text: LOG, values: [exp, requestId, JSON.stringify([ins.rows[0].id])] });
        await c.query("COMMIT");
        await c.query({ name: "read", text: READ, values: [exp, number, number] });
      } catch (err) {
        await c.query("ROLLBACK");
        throw err;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

/** One statement does lock + insert + log (an implicit transaction): one round trip instead of five. */
const CTE = `WITH v AS (${LOCK}), t AS (INSERT INTO trials (experiment_id, number, state, params, loss, worker_id,
  create_time, lease_deadline, version) SELECT $1, $2, 2, $3, NULL, 'w', $4, $5, v.version FROM v RETURNING id)
  INSERT INTO request_log (experiment_id, method, request_id, trial_ids)
  SELECT $1, 'Suggest', $6, '[' || t.id || ']' FROM t`;

function nodePostgresCte(url: string): Driver {
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  return {
    name: "pg 8, one statement (CTE)",
    async unit(exp, number, requestId) {
      const now = Date.now();
      await pool.query({ name: "cte", text: CTE, values: [exp, number, PARAMS, now, now + 60_000, requestId] });
      await pool.query({ name: "read", text: READ, values: [exp, number, number] });
    },
    close: () => pool.end(),
  };
}

function porsagerCte(url: string): Driver {
  const sql = postgres(url, { max: POOL, onnotice: () => {} });
  return {
    name: "postgres 3, one statement (CTE)",
    async unit(exp, number, requestId) {
      const now = Date.now();
      await sql.unsafe(CTE, [exp, number, PARAMS, now, now + 60_000, requestId], { prepare: true });
      await sql.unsafe(READ, [exp, number, number], { prepare: true });
    },
    close: () => sql.end(),
  };
}

/**
 * porsager's pipelining: inside a transaction, statements issued without
 * awaiting go out together. The insert needs the lock's answer only for the
 * version, so here the version is bumped by a second statement instead.
 */
function porsagerPipelined(url: string): Driver {
  const sql = postgres(url, { max: POOL, onnotice: () => {} });
  return {
    name: "postgres 3, pipelined",
    async unit(exp, number, requestId) {
      await sql.begin((tx) => {
        const now = Date.now();
        return [
          tx.unsafe(LOCK, [exp], { prepare: true }),
          tx.unsafe(
            `INSERT INTO trials (experiment_id, number, state, params, loss, worker_id, create_time, lease_deadline,
              version) VALUES ($1, $2, 2, $3, NULL, 'w', $4, $5, (SELECT version FROM experiments WHERE id = $1))
              RETURNING id`,
            [exp, number, PARAMS, now, now + 60_000],
            { prepare: true },
          ),
          tx.unsafe(LOG, [exp, requestId, "[]"], { prepare: true }),
        ];
      });
      await sql.unsafe(READ, [exp, number, number], { prepare: true });
    },
    close: () => sql.end(),
  };
}

function porsager(url: string): Driver {
  const sql = postgres(url, { max: POOL, onnotice: () => {} });
  return {
    name: "postgres 3 (porsager)",
    async unit(exp, number, requestId) {
      await sql.begin(async (tx) => {
        const [v] = await tx.unsafe(LOCK, [exp], { prepare: true });
        const now = Date.now();
        const [t] = await tx.unsafe(INSERT, [exp, number, PARAMS, now, now + 60_000, v!.version], { prepare: true });
        await tx.unsafe(LOG, [exp, requestId, JSON.stringify([Number(t!.id)])], { prepare: true });
      });
      await sql.unsafe(READ, [exp, number, number], { prepare: true });
    },
    close: () => sql.end(),
  };
}

async function reset(url: string, experiments: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("DROP TABLE IF EXISTS request_log, trials, experiments");
  await c.query(SCHEMA);
  for (let i = 0; i < experiments; i++) await c.query("INSERT INTO experiments (name) VALUES ($1)", [`e${i}`]);
  await c.end();
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function sequential(
  d: Driver,
  round: number,
): Promise<{ p50: number; p99: number; perS: number; cpuUs: number }> {
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < UNITS; i++) {
    const t = performance.now();
    await d.unit(1, i, `${d.name}-${round}-s-${i}`);
    times.push(performance.now() - t);
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { p50: pct(times, 0.5), p99: pct(times, 0.99), perS: UNITS / s, cpuUs: (cpu.user + cpu.system) / UNITS };
}

async function concurrent(d: Driver, round: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      const exp = 2 + w;
      for (let i = 0; i < UNITS / CONCURRENCY; i++) await d.unit(exp, i, `${d.name}-${round}-c-${w}-${i}`);
    }),
  );
  return UNITS / ((performance.now() - t0) / 1000);
}

const cluster = await startCluster({ durable: DURABLE });
try {
  const url = cluster.url();
  const makers = [nodePostgres, porsager, porsagerPipelined, nodePostgresCte, porsagerCte];
  const results = new Map<string, { p50: number[]; p99: number[]; seq: number[]; conc: number[]; cpu: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const make of makers) {
      await reset(url, 2 + CONCURRENCY);
      const d = make(url);
      await d.unit(1, -1, `${d.name}-${round}-warm`);
      const s = await sequential(d, round);
      const c = await concurrent(d, round);
      await d.close();
      const r = results.get(d.name) ?? { p50: [], p99: [], seq: [], conc: [], cpu: [] };
      r.p50.push(s.p50);
      r.p99.push(s.p99);
      r.seq.push(s.perS);
      r.conc.push(c);
      r.cpu.push(s.cpuUs);
      results.set(d.name, r);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`${UNITS} units per round, ${ROUNDS} rounds, fsync ${DURABLE ? "on" : "off"}, medians over rounds`);
  console.log(
    "| driver | sequential p50 ms | p99 ms | sequential units/s | client CPU µs/unit | 16 concurrent units/s (pool 8) |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [name, r] of results) {
    console.log(
      `| ${name} | ${med(r.p50).toFixed(3)} | ${med(r.p99).toFixed(3)} | ${med(r.seq).toFixed(0)} | ` +
        `${med(r.cpu).toFixed(0)} | ${med(r.conc).toFixed(0)} |`,
    );
  }
} finally {
  await cluster.stop();
}
