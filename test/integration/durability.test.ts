/**
 * Crash safety with the real `parzen serve` process: many concurrent workers
 * suggest and report, the server is killed with SIGKILL mid-load, and a new
 * server on the same file must open it cleanly (the single-server lock died
 * with the process) and hold every Report that was acknowledged, with its
 * loss. The child also runs with PARZEN_TOKENS, and the restarted one with
 * --durability full and a lower --max-suggest-count, so the CLI's wiring of
 * those is exercised end to end.
 */
import { credentials, status } from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { uniform } from "./fixtures.js";
import { promisify, rejection } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "durability-test-token-0123456789";
const WORKERS = 32;
const LOAD_MS = 2_500;

const dir = mkdtempSync(join(tmpdir(), "parzen-kill-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function serve(
  db: string,
  extra: string[] = [],
): Promise<{ child: ChildProcess; address: string; log: () => string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "serve", "--db", db, "--listen", "127.0.0.1:0", ...extra],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PARZEN_TOKENS: TOKEN },
    },
  );
  children.push(child);
  let out = "";
  const address = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start: ${out}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"address":"([^"]+)".*"msg":"listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", () => fail(new Error(`server exited early: ${out}`)));
  });
  return { child, address, log: () => out };
}

function connect(address: string) {
  const client = new OptimizerServiceClient(address, credentials.createInsecure());
  return { client, api: promisify(client, TOKEN) };
}

describe("kill -9 durability", () => {
  it("keeps every acknowledged Report across a SIGKILL mid-load, and the file opens cleanly", async () => {
    const db = join(dir, "parzen.db");
    const first = await serve(db);
    const { client, api } = connect(first.address);
    await api.createExperiment({
      experiment: {
        name: "crash",
        space: { parameters: [uniform("x", 0, 1), uniform("y", 0, 1)] },
        algorithm: { name: "random", options: {} },
      },
    });

    const acked = new Map<number, number>(); // trial id -> loss
    const suggested = new Set<number>();
    let killed = false;
    let unexpected: unknown;
    const worker = async (w: number) => {
      for (let i = 0; !killed; i++) {
        try {
          const { trials } = await api.suggest({ experiment: "crash", workerId: `w${w}`, requestId: `s-${w}-${i}` });
          const t = trials[0]!;
          suggested.add(t.id);
          const loss = w * 1000 + i + 0.25;
          await api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss, requestId: `r-${w}-${i}` });
          acked.set(t.id, loss);
        } catch (err) {
          // Only the kill may fail calls.
          if (!killed) unexpected ??= err;
          return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await new Promise((r) => setTimeout(r, LOAD_MS));
    const exited = new Promise((r) => first.child.on("exit", r));
    killed = true;
    first.child.kill("SIGKILL");
    await exited;
    await load;
    client.close();
    expect(unexpected).toBeUndefined();
    expect(acked.size).toBeGreaterThan(WORKERS);

    // A new server opens the same file at once: no stale lock, no recovery step.
    const second = await serve(db, ["--durability", "full", "--max-suggest-count", "5"]);
    expect(second.log()).toContain('"durability":"full"');
    const again = connect(second.address);
    const tooMany = await rejection(again.api.suggest({ experiment: "crash", count: 6 }));
    expect([tooMany.code, tooMany.details]).toEqual([status.INVALID_ARGUMENT, "count: must be between 1 and 5, got 6"]);
    // The same channel without the token's metadata.
    expect((await rejection(promisify(again.client).getExperiment({ name: "crash" }))).code).toBe(
      status.UNAUTHENTICATED,
    );
    const stored = new Map<number, { state: number; loss: number | undefined }>();
    let pageToken = "";
    do {
      const page = await again.api.listTrials({ experiment: "crash", pageSize: 1000, pageToken });
      for (const t of page.trials) stored.set(t.id, { state: t.state, loss: t.loss });
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    for (const [id, loss] of acked)
      expect(stored.get(id), `trial ${id}`).toEqual({ state: TrialState.TRIAL_STATE_COMPLETE, loss });
    // Trials that were handed out but not reported are still RUNNING (their lease will lapse), never lost silently.
    for (const id of suggested) expect(stored.has(id), `trial ${id}`).toBe(true);
    // And it keeps working.
    const { trials } = await again.api.suggest({ experiment: "crash" });
    await again.api.report({ trialId: trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    again.client.close();
    const stopped = new Promise<number | null>((r) => second.child.on("exit", (code) => r(code)));
    second.child.kill("SIGTERM");
    expect(await stopped).toBe(0);

    const check = new Database(db);
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    const complete = check
      .prepare("SELECT COUNT(*) AS n FROM trials WHERE state = ?")
      .get(TrialState.TRIAL_STATE_COMPLETE) as { n: number };
    expect(complete.n).toBeGreaterThanOrEqual(acked.size + 1);
    check.close();
  }, 120_000);
});
