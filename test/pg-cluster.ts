/**
 * A throwaway PostgreSQL for tests and benches: initdb in a temp directory,
 * a free port on 127.0.0.1, started with pg_ctl and stopped (and deleted) at
 * the end. Uses Debian's `postgresql` package (/usr/lib/postgresql/N/bin).
 * The server refuses to run as root, so as root every command runs as the
 * `postgres` user through runuser.
 *
 * Missing binaries: `findPostgresBin()` says so; test files skip their
 * PostgreSQL suites locally, but under CI=true `startCluster` fails instead,
 * so a CI without PostgreSQL cannot pass by skipping.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
/** Where Debian puts each major version's binaries; PARZEN_TEST_PG_ROOT overrides it (other layouts, tests of this file). */
const ROOT = process.env.PARZEN_TEST_PG_ROOT ?? "/usr/lib/postgresql";

/** The newest installed PostgreSQL's bin directory, or undefined. */
export function findPostgresBin(): string | undefined {
  if (!existsSync(ROOT)) return undefined;
  const versions = readdirSync(ROOT)
    .filter((v) => existsSync(join(ROOT, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(ROOT, versions[0], "bin");
}

/** Whether PostgreSQL suites should run here: binaries present, or CI (where their absence must fail). */
export const postgresAvailable = findPostgresBin() !== undefined || process.env.CI === "true";

export interface PgCluster {
  readonly port: number;
  /** A URL for `database` (default `postgres`) as the superuser `parzen`, over TCP. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one SQL command through psql as the superuser; returns its unaligned output. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data and port. */
  pause(): Promise<void>;
  /** Starts it again after `pause`. */
  resume(): Promise<void>;
  /** Stops the server and deletes its data (for an attached cluster, `attachCluster`: nothing, its owner does). */
  stop(): Promise<void>;
  /** What another process needs to attach to this cluster (`attachCluster`). */
  readonly address: ClusterAddress;
}

/** A running cluster's port, directory and server options (to restart it after `pause`). */
export interface ClusterAddress {
  readonly port: number;
  readonly dir: string;
  readonly options: string;
}

const asRoot = userInfo().uid === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
async function pgRun(bin: string, args: string[]): Promise<string> {
  const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
  try {
    const { stdout } = await run(file, argv, { maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${bin} ${args.join(" ")} failed: ${e.stderr || e.message}`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a new cluster (about 3–5 s). Durability settings are relaxed
 * (fsync off) unless `durable`: a test's data only has to survive its own
 * server, a bench's commits should cost what they cost in production.
 */
export async function startCluster(
  options: { durable?: boolean; tls?: { cert: string; key: string } } = {},
): Promise<PgCluster> {
  const bin = findPostgresBin();
  if (bin === undefined) {
    throw new Error(
      `PostgreSQL binaries not found under ${ROOT}: install Debian's postgresql package ` +
        "(apt-get install -y postgresql; .ci/run does)",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "parzen-pg-"));
  const owner = asRoot ? uidOf("postgres") : -1;
  if (asRoot) chownSync(dir, owner, -1);
  let tlsOpts = "";
  if (options.tls !== undefined) {
    // PostgreSQL wants its key owned by itself and unreadable by others.
    for (const [name, pem] of [
      ["server.crt", options.tls.cert],
      ["server.key", options.tls.key],
    ] as const) {
      writeFileSync(join(dir, name), pem, { mode: 0o600 });
      if (asRoot) chownSync(join(dir, name), owner, -1);
    }
    tlsOpts = ` -c ssl=on -c ssl_cert_file=${join(dir, "server.crt")} -c ssl_key_file=${join(dir, "server.key")}`;
  }
  const data = join(dir, "data");
  await pgRun(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "parzen", "-E", "UTF8", "--locale=C", "-N"]);
  let port = 0;
  const relaxed = options.durable ? "" : " -c fsync=off -c full_page_writes=off";
  const opts = () => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200${relaxed}${tlsOpts}`;
  const pgCtl = (...args: string[]) => pgRun(join(bin, "pg_ctl"), ["-D", data, ...args]);
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await pgCtl("-o", opts(), "-l", join(dir, "log"), "-w", "start");
      break;
    } catch (err) {
      // Another process may have taken the port between our probe and the start.
      if (attempt >= 2) {
        const log = existsSync(join(dir, "log")) ? readFileSync(join(dir, "log"), "utf8") : "";
        throw new Error(`${(err as Error).message}\n${log}`);
      }
    }
  }
  return handle(bin, { port, dir, options: opts() }, false);
}

/**
 * A cluster another process started and will stop (mutation runs share one across test runs: see
 * test/pg-global-setup.ts): `stop` leaves it running, and `createDatabase` first drops a database of that name
 * left by an earlier run.
 */
export function attachCluster(address: ClusterAddress): PgCluster {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error(`PostgreSQL binaries not found under ${ROOT}`);
  return handle(bin, address, true);
}

function handle(bin: string, address: ClusterAddress, attached: boolean): PgCluster {
  const { port, dir, options } = address;
  const data = join(dir, "data");
  const pgCtl = (...args: string[]) => pgRun(join(bin, "pg_ctl"), ["-D", data, ...args]);
  const url = (database = "postgres") => `postgres://parzen@127.0.0.1:${port}/${database}`;
  const psql = (sql: string, database = "postgres") =>
    pgRun(join(bin, "psql"), [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "parzen",
      "-d",
      database,
      "-XAtq",
      "-c",
      sql,
    ]);
  let stopped = false;
  return {
    port,
    address,
    url,
    psql,
    async createDatabase(name: string) {
      if (attached) await psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await psql(`CREATE DATABASE "${name}"`);
      return url(name);
    },
    async pause() {
      await pgCtl("-m", "fast", "-w", "stop");
    },
    async resume() {
      await pgCtl("-o", options, "-l", join(dir, "log"), "-w", "start");
    },
    async stop() {
      if (stopped || attached) return;
      stopped = true;
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (line === undefined) throw new Error(`no user ${user} to run PostgreSQL as`);
  return Number(line.split(":")[2]);
}
