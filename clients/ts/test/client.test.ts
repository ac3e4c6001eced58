/**
 * The TypeScript client against a real Parzen: the project's own harness
 * starts the server in-process (real gRPC on an ephemeral port, a real
 * SQLite file), and every test goes through the client's public API only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection, startTestServer, type TestServer } from "../../../test/integration/harness.js";
import {
  ParzenClient,
  ParzenError,
  choice,
  int,
  logUniform,
  pruners,
  qUniform,
  uniform,
  when,
  type Experiment,
  type Trial,
} from "../src/index.js";

let ts: TestServer;
let client: ParzenClient;
beforeAll(async () => {
  ts = await startTestServer();
  client = await ParzenClient.connect(ts.server.address, { workerId: "vitest" });
});
afterAll(async () => {
  client?.close();
  await ts?.close();
});

const space = () => [
  logUniform("lr", 1e-5, 1),
  int("layers", 1, 8),
  qUniform("dropout", 0, 0.5, 0.1),
  choice("optimizer", [when("sgd", uniform("momentum", 0, 0.99), choice("nesterov", [true, false])), "adam"]),
  choice("batch", [32, 64, 128]),
];

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("experiments", () => {
  it("creates, returns the same experiment for an identical definition, and refuses a different one", async () => {
    const a = await client.createExperiment({
      name: "create",
      space: space(),
      seed: 7,
      pruner: "median",
      userAttrs: { team: "ml" },
    });
    expect(a.created).toBe(true);
    expect(a.name).toBe("create");
    expect(a.seed).toBe(7);
    expect(a.direction).toBe("minimize");
    expect(a.userAttrs).toEqual({ team: "ml" });

    const again = await client.createExperiment({
      name: "create",
      space: space(),
      seed: 7,
      pruner: pruners.median(),
      userAttrs: { team: "ml" },
    });
    expect(again.created).toBe(false);

    const err = await rejection(client.createExperiment({ name: "create", space: [uniform("x", 0, 1)], seed: 7 }));
    expect(err.codeName).toBe("ALREADY_EXISTS");
    expect(err.code).toBe(6);
    expect(err.is("ALREADY_EXISTS")).toBe(true);

    expect((await client.experiment("create")).seed).toBe(7);
    const names = (await collect(client.listExperiments())).map((e) => e.name);
    expect(names).toContain("create");

    await client.deleteExperiment("create");
    expect((await rejection(client.experiment("create"))).codeName).toBe("NOT_FOUND");
  });

  it("lists experiments over more than one page", async () => {
    for (let i = 0; i < 5; i++) await client.createExperiment({ name: `paged-exp-${i}`, space: [uniform("x", 0, 1)] });
    const names = (await collect(client.listExperiments({ pageSize: 2 }))).map((e) => e.name);
    for (let i = 0; i < 5; i++) expect(names).toContain(`paged-exp-${i}`);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("ask and tell", () => {
  it("suggests typed plain values and records reports", async () => {
    const exp = await client.createExperiment({ name: "cycle", space: space(), algorithm: "random", seed: 1 });
    const trial = await exp.suggest();
    expect(trial.state).toBe("RUNNING");
    expect(trial.workerId).toBe("vitest");
    expect(trial.leaseDeadline).toBeInstanceOf(Date);
    const p = trial.params;
    expect(typeof p.lr).toBe("number");
    expect(Number.isInteger(p.layers)).toBe(true);
    expect(p.layers).toBeGreaterThanOrEqual(1);
    expect(p.layers).toBeLessThanOrEqual(8);
    expect([0, 0.1, 0.2, 0.3, 0.4, 0.5]).toContain(p.dropout);
    expect(["sgd", "adam"]).toContain(p.optimizer);
    expect([32, 64, 128]).toContain(p.batch);

    const done = await trial.report(0.25, { accuracy: 0.9 });
    expect(done).toBe(trial);
    expect(trial.state).toBe("COMPLETE");
    expect(trial.loss).toBe(0.25);
    expect(trial.metrics).toEqual({ accuracy: 0.9 });
    // Repeating an identical report is a no-op on the server.
    await trial.report(0.25, { accuracy: 0.9 });

    const failing = await exp.suggest();
    await failing.fail("out of memory");
    expect(failing.state).toBe("FAIL");
    expect(failing.failReason).toBe("out of memory");

    const best = await exp.best();
    expect(best?.id).toBe(trial.id);
    expect(best?.loss).toBe(0.25);
  });

  it("gives conditional parameters exactly in their branch", async () => {
    const exp = await client.createExperiment({ name: "conditional", space: space(), algorithm: "random", seed: 3 });
    const trials = await exp.suggestMany(40);
    const seen = new Set<string>();
    for (const t of trials) {
      const p = t.params;
      seen.add(String(p.optimizer));
      if (p.optimizer === "sgd") {
        expect(Object.keys(p).sort()).toEqual([
          "batch",
          "dropout",
          "layers",
          "lr",
          "momentum",
          "nesterov",
          "optimizer",
        ]);
        expect(typeof p.nesterov).toBe("boolean");
      } else {
        expect(Object.keys(p).sort()).toEqual(["batch", "dropout", "layers", "lr", "optimizer"]);
      }
    }
    expect(seen).toEqual(new Set(["sgd", "adam"]));
  });

  it("suggests a batch of distinct trials", async () => {
    const exp = await client.createExperiment({
      name: "batch",
      space: [uniform("x", 0, 1), int("k", 0, 1000)],
      seed: 5,
    });
    const trials = await exp.suggestMany(8);
    expect(trials).toHaveLength(8);
    expect(new Set(trials.map((t) => t.id)).size).toBe(8);
    expect(new Set(trials.map((t) => t.number)).size).toBe(8);
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(8);
    expect((await rejection(exp.suggestMany(0))).codeName).toBe("INVALID_ARGUMENT");
  });

  it("serves enqueued configurations first, oldest first", async () => {
    const exp = await client.createExperiment({ name: "enqueue", space: space(), seed: 11 });
    const waiting = await exp.enqueue([
      { lr: 0.01, layers: 3, dropout: 0.2, optimizer: "sgd", momentum: 0.9, nesterov: true, batch: 64 },
      { lr: 0.001, layers: 2, dropout: 0, optimizer: "adam", batch: 32 },
    ]);
    expect(waiting.map((t) => t.state)).toEqual(["WAITING", "WAITING"]);
    const first = await exp.suggest();
    expect(first.params).toEqual({
      lr: 0.01,
      layers: 3,
      dropout: 0.2,
      optimizer: "sgd",
      momentum: 0.9,
      nesterov: true,
      batch: 64,
    });
    expect(first.source).toBe("ENQUEUED");
    const second = await exp.suggest();
    expect(second.params).toEqual({ lr: 0.001, layers: 2, dropout: 0, optimizer: "adam", batch: 32 });
    expect((await exp.suggest()).source).toBe("ALGORITHM");

    // A single configuration works too; an inactive parameter is the server's INVALID_ARGUMENT.
    await exp.enqueue({ lr: 0.1, layers: 1, dropout: 0.1, optimizer: "adam", batch: 128 });
    const err = await rejection(
      exp.enqueue({ lr: 0.1, layers: 1, dropout: 0.1, optimizer: "adam", momentum: 0.5, batch: 128 }),
    );
    expect(err.codeName).toBe("INVALID_ARGUMENT");
    expect(err.details).toContain('"momentum"');
  });

  it("warm-starts from imported trials, and best() sees them", async () => {
    const exp = await client.createExperiment({
      name: "warm",
      space: [uniform("x", -5, 5), choice("kind", ["a", "b"])],
      seed: 2,
    });
    expect(await exp.best()).toBeUndefined();
    const imported = await exp.addTrials([
      { params: { x: 1.5, kind: "a" }, loss: 2.25 },
      { params: { x: 0.1, kind: "b" }, loss: 0.01, metrics: { t: 3 } },
      { params: { x: 4, kind: "a" }, state: "FAIL", failReason: "diverged" },
      { params: { x: -2, kind: "b" }, state: "PRUNED", loss: 4, intermediate: { 0: 9, 1: 4 } },
    ]);
    expect(imported.map((t) => t.state)).toEqual(["COMPLETE", "COMPLETE", "FAIL", "PRUNED"]);
    expect(imported.every((t) => t.source === "IMPORTED")).toBe(true);
    expect([...imported[3]!.intermediate]).toEqual([
      [0, 9],
      [1, 4],
    ]);
    const best = await exp.best();
    expect(best?.params).toEqual({ x: 0.1, kind: "b" });
    expect(best?.metrics).toEqual({ t: 3 });
    expect((await exp.refresh()).counts).toMatchObject({ complete: 2, fail: 1, pruned: 1 });
  });

  it("maximises when asked", async () => {
    const exp = await client.createExperiment({ name: "max", space: [uniform("x", 0, 1)], direction: "maximize" });
    expect(exp.direction).toBe("maximize");
    await exp.addTrials([
      { params: { x: 0.2 }, loss: 1 },
      { params: { x: 0.3 }, loss: 5 },
    ]);
    expect((await exp.best())?.loss).toBe(5);
  });

  it("iterates the history over more than one page, filtered by state", async () => {
    const exp = await client.createExperiment({ name: "history", space: [uniform("x", 0, 1)], algorithm: "random" });
    await exp.addTrials(Array.from({ length: 12 }, (_, i) => ({ params: { x: i / 20 }, loss: i })));
    const running = await exp.suggestMany(3);
    const all = await collect(exp.trials({ pageSize: 5 }));
    expect(all.map((t) => t.number)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    const complete = await collect(exp.trials({ states: ["COMPLETE"], pageSize: 4 }));
    expect(complete).toHaveLength(12);
    expect(complete.map((t) => t.loss)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const mine = await collect(exp.trials({ states: ["RUNNING"], workerId: "vitest" }));
    expect(mine.map((t) => t.id)).toEqual(running.map((t) => t.id));
    expect((await exp.trial(running[0]!.id)).state).toBe("RUNNING");
  });
});

describe("pruning", () => {
  it("prunes a bad curve with the median pruner through reportIntermediate", async () => {
    const exp = await client.createExperiment({
      name: "prune",
      space: [uniform("x", 0, 1)],
      algorithm: "random",
      pruner: pruners.median({ nStartupTrials: 2 }),
    });
    expect(exp.proto.pruner?.name).toBe("median");
    // Two good completed curves: 1, 0.5, 0.25 ...
    for (let i = 0; i < 2; i++) {
      const t = await exp.suggest();
      for (let step = 0; step < 4; step++) expect(await t.reportIntermediate(step, 1 / 2 ** step)).toBe(false);
      await t.report(1 / 8);
    }
    // A bad one: stays at 10, so worse than the median at step 0 already.
    const bad = await exp.suggest();
    expect(await bad.reportIntermediate(0, 10)).toBe(true);
    expect(bad.state).toBe("RUNNING");
    await bad.prune();
    expect(bad.state).toBe("PRUNED");
    expect(bad.loss).toBe(10);
    expect((await exp.best())?.loss).toBe(1 / 8);
  });
});

describe("errors", () => {
  it("maps NOT_FOUND and INVALID_ARGUMENT with the server's message", async () => {
    const missing = await rejection(client.experiment("no-such-experiment"));
    expect(missing).toMatchObject({ code: 5, codeName: "NOT_FOUND", method: "GetExperiment" });
    expect(missing.details).toContain("no-such-experiment");
    expect(missing.message).toContain("NOT_FOUND");

    const bad = await rejection(client.createExperiment({ name: "bad-space", space: [uniform("x", 1, 0)] }));
    expect(bad.codeName).toBe("INVALID_ARGUMENT");
    expect(bad.code).toBe(3);
    expect(bad.details).toMatch(/parameter "x"/);
    expect(bad.details).toMatch(/low/);

    const exp = await client.createExperiment({ name: "errors", space: [uniform("x", 0, 1)] });
    const t = await exp.suggest();
    const nan = await rejection(t.report(Number.NaN));
    expect(nan.codeName).toBe("INVALID_ARGUMENT");
    await t.report(0.5);
    const conflict = await rejection(t.report(0.7));
    expect(conflict.codeName).toBe("FAILED_PRECONDITION");

    const unknownAlgo = await rejection(
      client.createExperiment({ name: "bad-algo", space: [uniform("x", 0, 1)], algorithm: "annealing" }),
    );
    expect(unknownAlgo.codeName).toBe("INVALID_ARGUMENT");
    expect(unknownAlgo.details).toContain("annealing");
  });

  it("catches what cannot be encoded before sending", async () => {
    expect(() => int("n", 0.5, 3)).toThrow(ParzenError);
    expect(() => choice("c", [{} as unknown as string])).toThrow(/option 0/);
  });
});

describe("leases", () => {
  it("keepAlive heartbeats every third of the lease until the trial is reported", async () => {
    const exp = await client.createExperiment({ name: "lease", space: [uniform("x", 0, 1)], leaseSeconds: 1.5 });
    const t: Trial = await exp.suggest();
    const first = t.leaseDeadline!.getTime();
    const errors: ParzenError[] = [];
    const stop = t.keepAlive({ onError: (e) => errors.push(e) });
    await sleep(2_500);
    expect(t.leaseDeadline!.getTime()).toBeGreaterThan(first + 1_000);
    expect((await exp.trial(t.id)).state).toBe("RUNNING");
    await t.report(0.1);
    expect(t.state).toBe("COMPLETE");
    stop(); // harmless after the report stopped it
    expect(errors).toEqual([]);
    const deadline = await t.heartbeat().catch((e: ParzenError) => e.codeName);
    expect(deadline).toBe("FAILED_PRECONDITION");
  });

  it("keepAlive reports the server's refusal and stops", async () => {
    const exp: Experiment = await client.createExperiment({ name: "lease-refused", space: [uniform("x", 0, 1)] });
    const t = await exp.suggest();
    const refused = new Promise<ParzenError>((resolve) => t.keepAlive({ intervalMs: 50, onError: resolve }));
    await client.deleteExperiment("lease-refused");
    const err = await refused;
    expect(["NOT_FOUND", "FAILED_PRECONDITION"]).toContain(err.codeName);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
