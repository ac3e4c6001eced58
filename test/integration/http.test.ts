/**
 * The HTTP listener over real HTTP next to a real gRPC server: probes, the
 * dashboard's JSON API (read-only, paged, sorted, downloads), token rules,
 * the default-port fallback, /metrics as parsed by Python's
 * prometheus_client, and the per-call log lines.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExperimentAction, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { startParzen } from "../../src/app.js";
import { choice, mixedSpace, str, uniform } from "./fixtures.js";
import { promisify, startTestServer, type TestServer } from "./harness.js";

const TOKEN = "reader-token-0123456789";
const PYTHON = join(__dirname, "..", "..", ".venv", "bin", "python");

async function get(ts: TestServer, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://${ts.server.httpAddress}${path}`, init);
}

/** Runs `n` trials of a quadratic in x (y matters little), reporting OK. */
async function run(ts: TestServer, experiment: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [t] = (await ts.api.suggest({ experiment, workerId: `w${i % 2}`, requestId: `r-${experiment}-${i}` })).trials;
    const x = t!.params.x!.kind!.value as number;
    await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: (x - 0.3) ** 2 });
  }
}

describe("the HTTP listener", () => {
  let ts: TestServer;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const logger = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    ts = await startTestServer({ http: "127.0.0.1:0", logger });
    await ts.api.createExperiment({
      experiment: {
        name: "quad",
        space: { parameters: [uniform("x", 0, 1), choice("kind", [{ value: str("a") }, { value: str("b") }])] },
        algorithm: { name: "random", options: {} },
        seed: 1,
      },
    });
    await run(ts, "quad", 30);
    await ts.api.createExperiment({ experiment: { name: "mixed/slash", space: mixedSpace(), seed: 2 } });
  });
  afterAll(() => ts.close());

  it("answers the probes", async () => {
    expect((await get(ts, "/healthz")).status).toBe(200);
    expect((await get(ts, "/readyz")).status).toBe(200);
  });

  it("lists experiments with counts and the best loss, and serves one's details", async () => {
    const list = (await (await get(ts, "/api/experiments")).json()) as { experiments: Record<string, unknown>[] };
    expect(list.experiments.map((e) => e.name)).toEqual(["mixed/slash", "quad"]);
    const quad = list.experiments[1]!;
    expect(quad).toMatchObject({ algorithm: "random", direction: "minimize", total: 30 });
    expect((quad.counts as Record<string, number>).complete).toBe(30);
    const detail = (await (await get(ts, `/api/experiments/${encodeURIComponent("mixed/slash")}`)).json()) as {
      params: { name: string; parent?: unknown; labels?: string[] }[];
    };
    expect(detail.params.find((p) => p.name === "momentum")?.parent).toEqual({ name: "optimizer", option: "sgd" });
    expect(detail.params.find((p) => p.name === "optimizer")?.labels).toEqual(["sgd", "adam"]);
  });

  it("shows a user's pause and stop as the experiment's state", async () => {
    const state = async () => {
      const d = (await (await get(ts, `/api/experiments/${encodeURIComponent("mixed/slash")}`)).json()) as {
        state: string;
        completionReason: string | null;
      };
      return [d.state, d.completionReason];
    };
    expect(await state()).toEqual(["active", null]);
    await ts.api.updateExperiment({ name: "mixed/slash", action: ExperimentAction.EXPERIMENT_ACTION_PAUSE });
    expect(await state()).toEqual(["paused", null]);
    await ts.api.updateExperiment({ name: "mixed/slash", action: ExperimentAction.EXPERIMENT_ACTION_STOP });
    expect(await state()).toEqual(["completed", "stopped"]);
    await ts.api.updateExperiment({ name: "mixed/slash", action: ExperimentAction.EXPERIMENT_ACTION_RESUME });
    expect(await state()).toEqual(["active", null]);
  });

  it("pages and sorts the trials table, with choice labels", async () => {
    const page = (await (await get(ts, "/api/experiments/quad/trials?sort=loss&limit=10&offset=5")).json()) as {
      total: number;
      rows: { loss: number; params: Record<string, unknown> }[];
    };
    expect(page.total).toBe(30);
    expect(page.rows).toHaveLength(10);
    const losses = page.rows.map((r) => r.loss);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    expect(["a", "b"]).toContain(page.rows[0]!.params.kind);
    const best = (await (await get(ts, "/api/experiments/quad")).json()) as { bestLoss: number };
    const first = (await (await get(ts, "/api/experiments/quad/trials?sort=loss&limit=1")).json()) as {
      rows: { loss: number }[];
    };
    expect(first.rows[0]!.loss).toBe(best.bestLoss);
    const bad = await get(ts, "/api/experiments/quad/trials?sort=colour");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/sort: expected/);
    expect((await get(ts, "/api/experiments/nope")).status).toBe(404);
  });

  it("downloads what the table shows as CSV and JSON Lines", async () => {
    const csv = await (await get(ts, "/api/experiments/quad/trials.csv?sort=loss")).text();
    const rows = csv.trim().split("\n");
    expect(rows[0]).toBe("number,state,loss,x,kind,worker_id,start_time,end_time");
    expect(rows).toHaveLength(31);
    const jsonl = await (await get(ts, "/api/experiments/quad/trials.jsonl?states=complete")).text();
    expect(
      jsonl
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).state),
    ).toEqual(Array(30).fill("complete"));
  });

  it("samples plot data beyond the maximum, keeping the best trial", async () => {
    const all = (await (await get(ts, "/api/experiments/quad/points")).json()) as { numbers: number[] };
    expect(all.numbers).toHaveLength(30);
    const some = (await (await get(ts, "/api/experiments/quad/points?max=8")).json()) as {
      numbers: number[];
      sampled: boolean;
      losses: number[];
      best: { losses: number[] };
    };
    expect(some.sampled).toBe(true);
    expect(some.numbers).toHaveLength(8);
    expect(Math.min(...some.losses)).toBe(some.best.losses.at(-1));
  });

  it("ranks the parameter that matters first", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "importance",
        space: { parameters: [uniform("x", 0, 1), uniform("noise", 0, 1)] },
        algorithm: { name: "random", options: {} },
        seed: 3,
      },
    });
    await run(ts, "importance", 120);
    const imp = (await (await get(ts, "/api/experiments/importance/importance")).json()) as {
      params: { name: string; importance: number }[];
    };
    expect(imp.params[0]!.name).toBe("x");
    expect(imp.params[0]!.importance).toBeGreaterThan(0.8);
  });

  it("is read-only", async () => {
    const res = await get(ts, "/api/experiments/quad", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect((await get(ts, "/api/experiments/quad")).status).toBe(200);
  });

  it("exposes Prometheus metrics that prometheus_client parses, with bounded labels", async () => {
    expect(existsSync(PYTHON), "run bash scripts/python-env.sh first").toBe(true);
    // Every trial so far was suggested and then reported OK, one call each.
    const list = (await (await get(ts, "/api/experiments")).json()) as { experiments: { total: number }[] };
    const n = list.experiments.reduce((a, e) => a + e.total, 0);
    const text = await (await get(ts, "/metrics")).text();
    const parsed = execFileSync(
      PYTHON,
      [
        "-c",
        "import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families as f\n" +
          "print(json.dumps({m.name: [[s.name, s.labels, s.value] for s in m.samples] for m in f(sys.stdin.read())}))",
      ],
      { input: text },
    ).toString();
    const families = JSON.parse(parsed) as Record<string, [string, Record<string, string>, number][]>;
    const value = (family: string, sample: string, labels: Record<string, string>) =>
      families[family]?.find(([n, l]) => n === sample && Object.entries(labels).every(([k, v]) => l[k] === v))?.[2];
    expect(value("parzen_rpcs", "parzen_rpcs_total", { method: "Suggest", code: "OK" })).toBe(n);
    expect(value("parzen_rpcs", "parzen_rpcs_total", { method: "Report", code: "OK" })).toBe(n);
    expect(
      value("parzen_rpc_duration_seconds", "parzen_rpc_duration_seconds_count", { method: "Suggest", code: "OK" }),
    ).toBe(n);
    expect(
      value("parzen_suggest_algorithm_duration_seconds", "parzen_suggest_algorithm_duration_seconds_count", {
        algorithm: "random",
      }),
      // Prefetched suggestions of a lone worker are computed too (service/use-cases/suggest.ts).
    ).toBeGreaterThanOrEqual(n);
    expect(value("parzen_trials_created", "parzen_trials_created_total", { state: "running" })).toBe(n);
    expect(value("parzen_trials_finished", "parzen_trials_finished_total", { state: "complete" })).toBe(n);
    expect(value("parzen_commit_batch_units", "parzen_commit_batch_units_sum", {})).toBeGreaterThanOrEqual(2 * n);
    expect(families.nodejs_eventloop_lag_seconds).toBeDefined();
    expect(families.process_resident_memory_bytes).toBeDefined();
    expect(families.nodejs_heap_size_used_bytes).toBeDefined();
    // No label names an experiment, a trial or a worker.
    const labels = new Set(Object.values(families).flatMap((s) => s.flatMap(([, l]) => Object.keys(l))));
    for (const l of labels)
      expect([
        "method",
        "code",
        "algorithm",
        "state",
        "le",
        "type",
        "space",
        "kind",
        "version",
        "major",
        "minor",
        "patch",
        "quantile",
      ]).toContain(l);
  });

  it("logs one debug line per call and lifecycle events and failures at info", async () => {
    const call = lines.find((l) => l.msg === "call" && l.method === "Suggest" && l.requestId === "r-quad-3");
    expect(call).toMatchObject({ level: 20, experiment: "quad", code: "OK" });
    expect(typeof call!.ms).toBe("number");
    const report = lines.find((l) => l.msg === "call" && l.method === "Report");
    expect(report?.trial).toBeTypeOf("number");
    expect(lines.find((l) => l.msg === "experiment created" && l.experiment === "quad")).toMatchObject({
      level: 30,
      algorithm: "random",
    });
    await ts.api.getBest({ experiment: "mixed/slash" }).catch(() => undefined);
    expect(lines.find((l) => l.msg === "call failed" && l.method === "GetBest")).toMatchObject({
      level: 30,
      code: "FAILED_PRECONDITION",
      experiment: "mixed/slash",
    });
    expect(lines.find((l) => l.msg === "dashboard")?.url).toBe(`http://${ts.server.httpAddress}/`);
  });
});

describe("HTTP access rules", () => {
  it("needs a token for the API and /metrics when tokens are set, but not for probes", async () => {
    const ts = await startTestServer({ http: "127.0.0.1:0", tokens: [TOKEN] });
    try {
      expect((await get(ts, "/healthz")).status).toBe(200);
      expect((await get(ts, "/api/experiments")).status).toBe(401);
      expect((await get(ts, "/metrics")).status).toBe(401);
      const wrong = await get(ts, "/api/experiments", { headers: { authorization: "Bearer not-a-token-at-all" } });
      expect(wrong.status).toBe(401);
      const ok = await get(ts, "/api/experiments", { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      const write = await get(ts, "/api/experiments/x", {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(write.status).toBe(405);
    } finally {
      await ts.close();
    }
  });

  it("shows a scoped token only the experiments its patterns allow, as over gRPC", async () => {
    const admin = "admin-token-0123456789";
    const teamA = "team-a-reader-0123456789";
    const ts = await startTestServer({
      http: "127.0.0.1:0",
      tokens: [admin, { token: teamA, role: "reader", experiments: ["team-a-*"] }],
    });
    try {
      ts.api = promisify(ts.client, admin);
      for (const name of ["team-a-1", "team-b-1"])
        await ts.api.createExperiment({ experiment: { name, space: { parameters: [uniform("x", 0, 1)] }, seed: 1 } });
      const as = (token: string, path: string) => get(ts, path, { headers: { authorization: `Bearer ${token}` } });
      const names = async (token: string) =>
        ((await (await as(token, "/api/experiments")).json()) as { experiments: { name: string }[] }).experiments
          .map((e) => e.name)
          .sort();
      expect(await names(admin)).toEqual(["team-a-1", "team-b-1"]);
      expect(await names(teamA)).toEqual(["team-a-1"]);
      expect((await as(teamA, "/api/experiments/team-a-1")).status).toBe(200);
      for (const path of ["/api/experiments/team-b-1", "/api/experiments/team-b-1/trials.csv"]) {
        const refused = await as(teamA, path);
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { error: string }).error).toContain(
          '"team-b-1" is not one this token may view',
        );
      }
      // The same token a character short is no token at all.
      expect((await as(teamA.slice(0, -1), "/api/experiments")).status).toBe(401);
    } finally {
      await ts.close();
    }
  });

  it("refuses a non-loopback HTTP address without tokens or TLS", async () => {
    await expect(
      startParzen({ db: ":memory:", listen: "127.0.0.1:0", http: "0.0.0.0:0", logger: pino({ level: "silent" }) }),
    ).rejects.toThrow(/refusing to listen on 0.0.0.0:0/);
  });

  it("warns and serves gRPC when the default port is taken, but fails on an explicit one", async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, "127.0.0.1", ok));
    const taken = `127.0.0.1:${(blocker.address() as { port: number }).port}`;
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (s: string) => warnings.push(JSON.parse(s).msg) });
    try {
      const ts = await startTestServer({ http: taken, httpExplicit: false, logger });
      expect(ts.server.httpAddress).toBeUndefined();
      expect(warnings.join("\n")).toMatch(/default HTTP address is taken/);
      expect((await ts.api.listExperiments({})).experiments).toEqual([]);
      await ts.close();
      await expect(startTestServer({ http: taken })).rejects.toThrow(/cannot listen for HTTP on .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
