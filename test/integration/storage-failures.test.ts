/**
 * Storage that cannot be written. A read-only database file (for an
 * unprivileged user: root ignores file modes) and a read-only mount are
 * refused at start-up with the file named; a full disk answers UNAVAILABLE
 * with the file named and nothing half-stored, the readiness health service
 * says NOT_SERVING until writes succeed again (liveness stays SERVING), and
 * recovery needs no restart; a foreign SQLite file is refused and left as it
 * was.
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { startParzen } from "../../src/app.js";
import { num, uniform } from "./fixtures.js";
import { healthBecomes, healthCheck, promisify, refusedServe, rejection, startFailure } from "./harness.js";
import { credentials } from "@grpc/grpc-js";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const NOBODY = 65534;
const READINESS = "parzen.v1.OptimizerService";
const silent = pino({ level: "silent" });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "parzen-storage-"));
  dirs.push(d);
  return d;
}

/** Makes a Parzen database at `db` (as root), then stops the server; its lock file is removed. */
async function makeDatabase(db: string): Promise<void> {
  const s = await startParzen({ db, listen: "127.0.0.1:0", logger: silent });
  const client = new OptimizerServiceClient(s.address, credentials.createInsecure());
  await promisify(client).createExperiment({
    experiment: { name: "kept", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
  });
  client.close();
  await s.stop();
  rmSync(`${db}.lock`, { force: true });
}

/** Why the server cannot be run as `nobody` here (not root, or the checkout unreadable to others), if it cannot. */
function unprivilegedProblem(): string | undefined {
  if (process.getuid?.() !== 0) return "the tests do not run as root";
  try {
    execFileSync(
      process.execPath,
      ["-e", `require("fs").readFileSync(${JSON.stringify(join(ROOT, "src/cli/main.ts"))})`],
      {
        uid: NOBODY,
        gid: NOBODY,
        stdio: "pipe",
      },
    );
    return undefined;
  } catch (err) {
    return `user nobody cannot read the checkout: ${(err as Error).message.split("\n")[0]}`;
  }
}

function tryMount(args: string[]): string | undefined {
  try {
    execFileSync("mount", args, { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return (err as Error).message.split("\n")[0];
  }
}

/** Fills the file system holding `dir` until it has no byte left. */
function fill(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  }
  // Then the last few bytes.
  try {
    for (;;) writeSync(fd, chunk, 0, 1);
  } catch {}
  closeSync(fd);
  return path;
}

const bigSpace = (n: number) => ({
  parameters: Array.from({ length: n }, (_, i) => uniform(`p${i}_${"x".repeat(150)}`, 0, 1)),
});

describe("unwritable storage", () => {
  it("refuses a read-only database file at start-up, for an unprivileged user, naming the file", async (ctx) => {
    const why = unprivilegedProblem();
    if (why !== undefined) {
      console.log(`skipped: cannot run the server as an unprivileged user here (${why})`);
      ctx.skip();
      return;
    }
    const dir = tempDir();
    const db = join(dir, "parzen.db");
    await makeDatabase(db);
    // The directory is the user's (so the lock and WAL files could be made); the database file stays root's.
    chownSync(dir, NOBODY, NOBODY);
    const { code, stderr } = await refusedServe(["--db", db, "--listen", "127.0.0.1:0"], {
      uid: NOBODY,
      gid: NOBODY,
      env: { ...process.env, HOME: "/tmp" },
    });
    expect(code).toBe(1);
    expect(stderr).toContain(db);
    expect(stderr).toMatch(/read-only|cannot be written/);
  }, 60_000);

  it("refuses a database on a read-only mount at start-up, naming the file", async (ctx) => {
    const dir = tempDir();
    const db = join(dir, "parzen.db");
    await makeDatabase(db);
    const mnt = join(tempDir(), "ro");
    mkdirSync(mnt);
    const why = tryMount(["--bind", dir, mnt]);
    if (why !== undefined) {
      console.log(`skipped: mounts are not allowed here (${why})`);
      ctx.skip();
      return;
    }
    try {
      execFileSync("mount", ["-o", "remount,ro,bind", mnt]);
      const path = join(mnt, "parzen.db");
      const err = await startFailure(startParzen({ db: path, listen: "127.0.0.1:0", logger: silent }));
      expect(err.message).toContain(path);
      expect(err.message).toMatch(/read-only|cannot be written/);
    } finally {
      execFileSync("umount", [mnt]);
    }
  });

  it("answers UNAVAILABLE on a full disk, stores nothing half, tells readiness, and recovers", async (ctx) => {
    const dir = join(tempDir(), "small");
    mkdirSync(dir);
    const why = tryMount(["-t", "tmpfs", "-o", "size=3m", "tmpfs", dir]);
    if (why !== undefined) {
      console.log(`skipped: mounts are not allowed here (${why})`);
      ctx.skip();
      return;
    }
    const db = join(dir, "parzen.db");
    try {
      await fullDisk(db);
    } finally {
      execFileSync("umount", [dir]);
    }
  }, 60_000);

  async function fullDisk(db: string): Promise<void> {
    const dir = dirname(db);
    const server = await startParzen({ db, listen: "127.0.0.1:0", http: "127.0.0.1:0", logger: silent });
    const readyz = async () => (await fetch(`http://${server.httpAddress}/readyz`)).status;
    const client = new OptimizerServiceClient(server.address, credentials.createInsecure());
    const api = promisify(client);
    try {
      await api.createExperiment({
        experiment: { name: "small", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
      });
      const filler = fill(dir);

      const big = { name: "big", space: bigSpace(1000), algorithm: { name: "random" } };
      const created = await rejection(api.createExperiment({ experiment: big }));
      expect(created.code).toBe(14); // UNAVAILABLE
      expect(created.details).toContain(db);
      expect(created.details).not.toContain("request_id");
      expect(await healthCheck(server.address, READINESS)).toBe("NOT_SERVING");
      expect(await healthCheck(server.address, "")).toBe("SERVING");
      expect(await readyz()).toBe(503);

      const imported = Array.from({ length: 3000 }, (_, i) => ({
        params: { x: num(i / 3000) },
        loss: i,
        userAttrs: { note: "n".repeat(500) },
      }));
      const added = await rejection(api.addTrials({ experiment: "small", trials: imported }));
      expect(added.code).toBe(14);
      expect(added.details).toContain(db);
      expect(added.details).not.toContain("request_id");

      rmSync(filler);
      await healthBecomes(server.address, READINESS, "SERVING");
      expect(await readyz()).toBe(200);
      await expect(api.getExperiment({ name: "big" })).rejects.toMatchObject({ code: 5 });
      expect((await api.listTrials({ experiment: "small", pageSize: 10 })).trials).toEqual([]);
      await api.createExperiment({ experiment: big });
      expect((await api.addTrials({ experiment: "small", trials: imported.slice(0, 10) })).trials).toHaveLength(10);
      client.close();
      await server.stop();
      const check = new Database(db, { readonly: true });
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
      check.close();
    } finally {
      client.close();
      await server.stop();
    }
  }

  it("refuses a foreign SQLite file without switching it to WAL", async () => {
    const dir = tempDir();
    const path = join(dir, "other.db");
    const foreign = new Database(path);
    foreign.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')");
    foreign.close();
    const err = await startFailure(startParzen({ db: path, listen: "127.0.0.1:0", logger: silent }));
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not a Parzen database/);
    const again = new Database(path);
    expect(again.pragma("journal_mode", { simple: true })).toBe("delete");
    expect(again.prepare("SELECT body FROM notes").all()).toEqual([{ body: "mine" }]);
    again.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
