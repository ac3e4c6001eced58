import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { mixedSpace, num, int, str, uniform } from "./fixtures.js";
import { promisify, refusedServe, rejection, startTestServer, type TestServer } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});
async function server(extra: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const ts = await startTestServer(extra);
  servers.push(ts);
  return ts;
}

describe("persistence and leases", () => {
  it("a restarted server has every experiment and trial exactly as before", async () => {
    const ts = await server();
    await ts.api.createExperiment({
      experiment: {
        name: "keep",
        space: mixedSpace(),
        algorithm: { name: "random", options: {} },
        seed: 3,
        userAttrs: { team: "vision" },
      },
    });
    const { trials } = await ts.api.suggest({ experiment: "keep", count: 4, workerId: "w" });
    await ts.api.report({
      trialId: trials[0]!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 0.5,
      metrics: { acc: 0.9 },
      userAttrs: { note: "x" },
    });
    await ts.api.reportIntermediate({ trialId: trials[1]!.id, step: 3, value: 0.7 });
    await ts.api.report({ trialId: trials[2]!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "oom" });
    await ts.api.enqueue({
      experiment: "keep",
      configurations: [{ params: { lr: num(0.1), layers: int(1), optimizer: str("adam") }, userAttrs: {} }],
    });
    const before = await ts.api.listTrials({ experiment: "keep" });
    const expBefore = await ts.api.getExperiment({ name: "keep" });
    await ts.restart();
    const after = await ts.api.listTrials({ experiment: "keep" });
    expect(after.trials).toEqual(before.trials);
    expect((await ts.api.getExperiment({ name: "keep" })).experiment).toEqual(expBefore.experiment);
    // Numbering continues where it stopped; the enqueued configuration is still served first.
    const { trials: next } = await ts.api.suggest({ experiment: "keep", count: 2 });
    expect(next.map((t) => t.number)).toEqual([4, 5]);
    expect(next[0]!.params.lr).toEqual(num(0.1));
  });

  it("the same seed and history give the same suggestions", async () => {
    const a = await server();
    const b = await server();
    const def = { name: "det", space: mixedSpace(), algorithm: { name: "random", options: {} }, seed: 11 };
    await a.api.createExperiment({ experiment: def });
    await b.api.createExperiment({ experiment: def });
    const ta = await a.api.suggest({ experiment: "det", count: 5 });
    const tb = await b.api.suggest({ experiment: "det", count: 5 });
    expect(ta.trials.map((t) => t.params)).toEqual(tb.trials.map((t) => t.params));
  });

  it("marks a trial LOST when its lease lapses, extends it on heartbeat, and accepts a late report", async () => {
    let clock = 1_000_000;
    const ts = await server({ now: () => clock });
    await ts.api.createExperiment({
      experiment: {
        name: "lease",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
        leaseDuration: { seconds: 60, nanos: 0 },
      },
    });
    const { trials } = await ts.api.suggest({ experiment: "lease", count: 2 });
    const [a, b] = trials;
    expect(a!.leaseDeadline!.getTime()).toBe(1_060_000);
    clock += 50_000;
    const hb = await ts.api.heartbeat({ trialId: a!.id });
    expect(hb.leaseDeadline!.getTime()).toBe(1_110_000);
    clock += 30_000; // b's lease (1_060_000) lapsed, a's has not
    expect((await ts.api.getTrial({ trialId: b!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect((await ts.api.getTrial({ trialId: a!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    const counts = (await ts.api.getExperiment({ name: "lease" })).experiment!.trialCounts!;
    expect(counts.lost).toBe(1);
    const late = await ts.api.report({ trialId: b!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.1 });
    expect(late.trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect((await rejection(ts.api.heartbeat({ trialId: b!.id }))).code).toBe(status.FAILED_PRECONDITION);
  });

  it("answers a retried Suggest or Report with the same request id with the original result", async () => {
    const ts = await server();
    await ts.api.createExperiment({
      experiment: {
        name: "idem",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
      },
    });
    const first = await ts.api.suggest({ experiment: "idem", count: 2, requestId: "req-1" });
    const retry = await ts.api.suggest({ experiment: "idem", count: 2, requestId: "req-1" });
    expect(retry.trials.map((t) => t.id)).toEqual(first.trials.map((t) => t.id));
    expect((await ts.api.getExperiment({ name: "idem" })).experiment!.trialCounts!.running).toBe(2);
    const r1 = await ts.api.report({
      trialId: first.trials[0]!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 1,
      requestId: "rep-1",
    });
    const r2 = await ts.api.report({
      trialId: first.trials[0]!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 1,
      requestId: "rep-1",
    });
    expect(r2.trial).toEqual(r1.trial);
  });

  it("replays a Suggest that served enqueued configurations and algorithm trials as exactly those trials", async () => {
    const ts = await server();
    const space = { parameters: [uniform("x", 0, 1)] };
    for (const name of ["idem-q", "other"])
      await ts.api.createExperiment({ experiment: { name, space, algorithm: { name: "random", options: {} } } });
    const [queued] = (await ts.api.enqueue({ experiment: "idem-q", configurations: [{ params: { x: num(0.25) } }] }))
      .trials;
    const first = await ts.api.suggest({ experiment: "idem-q", count: 3, requestId: "mixed" });
    expect(first.trials.map((t) => t.source)).toEqual([
      TrialSource.TRIAL_SOURCE_ENQUEUED,
      TrialSource.TRIAL_SOURCE_ALGORITHM,
      TrialSource.TRIAL_SOURCE_ALGORITHM,
    ]);
    expect(first.trials[0]!.id).toBe(queued!.id);
    // A configuration enqueued after the first call must not leak into the replay.
    await ts.api.enqueue({ experiment: "idem-q", configurations: [{ params: { x: num(0.75) } }] });
    const retry = await ts.api.suggest({ experiment: "idem-q", count: 3, requestId: "mixed" });
    expect(retry.trials.map((t) => [t.id, t.number, t.source])).toEqual(
      first.trials.map((t) => [t.id, t.number, t.source]),
    );
    expect(retry.trials.map((t) => t.params)).toEqual(first.trials.map((t) => t.params));
    const counts = (await ts.api.getExperiment({ name: "idem-q" })).experiment!.trialCounts!;
    expect([counts.running, counts.waiting]).toEqual([3, 1]);
    const elsewhere = await rejection(ts.api.suggest({ experiment: "other", requestId: "mixed" }));
    expect(elsewhere.code).toBe(status.FAILED_PRECONDITION);
    expect(elsewhere.details).toBe('request_id "mixed" was already used for another experiment');
    expect((await ts.api.getExperiment({ name: "other" })).experiment!.trialCounts!.running).toBe(0);
  });
});

describe("server surface", () => {
  it("answers the standard health check and lists services by reflection", async () => {
    const ts = await server();
    const { HealthClient } = await healthClient();
    const health = new HealthClient(ts.server.address, credentials.createInsecure());
    const res = await new Promise<{ status: string }>((ok, fail) =>
      health.check({ service: "parzen.v1.OptimizerService" }, (err: ServiceError | null, r: { status: string }) =>
        err ? fail(err) : ok(r),
      ),
    );
    expect(res.status).toBe("SERVING");
    health.close();
    const services = await reflectionServices(ts.server.address);
    expect(services).toEqual(expect.arrayContaining(["parzen.v1.OptimizerService", "grpc.health.v1.Health"]));
    // grpcurl needs every transitive import, well-known types included, to describe the service.
    const files = await reflectionFiles(ts.server.address, "parzen.v1.OptimizerService");
    expect(files).toEqual(
      expect.arrayContaining([
        "parzen/v1/optimizer_service.proto",
        "parzen/v1/trial.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/duration.proto",
      ]),
    );
  });

  it("listens on a unix socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-sock-"));
    const ts = await server({ listen: `unix://${join(dir, "p.sock")}` });
    expect(ts.server.address).toBe(`unix://${join(dir, "p.sock")}`);
    await ts.api.createExperiment({
      experiment: {
        name: "sock",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
      },
    });
    expect((await ts.api.suggest({ experiment: "sock" })).trials).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("parzen serve", () => {
  const dir = mkdtempSync(join(tmpdir(), "parzen-cli-"));

  it("stops start-up with one clear line for a missing directory, a busy port, a newer schema and a second server", async () => {
    const missing = await refusedServe(["--db", "/nonexistent/dir/p.db", "--listen", "127.0.0.1:0"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe("parzen: database directory /nonexistent/dir does not exist");

    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, "127.0.0.1", ok));
    const port = (blocker.address() as { port: number }).port;
    const busy = await refusedServe(["--db", join(dir, "a.db"), "--listen", `127.0.0.1:${port}`]);
    blocker.close();
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/^parzen: cannot listen on 127\.0\.0\.1:\d+: .*\n$/);

    const newer = join(dir, "newer.db");
    const db = new Database(newer);
    db.pragma("user_version = 999");
    db.close();
    const future = await refusedServe(["--db", newer, "--listen", "127.0.0.1:0"]);
    expect(future.stderr).toContain("has schema version 999, newer than this Parzen's");

    const remote = await refusedServe(["--db", join(dir, "r.db"), "--listen", "0.0.0.0:0"]);
    expect(remote.stderr).toContain("refusing to listen on 0.0.0.0:0");

    const growth = await refusedServe(["--db", join(dir, "g.db"), "--listen", "127.0.0.1:0", "--heap-growth=-5"]);
    expect(growth.code).toBe(1);
    expect(growth.stderr).toContain("expected a non-negative integer, got -5");
  }, 60_000);

  it("logs its address, refuses a second server on the same file, and shuts down cleanly on SIGTERM", async () => {
    const db = join(dir, "main.db");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "serve", "--db", db, "--listen", "127.0.0.1:0"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const address = await new Promise<string>((ok, fail) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /"address":"([^"]+)","db".*"msg":"listening"/.exec(out);
        if (m) ok(m[1]!);
      });
      child.on("exit", () => fail(new Error(`server exited early: ${out}`)));
    });
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    const api = promisify(client);
    await api.createExperiment({
      experiment: {
        name: "sig",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
      },
    });
    const { trials } = await api.suggest({ experiment: "sig" });
    await api.report({ trialId: trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 });

    const second = await refusedServe(["--db", db, "--listen", "127.0.0.1:0"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("is in use by another Parzen server");

    client.close();
    const exitCode = await new Promise<number | null>((ok) => {
      child.on("exit", (code) => ok(code));
      child.kill("SIGTERM");
    });
    expect(exitCode).toBe(0);
    expect(out).toContain('"msg":"stopped"');
    const check = new Database(db, { readonly: true });
    expect(check.prepare("SELECT loss FROM trials").all()).toEqual([{ loss: 0.5 }]);
    check.close();
  }, 60_000);
});

async function healthClient() {
  const grpc = await import("@grpc/grpc-js");
  const loader = await import("@grpc/proto-loader");
  const { protoPath } = await import("grpc-health-check");
  const def = grpc.loadPackageDefinition(loader.loadSync(protoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (addr: string, creds: unknown) => any } } };
  };
  return { HealthClient: def.grpc.health.v1.Health };
}

/** One request on the server's reflection stream (v1alpha, as grpcurl speaks it) and its first answer. */
async function reflect<R>(address: string, request: object): Promise<R> {
  const grpc = await import("@grpc/grpc-js");
  const loader = await import("@grpc/proto-loader");
  const reflectionProto = resolve(
    ROOT,
    "node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto",
  );
  const def = grpc.loadPackageDefinition(loader.loadSync(reflectionProto)) as any;
  const client = new def.grpc.reflection.v1alpha.ServerReflection(address, credentials.createInsecure());
  return new Promise((ok, fail) => {
    const call = client.ServerReflectionInfo(new Metadata());
    call.on("data", (r: R) => {
      ok(r);
      call.end();
      client.close();
    });
    call.on("error", fail);
    call.write(request);
  });
}

async function reflectionFiles(address: string, symbol: string): Promise<string[]> {
  const { FileDescriptorProto } = await import("protobufjs/ext/descriptor/index.js");
  const r = await reflect<{ fileDescriptorResponse?: { fileDescriptorProto: Buffer[] } }>(address, {
    fileContainingSymbol: symbol,
  });
  return r.fileDescriptorResponse!.fileDescriptorProto.map(
    (b) => (FileDescriptorProto.decode(b) as unknown as { name: string }).name,
  );
}

async function reflectionServices(address: string): Promise<string[]> {
  const r = await reflect<{ listServicesResponse?: { service: { name: string }[] } }>(address, { listServices: "*" });
  return r.listServicesResponse!.service.map((s) => s.name);
}
