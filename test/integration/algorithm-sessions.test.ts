/**
 * An experiment's algorithm session lives on its in-memory state: opened on
 * its first suggestion, freed (collected, not just unlinked) when the
 * experiment is deleted, evicted from the cache or no longer among those
 * most recently suggested from. And it is only an optimisation: an
 * experiment reloaded from the database before every suggestion, so with a
 * fresh session each time, suggests exactly what a long-lived session does.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmSession } from "../../src/algorithms/types.js";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Parameter } from "@parzen/client/gen/parzen/v1/space";
import type { Config } from "../../src/space/types.js";
import type { AlgorithmRunner, SessionHolder, SuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { WorkerRunner } from "../../src/service/runners/worker-runner.js";
import { choice, intRange, logUniform, num, str, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

// The test workers run without --expose-gc: expose it here.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** The server's own runner, noting (weakly) the session each experiment's suggestions ran in, by seed. */
class SessionSpy implements AlgorithmRunner {
  private readonly runner = new WorkerRunner(1);
  readonly sessions = new Map<number, WeakRef<AlgorithmSession>>();
  /** Handles on sessions kept on the session thread (long histories, batches), by seed. */
  readonly threadSessions = new Map<number, WeakRef<object>>();

  async suggest(job: SuggestJob, holder: SessionHolder, signal?: AbortSignal): Promise<Config> {
    const config = await this.runner.suggest(job, holder, signal);
    if (holder.algorithmSession !== undefined) this.sessions.set(job.seed, new WeakRef(holder.algorithmSession));
    if (holder.threadSession !== undefined) this.threadSessions.set(job.seed, new WeakRef(holder.threadSession));
    return config;
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

/** Whether the object behind `ref` is garbage-collected within a few collections. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 20 && ref.deref() !== undefined; i++) {
    // A WeakRef keeps its target alive until the current job ends: collect on a later turn.
    await new Promise((resolve) => setTimeout(resolve, 5));
    gc();
  }
  return ref.deref() === undefined;
}

const tpeExperiment = (name: string, seed: number, parameters: Parameter[] = [uniform("x", 0, 1)]) => ({
  experiment: { name, space: { parameters }, algorithm: { name: "tpe", options: {} }, seed },
});

describe("an experiment's algorithm session", () => {
  let ts: TestServer;
  const spy = new SessionSpy();
  beforeAll(async () => {
    ts = await startTestServer({ runner: spy });
  });
  afterAll(async () => {
    await ts.close();
  });

  const sessions = () => ts.server.optimizer.diagnostics().cache.sessions;

  it("is opened by the first suggestion and freed when the experiment is deleted", async () => {
    await ts.api.createExperiment(tpeExperiment("doomed", 101));
    const before = sessions();
    await ts.api.suggest({ experiment: "doomed" });
    expect(sessions()).toBe(before + 1);
    const session = spy.sessions.get(101)!;
    await ts.api.suggest({ experiment: "doomed" });
    expect(spy.sessions.get(101)!.deref(), "the same session serves the next suggestion").toBe(session.deref());

    await ts.api.deleteExperiment({ name: "doomed" });
    expect(sessions()).toBe(before);
    expect(await collected(session)).toBe(true);
  });

  it("is freed once four other experiments were suggested from more recently; the experiment stays", async () => {
    await ts.api.createExperiment(tpeExperiment("idle", 202));
    await ts.api.suggest({ experiment: "idle" });
    const session = spy.sessions.get(202)!;
    for (let i = 0; i < 4; i++) {
      await ts.api.createExperiment(tpeExperiment(`busy-${i}`, 300 + i));
      await ts.api.suggest({ experiment: `busy-${i}` });
    }
    expect(ts.server.optimizer.diagnostics().cache).toMatchObject({ experiments: 5, sessions: 4 });
    expect(await collected(session)).toBe(true);
    // Its next suggestion opens a new one.
    await ts.api.suggest({ experiment: "idle" });
    expect(spy.sessions.get(202)!.deref()).toBeDefined();
  });

  it("kept on the session thread for a long history, is freed when the experiment is deleted", async () => {
    await ts.api.createExperiment(tpeExperiment("long", 505));
    const trials = Array.from({ length: 5000 }, (_, i) => ({ params: { x: num((i * 0.618) % 1) }, loss: i % 97 }));
    await ts.api.addTrials({ experiment: "long", trials });
    const { trials: suggested } = await ts.api.suggest({ experiment: "long", count: 2 });
    expect(suggested).toHaveLength(2);
    const handle = spy.threadSessions.get(505)!;
    expect(handle.deref()).toBeDefined();
    expect(spy.sessions.has(505), "a batch over a long history runs on the thread only").toBe(false);

    await ts.api.deleteExperiment({ name: "long" });
    expect(await collected(handle)).toBe(true);
  });

  it("is not kept for an algorithm that runs on a worker thread (a session per job there)", async () => {
    await ts.api.createExperiment({
      experiment: { name: "gp", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "gp" }, seed: 404 },
    });
    const before = sessions();
    await ts.api.suggest({ experiment: "gp" });
    expect(spy.sessions.has(404)).toBe(false);
    expect(sessions()).toBeLessThanOrEqual(before); // (its view takes a place among the recent ones)
  });
});

describe("a fresh session", () => {
  let kept: TestServer;
  let reloaded: TestServer;
  const spy = new SessionSpy();
  beforeAll(async () => {
    kept = await startTestServer();
    // A budget of one trial: loading either experiment evicts the other, so every suggestion is made by
    // an experiment just reloaded from the database, in a new session.
    reloaded = await startTestServer({ limits: { cacheTrials: 1 }, runner: spy });
  });
  afterAll(async () => {
    await kept.close();
    await reloaded.close();
  });

  it("suggests exactly what a long-lived session does, with batches, pending trials and kept estimators", async () => {
    const spaces: Record<string, Parameter[]> = {
      // All continuous, with a history past the size at which kept estimators search a k-d tree.
      continuous: [uniform("x", -5, 5), logUniform("y", 1e-3, 1), uniform("z", 0, 1)],
      mixed: [
        intRange("layers", 1, 8),
        uniform("dropout", 0, 0.5),
        choice("optimizer", [{ value: str("sgd"), children: [uniform("momentum", 0, 0.99)] }, { value: str("adam") }]),
      ],
    };
    const seeds: Record<string, number> = { continuous: 7, mixed: 8 };
    const names = Object.keys(spaces);
    const value = (p: { kind?: { $case: string; value: unknown } }): number => {
      const v = p.kind?.value;
      return typeof v === "number" ? v : typeof v === "string" ? v.length : 0;
    };
    const lossOf = (params: Record<string, { kind?: { $case: string; value: unknown } }>): number =>
      Object.entries(params).reduce((s, [k, p], i) => s + Math.sin(3 * value(p) + i) + 0.1 * k.length, 0);
    const imported = Array.from({ length: 160 }, (_, i) => ({
      params: { x: num(-5 + 10 * ((i * 0.618) % 1)), y: num(10 ** (-3 * ((i * 0.414) % 1))), z: num((i * 0.271) % 1) },
      loss: Math.sin(i),
    }));

    const script = async (ts: TestServer): Promise<unknown[]> => {
      const seen: unknown[] = [];
      const open: Record<string, number[]> = {};
      for (const name of names) {
        await ts.api.createExperiment(tpeExperiment(name, seeds[name]!, spaces[name]));
        if (name === "continuous") await ts.api.addTrials({ experiment: name, trials: imported });
        open[name] = [];
      }
      for (let cycle = 0; cycle < 25; cycle++) {
        for (const name of names) {
          const count = cycle % 6 === 5 ? 3 : 1;
          const { trials } = await ts.api.suggest({ experiment: name, count, workerId: `w${cycle % 2}` });
          seen.push(
            name,
            trials.map((t) => [t.number, t.params]),
          );
          // Now and then one stays RUNNING until the next cycle: pending work the next suggestion steers from.
          const keep = cycle % 4 === 1 ? trials.pop() : undefined;
          for (const t of [...trials, ...open[name]!.map((id) => ({ id, params: {} }))]) {
            await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: lossOf(t.params) });
          }
          open[name] = keep === undefined ? [] : [keep.id];
        }
      }
      return seen;
    };

    const [long, fresh] = [await script(kept), await script(reloaded)];
    expect(fresh).toEqual(long);
    expect(kept.server.optimizer.diagnostics().cache).toMatchObject({ experiments: 2, sessions: 2 });
    expect(reloaded.server.optimizer.diagnostics().cache).toMatchObject({ experiments: 1, sessions: 1 });
    // The session of the experiment evicted last went with it.
    const evicted = spy.sessions.get(seeds[names[0]!]!)!;
    expect(await collected(evicted)).toBe(true);
  });
});
