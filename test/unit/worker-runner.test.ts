/**
 * Where WorkerRunner (runners/worker-runner.ts) runs each suggestion, as its doc comment says: random search in
 * process in the experiment's session; TPE in process for a lone suggestion over a short history, on the session
 * thread for a batch or a long history; CMA-ES (which replays its history) always on the thread; the GP on a worker
 * of its own, leaving the holder's sessions alone. Wherever it runs, the suggestion is the algorithm's own for the
 * same history and rng (runSuggestJob). A cancelled GP job answers CANCELLED (or the signal's own error) without
 * losing the other jobs on that worker; close() answers UNAVAILABLE to what is pending.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { tpe } from "../../src/algorithms/tpe/index.js";
import { algorithmNamed } from "../../src/algorithms/registry.js";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import type { AlgorithmSession, Observation } from "../../src/algorithms/types.js";
import { ParzenError } from "../../src/errors.js";
import {
  claimSessions,
  dropSession,
  type RemoteSession,
  runSuggestJob,
  type SessionHolder,
  type SuggestJob,
} from "../../src/service/runners/algorithm-runner.js";
import { WorkerRunner } from "../../src/service/runners/worker-runner.js";
import { compileSpace } from "../../src/space/compile.js";
import type { SearchSpace } from "@parzen/client/gen/parzen/v1/space";
import { uniform } from "../integration/fixtures.js";

const space = compileSpace({ parameters: [uniform("x", 0, 1), uniform("y", -1, 1)] } as SearchSpace);
const memos = createSharedMemos();

function history(n: number): Observation[] {
  return Array.from({ length: n }, (_, i) => ({
    number: i,
    config: Float64Array.of((i * 0.37) % 1, ((i * 0.61) % 2) - 1),
    state: "complete" as const,
    loss: Math.sin(i),
    lastStep: undefined,
  }));
}

function job(algorithm: string, n: number, fields: Partial<SuggestJob> = {}): SuggestJob {
  const options = algorithmNamed(algorithm).parseOptions({});
  return { algorithm, options, space, history: history(n), seed: 7, trialNumber: n, ...fields };
}

const holder = (): SessionHolder => ({ algorithmSession: undefined, threadSession: undefined });

const codeOf = (err: unknown) => (err instanceof ParzenError ? `${err.code}: ${err.message}` : String(err));

describe("sessions held for an experiment", () => {
  it("claimSessions keeps an algorithm's own sessions and drops another algorithm's, releasing the remote one", () => {
    let released = 0;
    const session: AlgorithmSession = { suggest: () => new Float64Array(0) };
    const remote: RemoteSession = { remote: true, release: () => released++ };
    const h: SessionHolder = { algorithmSession: session, threadSession: remote, sessionAlgorithm: "tpe" };
    claimSessions(h, "tpe");
    expect([h.algorithmSession, h.threadSession, released]).toEqual([session, remote, 0]);
    claimSessions(h, "random");
    expect([h.algorithmSession, h.threadSession, h.sessionAlgorithm, released]).toEqual([
      undefined,
      undefined,
      "random",
      1,
    ]);
    dropSession(h);
    expect(released).toBe(1);
    const fresh = holder();
    claimSessions(fresh, "tpe");
    expect(fresh.sessionAlgorithm).toBe("tpe");
  });
});

describe("WorkerRunner", () => {
  const runner = new WorkerRunner(2);
  afterAll(() => runner.close());

  it("runs random search in process, in the experiment's session, kept between suggestions", async () => {
    const h = holder();
    const j = job("random", 5);
    expect(Array.from(await runner.suggest(j, h))).toEqual(Array.from(runSuggestJob(j, memos)));
    const session = h.algorithmSession;
    expect(session).toBeDefined();
    expect(h.threadSession).toBeUndefined();
    expect(h.sessionAlgorithm).toBe("random");
    await runner.suggest(job("random", 6), h);
    expect(h.algorithmSession).toBe(session);
  });

  it("runs a lone TPE suggestion over a short history in process, and a batch on the session thread", async () => {
    const h = holder();
    const lone = job("tpe", 30);
    expect(Array.from(await runner.suggest(lone, h))).toEqual(Array.from(runSuggestJob(lone, memos)));
    expect(h.algorithmSession).toBeDefined();
    expect(h.threadSession).toBeUndefined();
    const batch = job("tpe", 30, { batch: 2 });
    expect(Array.from(await runner.suggest(batch, h))).toEqual(Array.from(runSuggestJob(batch, memos)));
    expect(h.threadSession).toBeDefined();
    // A batch of 1 is a lone suggestion.
    const one = holder();
    await runner.suggest(job("tpe", 30, { batch: 1 }), one);
    expect([one.algorithmSession !== undefined, one.threadSession]).toEqual([true, undefined]);
  }, 60_000);

  it("sends TPE to the session thread from 4,000 trials of history, not below", async () => {
    const below = holder();
    await runner.suggest(job("tpe", 3_999, { options: tpe.parseOptions({}) }), below);
    expect([below.algorithmSession !== undefined, below.threadSession]).toEqual([true, undefined]);
    const at = holder();
    await runner.suggest(job("tpe", 4_000), at);
    expect([at.algorithmSession, at.threadSession !== undefined]).toEqual([undefined, true]);
  }, 120_000);

  it("always runs CMA-ES (which replays its history) on the session thread", async () => {
    const h = holder();
    const j = job("cmaes", 3);
    expect(Array.from(await runner.suggest(j, h))).toEqual(Array.from(runSuggestJob(j, memos)));
    expect([h.algorithmSession, h.threadSession !== undefined]).toEqual([undefined, true]);
  }, 60_000);

  it("runs the GP on a worker, leaving the holder's sessions alone, and suggests what it does in process", async () => {
    const h = holder();
    const j = job("gp", 12);
    const [a, b] = await Promise.all([runner.suggest(j, h), runner.suggest({ ...j, trialNumber: 13 }, h)]);
    expect(Array.from(a)).toEqual(Array.from(runSuggestJob(j, memos)));
    expect(Array.from(b)).toEqual(Array.from(runSuggestJob({ ...j, trialNumber: 13 }, memos)));
    expect([h.algorithmSession, h.threadSession, h.sessionAlgorithm]).toEqual([undefined, undefined, "gp"]);
  }, 120_000);

  it("answers CANCELLED for a GP job cancelled before or while it runs, and the other jobs still get answers", async () => {
    const before = new AbortController();
    before.abort();
    expect(codeOf(await runner.suggest(job("gp", 12), holder(), before.signal).catch((e: unknown) => e))).toBe(
      "CANCELLED: suggest cancelled by the client",
    );
    const own = new AbortController();
    own.abort(new ParzenError("DEADLINE_EXCEEDED", "the call's deadline passed"));
    expect(codeOf(await runner.suggest(job("gp", 12), holder(), own.signal).catch((e: unknown) => e))).toBe(
      "DEADLINE_EXCEEDED: the call's deadline passed",
    );
    // A single worker, so that the cancelled job's replacement must take over the other one.
    const one = new WorkerRunner(1);
    try {
      const during = new AbortController();
      const other = job("gp", 20, { trialNumber: 21 });
      const cancelled = one.suggest(job("gp", 20), holder(), during.signal).catch((e: unknown) => e);
      const kept = one.suggest(other, holder());
      during.abort();
      expect(codeOf(await cancelled)).toBe("CANCELLED: suggest cancelled by the client");
      expect(Array.from(await kept)).toEqual(Array.from(runSuggestJob(other, memos)));
      // A signal that fires after the answer changes nothing.
      const late = new AbortController();
      const j = job("gp", 12);
      const answer = await one.suggest(j, holder(), late.signal);
      late.abort();
      expect(Array.from(answer)).toEqual(Array.from(runSuggestJob(j, memos)));
    } finally {
      await one.close();
    }
  }, 120_000);

  it("rejects, never throws, when an in-process algorithm fails", async () => {
    const h = holder();
    const bad = { ...job("random", 2), space: compileSpace({ parameters: [uniform("z", 0, 1)] } as SearchSpace) };
    h.algorithmSession = {
      suggest: () => {
        throw new ParzenError("INTERNAL", "broken session");
      },
    };
    h.sessionAlgorithm = "random";
    const p = runner.suggest(bad, h);
    expect(p).toBeInstanceOf(Promise);
    expect(codeOf(await p.catch((e: unknown) => e))).toBe("INTERNAL: broken session");
  });

  it("computes ahead only in the in-process session where the real suggestion will run", async () => {
    const lone = holder();
    lone.sessionAlgorithm = "tpe";
    runner.suggestAhead(job("tpe", 30), lone);
    expect(lone.algorithmSession).toBeDefined();
    const batch = holder();
    runner.suggestAhead(job("tpe", 30, { batch: 3 }), batch);
    expect(batch.algorithmSession).toBeUndefined();
    const random = holder();
    runner.suggestAhead(job("random", 3), random);
    expect(random.algorithmSession).toBeUndefined();
    // A failure is left to the real call.
    const failing = holder();
    failing.algorithmSession = {
      suggest: () => {
        throw new Error("ahead failed");
      },
    };
    expect(() => runner.suggestAhead(job("tpe", 30), failing)).not.toThrow();
  });

  it("gives an in-process algorithm the job's seed and trial number (qmc's place in its sequence)", async () => {
    const h = holder();
    // Trial 9 after a history ending at 4, seed 7: not what the algorithm would assume without the context.
    const j = job("qmc", 5, { trialNumber: 9 });
    const expected = Array.from(runSuggestJob(j, memos));
    expect(expected).not.toEqual(Array.from(runSuggestJob({ ...j, seed: 0, trialNumber: 5 }, memos)));
    expect(Array.from(await runner.suggest(j, h))).toEqual(expected);
    expect(h.algorithmSession).toBeDefined();
  });

  it("yields the event loop between slices of in-process work, and still answers every suggestion", async () => {
    const h = holder();
    // A fresh turn of the loop: work of an earlier test in this turn (the runner is shared) would count towards
    // this turn's slice, and on a loaded machine could already have used it up.
    await new Promise((r) => setImmediate(r));
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const answers: Promise<{ turned: boolean; length: number }>[] = [];
    // More than one slice (10 ms) of suggestions asked in one turn of the loop, and at least two suggestions
    // however long the machine keeps this process waiting.
    const start = performance.now();
    for (let i = 0; i < 2 || performance.now() - start < 40; i++) {
      const j = job("random", 5, { trialNumber: 5 + i });
      answers.push(runner.suggest(j, h).then((c) => ({ turned, length: c.length })));
    }
    const seen = await Promise.all(answers);
    expect(seen[0]).toEqual({ turned: false, length: 2 });
    // The last ones waited for the loop to turn, and were answered all the same.
    expect(seen.at(-1)).toEqual({ turned: true, length: 2 });
    expect(seen.every((s) => s.length === 2)).toBe(true);
  });

  it("answers an error raised on a GP worker with its code and message, as the job fails in process", async () => {
    const bad = job("gp", 12, { options: null });
    let expected = "";
    try {
      runSuggestJob(bad, memos);
    } catch (err) {
      expected = `INTERNAL: ${(err as Error).message}`;
    }
    expect(expected).not.toBe("");
    expect(codeOf(await runner.suggest(bad, holder()).catch((e: unknown) => e))).toBe(expected);
  }, 60_000);

  it("keeps at most `threads` GP workers, however many jobs are in flight", async () => {
    // Threads of this process (Linux): each worker is one.
    const threads = () => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync("/proc/self/status", "utf8"))![1]);
    const pool = new WorkerRunner(1);
    try {
      const before = threads();
      await pool.suggest(job("gp", 12), holder());
      const withOne = threads();
      expect(withOne).toBeGreaterThan(before);
      await Promise.all([1, 2, 3].map((k) => pool.suggest(job("gp", 12, { trialNumber: 12 + k }), holder())));
      expect(threads()).toBe(withOne);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it("answers UNAVAILABLE to the GP jobs pending when it closes", async () => {
    const closing = new WorkerRunner(1);
    const pending = closing.suggest(job("gp", 30), holder()).catch((e: unknown) => e);
    await closing.close();
    expect(codeOf(await pending)).toBe("UNAVAILABLE: server shutting down");
  }, 60_000);
});
