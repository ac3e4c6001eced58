/**
 * The gRPC layer itself (src/server: handlers, call observer, tolerant decoding, lazy reflection), over real gRPC
 * against one real server: every method answers with its own response fields, every call is logged and counted
 * once under its method and status, undecodable requests are INVALID_ARGUMENT naming what is wrong, and
 * reflection answers in both protocol versions. The server's own options (listening, TLS, health, stopping) are
 * server-edges.test.ts's. The mutation runs of src/server use this file (scripts/mutation.sh), so each test checks
 * exact values.
 */
import { getTextEncoding } from "@bufbuild/protobuf/wire";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import * as grpc from "@grpc/grpc-js";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateExperimentRequest,
  OptimizerServiceService,
  ReportRequest,
  ReportStatus,
  type StreamTrialsResponse,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { tolerantService } from "../../src/server/tolerant-decoding.js";
import { choice, num, str, uniform } from "./fixtures.js";
import { healthCheck, promisify, rejection, startTestServer, type TestServer } from "./harness.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The service's unary methods, from its definition (so that a new method is checked too). */
const UNARY_METHODS = Object.values(OptimizerServiceService)
  .filter((m) => !m.responseStream)
  .map((m) => m.path.slice("/parzen.v1.OptimizerService/".length));
type Line = Record<string, unknown>;

const space = { parameters: [uniform("x", 0, 1), choice("kind", [{ value: str("a") }, { value: str("b") }])] };

/** Sends raw bytes as a request of `method` and resolves with the call's status. */
function rawCall(ts: TestServer, method: string, bytes: Uint8Array): Promise<ServiceError | null> {
  return new Promise((ok) => {
    ts.client.makeUnaryRequest(
      `/parzen.v1.OptimizerService/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(bytes),
      (e) => ok(e),
    );
  });
}

/** Replaces the first occurrence of `marker` (ASCII) in `bytes` by the same number of 0xff bytes. */
function spoil(bytes: Uint8Array, marker: string): Buffer {
  const b = Buffer.from(bytes);
  const at = b.indexOf(Buffer.from(marker));
  expect(at).toBeGreaterThanOrEqual(0);
  b.fill(0xff, at, at + marker.length);
  return b;
}

/** A value of `/metrics`'s text: the sample named with exactly these labels, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m !== null && m[1] === name && m[2] === want) return Number(m[3]);
  }
  return undefined;
}

describe("the gRPC layer", () => {
  let ts: TestServer;
  const lines: Line[] = [];
  const metrics = async () => (await fetch(`http://${ts.server.httpAddress}/metrics`)).text();
  /** The log lines written since `from`. */
  const since = (from: number) => lines.slice(from);

  beforeAll(async () => {
    const logger = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
    ts = await startTestServer({ logger, http: "127.0.0.1:0" });
    await ts.api.createExperiment({
      experiment: { name: "quad", space, algorithm: { name: "random", options: {} }, seed: 1 },
    });
  });
  afterAll(() => ts.close());

  it("answers every unary method with its own response fields", async () => {
    const again = await ts.api.createExperiment({
      experiment: { name: "quad", space, algorithm: { name: "random", options: {} }, seed: 1 },
    });
    expect(again.created).toBe(false);
    expect(again.experiment!.name).toBe("quad");
    expect((await ts.api.getExperiment({ name: "quad" })).experiment!.name).toBe("quad");
    expect((await ts.api.listExperiments({})).experiments.map((e) => e.name)).toContain("quad");
    const updated = await ts.api.updateExperiment({ name: "quad", maxTrials: 50 });
    expect(updated.experiment!.name).toBe("quad");
    expect(updated.experiment!.maxTrials).toBe(50);

    const [t] = (await ts.api.suggest({ experiment: "quad", workerId: "w", requestId: "contract-1" })).trials;
    expect(t!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    const hb = await ts.api.heartbeat({ trialId: t!.id });
    expect(hb.leaseDeadline).toBeInstanceOf(Date);
    expect(hb.leaseDeadline!.getTime()).toBeGreaterThan(Date.now());
    expect(await ts.api.reportIntermediate({ trialId: t!.id, step: 1, value: 0.5 })).toEqual({ shouldPrune: false });
    const reported = await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 });
    expect(reported.trial!.id).toBe(t!.id);
    expect(reported.trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect((await ts.api.getTrial({ trialId: t!.id })).trial!.loss).toBe(0.25);
    expect((await ts.api.getBest({ experiment: "quad" })).trial!.id).toBe(t!.id);
    expect((await ts.api.getParetoFront({ experiment: "quad" })).trials.map((p) => p.id)).toEqual([t!.id]);
    expect((await ts.api.listTrials({ experiment: "quad" })).trials.map((p) => p.id)).toContain(t!.id);

    const enqueued = await ts.api.enqueue({
      experiment: "quad",
      configurations: [{ params: { x: { kind: { $case: "doubleValue", value: 0.75 } }, kind: str("b") } }],
    });
    expect(enqueued.trials).toHaveLength(1);
    expect(enqueued.trials[0]!.state).toBe(TrialState.TRIAL_STATE_WAITING);
    const added = await ts.api.addTrials({
      experiment: "quad",
      trials: [{ params: { x: { kind: { $case: "doubleValue", value: 0.1 } }, kind: str("a") }, loss: 0.04 }],
    });
    expect(added.trials).toHaveLength(1);
    expect(added.trials[0]!.loss).toBe(0.04);

    const [held] = (await ts.api.suggest({ experiment: "quad", workerId: "w" })).trials;
    const released = await ts.api.releaseTrial({ trialId: held!.id });
    expect(released.trial!.id).toBe(held!.id);

    const importance = await ts.api.getImportance({ experiment: "quad" });
    expect(importance.trials).toBe(2);
    expect(importance.parameters.map((p) => p.name).sort()).toEqual(["kind", "x"]);

    // A pruner's verdict reaches the answer (false is also what an empty answer decodes to).
    await ts.api.createExperiment({
      experiment: { name: "pruned", space, pruner: { name: "threshold", options: { upper: num(1) } } },
    });
    const [p] = (await ts.api.suggest({ experiment: "pruned", workerId: "w" })).trials;
    expect(await ts.api.reportIntermediate({ trialId: p!.id, step: 1, value: 2 })).toEqual({ shouldPrune: true });

    await ts.api.createExperiment({ experiment: { name: "gone", space } });
    expect(await ts.api.deleteExperiment({ name: "gone" })).toEqual({});
    expect((await rejection(ts.api.getExperiment({ name: "gone" }))).code).toBe(status.NOT_FOUND);
  });

  it("logs each call once at debug with its method, experiment, trial and request id, and counts it", async () => {
    const before = await metrics();
    const from = lines.length;
    await ts.api.createExperiment({
      experiment: { name: "logged", space, algorithm: { name: "random", options: {} } },
    });
    await ts.api.createExperiment({
      experiment: { name: "logged", space, algorithm: { name: "random", options: {} } },
    });
    await ts.api.getExperiment({ name: "logged" });
    const [t] = (await ts.api.suggest({ experiment: "logged", workerId: "w", requestId: "req-7" })).trials;
    await ts.api.heartbeat({ trialId: t!.id });
    await ts.api.listExperiments({});
    await ts.api.deleteExperiment({ name: "logged" });
    const calls = since(from).filter((l) => l.msg === "call");
    expect(calls.map((l) => l.method)).toEqual([
      "CreateExperiment",
      "CreateExperiment",
      "GetExperiment",
      "Suggest",
      "Heartbeat",
      "ListExperiments",
      "DeleteExperiment",
    ]);
    for (const l of calls) {
      expect(l.level).toBe(20);
      expect(l.code).toBe("OK");
      expect(l.ms).toBeTypeOf("number");
      expect(l.ms as number).toBeGreaterThanOrEqual(0);
      expect(l.ms as number).toBeLessThan(60_000);
    }
    // The experiment is read from a string field, an Experiment message or a name, whichever the request has.
    expect(calls.map((l) => l.experiment)).toEqual([
      "logged",
      "logged",
      "logged",
      "logged",
      undefined,
      undefined,
      "logged",
    ]);
    expect(calls[3]).toMatchObject({ requestId: "req-7" });
    expect(calls[4]).toMatchObject({ trial: t!.id });
    // Only the fields a request has: no empty request id, no trial 0.
    expect(Object.keys(calls[2]!)).not.toContain("requestId");
    expect(Object.keys(calls[2]!)).not.toContain("trial");
    expect(Object.keys(calls[5]!)).not.toContain("experiment");
    // Lifecycle events at info: a creation only when the experiment was created, and a deletion.
    const events = since(from).filter((l) => l.level === 30);
    expect(events.map((l) => [l.msg, l.experiment])).toEqual([
      ["experiment created", "logged"],
      ["experiment deleted", "logged"],
    ]);
    expect(events[0]!.algorithm).toBe("random");
    // Each event follows its own call's line: the first CreateExperiment's, and the DeleteExperiment's.
    const order = since(from)
      .filter((l) => l.msg !== "call" || l.method !== "Heartbeat")
      .map((l) => (l.msg === "call" ? l.method : l.msg));
    expect(order).toEqual([
      "CreateExperiment",
      "experiment created",
      "CreateExperiment",
      "GetExperiment",
      "Suggest",
      "ListExperiments",
      "DeleteExperiment",
      "experiment deleted",
    ]);

    const after = await metrics();
    const count = (text: string, method: string, code = "OK") =>
      sample(text, "parzen_rpcs_total", { method, code }) ?? 0;
    expect(count(after, "CreateExperiment") - count(before, "CreateExperiment")).toBe(2);
    expect(count(after, "Heartbeat") - count(before, "Heartbeat")).toBe(1);
    const seconds = (text: string) =>
      sample(text, "parzen_rpc_duration_seconds_count", { method: "Suggest", code: "OK" }) ?? 0;
    expect(seconds(after) - seconds(before)).toBe(1);
  });

  it("logs a failed call at info with its status code's name and message, and counts it under that code", async () => {
    const before = await metrics();
    const from = lines.length;
    await rejection(ts.api.getTrial({ trialId: 987654 }));
    await rejection(ts.api.deleteExperiment({ name: "never-was" }));
    const failed = since(from).filter((l) => l.msg === "call failed");
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ level: 30, method: "GetTrial", code: "NOT_FOUND", trial: 987654 });
    expect(failed[0]!.details).toMatch(/987654/);
    expect(failed[0]!.ms).toBeTypeOf("number");
    expect(failed[1]).toMatchObject({ method: "DeleteExperiment", code: "NOT_FOUND", experiment: "never-was" });
    // Trial 0 and an empty request id are no trial and no request id: left out of the line.
    const more = lines.length;
    await rejection(ts.api.getTrial({ trialId: 0 }));
    await rejection(ts.api.suggest({ experiment: "no-such", requestId: "" }));
    const [zero, empty] = since(more).filter((l) => l.msg === "call failed");
    expect(zero).toMatchObject({ method: "GetTrial" });
    expect(Object.keys(zero!)).not.toContain("trial");
    expect(empty).toMatchObject({ method: "Suggest", experiment: "no-such" });
    expect(Object.keys(empty!)).not.toContain("requestId");
    // A failed deletion deleted nothing, and says nothing of it.
    expect(since(from).some((l) => l.msg === "experiment deleted")).toBe(false);
    expect(since(from).some((l) => l.msg === "call")).toBe(false);
    const after = await metrics();
    const notFound = (text: string) =>
      sample(text, "parzen_rpcs_total", { method: "GetTrial", code: "NOT_FOUND" }) ?? 0;
    expect(notFound(after) - notFound(before)).toBe(1);
  });

  it("observes only OptimizerService calls: health and reflection are neither logged nor counted", async () => {
    const from = lines.length;
    expect(await healthCheck(ts.server.address, "")).toBe("SERVING");
    await reflect(ts.server.address, "v1", { listServices: "*" });
    expect(since(from)).toEqual([]);
    const text = await metrics();
    expect(text).not.toMatch(/method="(Check|ServerReflectionInfo|grpc)/);
  });

  it("refuses undecodable bytes with INVALID_ARGUMENT naming the request type, and goes on serving", async () => {
    // Field 1 (trial_id) as a length-delimited value running past the end of the message.
    const err = await rawCall(ts, "GetTrial", Uint8Array.of(0x0a, 0x7f, 0x01));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^request: not a valid GetTrialRequest message \(.+\)$/);
    expect(err!.details.length).toBeLessThanOrEqual("request: not a valid GetTrialRequest message ()".length + 200);
    // Every unary method names its own request type.
    expect(UNARY_METHODS).toHaveLength(17);
    for (const method of UNARY_METHODS) {
      const e = await rawCall(ts, method, Uint8Array.of(0x0a, 0x7f, 0x01));
      expect(e?.code, method).toBe(status.INVALID_ARGUMENT);
      expect(e?.details, method).toMatch(new RegExp(`^request: not a valid ${method}Request message \\(.+\\)$`));
    }
    // An int64 beyond 2^53 cannot be a trial id this server hands out: refused, not INTERNAL.
    const huge = await rawCall(
      ts,
      "GetTrial",
      Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
    );
    expect(huge?.code).toBe(status.INVALID_ARGUMENT);
    expect(huge?.details).toMatch(/^request: not a valid GetTrialRequest message/);
    expect((await ts.api.getExperiment({ name: "quad" })).experiment!.name).toBe("quad");
    // Invalid UTF-8 in a request that then fails to decode: refused as undecodable, and the next request, valid,
    // is not blamed for it.
    const both = await rawCall(ts, "GetExperiment", Uint8Array.of(0x0a, 0x01, 0xff, 0x0a, 0x7f, 0x01));
    expect(both?.code).toBe(status.INVALID_ARGUMENT);
    expect(both?.details).toMatch(/^request: not a valid GetExperimentRequest message \(.+\)$/);
    expect((await ts.api.getExperiment({ name: "quad" })).experiment!.name).toBe("quad");
  });

  it("refuses invalid UTF-8 naming the field: nested, in a repeated field, in a oneof, and in a map key", async () => {
    const create = (experiment: Parameters<typeof CreateExperimentRequest.fromPartial>[0]["experiment"]) =>
      Buffer.from(CreateExperimentRequest.encode(CreateExperimentRequest.fromPartial({ experiment })).finish());
    const cases: [Buffer, string][] = [
      [
        spoil(create({ name: "utf1", space: { parameters: [uniform("x", 0, 1), uniform("MARK", 0, 1)] } }), "MARK"),
        "experiment.space.parameters[1].name",
      ],
      [
        spoil(
          create({ name: "utf2", space: { parameters: [choice("c", [{ value: str("a") }, { value: str("MARK") }])] } }),
          "MARK",
        ),
        "experiment.space.parameters[0].choice.options[1].value.string_value",
      ],
      [spoil(create({ name: "utf3", space, userAttrs: { MARK: "v" } }), "MARK"), "experiment.user_attrs.key"],
    ];
    for (const [bytes, field] of cases) {
      const err = await rawCall(ts, "CreateExperiment", bytes);
      expect(err?.code, field).toBe(status.INVALID_ARGUMENT);
      expect(err?.details).toBe(`${field}: not valid UTF-8 (protobuf strings must be UTF-8)`);
    }
    // Invalid UTF-8 that the decoded request no longer holds (a repeated scalar field: the last one wins) is
    // refused all the same, without a field to name.
    const overwritten = Uint8Array.of(0x0a, 0x01, 0xff, 0x0a, 0x02, 0x6f, 0x6b);
    const lost = await rawCall(ts, "GetExperiment", overwritten);
    expect(lost?.code).toBe(status.INVALID_ARGUMENT);
    expect(lost?.details).toBe("a string field: not valid UTF-8 (protobuf strings must be UTF-8)");
    // A map key of a top-level map field.
    const [t] = (await ts.api.suggest({ experiment: "quad", workerId: "w" })).trials;
    const report = ReportRequest.encode(
      ReportRequest.fromPartial({
        trialId: t!.id,
        status: ReportStatus.REPORT_STATUS_OK,
        loss: 1,
        userAttrs: { MARK: "x" },
      }),
    ).finish();
    const err = await rawCall(ts, "Report", spoil(report, "MARK"));
    expect(err?.details).toBe("user_attrs.key: not valid UTF-8 (protobuf strings must be UTF-8)");
    // The replacement character itself, validly encoded, is text like any other; the next request is not blamed.
    const ok = await ts.api.report({
      trialId: t!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 1,
      userAttrs: { note: "\ufffd" },
    });
    expect(ok.trial!.userAttrs).toEqual({ note: "\ufffd" });
    for (const name of ["utf1", "utf2", "utf3"])
      expect((await rejection(ts.api.getExperiment({ name }))).code).toBe(status.NOT_FOUND);
    // The decoder's UTF-8 step is wrapped once per process, not once more for every server made in it.
    const wrapped = getTextEncoding();
    tolerantService(OptimizerServiceService);
    expect(getTextEncoding()).toBe(wrapped);
  });

  it("streams an experiment's trials in number order, filtered by state, and ends the stream", async () => {
    await ts.api.createExperiment({
      experiment: { name: "streamed", space, algorithm: { name: "random", options: {} } },
    });
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [t] = (await ts.api.suggest({ experiment: "streamed", workerId: "w" })).trials;
      ids.push(t!.id);
      if (i % 3 !== 0) await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: i });
    }
    const all = await stream(ts, { experiment: "streamed", states: [] });
    expect(all.map((r) => r.trial!.id)).toEqual(ids);
    const running = await stream(ts, { experiment: "streamed", states: [TrialState.TRIAL_STATE_RUNNING] });
    expect(running.map((r) => r.trial!.id)).toEqual(ids.filter((_, i) => i % 3 === 0));
    const missing = await stream(ts, { experiment: "nope", states: [] }).catch((e: ServiceError) => e);
    expect((missing as ServiceError).code).toBe(status.NOT_FOUND);
    expect(ts.server.diagnostics().streams).toBe(0);
  });

  it("lets a stream the client cancels go, however much of the history is left", async () => {
    await ts.api.createExperiment({ experiment: { name: "long", space, algorithm: { name: "random", options: {} } } });
    const x = (v: number) => ({ kind: { $case: "doubleValue" as const, value: v } });
    await ts.api.addTrials({
      experiment: "long",
      trials: Array.from({ length: 400 }, (_, i) => ({ params: { x: x(i / 400), kind: str("a") }, loss: i })),
    });
    const call = ts.client.streamTrials({ experiment: "long", states: [] });
    const first = await new Promise<StreamTrialsResponse>((ok) => call.once("data", ok));
    expect(first.trial!.number).toBe(0);
    call.on("error", () => undefined);
    call.cancel();
    // The server's count of open streams goes back to none (stream-gate.ts), which new streams need.
    await ts.server.streamsIdle(0);
    expect(ts.server.diagnostics().streams).toBe(0);
    expect(await stream(ts, { experiment: "long", states: [] })).toHaveLength(400);
  });

  it("answers reflection in v1 and v1alpha, built on the first call", async () => {
    for (const version of ["v1", "v1alpha"] as const) {
      const r = (await reflect(ts.server.address, version, { listServices: "*" })) as {
        listServicesResponse: { service: { name: string }[] };
      };
      expect(r.listServicesResponse.service.map((s) => s.name)).toEqual(
        expect.arrayContaining(["parzen.v1.OptimizerService", "grpc.health.v1.Health"]),
      );
      const files = (await reflect(ts.server.address, version, {
        fileContainingSymbol: "parzen.v1.OptimizerService",
      })) as { fileDescriptorResponse: { fileDescriptorProto: Buffer[] } };
      expect(files.fileDescriptorResponse.fileDescriptorProto.length).toBeGreaterThanOrEqual(4);
    }
  });
});

describe("the gRPC layer with scoped tokens", () => {
  const ADMIN = "admin-token-0123456789abcdef";
  const READER = "reader-token-seen-0123456789";
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({
      tokens: [ADMIN, { token: READER, role: "reader", experiments: ["seen-*"] }],
    });
    const admin = promisify(ts.client, ADMIN);
    for (const name of ["hidden", "seen-1", "seen-2"]) {
      await admin.createExperiment({ experiment: { name, space, algorithm: { name: "random", options: {} } } });
      await admin.suggest({ experiment: name, workerId: "w" });
    }
  });
  afterAll(() => ts.close());

  it("lists only the experiments a token's scope may see, and refuses the others' streams", async () => {
    const reader = promisify(ts.client, READER);
    expect((await reader.listExperiments({ pageSize: 100 })).experiments.map((e) => e.name)).toEqual([
      "seen-1",
      "seen-2",
    ]);
    const all = (await promisify(ts.client, ADMIN).listExperiments({ pageSize: 100 })).experiments;
    expect(all.map((e) => e.name)).toEqual(["hidden", "seen-1", "seen-2"]);
    const auth = (token: string) => {
      const md = new Metadata();
      md.set("authorization", `Bearer ${token}`);
      return md;
    };
    const seen = await stream(ts, { experiment: "seen-1", states: [] }, auth(READER));
    expect(seen).toHaveLength(1);
    const denied = await stream(ts, { experiment: "hidden", states: [] }, auth(READER)).catch((e: ServiceError) => e);
    expect((denied as ServiceError).code).toBe(status.PERMISSION_DENIED);
    expect(ts.server.diagnostics().streams).toBe(0);
    expect((await rejection(reader.getExperiment({ name: "hidden" }))).code).toBe(status.PERMISSION_DENIED);
  });
});

describe("after a Report's answer", () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(() => ts.close());

  it("starts the lone worker's next suggestion once the answer is on the wire", async () => {
    await ts.api.createExperiment({ experiment: { name: "p", space, algorithm: { name: "random", options: {} } } });
    const [t] = (await ts.api.suggest({ experiment: "p", workerId: "solo" })).trials;
    const before = ts.server.optimizer.diagnostics().prefetch.started;
    await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    // No event tells a test when the prefetch starts: wait for it, bounded, as a busy machine needs.
    for (let waited = 0; ts.server.optimizer.diagnostics().prefetch.started === before; waited += 5) {
      if (waited > 5_000) throw new Error("no prefetch started after the Report's answer");
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(ts.server.optimizer.diagnostics().prefetch.started).toBe(before + 1);
  });
});

/** Every message of a StreamTrials call, or its error. */
function stream(
  ts: TestServer,
  req: { experiment: string; states: TrialState[] },
  metadata = new Metadata(),
): Promise<StreamTrialsResponse[]> {
  return new Promise((ok, fail) => {
    const out: StreamTrialsResponse[] = [];
    const call = ts.client.streamTrials(req, metadata);
    call.on("data", (r: StreamTrialsResponse) => out.push(r));
    call.on("error", fail);
    call.on("end", () => ok(out));
  });
}

/** One request on the reflection stream of `version` and its first answer. */
function reflect(address: string, version: "v1" | "v1alpha", request: object): Promise<unknown> {
  const proto = join(ROOT, `node_modules/@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`);
  const def = grpc.loadPackageDefinition(loadSync(proto)) as any;
  const client = new def.grpc.reflection[version].ServerReflection(address, credentials.createInsecure());
  return new Promise((ok, fail) => {
    const call = client.ServerReflectionInfo(new Metadata());
    call.on("data", (r: unknown) => {
      ok(r);
      call.end();
      client.close();
    });
    call.on("error", fail);
    call.write(request);
  });
}
