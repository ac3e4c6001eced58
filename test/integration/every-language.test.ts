/**
 * One experiment, every language (issue 16): an experiment whose "optimizer"
 * choice has a branch, created in turn from Python (hyperopt-style dict
 * options, stored as indices with labels), Go and TypeScript (string
 * options), is worked on by a Python, a Go and a TypeScript worker at once,
 * each through its one-round-trip loop (exp.loop(), exp.Run, exp.loop()).
 * Every worker sees the same label for the same option and the branch's
 * parameter exactly when "sgd" is chosen; together they finish exactly the
 * budget (each worker stops after three trials), with nothing left RUNNING.
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParzenClient, choice, uniform, when } from "@parzen/client";
import { startTestServer, type TestServer } from "./harness.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const PYTHON = join(ROOT, ".venv", "bin", "python");
let ts: TestServer;
let client: ParzenClient;
let goWorker: string;

beforeAll(async () => {
  ts = await startTestServer();
  client = await ParzenClient.connect(ts.server.address, { workerId: "ts" });
  goWorker = join(ROOT, "examples", "go", ".labelworker");
  await run("go", ["build", "-o", goWorker, "./labelworker"], { cwd: join(ROOT, "examples", "go") });
}, 300_000);
afterAll(async () => {
  client?.close();
  await ts?.close();
});

const PY_CREATE = `
import sys, parzen
from parzen import hp
c = parzen.Client(sys.argv[1])
c.create_experiment(sys.argv[2], {"x": hp.uniform("x", 0, 1), "optimizer": hp.choice("optimizer", [
    {"name": "sgd", "momentum": hp.uniform("momentum", 0, 0.99)}, {"name": "adam"}])}, algorithm="random", max_trials=9)
`;
const PY_WORK = `
import json, sys, parzen
c = parzen.Client(sys.argv[1], worker_id="python")
for i, trial in enumerate(c.get_experiment(sys.argv[2]).loop()):
    label = trial.labels["optimizer"]
    assert label in ("sgd", "adam") and (label == "sgd") == ("momentum" in trial.flat_params), trial
    print(json.dumps({"worker": "python", "number": trial.number, "optimizer": label}), flush=True)
    trial.report(trial.flat_params["x"] + (0 if label == "sgd" else 1))
    if i == 2:
        break
`;

interface Seen {
  worker: string;
  number: number;
  optimizer: string;
}
const lines = (out: string): Seen[] =>
  out
    .split("\n")
    .filter((l) => l.startsWith("{") && !l.includes("created"))
    .map((l) => JSON.parse(l) as Seen);

async function tsWorker(name: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  const exp = await client.experiment(name);
  for await (const trial of exp.loop()) {
    const label = trial.labels.optimizer!;
    expect(label === "sgd").toBe("momentum" in trial.params);
    seen.push({ worker: "ts", number: trial.number, optimizer: label });
    await trial.report((trial.params.x as number) + (label === "sgd" ? 0 : 1));
    if (seen.length === 3) break;
  }
  return seen;
}

describe("one experiment, every language", () => {
  it.each([
    "python",
    "go",
    "ts",
  ])("created from %s, worked on by Python, Go and TypeScript workers alike", async (creator) => {
    const name = `every-${creator}`;
    const env = { ...process.env, PARZEN_ADDRESS: ts.server.address };
    if (creator === "python") await run(PYTHON, ["-c", PY_CREATE, ts.server.address, name]);
    if (creator === "go") await run(goWorker, ["-create", "-experiment", name], { env });
    if (creator === "ts")
      await client.createExperiment({
        name,
        algorithm: "random",
        maxTrials: 9,
        space: [uniform("x", 0, 1), choice("optimizer", [when("sgd", uniform("momentum", 0, 0.99)), "adam"])],
      });
    const [py, go, mine] = await Promise.all([
      run(PYTHON, ["-c", PY_WORK, ts.server.address, name]).then((r) => lines(r.stdout)),
      run(goWorker, ["-experiment", name, "-trials", "3"], { env }).then((r) => lines(r.stdout)),
      tsWorker(name),
    ]);
    const seen = [...py, ...go, ...mine].sort((a, b) => a.number - b.number);
    expect(seen.map((s) => s.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // The label each worker saw is the one every client reads back for that trial.
    const exp = await client.experiment(name);
    const stored = new Map<number, string>();
    for await (const t of exp.trials()) stored.set(t.number, t.labels.optimizer!);
    for (const s of seen) expect(s.optimizer).toBe(stored.get(s.number));
    expect(new Set(seen.map((s) => s.optimizer))).toEqual(new Set(["sgd", "adam"]));
    await exp.refresh();
    expect(exp.counts).toMatchObject({ complete: 9, running: 0, fail: 0 });
  }, 300_000);
});
