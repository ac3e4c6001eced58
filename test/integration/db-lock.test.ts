/**
 * One server per database file, whatever path reaches the file: a second
 * server through a symlink, a hard link, a relative path or a bind mount is
 * refused at start-up with a message naming the file and the process holding
 * it, and the first server's database stays intact.
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startParzen } from "../../src/app.js";
import { uniform } from "./fixtures.js";
import { refusedServe, startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
let other: string;
beforeAll(async () => {
  ts = await startTestServer();
  other = mkdtempSync(join(tmpdir(), "parzen-lock-"));
  await ts.api.createExperiment({
    experiment: { name: "held", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
  });
});
afterAll(async () => {
  await ts.close();
  rmSync(other, { recursive: true, force: true });
});

const second = (db: string) => startParzen({ db, listen: "127.0.0.1:0", logger: pino({ level: "silent" }) });

async function refusal(db: string): Promise<string> {
  try {
    const running = await second(db);
    await running.stop();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`a second server started on ${db}`);
}

describe("the one-server-per-database lock", () => {
  it("refuses a second server through a symlink, naming the file and the holder", async () => {
    const link = join(other, "link.db");
    symlinkSync(ts.dbPath, link);
    const message = await refusal(link);
    expect(message).toContain(link);
    expect(message).toMatch(/is in use by another Parzen server/);
    expect(message).toContain(`process ${process.pid}`);
  });

  it("refuses a second server through a relative path", async () => {
    const message = await refusal(relative(process.cwd(), ts.dbPath));
    expect(message).toMatch(/is in use by another Parzen server/);
  });

  it("refuses a second server, in another process, through a hard link", async () => {
    const hard = join(other, "hard.db");
    linkSync(ts.dbPath, hard);
    const { code, stderr } = await refusedServe(["--db", hard, "--listen", "127.0.0.1:0"]);
    expect(code).toBe(1);
    expect(stderr).toContain(hard);
    expect(stderr).toContain("is in use by another Parzen server");
    expect(stderr).toContain(`process ${process.pid}`);
    rmSync(hard);
  }, 60_000);

  it("refuses a second server through a bind mount of the directory", async (ctx) => {
    const mnt = join(other, "mnt");
    mkdirSync(mnt);
    try {
      execFileSync("mount", ["--bind", dirname(ts.dbPath), mnt], { stdio: "pipe" });
    } catch (err) {
      console.log(`skipped: bind mounts are not allowed here (${(err as Error).message.split("\n")[0]})`);
      ctx.skip();
      return;
    }
    try {
      const message = await refusal(join(mnt, "parzen.db"));
      expect(message).toMatch(/is in use by another Parzen server/);
    } finally {
      execFileSync("umount", [mnt]);
    }
  });

  it("refuses a hard-linked database even when no server holds it: SQLite keeps a WAL per name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-links-"));
    try {
      const db = join(dir, "a.db");
      writeFileSync(db, "");
      linkSync(db, join(dir, "b.db"));
      const message = await refusal(db);
      expect(message).toContain(db);
      expect(message).toMatch(/2 hard links/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves the first server serving and its database intact", async () => {
    const { trials } = await ts.api.suggest({ experiment: "held", workerId: "w" });
    expect(trials).toHaveLength(1);
    await ts.server.stop();
    const db = new Database(ts.dbPath, { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.prepare("SELECT count(*) AS n FROM trials").get()).toEqual({ n: 1 });
    db.close();
    await ts.restart();
  });
});
