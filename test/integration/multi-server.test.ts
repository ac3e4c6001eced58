/**
 * Several real servers on one throwaway PostgreSQL (../pg-cluster.ts), each
 * called over real gRPC: workers spread over them must see one history.
 * Trial numbers stay unique and dense, each enqueued configuration goes to
 * exactly one worker, a request id is idempotent across servers, a lapsed
 * lease raced by two servers turns LOST once and is retried once, budgets
 * hold exactly, and a server killed with SIGKILL mid-run loses no
 * acknowledged Report. The in-process servers share one clock, so leases
 * lapse when the test says.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { credentials, status } from "@grpc/grpc-js";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExperimentAction, OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { CompletionReason } from "@parzen/client/gen/parzen/v1/experiment";
import { type Trial, TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { ParzenError } from "@parzen/client";
import { type RunningParzen, startParzen } from "../../src/app.js";
import { PARZEN_LOCKS } from "../../src/store/postgres/connect.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";
import { mixedSpace, num, uniform } from "./fixtures.js";
import { type Api, promisify, rejection } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
const suite = postgresAvailable ? describe : describe.skip;

interface Node {
  server: RunningParzen;
  client: OptimizerServiceClient;
  api: Api;
}

/** A deterministic generator, so a failing interleaving can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

suite("several servers on one PostgreSQL database", () => {
  let cluster: PgCluster;
  let url: string;
  const nodes: Node[] = [];
  const children: ChildProcess[] = [];
  const clock = { now: 1_000_000 };

  beforeAll(async () => {
    cluster = await startCluster();
    url = await cluster.createDatabase("multi");
    for (let i = 0; i < 3; i++) {
      const server = await startParzen({
        db: url,
        listen: "127.0.0.1:0",
        logger: pino({ level: "silent" }),
        now: () => clock.now,
        dbPoolSize: 4,
        http: "127.0.0.1:0",
      });
      const client = new OptimizerServiceClient(server.address, credentials.createInsecure());
      nodes.push({ server, client, api: promisify(client) });
    }
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const n of nodes) {
      n.client.close();
      await n.server.stop();
    }
    await cluster?.stop();
  }, 60_000);

  const api = (i: number): Api => nodes[i % nodes.length]!.api;

  /** Every trial of `experiment`, as one server lists it. */
  async function trialsOf(experiment: string, via = 0): Promise<Trial[]> {
    const out: Trial[] = [];
    let pageToken = "";
    do {
      const page = await api(via).listTrials({ experiment, pageSize: 1000, pageToken });
      out.push(...page.trials);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return out;
  }

  function expectDense(trials: readonly Trial[]): void {
    expect(trials.map((t) => t.number)).toEqual(trials.map((_, i) => i));
    expect(new Set(trials.map((t) => t.id)).size).toBe(trials.length);
  }

  it("serves one experiment from three servers, randomly interleaved: numbers unique and dense, every Report kept", async () => {
    await api(0).createExperiment({
      experiment: { name: "interleaved", space: mixedSpace(), seed: 5, algorithm: { name: "tpe", options: {} } },
    });
    const random = rng(19);
    const issued: Trial[] = [];
    const reported = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 12; i++) {
          const via = Math.floor(random() * 3);
          const [t] = (await api(via).suggest({ experiment: "interleaved", workerId: `w${w}` })).trials;
          issued.push(t!);
          const loss = random();
          await api(via + 1).report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss });
          reported.set(t!.id, loss);
        }
      }),
    );
    expect(new Set(issued.map((t) => t.id)).size).toBe(72);
    for (let via = 0; via < 3; via++) {
      const all = await trialsOf("interleaved", via);
      expectDense(all);
      expect(all).toHaveLength(72);
      for (const t of all) {
        expect(t.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
        expect(t.loss).toBe(reported.get(t.id));
      }
    }
    // The servers took turns on the shared experiment, and wrote their turns' units pipelined.
    let pipelined = 0;
    for (const n of nodes) {
      const text = await (await fetch(`http://${n.server.httpAddress}/metrics`)).text();
      pipelined += Number(/^parzen_db_round_trips_total\{kind="pipelined"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    }
    expect(pipelined).toBeGreaterThan(0);
  });

  it("hands each enqueued configuration to exactly one worker, and numbers enqueues raced on two servers densely", async () => {
    await api(0).createExperiment({
      experiment: { name: "enqueued", space: { parameters: [uniform("x", 0, 100)] }, seed: 1 },
    });
    // Enqueued on two servers at once.
    const configurations = (from: number) =>
      Array.from({ length: 10 }, (_, i) => ({ params: { x: num(from + i) }, userAttrs: {} }));
    const [a, b] = await Promise.all([
      api(0).enqueue({ experiment: "enqueued", configurations: configurations(0) }),
      api(1).enqueue({ experiment: "enqueued", configurations: configurations(50) }),
    ]);
    expect(new Set([...a.trials, ...b.trials].map((t) => t.number)).size).toBe(20);
    // Taken by workers on the three servers at once.
    const taken = (
      await Promise.all(
        Array.from({ length: 9 }, async (_, w) => {
          const out: Trial[] = [];
          for (let i = 0; i < 3; i++)
            out.push(...(await api(w).suggest({ experiment: "enqueued", workerId: `w${w}` })).trials);
          return out;
        }),
      )
    ).flat();
    const enqueued = taken.filter((t) => t.source === TrialSource.TRIAL_SOURCE_ENQUEUED);
    expect(enqueued).toHaveLength(20);
    expect(new Set(enqueued.map((t) => t.id)).size).toBe(20);
    expect(new Set(taken.map((t) => t.id)).size).toBe(27);
    const all = await trialsOf("enqueued", 2);
    expectDense(all);
    expect(all.filter((t) => t.state === TrialState.TRIAL_STATE_WAITING)).toEqual([]);
  });

  it("answers the same request id sent to two servers with the same trials, once", async () => {
    await api(0).createExperiment({ experiment: { name: "same-id", space: { parameters: [uniform("x", 0, 1)] } } });
    const [s0, s1] = await Promise.all([
      api(0).suggest({ experiment: "same-id", workerId: "w", requestId: "s-1", count: 2 }),
      api(1).suggest({ experiment: "same-id", workerId: "w", requestId: "s-1", count: 2 }),
    ]);
    expect(s1.trials.map((t) => t.id)).toEqual(s0.trials.map((t) => t.id));
    const id = s0.trials[0]!.id;
    const [r0, r1] = await Promise.all([
      api(1).report({ trialId: id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5, requestId: "r-1" }),
      api(2).report({ trialId: id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5, requestId: "r-1" }),
    ]);
    expect(r0.trial).toEqual(r1.trial);
    const all = await trialsOf("same-id", 2);
    expect(all).toHaveLength(2);
    expect(all.map((t) => t.state)).toEqual([TrialState.TRIAL_STATE_COMPLETE, TrialState.TRIAL_STATE_RUNNING]);
  });

  it("answers a retried Suggest with its trial on every server, also once the budget has nothing left to hand out", async () => {
    await api(0).createExperiment({
      experiment: { name: "retried", space: { parameters: [uniform("x", 0, 1)] }, maxTrials: 1 },
    });
    const first = await api(0).suggest({ experiment: "retried", workerId: "w", requestId: "only" });
    expect(first.trials).toHaveLength(1);
    // The rest of the budget is RUNNING: a new call would get retry_after, the retry gets its trial.
    const again = await api(1).suggest({ experiment: "retried", workerId: "w", requestId: "only" });
    expect(again.trials.map((t) => t.id)).toEqual(first.trials.map((t) => t.id));
    expect((await api(2).suggest({ experiment: "retried", workerId: "v" })).retryAfter).toBeDefined();
    await api(1).report({ trialId: first.trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    // Done for a new call; the retry still gets its trial, now COMPLETE.
    expect((await api(2).suggest({ experiment: "retried", workerId: "v" })).done).toBe(true);
    const late = await api(2).suggest({ experiment: "retried", workerId: "w", requestId: "only" });
    expect(late.done).toBe(false);
    expect(late.trials.map((t) => [t.id, t.state])).toEqual([[first.trials[0]!.id, TrialState.TRIAL_STATE_COMPLETE]]);
    expect(await trialsOf("retried", 0)).toHaveLength(1);
  });

  it("answers a Report with suggest_next under one request id the same on every server, its next trial made once", async () => {
    await api(0).createExperiment({ experiment: { name: "same-next", space: { parameters: [uniform("x", 0, 1)] } } });
    const [t] = (await api(1).suggest({ experiment: "same-next", workerId: "w" })).trials;
    // Every server's image has the trial RUNNING (server 1's from its Suggest, the others' once they read it).
    await Promise.all([api(0), api(2)].map((a) => a.getTrial({ trialId: t!.id })));
    const req = {
      trialId: t!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 0.5,
      suggestNext: true,
      requestId: "n-1",
    };
    const [r0, r2] = await Promise.all([api(0).report(req), api(2).report(req)]);
    const r1 = await api(1).report(req);
    expect(r0.next!.trials).toHaveLength(1);
    for (const r of [r1, r2]) expect(r.next!.trials.map((n) => n.id)).toEqual(r0.next!.trials.map((n) => n.id));
    const all = await trialsOf("same-next", 2);
    expect(all.map((n) => n.state)).toEqual([TrialState.TRIAL_STATE_COMPLETE, TrialState.TRIAL_STATE_RUNNING]);
  });

  it("turns a lapsed lease raced by two servers LOST once and retries it once", async () => {
    await api(0).createExperiment({
      experiment: {
        name: "lapsed",
        space: { parameters: [uniform("x", 0, 1)] },
        leaseDuration: { seconds: 10, nanos: 0 },
        retryLost: true,
      },
    });
    const [t] = (await api(0).suggest({ experiment: "lapsed", workerId: "gone" })).trials;
    // Server 1 learns of it now, so both servers hold it RUNNING when its lease lapses.
    expect((await api(1).getTrial({ trialId: t!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    clock.now += 11_000;
    const [a, b] = await Promise.all([
      api(0).suggest({ experiment: "lapsed", workerId: "w0" }),
      api(1).suggest({ experiment: "lapsed", workerId: "w1" }),
    ]);
    const all = await trialsOf("lapsed", 2);
    expectDense(all);
    expect(all[0]).toMatchObject({ id: t!.id, state: TrialState.TRIAL_STATE_LOST });
    const retries = all.filter((x) => x.source === TrialSource.TRIAL_SOURCE_ENQUEUED);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.params).toEqual(t!.params);
    // The retry went to exactly one of the two workers.
    const handed = [...a.trials, ...b.trials].filter((x) => x.id === retries[0]!.id);
    expect(handed).toHaveLength(1);
    expect(all).toHaveLength(3);
  });

  it("holds max_trials exactly across servers, each server then answering done", async () => {
    await api(0).createExperiment({
      experiment: { name: "budget", space: { parameters: [uniform("x", 0, 1)] }, maxTrials: 25 },
    });
    let completed = 0;
    await Promise.all(
      Array.from({ length: 9 }, async (_, w) => {
        for (;;) {
          const answer = await api(w).suggest({ experiment: "budget", workerId: `w${w}` });
          if (answer.done) return;
          if (answer.trials.length === 0) {
            // The rest of the budget is RUNNING elsewhere: ask again once a worker has reported.
            await new Promise((ok) => setImmediate(ok));
            continue;
          }
          await api(w + 1).report({ trialId: answer.trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: w });
          completed++;
        }
      }),
    );
    expect(completed).toBe(25);
    const all = await trialsOf("budget", 1);
    expectDense(all);
    expect(all).toHaveLength(25);
    for (let i = 0; i < 3; i++) expect((await api(i).suggest({ experiment: "budget" })).done).toBe(true);
  });

  it("applies another server's UpdateExperiment: pause, resume, a raised budget and a stop", async () => {
    await api(0).createExperiment({
      experiment: { name: "updated", space: { parameters: [uniform("x", 0, 1)] }, maxTrials: 3, seed: 2 },
    });
    // Every server holds the experiment in memory before the updates.
    for (let i = 0; i < 3; i++) {
      const [t] = (await api(i).suggest({ experiment: "updated", workerId: `w${i}` })).trials;
      await api(i).report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: i });
    }
    expect((await api(1).suggest({ experiment: "updated" })).doneReason).toBe(
      CompletionReason.COMPLETION_REASON_BUDGET,
    );
    await api(0).updateExperiment({ name: "updated", maxTrials: 10, action: ExperimentAction.EXPERIMENT_ACTION_PAUSE });
    for (const i of [1, 2]) {
      const paused = await api(i).suggest({ experiment: "updated" });
      expect(paused).toMatchObject({ trials: [], done: false });
      expect(paused.retryAfter).toBeDefined();
    }
    await api(1).updateExperiment({ name: "updated", action: ExperimentAction.EXPERIMENT_ACTION_RESUME });
    const [t] = (await api(2).suggest({ experiment: "updated", workerId: "w" })).trials;
    expect(t?.number).toBe(3);
    await api(2).updateExperiment({ name: "updated", action: ExperimentAction.EXPERIMENT_ACTION_STOP });
    for (const i of [0, 1])
      expect((await api(i).suggest({ experiment: "updated" })).doneReason).toBe(
        CompletionReason.COMPLETION_REASON_STOPPED,
      );
  });

  it("never hands out a prefetched suggestion computed before another server changed the history", async () => {
    // TPE past its one startup trial: the suggestion for trial 2 depends on whether trial 0 is LOST or COMPLETE.
    const definition = (name: string) => ({
      name,
      space: { parameters: [uniform("x", 0, 1), uniform("y", 0, 1)] },
      seed: 7,
      algorithm: { name: "tpe", options: { n_startup_trials: { kind: { $case: "intValue" as const, value: 1 } } } },
      leaseDuration: { seconds: 10, nanos: 0 },
    });
    const a = nodes[0]!;
    await a.api.createExperiment({ experiment: definition("prefetched") });
    const [t0] = (await a.api.suggest({ experiment: "prefetched", workerId: "gone" })).trials;
    clock.now += 11_000;
    const [t1] = (await a.api.suggest({ experiment: "prefetched", workerId: "w" })).trials;
    const started = a.server.optimizer.diagnostics().prefetch.started;
    // Trial 0 is LOST and nothing runs: server 0 starts computing trial 2 from {0: LOST, 1: COMPLETE}.
    await a.api.report({ trialId: t1!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    while (a.server.optimizer.diagnostics().prefetch.started === started) await new Promise((ok) => setImmediate(ok));
    // Server 1 takes the late Report of trial 0: the history is now {0: COMPLETE, 1: COMPLETE}.
    await api(1).report({ trialId: t0!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0 });
    const [t2] = (await a.api.suggest({ experiment: "prefetched", workerId: "w" })).trials;

    // What trial 2 is from each history, computed by one server on experiments that differ in nothing else.
    const reference = async (name: string, lateReport: boolean) => {
      await api(2).createExperiment({ experiment: definition(name) });
      const [r0] = (await api(2).suggest({ experiment: name, workerId: "gone" })).trials;
      clock.now += 11_000;
      const [r1] = (await api(2).suggest({ experiment: name, workerId: "w" })).trials;
      expect([r0!.params, r1!.params]).toEqual([t0!.params, t1!.params]);
      await api(2).report({ trialId: r1!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
      if (lateReport) await api(2).report({ trialId: r0!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0 });
      return (await api(2).suggest({ experiment: name, workerId: "w" })).trials[0]!.params;
    };
    const fresh = await reference("prefetched-fresh", true);
    const stale = await reference("prefetched-stale", false);
    expect(fresh).not.toEqual(stale);
    expect(t2!.number).toBe(2);
    expect(t2!.params).toEqual(fresh);
  });

  it("sees an experiment deleted on another server as gone", async () => {
    await api(0).createExperiment({ experiment: { name: "deleted", space: { parameters: [uniform("x", 0, 1)] } } });
    await api(1).suggest({ experiment: "deleted" });
    await api(0).deleteExperiment({ name: "deleted" });
    expect((await rejection(api(1).suggest({ experiment: "deleted" }))).code).toBe(status.NOT_FOUND);
  });

  it("answers UNAVAILABLE naming the experiment within the lock bound while another session holds its lock, then serves", async () => {
    const bound = 500;
    const server = await startParzen({
      db: url,
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
      now: () => clock.now,
      dbLockTimeoutMs: bound,
    });
    const client = new OptimizerServiceClient(server.address, credentials.createInsecure());
    const bounded = promisify(client);
    // A hung server, as PostgreSQL sees one: a session holding the experiment's advisory lock (the store's key).
    const hung = new pg.Client({ connectionString: url });
    await hung.connect();
    try {
      await bounded.createExperiment({ experiment: { name: "locked", space: { parameters: [uniform("x", 0, 1)] } } });
      const { rows } = await hung.query("SELECT id FROM experiments WHERE name = 'locked'");
      const key = [PARZEN_LOCKS + 1, rows[0].id as number];
      await hung.query("SELECT pg_advisory_lock($1, $2)", key);
      const started = performance.now();
      const err = await rejection(bounded.suggest({ experiment: "locked", workerId: "w" }));
      const waited = performance.now() - started;
      expect(err.code).toBe(status.UNAVAILABLE);
      expect(err.message).toContain('experiment "locked"');
      expect(err.message).toContain("retry");
      expect(waited).toBeGreaterThanOrEqual(bound * 0.9);
      expect(waited).toBeLessThan(bound + 4000);
      await hung.query("SELECT pg_advisory_unlock($1, $2)", key);
      const [t] = (await bounded.suggest({ experiment: "locked", workerId: "w" })).trials;
      expect(t?.number).toBe(0);
      expectDense(await trialsOf("locked", 1));
    } finally {
      await hung.end();
      client.close();
      await server.stop();
    }
  });

  it("sees another server's change before its own next one when its LISTEN connection is cut, and hears notices again", async () => {
    const [a, b] = [api(0), api(1)];
    await a.createExperiment({ experiment: { name: "relisten", space: { parameters: [uniform("x", 0, 1)] } } });
    // Both servers hold the experiment in memory.
    for (const via of [a, b]) {
      const [t] = (await via.suggest({ experiment: "relisten", workerId: "w" })).trials;
      await via.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    }
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const listening = async (): Promise<number> =>
      Number(
        (
          await admin.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
          )
        ).rows[0].n,
      );
    /** Polls `ok` until it holds (what it watches has no event to await), failing after 10 s. */
    const until = async (what: string, ok: () => Promise<boolean>) => {
      const deadline = performance.now() + 10_000;
      while (!(await ok())) {
        if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      expect(await listening()).toBeGreaterThanOrEqual(2);
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
      );
      await until("the listening backends are gone", async () => (await listening()) === 0);
      // Server 0 writes while no server hears notices.
      const [t2] = (await a.suggest({ experiment: "relisten", workerId: "a" })).trials;
      await a.report({ trialId: t2!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 });
      // Server 1's next change pulls first: its trial comes after server 0's, and it shows server 0's Report.
      const [t3] = (await b.suggest({ experiment: "relisten", workerId: "b" })).trials;
      expect(t2!.number).toBe(2);
      expect(t3!.number).toBe(3);
      const seen = await trialsOf("relisten", 1);
      expectDense(seen);
      expect(seen[2]).toMatchObject({ id: t2!.id, state: TrialState.TRIAL_STATE_COMPLETE, loss: 0.25 });
      // Both servers listened again on their change; server 1 now learns of server 0's write by notice alone.
      await until("both servers listen again", async () => (await listening()) >= 2);
      await a.report({ trialId: t3!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 });
      await until(
        "server 1 shows server 0's Report",
        async () => (await trialsOf("relisten", 1))[3]!.state === TrialState.TRIAL_STATE_COMPLETE,
      );
      const all = await trialsOf("relisten", 0);
      expectDense(all);
      expect(all.map((t) => t.loss)).toEqual([1, 1, 0.25, 0.5]);
    } finally {
      await admin.end();
    }
  });

  it("answers every read with what another server acknowledged before it, without waiting for a notice", async () => {
    const [a, b] = [api(0), api(1)];
    await a.createExperiment({ experiment: { name: "read-after", space: { parameters: [uniform("x", 0, 1)] } } });
    // Server 1 holds the experiment in memory, then hears no more notices: its reads must ask the database.
    const [t0] = (await b.suggest({ experiment: "read-after", workerId: "b" })).trials;
    await b.report({ trialId: t0!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
      );
      const [t1] = (await a.suggest({ experiment: "read-after", workerId: "a" })).trials;
      await a.report({ trialId: t1!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 });

      expect((await b.getTrial({ trialId: t1!.id })).trial).toMatchObject({
        state: TrialState.TRIAL_STATE_COMPLETE,
        loss: 0.25,
      });
      const listed = await trialsOf("read-after", 1);
      expectDense(listed);
      expect(listed.map((t) => t.loss)).toEqual([1, 0.25]);
      expect((await b.getBest({ experiment: "read-after" })).trial?.id).toBe(t1!.id);
      // A trial server 1 has never seen.
      const [t2] = (await a.suggest({ experiment: "read-after", workerId: "a" })).trials;
      expect((await b.getTrial({ trialId: t2!.id })).trial).toMatchObject({
        number: 2,
        state: TrialState.TRIAL_STATE_RUNNING,
      });
      await a.report({ trialId: t2!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.125 });
      expect((await b.getExperiment({ name: "read-after" })).experiment?.trialCounts?.complete).toBe(3);
      await a.suggest({ experiment: "read-after", workerId: "a" });
      const page = await b.listExperiments({ pageSize: 1000, pageToken: "" });
      expect(page.experiments.find((e) => e.name === "read-after")?.trialCounts).toMatchObject({
        complete: 3,
        running: 1,
      });
    } finally {
      await admin.end();
    }
  });

  it("takes a shared experiment's lock at once after another server wrote it lately, instead of a refused write", async () => {
    const [a, b] = [api(0), api(1)];
    const stats = nodes[1]!.server.optimizer.feedStats!;
    await a.createExperiment({ experiment: { name: "contended", space: { parameters: [uniform("x", 0, 1)] } } });
    const [t0] = (await b.suggest({ experiment: "contended", workerId: "b" })).trials;
    await b.report({ trialId: t0!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    // Server 0 writes; server 1 hears of it and pulls it in the background, so its image is current again.
    const pulled = stats.pulledTrials;
    await a.suggest({ experiment: "contended", workerId: "a" });
    const deadline = performance.now() + 10_000;
    while (stats.pulledTrials === pulled) {
      if (performance.now() > deadline) throw new Error("server 1 never pulled server 0's write");
      await new Promise((r) => setTimeout(r, 20));
    }
    // Current, but shared: its next change takes the lock (pulling under it) rather than run unlocked and risk a
    // refused write and a second computation.
    const before = { ...stats };
    const [t2] = (await b.suggest({ experiment: "contended", workerId: "b" })).trials;
    expect(t2!.number).toBe(2);
    expect(stats.unlockedChanges).toBe(before.unlockedChanges);
    expect(stats.staleWrites).toBe(before.staleWrites);
    expect(stats.turns).toBe(before.turns + 1);
  });

  it("loses no acknowledged Report and issues no trial twice when a server is killed with SIGKILL mid-run", async () => {
    await api(0).createExperiment({
      experiment: {
        name: "killed",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "tpe", options: {} },
      },
    });
    let child = await serveChild();
    let doomedClient = new OptimizerServiceClient(child.address, credentials.createInsecure());
    const doomed = promisify(doomedClient);
    const acknowledged = new Map<number, number>();
    const issued: number[] = [];
    let killed = false;
    const worker = async (w: number) => {
      for (let i = 0; i < 15; i++) {
        // Half the workers use the doomed server until it dies, then a live one.
        const via = w % 2 === 0 && !killed ? doomed : api(w);
        try {
          const t = (await via.suggest({ experiment: "killed", workerId: `w${w}` })).trials[0]!;
          issued.push(t.id);
          await via.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: w + i });
          acknowledged.set(t.id, w + i);
          if (acknowledged.size === 30 && !killed) {
            killed = true;
            child.process.kill("SIGKILL");
          }
        } catch (err) {
          // Only calls to the killed server may fail: their trial is left RUNNING, never handed out again.
          if (!(err instanceof ParzenError) || via !== doomed) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    doomedClient.close();
    expect(killed).toBe(true);
    expect(new Set(issued).size).toBe(issued.length);

    // Restarted, it serves on from the shared history.
    child = await serveChild();
    doomedClient = new OptimizerServiceClient(child.address, credentials.createInsecure());
    const restarted = promisify(doomedClient);
    const t = (await restarted.suggest({ experiment: "killed", workerId: "after" })).trials[0]!;
    await restarted.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: -1 });
    acknowledged.set(t.id, -1);
    doomedClient.close();
    child.process.kill("SIGKILL");

    // Server 0 learns of the restarted server's last write through the change feed: its reads are fresh once
    // the notice arrives (README, "Several servers"), so wait for that, bounded.
    let all = await trialsOf("killed", 0);
    for (let i = 0; i < 100 && !all.some((x) => x.id === t.id && x.state === TrialState.TRIAL_STATE_COMPLETE); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      all = await trialsOf("killed", 0);
    }
    expectDense(all);
    expect(all.map((x) => x.id)).toContain(t.id);
    const byId = new Map(all.map((x) => [x.id, x]));
    for (const [id, loss] of acknowledged) {
      expect(byId.get(id)).toMatchObject({ state: TrialState.TRIAL_STATE_COMPLETE, loss });
    }
  }, 120_000);

  /** `parzen serve` on the database as a child process (one that can be killed with SIGKILL). */
  async function serveChild(): Promise<{ process: ChildProcess; address: string }> {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "serve", "--db", url, "--listen", "127.0.0.1:0", "--http", "off"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let out = "";
    const address = await new Promise<string>((ok, fail) => {
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /"address":"([^"]+)".*"msg":"listening"/.exec(out);
        if (m) ok(m[1]!);
      });
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", () => fail(new Error(`server exited early: ${out}`)));
    });
    return { process: child, address };
  }
});
