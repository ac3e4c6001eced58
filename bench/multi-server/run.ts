/**
 * Several Parzen servers on one PostgreSQL (issue 19), with the real
 * compiled server and real Python workers (worker.py), on a throwaway
 * durable cluster (test/pg-cluster.ts):
 *
 * 1. Correctness: 3 servers, 32 workers spread over them on one experiment
 *    with max_trials (random, then TPE); one server SIGKILLed mid-run and
 *    restarted on its address. Checked: 0 acknowledged Reports lost (each
 *    is COMPLETE with its loss), 0 trials given to two workers, trial
 *    numbers dense, exactly max_trials COMPLETE.
 * 2. Throughput: 32 workers for a fixed window on 1, 2 and 3 servers (fresh
 *    servers for each window), and Optuna's RDB storage on the same
 *    PostgreSQL with 32 Python workers (ask/tell), random and TPE. For each
 *    Parzen window, from the servers' /metrics and /proc: lock turns, how
 *    long each holds the lock and how long servers wait for it, changes per
 *    turn, pulls and what they bring, round trips per change by purpose, and
 *    the CPU seconds of the servers, of PostgreSQL and of the workers.
 *
 *   npm run build && BENCH_NO_TORCH=1 bash bench/setup-venv.sh && npx tsx bench/multi-server/run.ts [--write]
 *
 * Before each window the database is vacuumed, analysed and checkpointed (BENCH_SETTLE=0: not), and each round starts at
 * another server count, so background work left by one window is not billed to the next; the PostgreSQL CPU
 * columns also show its client backends alone.
 *
 * BENCH_PG_STATS=1 loads pg_stat_statements and prints, after the tables, each window's statements by total
 * execution time (lock waits included) with their calls per change.
 *
 * BENCH_ROUNDS=n repeats the throughput table n times (1, 2, 3 servers side by side in each round; BENCH_SERVERS
 * and BENCH_ALGS narrow a round, e.g. BENCH_SERVERS=1,3 BENCH_ALGS=tpe);
 * BENCH_CONTROL=1 adds a second one-server window to each round (an A/A control: what two identical windows of one
 * round differ by, the noise any ratio has to be read against);
 * BENCH_WORKER_NICE=n runs the Python workers at niceness n (e.g. 10): as if the trainers ran on machines of their
 * own, as they do in a deployment, instead of taking the two cores from the servers and PostgreSQL (not the
 * protocol of the issue's targets: an analysis of what the 2 cores cost);
 * BENCH_SKIP=correctness,optuna skips those parts; BENCH_CPU_PROF=DIR writes each window's servers' CPU
 * profiles (node --cpu-prof) there; BENCH_DIST=DIR runs the compiled server in DIR instead of dist/.
 *
 * Prints a markdown report; --write appends it, dated, to bench/RESULTS.md.
 */
import { credentials } from "@grpc/grpc-js";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, setPriority, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { startCluster } from "../../test/pg-cluster.js";
import { uniform } from "../../test/integration/fixtures.js";
import { cpuOf, pgCpuSplit } from "./proc-cpu.js";
import { promisify } from "../../test/integration/harness.js";

const repo = resolve(import.meta.dirname, "../..");
const python = join(repo, "bench/.venv/bin/python");
const WORKERS = Number(process.env.BENCH_WORKERS ?? 32);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 20);
/** BENCH_SCALE shrinks the budgets for a quick try of the script itself. */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const BUDGET = { random: Math.round(3000 * SCALE), tpe: Math.round(800 * SCALE) } as const;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const SKIP = new Set((process.env.BENCH_SKIP ?? "").split(",").filter((p) => p !== ""));
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** The compiled server to run (BENCH_DIST: another build, e.g. a copy of main's dist/ to compare with). */
const DIST = process.env.BENCH_DIST ?? "dist";
/** BENCH_SERVERS=1,3 runs only those server counts in each round (default 1,2,3); BENCH_ALGS=tpe only those algorithms. */
const SERVER_COUNTS = (process.env.BENCH_SERVERS ?? "1,2,3").split(",").map(Number);
const CONTROL = process.env.BENCH_CONTROL === "1";
const WORKER_NICE = Number(process.env.BENCH_WORKER_NICE ?? 0);
/** The windows of one round, in their order before the round's rotation; `control` marks the A/A window. */
const SLOTS: { servers: number; control: boolean }[] = [
  ...SERVER_COUNTS.map((servers) => ({ servers, control: false })),
  ...(CONTROL ? [{ servers: 1, control: true }] : []),
];
const PG_STATS = process.env.BENCH_PG_STATS === "1";
/** BENCH_SETTLE=0: no VACUUM and CHECKPOINT before each window (as before 2026-12-03, branch pgturn). */
const SETTLE = process.env.BENCH_SETTLE !== "0";
const ALGORITHMS = (process.env.BENCH_ALGS ?? "random,tpe").split(",") as ("random" | "tpe")[];
const out: string[] = [];
const say = (line: string) => {
  out.push(line);
  console.log(line);
};

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  const { port } = srv.address() as { port: number };
  await new Promise((ok) => srv.close(ok));
  return port;
}

/** A compiled `parzen serve` on `address`. */
class Server {
  private child: ChildProcess | undefined;
  constructor(
    readonly db: string,
    readonly address: string,
    /** host:port for /metrics, or "off". */
    readonly http = "off",
    readonly nodeArgs: string[] = [],
  ) {}
  get pid(): number | undefined {
    return this.child?.pid;
  }
  async start(): Promise<void> {
    const child = spawn(
      "node",
      [
        ...this.nodeArgs,
        join(DIST, "cli/main.js"),
        "serve",
        "--db",
        this.db,
        "--listen",
        this.address,
        "--http",
        this.http,
        "--log-level",
        "warn",
      ],
      { cwd: repo, stdio: ["ignore", "pipe", "inherit"] },
    );
    this.child = child;
    // With --log-level warn nothing is logged on start: wait until the port answers a call.
    child.stdout!.resume();
    const stub = new OptimizerServiceClient(this.address, credentials.createInsecure());
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`server on ${this.address} exited with ${child.exitCode}`);
        try {
          await promisify(stub).listExperiments({ pageSize: 1 });
          return;
        } catch {
          await new Promise((ok) => setTimeout(ok, 100));
        }
      }
    } finally {
      stub.close();
    }
  }
  signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill(sig);
    return exited;
  }
}

interface WorkerResult {
  given: number[];
  acked: [number, number][];
  errors: string[];
  in_window: number;
  /** CPU seconds the worker used in its window. */
  cpu: number;
}

/** The samples of one /metrics page, by name with labels (`name{label="v"}`). */
async function scrape(http: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://${http}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/**
 * Runs `n` workers of `kind` (the i-th gets `targetOf(i)`) for `seconds` each, started together once all are
 * ready (worker.py's barrier); `during` runs beside them. Resolves with their results once all exit.
 */
async function workers(
  n: number,
  kind: string,
  targetOf: (i: number) => string,
  name: string,
  seconds: number,
  during?: () => Promise<void>,
): Promise<WorkerResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "parzen-ms-"));
  const go = join(dir, "go");
  const exits: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(
      python,
      [
        join(repo, "bench/multi-server/worker.py"),
        kind,
        targetOf(i),
        name,
        go,
        String(seconds),
        join(dir, `${i}.json`),
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    if (WORKER_NICE !== 0 && child.pid !== undefined) setPriority(child.pid, WORKER_NICE);
    exits.push(
      new Promise((ok, fail) =>
        child.once("exit", (code) => (code === 0 ? ok() : fail(new Error(`worker ${i} exited ${code}`)))),
      ),
    );
  }
  while (readdirSync(dir).filter((f) => f.endsWith(".ready")).length < n) await new Promise((ok) => setTimeout(ok, 50));
  writeFileSync(go, "");
  await Promise.all([Promise.all(exits), during?.()]);
  const results = Array.from(
    { length: n },
    (_, i) => JSON.parse(readFileSync(join(dir, `${i}.json`), "utf8")) as WorkerResult,
  );
  rmSync(dir, { recursive: true, force: true });
  return results;
}

const now = () => Date.now() / 1000;
const space = { parameters: [uniform("x", 0, 1), uniform("y", -1, 1)] };

async function main(): Promise<void> {
  const cluster = await startCluster({ durable: true });
  const servers: Server[] = [];
  try {
    if (PG_STATS) {
      await cluster.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
      await cluster.pause();
      await cluster.resume();
      // The library's own settings exist once it is loaded.
      await cluster.psql("ALTER SYSTEM SET pg_stat_statements.track_planning = on");
      await cluster.psql("SELECT pg_reload_conf()");
    }
    const db = await cluster.createDatabase("parzen");
    if (PG_STATS) await cluster.psql("CREATE EXTENSION pg_stat_statements", "parzen");
    const postmaster = Number(
      readFileSync(join((await cluster.psql("SHOW data_directory")).trim(), "postmaster.pid"), "utf8").split("\n")[0],
    );
    say(`## Several servers on one PostgreSQL (issue 19), ${new Date().toISOString().slice(0, 10)}`);
    say("");
    say(
      `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
        `PostgreSQL ${execFileSync(
          join(String(process.env.PARZEN_TEST_PG_ROOT ?? "/usr/lib/postgresql"), readPgMajor(), "bin/postgres"),
          ["--version"],
        )
          .toString()
          .trim()} ` +
        `(throwaway cluster, fsync on); ${WORKERS} Python workers (bench/multi-server/worker.py` +
        `${WORKER_NICE === 0 ? "" : `, at niceness ${WORKER_NICE}`}), the compiled server ` +
        "(dist/), all on this machine. `npx tsx bench/multi-server/run.ts`.",
    );
    say("");
    if (!SKIP.has("correctness")) await correctness(db, servers);
    await throughput(db, postmaster, cluster.psql);
    if (!SKIP.has("optuna")) {
      const optunaDb = (await cluster.createDatabase("optuna")).replace(/^postgres:/, "postgresql+psycopg2:");
      const cells: string[] = [];
      for (const sampler of ["random", "tpe"] as const) {
        const study = `rate-${sampler}`;
        execFileSync(python, [
          "-c",
          `import optuna; optuna.create_study(study_name=${JSON.stringify(study)}, storage=${JSON.stringify(optunaDb)})`,
        ]);
        const rs = await workers(WORKERS, `optuna-${sampler}`, () => optunaDb, study, WINDOW_S);
        cells.push((rs.reduce((n, r) => n + r.in_window, 0) / WINDOW_S).toFixed(0));
      }
      say(`Optuna RDB (same PostgreSQL, ${WORKERS} workers, ask/tell): random ${cells[0]}, TPE ${cells[1]} trials/s.`);
      say("");
    }
  } finally {
    for (const s of servers) await s.signal("SIGKILL");
    await cluster.stop();
  }
  if (process.argv.includes("--write")) appendFileSync(join(repo, "bench/RESULTS.md"), `\n${out.join("\n")}\n`);
}

/** 3 servers, 32 workers on one experiment with max_trials; one server SIGKILLed mid-run and restarted. */
async function correctness(db: string, servers: Server[]): Promise<void> {
  for (let i = 0; i < 3; i++) servers.push(new Server(db, `127.0.0.1:${await freePort()}`));
  await Promise.all(servers.map((s) => s.start()));
  const stub = new OptimizerServiceClient(servers[0]!.address, credentials.createInsecure());
  const api = promisify(stub);
  const addressesFrom = (i: number, k: number) =>
    Array.from({ length: k }, (_, j) => servers[(i + j) % k]!.address).join(",");
  say("### Correctness: 3 servers, one SIGKILLed mid-run and restarted");
  say("");
  say(
    "| algorithm | max_trials | trials given | acked Reports | acked lost | given twice | numbers dense | COMPLETE | LOST | worker errors (killed server) | seconds |",
  );
  say("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const algorithm of ["random", "tpe"] as const) {
    const name = `kill-${algorithm}`;
    const budget = BUDGET[algorithm];
    await api.createExperiment({
      experiment: {
        name,
        space,
        algorithm: { name: algorithm, options: {} },
        maxTrials: budget,
        leaseDuration: { seconds: 5, nanos: 0 },
      },
    });
    const t0 = now();
    const victim = servers[2]!;
    const results = await workers(
      WORKERS,
      "parzen",
      (i) => addressesFrom(i, 3),
      name,
      600,
      async () => {
        // Kill once a third of the budget is done, restart two seconds later on the same address.
        for (;;) {
          const e = (await api.getExperiment({ name })).experiment!;
          if ((e.trialCounts?.complete ?? 0) >= budget / 3) break;
          await new Promise((ok) => setTimeout(ok, 100));
        }
        await victim.signal("SIGKILL");
        await new Promise((ok) => setTimeout(ok, 2000));
        await victim.start();
      },
    );
    const seconds = now() - t0;
    const trials = [];
    for (let token = ""; ; ) {
      const page = await api.listTrials({ experiment: name, pageSize: 1000, pageToken: token });
      trials.push(...page.trials);
      token = page.nextPageToken;
      if (token === "") break;
    }
    const byId = new Map(trials.map((t) => [Number(t.id), t]));
    const given = results.flatMap((r) => r.given);
    const acked = results.flatMap((r) => r.acked);
    const lostAcks = acked.filter(([id, loss]) => {
      const t = byId.get(id);
      return t === undefined || t.state !== TrialState.TRIAL_STATE_COMPLETE || t.loss !== loss;
    }).length;
    const twice = given.length - new Set(given).size;
    const dense = trials.every((t, i) => t.number === i);
    const complete = trials.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETE).length;
    const lost = trials.filter((t) => t.state === TrialState.TRIAL_STATE_LOST).length;
    const errors = results.reduce((n, r) => n + r.errors.length, 0);
    say(
      `| ${algorithm} | ${budget} | ${given.length} | ${acked.length} | ${lostAcks} | ${twice} | ${dense ? "yes" : "NO"} | ` +
        `${complete} | ${lost} | ${errors} | ${seconds.toFixed(1)} |`,
    );
  }
  say("");
  for (const s of servers) await s.signal("SIGTERM");
  servers.length = 0;
  stub.close();
}

/** One Parzen window's figures: rates, the feed's counters summed over its servers, CPU seconds. */
interface Window {
  round: number;
  servers: number;
  /** BENCH_CONTROL's second one-server window of the round. */
  control: boolean;
  algorithm: string;
  rate: number;
  load: string;
  m: Map<string, number>;
  cpuServers: number[];
  cpuPg: number;
  /** PostgreSQL's CPU in its client backends (the rest: WAL writer, checkpointer, autovacuum...). */
  cpuPgBackends: number;
  cpuWorkers: number;
  /** BENCH_PG_STATS: the window's statements, by total execution time. */
  statements: string[];
}

/**
 * Throughput of 1, 2 and 3 fresh servers (BENCH_ROUNDS rounds, random then TPE in each), each window on an
 * experiment of its own, with what the servers' /metrics and /proc say about it.
 */
async function throughput(
  db: string,
  postmaster: number,
  psql: (sql: string, database?: string) => Promise<string>,
): Promise<void> {
  const windows: Window[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Each round starts at another server count: work a window leaves to PostgreSQL's background processes
    // (autovacuum, a checkpoint) would otherwise land in the same next window every round.
    const shift = (round - 1) % SLOTS.length;
    for (const { servers: k, control } of [...SLOTS.slice(shift), ...SLOTS.slice(0, shift)]) {
      for (const algorithm of ALGORITHMS) {
        const servers: Server[] = [];
        for (let i = 0; i < k; i++) {
          const nodeArgs =
            CPU_PROF === undefined
              ? []
              : [
                  "--cpu-prof",
                  "--cpu-prof-dir",
                  CPU_PROF,
                  "--cpu-prof-name",
                  `r${round}-${k}-${algorithm}-${i}.cpuprofile`,
                ];
          servers.push(new Server(db, `127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`, nodeArgs));
        }
        try {
          await Promise.all(servers.map((s) => s.start()));
          const stub = new OptimizerServiceClient(servers[0]!.address, credentials.createInsecure());
          const name = `rate-${round}-${k}${control ? "-control" : ""}-${algorithm}`;
          await promisify(stub).createExperiment({
            experiment: { name, space, algorithm: { name: algorithm, options: {} } },
          });
          stub.close();
          const before = await Promise.all(servers.map((s) => scrape(s.http)));
          const cpu0 = servers.map((s) => cpuOf(s.pid!));
          if (SETTLE) {
            // What earlier windows left (dead rows, dirty pages) is settled before this one's CPU is read, and the
            // statistics are current, as autovacuum keeps them in a database that has run a while: before its first
            // ANALYZE, PostgreSQL plans for empty tables (bench/RESULTS.md, "The planner and a new experiment").
            await psql("VACUUM (ANALYZE)", "parzen");
            await psql("CHECKPOINT", "parzen");
          }
          if (PG_STATS) await psql("SELECT pg_stat_statements_reset()", "parzen");
          const pg0 = pgCpuSplit(postmaster);
          const load0 = loadavg();
          const rs = await workers(
            WORKERS,
            "parzen",
            (i) => Array.from({ length: k }, (_, j) => servers[(i + j) % k]!.address).join(","),
            name,
            WINDOW_S,
          );
          const cpuServers = servers.map((s, i) => cpuOf(s.pid!) - cpu0[i]!);
          const pg1 = pgCpuSplit(postmaster);
          const cpuPgBackends = pg1.backends - pg0.backends;
          const cpuPg = cpuPgBackends + pg1.background - pg0.background;
          const statements = PG_STATS
            ? (
                await psql(
                  `SELECT calls, round(total_exec_time::numeric, 1), round(total_plan_time::numeric, 1),
                    left(regexp_replace(query, '\\s+', ' ', 'g'), 90)
                  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'parzen')
                  ORDER BY total_exec_time + total_plan_time DESC LIMIT 12`,
                  "parzen",
                )
              )
                .trim()
                .split("\n")
            : [];
          const after = await Promise.all(servers.map((s) => scrape(s.http)));
          const m = new Map<string, number>();
          after.forEach((a, i) => {
            for (const [key, v] of a) m.set(key, (m.get(key) ?? 0) + v - (before[i]!.get(key) ?? 0));
          });
          windows.push({
            round,
            servers: k,
            control,
            algorithm,
            rate: rs.reduce((n, r) => n + r.in_window, 0) / WINDOW_S,
            load: `${load0} → ${loadavg()}`,
            m,
            cpuServers,
            cpuPg,
            cpuPgBackends,
            cpuWorkers: rs.reduce((n, r) => n + r.cpu, 0),
            statements,
          });
          console.error(
            `round ${round}, ${k} servers${control ? " (control)" : ""}, ${algorithm}: ${windows.at(-1)!.rate.toFixed(0)} trials/s`,
          );
        } finally {
          for (const s of servers) await s.signal("SIGTERM");
        }
      }
    }
  }
  say(`### Throughput: completed trials per second over a ${WINDOW_S} s window, ${WORKERS} workers`);
  say("");
  say(`Fresh servers for each window, 1, 2, 3 servers side by side in each round (${ROUNDS} rounds).`);
  say("");
  const of = (round: number, k: number, a: string, control = false) =>
    windows.find((w) => w.round === round && w.servers === k && w.algorithm === a && w.control === control);
  const cell = (round: number, k: number, a: string, control = false) => {
    const w = of(round, k, a, control);
    const one = of(round, 1, a);
    return w === undefined
      ? "–"
      : `${w.rate.toFixed(0)}${one === undefined ? "" : ` (${(w.rate / one.rate).toFixed(2)})`}`;
  };
  say("| round | servers | random trials/s (÷ 1 server) | TPE trials/s (÷ 1 server) |");
  say("| --- | --- | --- | --- |");
  for (let round = 1; round <= ROUNDS; round++) {
    for (const k of SERVER_COUNTS) say(`| ${round} | ${k} | ${cell(round, k, "random")} | ${cell(round, k, "tpe")} |`);
    if (CONTROL) say(`| ${round} | 1 (control) | ${cell(round, 1, "random", true)} | ${cell(round, 1, "tpe", true)} |`);
  }
  // One window per setting and round swings by a third on this machine even when quiet: the median and the
  // lowest of each round's ratio say more than any single round.
  const ratios = (k: number, a: string, control = false) =>
    Array.from({ length: ROUNDS }, (_, r) => {
      const w = of(r + 1, k, a, control);
      const one = of(r + 1, 1, a);
      return w === undefined || one === undefined ? Number.NaN : w.rate / one.rate;
    })
      .filter((x) => !Number.isNaN(x))
      .sort((x, y) => x - y);
  const spread = (k: number, a: string, control = false) => {
    const r = ratios(k, a, control);
    return r.length === 0
      ? "–"
      : `median ${r[r.length >> 1]!.toFixed(2)}, lowest ${r[0]!.toFixed(2)}, highest ${r.at(-1)!.toFixed(2)}`;
  };
  // Rates pooled over the rounds: the median window of each setting, divided by the one-server median.
  const pooled = (k: number, a: string) => {
    const median = (n: number) => {
      const rs = windows
        .filter((w) => w.servers === n && w.algorithm === a && !w.control)
        .map((w) => w.rate)
        .sort((x, y) => x - y);
      return rs.length === 0 ? Number.NaN : rs[rs.length >> 1]!;
    };
    const r = median(k) / median(1);
    return Number.isNaN(r) ? "–" : r.toFixed(2);
  };
  if (ROUNDS > 1) {
    for (const k of SERVER_COUNTS.filter((n) => n !== 1))
      say(`| all | ${k} | ${spread(k, "random")} | ${spread(k, "tpe")} |`);
    if (CONTROL) say(`| all | 1 (control) | ${spread(1, "random", true)} | ${spread(1, "tpe", true)} |`);
    say("");
    say("Median window over the rounds, divided by the one-server median:");
    say("");
    say("| servers | random | TPE |");
    say("| --- | --- | --- |");
    for (const k of SERVER_COUNTS.filter((n) => n !== 1))
      say(`| ${k} | ${pooled(k, "random")} | ${pooled(k, "tpe")} |`);
  }
  say("");
  say("### Per window: the shared experiment's lock turns, pulls, round trips and CPU");
  say("");
  say(
    "Sums over the window's servers. A change is a mutating call (Suggest, Report). Lock wait and hold are per " +
      "turn, means. Round trips per change by purpose: unit (the change's one statement), lock, unlock (or the " +
      "turn's commit, which unlocks), pull " +
      "(turn: after taking the lock; refresh: on a notice, in the background; read). Notices: notifications " +
      "received. CPU: seconds in the window (servers each, PostgreSQL, the 32 workers together), and per " +
      "trial completed in it: what the machine spends per trial, whatever else runs on it.",
  );
  say("");
  say(
    "| round | servers | alg | trials/s | changes | turns | changes/turn | wait ms/turn | held ms/turn | " +
      "unlocked | stale | pulls turn/refresh/read | trials/pull | trips/change unit+lock+unlock or commit+pull+read | " +
      "notices/change | CPU servers | CPU PG (backends) | CPU workers | CPU ms/trial servers+PG+workers | " +
      "PG backends ms/trial | load before → after |",
  );
  say(`|${" --- |".repeat(21)}`);
  windows.forEach((w) => {
    const g = (key: string) => w.m.get(key) ?? 0;
    const changes = ["Suggest", "Report"].reduce(
      (n, method) => n + g(`parzen_rpcs_total{method="${method}",code="OK"}`),
      0,
    );
    const turns = g("parzen_feed_lock_turns_total");
    const pulls = ["turn", "refresh", "read"].map((r) => g(`parzen_feed_pulls_total{reason="${r}"}`));
    const trip = (kind: string) => g(`parzen_db_round_trips_total{kind="${kind}"}`);
    const per = (n: number) => (changes === 0 ? "–" : (n / changes).toFixed(2));
    const withChanges = g("parzen_feed_pulls_with_changes_total");
    say(
      `| ${w.round} | ${w.servers}${w.control ? " (control)" : ""} | ${w.algorithm} | ${w.rate.toFixed(0)} | ${changes} | ${turns} | ` +
        `${turns === 0 ? "–" : (g("parzen_feed_turn_changes_total") / turns).toFixed(1)} | ` +
        `${turns === 0 ? "–" : ((1000 * g("parzen_feed_lock_wait_seconds_total")) / turns).toFixed(2)} | ` +
        `${turns === 0 ? "–" : ((1000 * g("parzen_feed_lock_held_seconds_total")) / turns).toFixed(2)} | ` +
        `${g("parzen_feed_unlocked_changes_total")} | ${g("parzen_feed_stale_writes_total")} | ${pulls.join("/")} | ` +
        `${withChanges === 0 ? "–" : (g("parzen_feed_pulled_trials_total") / withChanges).toFixed(1)} | ` +
        `${[trip("unit"), trip("lock"), trip("unlock") + trip("commit"), trip("pull"), trip("read")].map(per).join("+")} | ` +
        `${per(trip("notices"))} | ` +
        `${w.cpuServers.map((c) => c.toFixed(1)).join(" + ")} | ${w.cpuPg.toFixed(1)} (${w.cpuPgBackends.toFixed(1)}) | ` +
        `${w.cpuWorkers.toFixed(1)} | ` +
        `${[w.cpuServers.reduce((a, b) => a + b, 0), w.cpuPg, w.cpuWorkers].map((c) => ((1000 * c) / (w.rate * WINDOW_S)).toFixed(2)).join("+")} | ` +
        `${((1000 * w.cpuPgBackends) / (w.rate * WINDOW_S)).toFixed(2)} | ${w.load} |`,
    );
  });
  say("");
  if (!PG_STATS) return;
  say("### Per window: PostgreSQL's statements (pg_stat_statements), by total time");
  say("");
  for (const w of windows) {
    const g = (key: string) => w.m.get(key) ?? 0;
    const changes = ["Suggest", "Report"].reduce(
      (n, method) => n + g(`parzen_rpcs_total{method="${method}",code="OK"}`),
      0,
    );
    say(`Round ${w.round}, ${w.servers} servers${w.control ? " (control)" : ""}, ${w.algorithm}: ${changes} changes.`);
    say("");
    say("| calls/change | exec ms | plan ms | exec+plan µs/change | statement |");
    say("| --- | --- | --- | --- | --- |");
    for (const line of w.statements) {
      const [calls, exec, plan, ...rest] = line.split("|");
      const query = rest.join("|");
      const us = ((Number(exec) + Number(plan)) * 1000) / Math.max(1, changes);
      say(
        `| ${(Number(calls) / Math.max(1, changes)).toFixed(3)} | ${exec} | ${plan} | ${us.toFixed(0)} | \`${query.replaceAll("|", "\\|")}\` |`,
      );
    }
    say("");
  }
}

function readPgMajor(): string {
  const root = process.env.PARZEN_TEST_PG_ROOT ?? "/usr/lib/postgresql";
  return execFileSync("ls", [root])
    .toString()
    .trim()
    .split("\n")
    .sort((a, b) => Number(b) - Number(a))[0]!;
}

await main();
