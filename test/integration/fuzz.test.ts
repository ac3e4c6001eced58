/**
 * Hostile input over real gRPC, bounded in count and time: random bytes as
 * every method's request, mutations of valid requests, and hand-made
 * extremes (NaN/Inf, 1e308, megabyte strings, deeply nested spaces,
 * thousands of parameters, int64 beyond 2^53, huge counts). Every call must
 * end with a proper status (never INTERNAL or UNKNOWN, never a hang), and the
 * server must keep serving afterwards. The byte streams are seeded, so a
 * failure reproduces.
 */
import { Client, credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as svc from "@parzen/client/gen/parzen/v1/optimizer_service";
import { OptimizerServiceService, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Parameter } from "@parzen/client/gen/parzen/v1/space";
import { createRng } from "../../src/math/rng.js";
import { choice, mixedSpace, num, str, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

const MAX_MESSAGE = 4 * 1024 * 1024;
const CALL_DEADLINE_MS = 15_000;

let ts: TestServer;
let raw: Client;
const methods = Object.values(OptimizerServiceService).map((m) => ({
  path: m.path,
  stream: m.responseStream,
  name: m.path.split("/").pop()!,
}));

beforeAll(async () => {
  ts = await startTestServer({ maxMessageBytes: MAX_MESSAGE });
  raw = new Client(ts.server.address, credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  await ts.api.createExperiment({
    experiment: { name: "fz", space: mixedSpace(), algorithm: { name: "random", options: {} }, seed: 1 },
  });
  await ts.api.suggest({ experiment: "fz", count: 3, workerId: "w" });
});
afterAll(async () => {
  raw.close();
  await ts.close();
});

// ---- raw calls ------------------------------------------------------------------

const identity = (b: Buffer): Buffer => b;

interface Outcome {
  method: string;
  code: number;
  details: string;
}

function call(method: { path: string; stream: boolean; name: string }, bytes: Buffer): Promise<Outcome> {
  const deadline = Date.now() + CALL_DEADLINE_MS;
  return new Promise((resolve) => {
    if (method.stream) {
      const c = raw.makeServerStreamRequest(method.path, identity, identity, bytes, new Metadata(), { deadline });
      c.on("data", () => undefined);
      c.on("error", () => undefined);
      c.on("status", (s) => resolve({ method: method.name, code: s.code, details: s.details }));
    } else {
      raw.makeUnaryRequest(
        method.path,
        identity,
        identity,
        bytes,
        new Metadata(),
        { deadline },
        (err: ServiceError | null) =>
          resolve({ method: method.name, code: err ? err.code : status.OK, details: err ? err.details : "" }),
      );
    }
  });
}

/** Runs `jobs` with at most `width` in flight. */
async function pool(jobs: (() => Promise<Outcome>)[], width = 16): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) out.push(await jobs[next++]!());
    }),
  );
  return out;
}

function expectProperStatuses(outcomes: Outcome[]): void {
  const bad = outcomes.filter((o) =>
    [status.INTERNAL, status.UNKNOWN, status.DEADLINE_EXCEEDED, status.UNAVAILABLE].includes(o.code),
  );
  expect(bad.slice(0, 5)).toEqual([]);
}

async function expectStillServing(): Promise<void> {
  const name = `alive-${Math.random().toString(36).slice(2)}`;
  await ts.api.createExperiment({
    experiment: { name, space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random", options: {} } },
  });
  const { trials } = await ts.api.suggest({ experiment: name });
  const r = await ts.api.report({ trialId: trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
  expect(r.trial!.loss).toBe(1);
}

// ---- seeded bytes ---------------------------------------------------------------

function rng(seed: number): () => number {
  const g = createRng(seed);
  return () => g.uniform();
}

function randomBytes(r: () => number, max: number): Buffer {
  const b = Buffer.alloc(Math.floor(r() * max));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** Plausible-looking protobuf: random tags of every wire type with random payloads. */
function tagSoup(r: () => number): Buffer {
  const parts: Buffer[] = [];
  const n = 1 + Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const field = 1 + Math.floor(r() * 20);
    const wire = [0, 1, 2, 5, 3, 4, 6, 7][Math.floor(r() * (r() < 0.9 ? 4 : 8))]!;
    parts.push(varint(BigInt((field << 3) | wire)));
    if (wire === 0)
      parts.push(varint(BigInt.asUintN(64, BigInt(Math.floor(r() * 2 ** 53)) * (r() < 0.3 ? 2048n : 1n))));
    else if (wire === 1) parts.push(randomBytes(r, 9).subarray(0, 8));
    else if (wire === 5) parts.push(randomBytes(r, 5).subarray(0, 4));
    else if (wire === 2) {
      const body = r() < 0.5 ? tagSoupShallow(r) : randomBytes(r, 40);
      parts.push(varint(BigInt(r() < 0.1 ? body.length + 5 : body.length)), body);
    }
  }
  return Buffer.concat(parts);
}
function tagSoupShallow(r: () => number): Buffer {
  return Buffer.concat([varint(BigInt(((1 + Math.floor(r() * 4)) << 3) | 0)), varint(BigInt(Math.floor(r() * 1000)))]);
}

function varint(v: bigint): Buffer {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Buffer.from(out);
}
const field = (n: number, wire: number) => varint(BigInt((n << 3) | wire));
const ld = (n: number, body: Buffer) => Buffer.concat([field(n, 2), varint(BigInt(body.length)), body]);
const vi = (n: number, v: bigint) => Buffer.concat([field(n, 0), varint(v)]);

function mutate(r: () => number, valid: Buffer): Buffer {
  const b = Buffer.from(valid);
  const edits = 1 + Math.floor(r() * 4);
  let out = b;
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(r() * Math.max(1, out.length));
    const kind = r();
    if (kind < 0.5 && out.length > 0) out[i] = Math.floor(r() * 256);
    else if (kind < 0.75) out = Buffer.concat([out.subarray(0, i), randomBytes(r, 6), out.subarray(i)]);
    else out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1 + Math.floor(r() * 4))]);
  }
  return out;
}

// ---- valid requests to mutate -----------------------------------------------------

const enc = <T>(type: { fromPartial(o: unknown): T; encode(m: T): { finish(): Uint8Array } }, partial: unknown) =>
  Buffer.from(type.encode(type.fromPartial(partial)).finish());

function validRequests(): Record<string, Buffer> {
  const params = {
    lr: num(0.01),
    layers: { kind: { $case: "intValue", value: 2 } },
    optimizer: str("sgd"),
    momentum: num(0.5),
  };
  return {
    CreateExperiment: enc(svc.CreateExperimentRequest, {
      experiment: {
        name: "fz-mut",
        space: mixedSpace(),
        algorithm: { name: "tpe", options: {} },
        leaseDuration: { seconds: 60, nanos: 0 },
      },
    }),
    GetExperiment: enc(svc.GetExperimentRequest, { name: "fz" }),
    ListExperiments: enc(svc.ListExperimentsRequest, { pageSize: 5, pageToken: "" }),
    DeleteExperiment: enc(svc.DeleteExperimentRequest, { name: "doomed" }),
    Suggest: enc(svc.SuggestRequest, { experiment: "fz", count: 2, workerId: "w", requestId: "r" }),
    Report: enc(svc.ReportRequest, {
      trialId: 1,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 0.5,
      metrics: { acc: 1 },
      userAttrs: { a: "b" },
      suggestNext: true,
      workerId: "w",
      requestId: "rr",
    }),
    UpdateExperiment: enc(svc.UpdateExperimentRequest, {
      name: "fz",
      action: svc.ExperimentAction.EXPERIMENT_ACTION_RESUME,
      maxTrials: 10_000,
      goal: -1e9,
      deadline: new Date(Date.now() + 3_600_000),
      clearMaxFailedTrials: true,
    }),
    ReportIntermediate: enc(svc.ReportIntermediateRequest, { trialId: 2, step: 3, value: 0.1 }),
    Heartbeat: enc(svc.HeartbeatRequest, { trialId: 3 }),
    ReleaseTrial: enc(svc.ReleaseTrialRequest, { trialId: 4, requestId: "rel", workerId: "w" }),
    Enqueue: enc(svc.EnqueueRequest, { experiment: "fz", configurations: [{ params, userAttrs: {} }] }),
    AddTrials: enc(svc.AddTrialsRequest, {
      experiment: "fz",
      trials: [{ params, loss: 0.3, intermediateValues: [{ step: 1, value: 0.2 }] }],
    }),
    GetTrial: enc(svc.GetTrialRequest, { trialId: 1 }),
    ListTrials: enc(svc.ListTrialsRequest, { experiment: "fz", states: [2], pageSize: 10, workerId: "w" }),
    StreamTrials: enc(svc.StreamTrialsRequest, { experiment: "fz", states: [3] }),
    GetBest: enc(svc.GetBestRequest, { experiment: "fz" }),
    GetParetoFront: enc(svc.GetParetoFrontRequest, { experiment: "fz" }),
    GetImportance: enc(svc.GetImportanceRequest, { experiment: "fz" }),
  };
}

// ---- hand-made extremes -----------------------------------------------------------

function nested(depth: number): Parameter {
  let p: Parameter = uniform("leaf", 0, 1);
  for (let d = depth; d > 0; d--) p = choice(`c${d}`, [{ value: str("a"), children: [p] }, { value: str("b") }]);
  return p;
}

/**
 * A conditional chain `depth` levels deep, encoded by hand in linear time
 * (ts-proto's encoder would recurse that deep too). Each level's child is
 * the last thing in it, so the message is every level's prefix, outermost
 * first, then the leaf.
 */
function rawNestedCreate(depth: number): Buffer {
  const leaf = Buffer.concat([
    ld(1, Buffer.from("leaf")),
    ld(2, Buffer.concat([field(1, 1), Buffer.alloc(8), field(2, 1), Buffer.from(new Float64Array([1]).buffer)])),
  ]);
  const value = ld(1, ld(3, Buffer.from("a")));
  const prefixes: Buffer[] = [];
  let inner = leaf.length;
  for (let d = depth; d > 0; d--) {
    const optionHead = Buffer.concat([value, field(2, 2), varint(BigInt(inner))]); // ChoiceOption{value, children: [inner]}
    const optionLen = optionHead.length + inner;
    const choiceHead = Buffer.concat([field(1, 2), varint(BigInt(optionLen))]); // Choice{options: [option]}
    const choiceLen = choiceHead.length + optionLen;
    const paramHead = Buffer.concat([ld(1, Buffer.from(`c${d}`)), field(11, 2), varint(BigInt(choiceLen))]); // Parameter{name, choice}
    prefixes.push(Buffer.concat([paramHead, choiceHead, optionHead]));
    inner = paramHead.length + choiceLen;
  }
  const param = Buffer.concat([...prefixes.reverse(), leaf]);
  const experiment = Buffer.concat([ld(1, Buffer.from(`deep-${depth}`)), ld(2, ld(1, param))]);
  return ld(1, experiment);
}

interface Extreme {
  method: string;
  bytes: Buffer;
  /** The status it must get, when that is certain. */
  expect?: number;
}

function extremes(): Extreme[] {
  const INVALID = status.INVALID_ARGUMENT;
  const create = (experiment: unknown, expect?: number): Extreme => ({
    method: "CreateExperiment",
    bytes: enc(svc.CreateExperimentRequest, { experiment }),
    expect,
  });
  const space = (parameters: Parameter[]) => ({ parameters });
  const mb = "x".repeat(1024 * 1024);
  const many = (n: number) => Array.from({ length: n }, (_, i) => uniform(`p${i}`, 0, 1));
  const INT64_MAX = (1n << 63n) - 1n;
  const out: Extreme[] = [
    create({ name: "nan", space: space([uniform("x", Number.NaN, 1)]) }, INVALID),
    create({ name: "inf", space: space([uniform("x", 0, Number.POSITIVE_INFINITY)]) }, INVALID),
    create({ name: "ninf", space: space([uniform("x", Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)]) }, INVALID),
    create({ name: "huge", space: space([uniform("x", -1.7e308, 1.7e308)]) }),
    create({
      name: "tiny",
      space: space([{ name: "x", domain: { $case: "logUniform", value: { low: 5e-324, high: 1e308 } } }]),
    }),
    create({
      name: "q",
      space: space([{ name: "x", domain: { $case: "qUniform", value: { low: 0, high: 1e300, q: 5e-324 } } }]),
    }),
    create({
      name: "qn",
      space: space([{ name: "x", domain: { $case: "qNormal", value: { mu: 0, sigma: 1e308, q: 1e-300 } } }]),
    }),
    create({
      name: "int",
      space: space([
        {
          name: "x",
          domain: { $case: "intRange", value: { low: -(2 ** 53) + 1, high: 2 ** 53 - 1, step: 1, log: false } },
        },
      ]),
    }),
    create(
      {
        name: "w",
        space: space([choice("c", [{ value: str("a") }, { value: str("b") }], [Number.NaN, Number.POSITIVE_INFINITY])]),
      },
      INVALID,
    ),
    create({ name: mb, space: space([uniform("x", 0, 1)]) }, INVALID),
    create({ name: "mbparam", space: space([uniform(mb, 0, 1)]) }, INVALID),
    create({ name: "mbchoice", space: space([choice("c", [{ value: str(mb) }])]) }, INVALID),
    create({ name: "mbattr", space: space([uniform("x", 0, 1)]), userAttrs: { k: mb } }),
    create({ name: "many-ok", space: space(many(900)), algorithm: { name: "random", options: {} } }, status.OK),
    create({ name: "too-many", space: space(many(5000)) }, INVALID),
    create(
      {
        name: "options",
        space: space([
          choice(
            "c",
            Array.from({ length: 20_000 }, (_, i) => ({ value: num(i) })),
          ),
        ]),
      },
      INVALID,
    ),
    create({ name: "nest-ok", space: space([nested(30)]), algorithm: { name: "random", options: {} } }, status.OK),
    create({ name: "nest-deep", space: space([nested(300)]) }, INVALID),
    create(
      {
        name: "opts",
        space: space([uniform("x", 0, 1)]),
        algorithm: { name: "tpe", options: { n_startup_trials: num(1e308), gamma: num(Number.NaN) } },
      },
      INVALID,
    ),
    create(
      { name: "lease", space: space([uniform("x", 0, 1)]), leaseDuration: { seconds: 2 ** 53 - 1, nanos: -5 } },
      INVALID,
    ),
    { method: "CreateExperiment", bytes: rawNestedCreate(20), expect: status.OK },
    { method: "CreateExperiment", bytes: rawNestedCreate(40), expect: INVALID },
    { method: "CreateExperiment", bytes: rawNestedCreate(5_000), expect: INVALID },
    { method: "CreateExperiment", bytes: rawNestedCreate(100_000), expect: INVALID },
    { method: "CreateExperiment", bytes: Buffer.alloc(MAX_MESSAGE + 1024, 0x0a), expect: status.RESOURCE_EXHAUSTED },
    { method: "Suggest", bytes: enc(svc.SuggestRequest, { experiment: "fz", count: 2 ** 31 - 1 }), expect: INVALID },
    { method: "Suggest", bytes: enc(svc.SuggestRequest, { experiment: "fz", count: -1 }), expect: INVALID },
    { method: "Suggest", bytes: Buffer.concat([ld(1, Buffer.from("fz")), vi(2, INT64_MAX)]) },
    { method: "Suggest", bytes: enc(svc.SuggestRequest, { experiment: "fz", workerId: mb }), expect: INVALID },
    { method: "Suggest", bytes: enc(svc.SuggestRequest, { experiment: "fz", requestId: mb }) },
    { method: "Suggest", bytes: enc(svc.SuggestRequest, { experiment: mb }) },
    { method: "Report", bytes: vi(1, INT64_MAX), expect: INVALID },
    { method: "Report", bytes: vi(1, -1n), expect: INVALID },
    {
      method: "Report",
      bytes: enc(svc.ReportRequest, { trialId: 2 ** 53 - 1, status: ReportStatus.REPORT_STATUS_OK, loss: 1 }),
    },
    {
      method: "Report",
      bytes: enc(svc.ReportRequest, { trialId: 1, status: ReportStatus.REPORT_STATUS_OK, loss: Number.NaN }),
      expect: INVALID,
    },
    {
      method: "Report",
      bytes: enc(svc.ReportRequest, {
        trialId: 1,
        status: ReportStatus.REPORT_STATUS_OK,
        loss: Number.NEGATIVE_INFINITY,
      }),
      expect: INVALID,
    },
    {
      method: "Report",
      bytes: enc(svc.ReportRequest, {
        trialId: 1,
        status: ReportStatus.REPORT_STATUS_OK,
        loss: 1,
        metrics: { m: Number.NaN },
      }),
      expect: INVALID,
    },
    { method: "Report", bytes: enc(svc.ReportRequest, { trialId: 1, status: 99, loss: 1 }), expect: INVALID },
    {
      method: "Report",
      bytes: enc(svc.ReportRequest, {
        trialId: 2,
        status: ReportStatus.REPORT_STATUS_FAIL,
        failReason: mb,
        userAttrs: { [mb]: mb },
      }),
    },
    { method: "ReportIntermediate", bytes: Buffer.concat([vi(1, 3n), vi(2, INT64_MAX)]), expect: INVALID },
    {
      method: "ReportIntermediate",
      bytes: enc(svc.ReportIntermediateRequest, { trialId: 3, step: 2 ** 53 - 1, value: Number.POSITIVE_INFINITY }),
    },
    { method: "Heartbeat", bytes: vi(1, 1n << 62n) },
    { method: "GetTrial", bytes: vi(1, 0n) },
    {
      method: "ListTrials",
      bytes: enc(svc.ListTrialsRequest, { experiment: "fz", pageSize: 2 ** 31 - 1 }),
      expect: INVALID,
    },
    { method: "ListTrials", bytes: enc(svc.ListTrialsRequest, { experiment: "fz", pageToken: mb }) },
    { method: "ListTrials", bytes: enc(svc.ListTrialsRequest, { experiment: "fz", pageToken: "eyJ4IjoxfQ" }) },
    { method: "ListTrials", bytes: enc(svc.ListTrialsRequest, { experiment: "fz", states: [-5, 2 ** 31 - 1] }) },
    { method: "ListExperiments", bytes: enc(svc.ListExperimentsRequest, { pageSize: -7, pageToken: "%%%" }) },
    { method: "StreamTrials", bytes: enc(svc.StreamTrialsRequest, { experiment: "fz", states: [12345] }) },
    {
      method: "Enqueue",
      bytes: enc(svc.EnqueueRequest, {
        experiment: "fz",
        configurations: Array.from({ length: 20_000 }, () => ({ params: {}, userAttrs: {} })),
      }),
      expect: INVALID,
    },
    {
      method: "Enqueue",
      bytes: enc(svc.EnqueueRequest, {
        experiment: "fz",
        configurations: [{ params: { lr: num(Number.NaN) }, userAttrs: {} }],
      }),
    },
    {
      method: "AddTrials",
      bytes: enc(svc.AddTrialsRequest, {
        experiment: "fz",
        trials: [
          { params: { lr: num(1e308) }, loss: Number.POSITIVE_INFINITY, intermediateValues: [{ step: -1, value: 0 }] },
        ],
      }),
    },
  ];
  return out;
}

// ---- the tests -------------------------------------------------------------------

describe("fuzz", () => {
  it("answers random bytes sent to every method with a proper status", async () => {
    const r = rng(20260101);
    const jobs = methods.flatMap((m) =>
      Array.from({ length: 120 }, (_, i) => () => call(m, i % 2 === 0 ? randomBytes(r, 200) : tagSoup(r))),
    );
    const outcomes = await pool(jobs);
    expect(outcomes).toHaveLength(methods.length * 120);
    expectProperStatuses(outcomes);
    // Garbage that happens to decode is an ordinary (usually invalid) request; the rest is INVALID_ARGUMENT.
    expect(outcomes.filter((o) => o.code === status.INVALID_ARGUMENT).length).toBeGreaterThan(outcomes.length / 4);
    await expectStillServing();
  }, 120_000);

  it("answers mutations of valid requests with a proper status", async () => {
    const r = rng(7);
    const valid = validRequests();
    const jobs = methods.flatMap((m) => Array.from({ length: 60 }, () => () => call(m, mutate(r, valid[m.name]!))));
    const outcomes = await pool(jobs);
    expectProperStatuses(outcomes);
    await expectStillServing();
  }, 120_000);

  it("answers extreme values, megabyte strings, deep nesting and huge counts with a proper status", async () => {
    const byName = new Map(methods.map((m) => [m.name, m]));
    const cases = extremes();
    // One at a time, so outcomes line up with cases.
    const outcomes = await pool(
      cases.map((c) => () => call(byName.get(c.method)!, c.bytes)),
      1,
    );
    expectProperStatuses(outcomes);
    const expected = cases.map((c, i) => ({ i, method: c.method, code: c.expect ?? outcomes[i]!.code }));
    expect(outcomes.map((o, i) => ({ i, method: o.method, code: o.code }))).toEqual(expected);
    await expectStillServing();
    expect((await ts.api.getExperiment({ name: "many-ok" })).experiment!.space!.parameters).toHaveLength(900);
    // The hand encoder is right: 20 levels make a valid experiment. (Deeper than about 32 levels the
    // decoder's own limit of 100 nested messages refuses the request before the space limits do.)
    expect((await ts.api.getExperiment({ name: "deep-20" })).experiment!.space!.parameters).toHaveLength(1);
  }, 120_000);
});
