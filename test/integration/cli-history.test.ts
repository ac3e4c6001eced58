import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { mixedSpace } from "./fixtures.js";
import { testPki } from "./certs.js";
import { startTestServer, type TestServer } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
let ts: TestServer;

function cli(
  args: string[],
  address = ts.server.address,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--address", address], {
      cwd: ROOT,
      env: { ...process.env, PARZEN_TOKEN: undefined, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => ok({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  ts = await startTestServer();
  await ts.api.createExperiment({
    experiment: { name: "hist", space: mixedSpace(), algorithm: { name: "random" }, pruner: { name: "median" } },
  });
  const { trials } = await ts.api.suggest({ experiment: "hist", count: 3 });
  await ts.api.report({
    trialId: trials[0]!.id,
    status: ReportStatus.REPORT_STATUS_OK,
    loss: 0.25,
    metrics: { acc: 0.9 },
  });
  await ts.api.reportIntermediate({ trialId: trials[1]!.id, step: 0, value: 1.5 });
  await ts.api.reportIntermediate({ trialId: trials[1]!.id, step: 1, value: 1.25 });
  await ts.api.report({ trialId: trials[1]!.id, status: ReportStatus.REPORT_STATUS_PRUNED });
  await ts.api.report({ trialId: trials[2]!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "oom, twice" });
}, 60_000);
afterAll(async () => {
  await ts.close();
});

describe("parzen experiments | trials | export", () => {
  it("lists experiments with their counts", async () => {
    const { code, stdout } = await cli(["experiments"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME\s+STATE\s+BUDGET\s+BEST\s+ALGORITHM\s+DIRECTION\s+COMPLETE/);
    expect(stdout).toMatch(/hist\s+ACTIVE\s+2\/-\s+0\.25\s+random\s+minimize\s+1\s+0\s+1\s+1\s+0\s+0/);
  }, 90_000);

  it("exports the whole history as CSV, PRUNED and FAIL included", async () => {
    const { code, stdout } = await cli(["export", "hist"]);
    expect(code).toBe(0);
    const [header, ...rows] = stdout.trim().split("\n");
    expect(header).toContain("number,id,state,loss,params.lr,params.layers,params.optimizer");
    expect(header).toContain("metrics.acc");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^0,\d+,COMPLETE,0\.25,/);
    expect(rows[1]).toMatch(/^1,\d+,PRUNED,1\.25,/);
    expect(rows[1]).toContain('"[[0,1.5],[1,1.25]]"');
    expect(rows[2]).toContain('"oom, twice"');
  }, 90_000);

  it("exports each objective value and constraint of a multi-objective history, in CSV and JSON Lines", async () => {
    const objectives = [{ direction: 1 }, { direction: 2 }];
    await ts.api.createExperiment({ experiment: { name: "mo", space: mixedSpace(), objectives } });
    const { trials } = await ts.api.suggest({ experiment: "mo", count: 2 });
    const ok = ReportStatus.REPORT_STATUS_OK;
    await ts.api.report({ trialId: trials[0]!.id, status: ok, values: [0.5, 20], constraints: [-1] });
    await ts.api.report({ trialId: trials[1]!.id, status: ReportStatus.REPORT_STATUS_FAIL });
    const csv = await cli(["export", "mo"]);
    expect(csv.code).toBe(0);
    const [header, first, second] = csv.stdout.trim().split("\n");
    expect(header).toMatch(/^number,id,state,loss,values\.0,values\.1,constraints\.0,params\./);
    expect(first).toMatch(/^0,\d+,COMPLETE,,0\.5,20,-1,/);
    expect(second).toMatch(/^1,\d+,FAIL,,,,,/);
    const jsonl = await cli(["export", "mo", "--format", "jsonl"]);
    const [a, b] = jsonl.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ loss: null, values: [0.5, 20], constraints: [-1] });
    expect(b).not.toHaveProperty("values");
    expect(b).not.toHaveProperty("constraints");
    // The other tests list the experiments: leave only theirs.
    await ts.api.deleteExperiment({ name: "mo" });
  }, 90_000);

  it("exports JSON Lines filtered by state", async () => {
    const { code, stdout } = await cli(["export", "hist", "--format", "jsonl", "--states", "pruned"]);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      number: 1,
      state: "PRUNED",
      loss: 1.25,
      intermediate_values: [
        [0, 1.5],
        [1, 1.25],
      ],
    });
  }, 90_000);

  it("prints experiments as JSON Lines, and trials as a table", async () => {
    const json = await cli(["experiments", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: "hist",
      algorithm: "random",
      algorithm_choice: { algorithm: "random", reason: "" },
      direction: "DIRECTION_MINIMIZE",
      state: "EXPERIMENT_STATE_ACTIVE",
      completion_reason: null,
      max_trials: null,
      best_loss: 0.25,
      trial_counts: { complete: 1, pruned: 1, fail: 1, running: 0 },
    });
    const table = await cli(["trials", "hist", "--states", "complete"]);
    // A header row, then the trial (cli-polish.test.ts checks the columns further).
    expect(table.stdout).toMatch(/^NUMBER {2}STATE {5}LOSS {2}PROPOSED BY {2}PARAMETERS/);
    expect(table.stdout).toMatch(/\n {5}0 {2}COMPLETE {2}0\.25 {2}random {7}lr=\S+ layers=\d+ optimizer=\w+/);
    expect(table.stdout.trim().split("\n")).toHaveLength(2);
  }, 90_000);

  it("connects with TLS (--tls-ca) and sends PARZEN_TOKEN as a bearer token", async () => {
    const pki = testPki();
    const dir = mkdtempSync(join(tmpdir(), "parzen-cli-tls-"));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const token = "cli-history-token-0123456789abcdef";
    const secured = await startTestServer({
      tls: { certFile: file("server.pem", pki.server.cert), keyFile: file("server.key", pki.server.key) },
      tokens: [token],
    });
    try {
      const address = `localhost:${secured.server.address.split(":").pop()}`;
      const tls = ["--tls-ca", file("ca.pem", pki.ca.cert)];
      const denied = await cli(["experiments", ...tls], address);
      expect(denied.code).toBe(1);
      expect(denied.stderr.trim()).toBe('parzen: missing "authorization: Bearer <token>" metadata');
      const allowed = await cli(["experiments", ...tls], address, { PARZEN_TOKEN: token });
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toMatch(/^NAME/);
    } finally {
      await secured.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("fails with one clear line for an unknown experiment or state", async () => {
    const missing = await cli(["trials", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('parzen: experiment "nope" does not exist');
    const badState = await cli(["trials", "hist", "--states", "sleeping"]);
    expect(badState.stderr).toContain('unknown trial state "sleeping"');
  }, 90_000);
});

describe("parzen pause | resume | stop | update", () => {
  it("changes an experiment's lifecycle and budget, printing its state, budget and best loss", async () => {
    const own = await startTestServer();
    try {
      const address = own.server.address;
      await own.api.createExperiment({ experiment: { name: "life", space: mixedSpace(), maxTrials: 2 } });
      const [t] = (await own.api.suggest({ experiment: "life" })).trials;
      await own.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 });

      expect((await cli(["pause", "life"], address)).stdout).toBe("life: PAUSED, budget 1/2, best 0.5\n");
      expect((await own.api.suggest({ experiment: "life" })).retryAfter).toBeDefined();
      expect((await cli(["resume", "life"], address)).stdout).toBe("life: ACTIVE, budget 1/2, best 0.5\n");
      const lowered = await cli(["update", "life", "--max-trials", "1", "--goal", "0.1"], address);
      expect(lowered.stdout).toBe("life: COMPLETED (budget), budget 1/1, best 0.5\n");
      const listed = await cli(["experiments"], address);
      expect(listed.stdout).toMatch(/life\s+COMPLETED \(budget\)\s+1\/1\s+0\.5\s+tpe/);
      const cleared = await cli(
        ["update", "life", "--max-trials", "none", "--deadline", "2099-01-01T00:00:00Z"],
        address,
      );
      expect(cleared.stdout).toBe("life: ACTIVE, budget 1/-, best 0.5\n");
      expect((await own.api.getExperiment({ name: "life" })).experiment).toMatchObject({
        goal: 0.1,
        deadline: new Date("2099-01-01T00:00:00Z"),
      });
      expect((await cli(["stop", "life"], address)).stdout).toBe("life: COMPLETED (stopped), budget 1/-, best 0.5\n");
      const json = JSON.parse((await cli(["experiments", "--json"], address)).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({
        state: "EXPERIMENT_STATE_COMPLETED",
        completion_reason: "COMPLETION_REASON_STOPPED",
        max_trials: null,
        goal: 0.1,
        deadline: "2099-01-01T00:00:00.000Z",
        best_loss: 0.5,
      });

      for (const [args, message] of [
        [["update", "life"], "parzen: nothing to update: give --max-trials, --max-failed-trials, --goal or --deadline"],
        [["update", "life", "--max-trials", "many"], 'parzen: --max-trials: expected an integer or "none", got "many"'],
        [["update", "life", "--deadline", "tomorrow"], "parzen: --deadline: expected an ISO 8601 time"],
        [["update", "life", "--max-trials", "0"], "parzen: max_trials: must be a positive integer when set, got 0"],
        [["pause", "nope"], 'parzen: experiment "nope" does not exist'],
      ] as const) {
        const failed = await cli([...args], address);
        expect(failed.code, args.join(" ")).toBe(1);
        expect(failed.stderr.trim()).toContain(message);
      }
    } finally {
      await own.close();
    }
  }, 120_000);
});
