/**
 * The CLI as a new user met it (issue 16): a header row and fail reasons in
 * `trials`, a `best` command, choice labels instead of indices in the table
 * and CSV, no EPIPE crash when piped into `head`, and `--listen` without a
 * port refused instead of binding 443.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { checkListenAddress } from "../../src/cli/listen-address.js";
import { choice, int, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
let ts: TestServer;

function cli(args: string[], shell?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const argv = ["--import", "tsx", "src/cli/main.ts", ...args];
    const child =
      shell === undefined
        ? spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, PARZEN_TOKEN: undefined } })
        : spawn("bash", ["-c", `set -o pipefail; "${process.execPath}" ${argv.join(" ")} ${shell}`], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => ok({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  ts = await startTestServer();
  // A Python-style space: dict options stored as indices, labelled by their "name".
  const optimizer = choice("optimizer", [
    { value: int(0), label: "sgd", children: [uniform("momentum", 0, 0.99)] },
    { value: int(1), label: "adam" },
  ]);
  await ts.api.createExperiment({
    experiment: {
      name: "polish",
      space: { parameters: [uniform("x", 0, 1), optimizer] },
      algorithm: { name: "random" },
    },
  });
  const { trials } = await ts.api.suggest({ experiment: "polish", count: 300 });
  await ts.api.report({
    trialId: trials[0]!.id,
    status: ReportStatus.REPORT_STATUS_OK,
    loss: 0.25,
    metrics: { acc: 1 },
  });
  await ts.api.report({ trialId: trials[1]!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "out of memory" });
  for (const t of trials.slice(2))
    await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
}, 120_000);
afterAll(async () => {
  await ts.close();
});

const address = () => ["--address", ts.server.address];

describe("the CLI", () => {
  it("prints trials under a header row, with labels and fail reasons", async () => {
    const { code, stdout } = await cli(["trials", "polish", ...address()]);
    expect(code).toBe(0);
    const [header, first, second] = stdout.split("\n");
    expect(header).toMatch(/^NUMBER\s+STATE\s+LOSS\s+PROPOSED BY\s+PARAMETERS\s+FAIL REASON$/);
    expect(first).toMatch(/^\s*0\s+COMPLETE\s+0\.25\s+random\s+x=\S+ optimizer=(sgd|adam)/);
    expect(second).toMatch(/^\s*1\s+FAIL\s+-\s+random\s+.*optimizer=(sgd|adam).*\s+out of memory$/);
    expect(stdout).not.toMatch(/optimizer=[01]\b/);
  }, 90_000);

  it("exports labels in the CSV, and both the values and the labels in JSON Lines", async () => {
    const csv = await cli(["export", "polish", ...address()]);
    const [header, row] = csv.stdout.split("\n");
    const col = header!.split(",").indexOf("params.optimizer");
    expect(["sgd", "adam"]).toContain(row!.split(",")[col]);
    const jsonl = await cli(["export", "polish", "--format", "jsonl", ...address()]);
    const line = JSON.parse(jsonl.stdout.split("\n")[0]!) as {
      params: { optimizer: number };
      labels: Record<string, string>;
    };
    expect(line.labels.optimizer).toBe(["sgd", "adam"][line.params.optimizer]);
  }, 90_000);

  it("prints the best trial", async () => {
    const { code, stdout } = await cli(["best", "polish", ...address()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^trial\s+#0 \(id \d+\)\nloss\s+0\.25\nparams\s+x=\S+ optimizer=(sgd|adam).*\nmetrics acc=1\n$/,
    );
    const json = JSON.parse((await cli(["best", "polish", "--json", ...address()])).stdout) as { number: number };
    expect(json.number).toBe(0);
    await ts.api.createExperiment({
      experiment: { name: "empty", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
    });
    const none = await cli(["best", "empty", ...address()]);
    expect([none.code, none.stderr]).toEqual([1, 'parzen: experiment "empty" has no COMPLETE trial yet\n']);
  }, 90_000);

  it("ends quietly when its output is piped into head", async () => {
    const { code, stderr, stdout } = await cli(["export", "polish", "--format", "jsonl", ...address()], "| head -n 2");
    expect(stderr).not.toContain("EPIPE");
    expect(code).toBe(0);
    expect(stdout.split("\n")).toHaveLength(3);
  }, 90_000);

  it("refuses --listen without a port, saying what to write", async () => {
    expect(() => checkListenAddress("127.0.0.1")).toThrow(
      "--listen 127.0.0.1: give host:port (e.g. 127.0.0.1:50051, or 127.0.0.1:0 for a free port) or unix:///path.sock",
    );
    expect(() => checkListenAddress("[::1]")).toThrow("give host:port");
    expect(() => checkListenAddress(":50051")).toThrow("give host:port");
    expect(checkListenAddress("0.0.0.0:0")).toBe("0.0.0.0:0");
    expect(checkListenAddress("[::1]:50051")).toBe("[::1]:50051");
    expect(checkListenAddress("unix:///tmp/p.sock")).toBe("unix:///tmp/p.sock");
    const { code, stderr } = await cli(["serve", "--listen", "127.0.0.1", "--db", "/tmp/never-opened.db"]);
    expect(code).toBe(1);
    expect(stderr).toContain("--listen 127.0.0.1: give host:port");
  }, 90_000);
});
