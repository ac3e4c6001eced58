/**
 * The cross-client behaviour table, clients/behaviour.json, checked against
 * this client: which calls are retried and how often, which request ids a
 * retry reuses, how each status code surfaces, and the defaults. The Python
 * and Go suites check the same table. The server is a scripted fake of every
 * OptimizerService method that answers each attempt with the next status
 * scripted for it, then with a fixed response, so each attempt the client
 * makes is counted on the server's side. Every call goes through the
 * client's own API.
 */
import { readFileSync } from "node:fs";
import {
  type sendUnaryData,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  status,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rejection } from "../../../test/integration/harness.js";
import {
  GetBestResponse,
  GetExperimentResponse,
  CreateExperimentResponse,
  GetTrialResponse,
  OptimizerServiceService,
  ReportResponse,
  SuggestResponse,
} from "../src/gen/parzen/v1/optimizer_service.js";
import { TrialState } from "../src/gen/parzen/v1/trial.js";
import { labelText } from "../src/labels.js";
import { RESEND_PAUSE_MS } from "../src/rpc.js";
import {
  DEFAULT_ADDRESS,
  DEFAULT_TIMEOUT_MS,
  type Experiment,
  ParzenClient,
  serviceConfig,
  type Trial,
  uniform,
} from "../src/index.js";

interface Behaviour {
  defaults: { address: string; call_timeout_seconds: number };
  label_text: { cases: { kind: string; value: number | string | boolean; text: string }[] };
  retry: {
    status_codes: string[];
    max_attempts: number;
    initial_backoff_seconds: number;
    max_backoff_seconds: number;
    backoff_multiplier: number;
    backoff_jitter: number;
    retried: string[];
    not_retried: string[];
    request_id: string[];
    resend_pause_seconds: number;
  };
  errors: { status: string }[];
}
const behaviour: Behaviour = JSON.parse(readFileSync(new URL("../../behaviour.json", import.meta.url), "utf8"));
const retry = behaviour.retry;

type StatusName = keyof typeof status;
const service = OptimizerServiceService as unknown as Record<
  string,
  { path: string; responseStream: boolean; responseDeserialize(b: Buffer): unknown }
>;
/** "CreateExperiment" for the key "createExperiment". */
const methodName = (key: string) => service[key]!.path.split("/").pop()!;

/** Answers that let the client build its objects (an experiment "e", its trial 7). */
const running = { id: 7, experiment: "e", state: TrialState.TRIAL_STATE_RUNNING };
const answers: Record<string, unknown> = {
  CreateExperiment: CreateExperimentResponse.fromPartial({ experiment: { name: "e" }, created: true }),
  GetExperiment: GetExperimentResponse.fromPartial({ experiment: { name: "e" } }),
  Suggest: SuggestResponse.fromPartial({ trials: [running] }),
  Report: ReportResponse.fromPartial({ trial: { ...running, state: TrialState.TRIAL_STATE_COMPLETE, loss: 0.5 } }),
  GetTrial: GetTrialResponse.fromPartial({ trial: running }),
  GetBest: GetBestResponse.fromPartial({ trial: { ...running, state: TrialState.TRIAL_STATE_COMPLETE, loss: 0.5 } }),
};

const fake = {
  script: new Map<string, StatusName[]>(),
  requests: new Map<string, Record<string, unknown>[]>(),
  /** Milliseconds left of the call's deadline when it arrived (Infinity: none). */
  timeLeft: new Map<string, number[]>(),
  /** When each attempt arrived (performance.now()). */
  at: new Map<string, number[]>(),
  attempts(method: string): number {
    return this.requests.get(method)?.length ?? 0;
  },
  reset(): void {
    this.script.clear();
    this.requests.clear();
    this.timeLeft.clear();
    this.at.clear();
  },
  /** Records an attempt; the status scripted for it, if any. */
  arrive(method: string, request: unknown, deadline: Date | number): StatusName | undefined {
    this.requests.set(method, [...(this.requests.get(method) ?? []), request as Record<string, unknown>]);
    this.timeLeft.set(method, [...(this.timeLeft.get(method) ?? []), Number(deadline) - Date.now()]);
    this.at.set(method, [...(this.at.get(method) ?? []), performance.now()]);
    return this.script.get(method)?.shift();
  },
};

/** One handler per method: the scripted status, else the method's answer. */
function handlers() {
  const impl: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(service)) {
    const name = methodName(key);
    // The method's response with every field at its default, unless answers has one.
    const reply = () => answers[name] ?? def.responseDeserialize(Buffer.alloc(0));
    const failure = (code: StatusName) => ({ code: status[code], details: `scripted ${code} for ${name}` });
    impl[key] = def.responseStream
      ? (call: ServerWritableStream<unknown, unknown>) => {
          const code = fake.arrive(name, call.request, call.getDeadline());
          if (code !== undefined) return call.emit("error", failure(code));
          call.write(reply());
          call.end();
        }
      : (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
          const code = fake.arrive(name, call.request, call.getDeadline());
          if (code !== undefined) return callback(failure(code));
          callback(null, reply());
        };
  }
  return impl;
}

/** How this client makes each call; StreamTrials it never makes (the service-config check covers it). */
interface Ctx {
  client: ParzenClient;
  exp: Experiment;
  trial: Trial;
}
const drain = async (it: AsyncIterable<unknown>) => {
  for await (const _ of it);
};
const calls: Record<string, (x: Ctx) => Promise<unknown>> = {
  CreateExperiment: (x) => x.client.createExperiment({ name: "e", space: [uniform("x", 0, 1)] }),
  GetExperiment: (x) => x.client.experiment("e"),
  ListExperiments: (x) => drain(x.client.listExperiments()),
  DeleteExperiment: (x) => x.client.deleteExperiment("e"),
  Suggest: (x) => x.exp.suggest(),
  Report: (x) => x.trial.report(0.5),
  ReportIntermediate: (x) => x.trial.reportIntermediate(0, 0.5),
  Heartbeat: (x) => x.trial.heartbeat(),
  ReleaseTrial: (x) => x.trial.release(),
  Enqueue: (x) => x.exp.enqueue({ x: 0.5 }),
  AddTrials: (x) => x.exp.addTrials([{ params: { x: 0.5 }, loss: 1 }]),
  GetTrial: (x) => x.exp.trial(7),
  ListTrials: (x) => drain(x.exp.trials()),
  GetBest: (x) => x.exp.best(),
  GetParetoFront: (x) => x.exp.paretoFront(),
  GetImportance: (x) => x.exp.importance(),
  UpdateExperiment: (x) => x.exp.pause(),
};
const notCalled = new Set(["StreamTrials"]);

let server: Server;
let address: string;
let ctx: Ctx;
beforeAll(async () => {
  server = new Server();
  server.addService(OptimizerServiceService, handlers() as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  address = `127.0.0.1:${port}`;
  const client = await ParzenClient.connect(address, { workerId: "behaviour" });
  const exp = await client.experiment("e");
  ctx = { client, exp, trial: await exp.trial(7) };
});
afterAll(async () => {
  ctx?.client.close();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
});
beforeEach(() => fake.reset());

describe("the behaviour table", () => {
  it("sorts every method of the service into retried or not", () => {
    const all = Object.keys(service).map(methodName).sort();
    expect([...retry.retried, ...retry.not_retried].sort()).toEqual(all);
    expect(Object.keys(calls).sort()).toEqual(all.filter((m) => !notCalled.has(m)));
  });

  it("is the policy of the service config the client ships", () => {
    const { methodConfig } = JSON.parse(serviceConfig);
    expect(methodConfig).toHaveLength(1);
    const [config] = methodConfig;
    expect(new Set(config.name.map((n: { service: string }) => n.service))).toEqual(
      new Set(["parzen.v1.OptimizerService"]),
    );
    expect(config.name.map((n: { method: string }) => n.method).sort()).toEqual([...retry.retried].sort());
    expect(config.retryPolicy).toEqual({
      maxAttempts: retry.max_attempts,
      initialBackoff: `${retry.initial_backoff_seconds}s`,
      maxBackoff: `${retry.max_backoff_seconds}s`,
      backoffMultiplier: retry.backoff_multiplier,
      retryableStatusCodes: retry.status_codes,
    });
  });
});

describe("retries", () => {
  it.each(retry.retried.filter((m) => !notCalled.has(m)))("retries %s after an UNAVAILABLE", async (method) => {
    fake.script.set(method, ["UNAVAILABLE"]);
    await calls[method]!(ctx);
    expect(fake.attempts(method)).toBe(2);
  });

  it.each(retry.not_retried)("does not retry %s", async (method) => {
    fake.script.set(method, Array(retry.max_attempts).fill("UNAVAILABLE"));
    expect((await rejection(calls[method]!(ctx))).codeName).toBe("UNAVAILABLE");
    expect(fake.attempts(method)).toBe(1);
  });

  it.each(behaviour.errors.map((e) => e.status))("retries %s only if the table says so", async (code) => {
    fake.script.set("GetExperiment", [code as StatusName]);
    const retried = retry.status_codes.includes(code);
    const outcome = calls.GetExperiment!(ctx);
    if (retried) await outcome;
    else expect((await rejection(outcome)).codeName).toBe(code);
    expect(fake.attempts("GetExperiment")).toBe(retried ? 2 : 1);
  });

  // gRPC gives up after the policy's attempts; the client then sends the call again after RESEND_PAUSE_MS (rpc.ts),
  // which the server sees as a short gap where the policy's next pause would be at least (1 - jitter) * max_backoff.
  it("makes the policy's attempts, pausing as it says, then resends", async () => {
    expect(RESEND_PAUSE_MS).toBe(retry.resend_pause_seconds * 1000);
    const n = retry.max_attempts;
    fake.script.set("GetExperiment", Array(n).fill("UNAVAILABLE"));
    const start = performance.now();
    await calls.GetExperiment!(ctx);
    const at = fake.at.get("GetExperiment")!;
    expect(at).toHaveLength(n + 1);
    const elapsed = (at[n - 1]! - start) / 1000;
    // The pause before retry k is min(initial * multiplier^(k-1), max), times a random
    // factor in [1 - jitter, 1 + jitter] (as grpc-js, gRPC core and grpc-go draw it).
    let pauses = 0;
    for (let k = 0; k < n - 1; k++) {
      pauses += Math.min(retry.initial_backoff_seconds * retry.backoff_multiplier ** k, retry.max_backoff_seconds);
    }
    expect(elapsed).toBeGreaterThanOrEqual((1 - retry.backoff_jitter) * pauses);
    // The slack above is for the attempts themselves on a busy machine.
    expect(elapsed).toBeLessThanOrEqual((1 + retry.backoff_jitter) * pauses + 2);
    const gap = at[n]! - at[n - 1]!;
    expect(gap).toBeGreaterThanOrEqual(RESEND_PAUSE_MS - 5);
    expect(gap).toBeLessThan((1 - retry.backoff_jitter) * retry.max_backoff_seconds * 1000);
  });

  it("resends a retried call until it succeeds within its deadline, with the same request id", async () => {
    const n = retry.max_attempts;
    // Two rounds of the policy, then the server answers.
    fake.script.set("Suggest", Array(2 * n).fill("UNAVAILABLE"));
    const trial = await ctx.exp.suggest();
    expect(trial.id).toBe(7);
    const requests = fake.requests.get("Suggest")!;
    expect(requests).toHaveLength(2 * n + 1);
    expect(requests[0]!.requestId).not.toBe("");
    for (const r of requests) expect(r.requestId).toBe(requests[0]!.requestId);
  });

  it("stops resending at the call's deadline", async () => {
    const client = await ParzenClient.connect(address, { timeoutMs: 2000 });
    try {
      fake.script.set("GetExperiment", Array(1000).fill("UNAVAILABLE"));
      const start = performance.now();
      const err = await rejection(client.experiment("e"));
      expect(["UNAVAILABLE", "DEADLINE_EXCEEDED"]).toContain(err.codeName);
      const took = performance.now() - start;
      expect(took).toBeGreaterThanOrEqual(2000 - RESEND_PAUSE_MS);
      expect(took).toBeLessThan(3000);
    } finally {
      client.close();
    }
  });

  it("neither retries nor resends when retries are turned off", async () => {
    const client = await ParzenClient.connect(address, { channelOptions: { "grpc.enable_retries": 0 } });
    try {
      const exp = await client.experiment("e");
      const off = { client, exp, trial: await exp.trial(7) };
      for (const method of retry.retried.filter((m) => !notCalled.has(m))) {
        fake.reset();
        fake.script.set(method, ["UNAVAILABLE"]);
        expect((await rejection(calls[method]!(off))).codeName).toBe("UNAVAILABLE");
        expect(fake.attempts(method)).toBe(1);
      }
    } finally {
      client.close();
    }
  });

  it("resends the same request id", async () => {
    for (const method of retry.request_id) fake.script.set(method, ["UNAVAILABLE"]);
    const trial = await ctx.exp.suggest();
    await trial.report(0.5);
    await ctx.exp.addTrials([{ params: { x: 0.5 }, loss: 1 }]);
    for (const method of retry.request_id) {
      const [first, second] = fake.requests.get(method)!;
      expect(first!.requestId).not.toBe("");
      expect(second!.requestId).toBe(first!.requestId);
    }
  });
});

describe("errors and defaults", () => {
  it.each(behaviour.errors.map((e) => e.status))("surfaces %s with its code and the server's message", async (code) => {
    fake.script.set("DeleteExperiment", [code as StatusName]);
    const err = await rejection(ctx.client.deleteExperiment("e"));
    expect(err.codeName).toBe(code);
    expect(err.code).toBe(status[code as StatusName]);
    expect(err.details).toBe(`scripted ${code} for DeleteExperiment`);
    expect(err.method).toBe("DeleteExperiment");
  });

  it("defaults to the table's address and call deadline", async () => {
    expect(DEFAULT_ADDRESS).toBe(behaviour.defaults.address);
    expect(DEFAULT_TIMEOUT_MS).toBe(behaviour.defaults.call_timeout_seconds * 1000);
    await calls.GetExperiment!(ctx);
    const [left] = fake.timeLeft.get("GetExperiment")!;
    expect(Math.abs(left! - behaviour.defaults.call_timeout_seconds * 1000)).toBeLessThan(5000);
  });
});

describe("choice labels", () => {
  it.each(behaviour.label_text.cases)("an option without a label is called $text, as every client writes it", (c) => {
    expect(labelText(c.value)).toBe(c.text);
  });
});
