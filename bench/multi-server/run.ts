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
 * 2. Throughput: 32 workers for a fixed window on 1, 2 and 3 servers, and
 *    Optuna's RDB storage on the same PostgreSQL with 32 Python workers
 *    (ask/tell), random and TPE.
 *
 *   npm run build && BENCH_NO_TORCH=1 bash bench/setup-venv.sh && npx tsx bench/multi-server/run.ts [--write]
 *
 * Prints a markdown report; --write appends it, dated, to bench/RESULTS.md.
 */
import { credentials } from "@grpc/grpc-js";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { startCluster } from "../../test/pg-cluster.js";
import { uniform } from "../../test/integration/fixtures.js";
import { promisify } from "../../test/integration/harness.js";

const repo = resolve(import.meta.dirname, "../..");
const python = join(repo, "bench/.venv/bin/python");
const WORKERS = Number(process.env.BENCH_WORKERS ?? 32);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 20);
/** BENCH_SCALE shrinks the budgets for a quick try of the script itself. */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const BUDGET = { random: Math.round(3000 * SCALE), tpe: Math.round(800 * SCALE) } as const;
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
  ) {}
  async start(): Promise<void> {
    const child = spawn(
      "node",
      ["dist/cli/main.js", "serve", "--db", this.db, "--listen", this.address, "--http", "off", "--log-level", "warn"],
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
}

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
    const db = await cluster.createDatabase("parzen");
    for (let i = 0; i < 3; i++) servers.push(new Server(db, `127.0.0.1:${await freePort()}`));
    await Promise.all(servers.map((s) => s.start()));
    const stub = new OptimizerServiceClient(servers[0]!.address, credentials.createInsecure());
    const api = promisify(stub);
    const addressesFrom = (i: number, k: number) =>
      Array.from({ length: k }, (_, j) => servers[(i + j) % k]!.address).join(",");

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
        `(throwaway cluster, fsync on); ${WORKERS} Python workers (bench/multi-server/worker.py), the compiled server ` +
        "(dist/), all on this machine. `npx tsx bench/multi-server/run.ts`.",
    );
    say("");
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
    say(`### Throughput: completed trials per second over a ${WINDOW_S} s window, ${WORKERS} workers`);
    say("");
    say("| storage | servers | random (trials/s) | TPE (trials/s) |");
    say("| --- | --- | --- | --- |");
    const rate = (rs: WorkerResult[]) => rs.reduce((n, r) => n + r.in_window, 0) / WINDOW_S;
    for (const k of [1, 2, 3]) {
      const cells: string[] = [];
      for (const algorithm of ["random", "tpe"] as const) {
        const name = `rate-${k}-${algorithm}`;
        await api.createExperiment({ experiment: { name, space, algorithm: { name: algorithm, options: {} } } });
        cells.push(rate(await workers(WORKERS, "parzen", (i) => addressesFrom(i, k), name, WINDOW_S)).toFixed(0));
      }
      say(`| Parzen | ${k} | ${cells[0]} | ${cells[1]} |`);
    }
    for (const s of servers) await s.signal("SIGTERM");
    servers.length = 0;
    stub.close();
    const optunaDb = (await cluster.createDatabase("optuna")).replace(/^postgres:/, "postgresql+psycopg2:");
    const cells: string[] = [];
    for (const sampler of ["random", "tpe"] as const) {
      const study = `rate-${sampler}`;
      execFileSync(python, [
        "-c",
        `import optuna; optuna.create_study(study_name=${JSON.stringify(study)}, storage=${JSON.stringify(optunaDb)})`,
      ]);
      cells.push(rate(await workers(WORKERS, `optuna-${sampler}`, () => optunaDb, study, WINDOW_S)).toFixed(0));
    }
    say(`| Optuna RDB (same PostgreSQL) | – | ${cells[0]} | ${cells[1]} |`);
    say("");
  } finally {
    for (const s of servers) await s.signal("SIGKILL");
    await cluster.stop();
  }
  if (process.argv.includes("--write")) appendFileSync(join(repo, "bench/RESULTS.md"), `\n${out.join("\n")}\n`);
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
