/**
 * A real server over real gRPC on PostgreSQL (a throwaway cluster,
 * ../pg-cluster.ts): the ask-tell cycle with TPE, curves, enqueued
 * configurations, request-id replays and lapsed leases, all kept across a
 * restart; a second server beside the first; and start-up errors on the command line.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompletionReason, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import pino from "pino";
import { startParzen } from "../../src/app.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";
import { int, mixedSpace, num, plain, str, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";
import { releaseScenario } from "./release-scenario.js";

const run = promisify(execFile);
const LEASE_MS = 60_000;
const suite = postgresAvailable ? describe : describe.skip;

suite("a server on PostgreSQL", () => {
  let cluster: PgCluster;
  let url: string;
  let ts: TestServer;
  const clock = { now: 1_000_000 };
  beforeAll(async () => {
    cluster = await startCluster();
    url = await cluster.createDatabase("serve");
    ts = await startTestServer({ db: url, now: () => clock.now });
  }, 60_000);
  afterAll(async () => {
    await ts?.close();
    await cluster?.stop();
  }, 60_000);

  it("gives a released trial back (WAITING, handed out again first), across a restart", async () => {
    await releaseScenario(ts, "released");
  });

  it("keeps an experiment COMPLETED by its budget COMPLETED across a restart", async () => {
    await ts.api.createExperiment({
      experiment: { name: "budget", space: { parameters: [uniform("x", 0, 1)] }, maxTrials: 2 },
    });
    const { trials } = await ts.api.suggest({ experiment: "budget", count: 3 });
    expect(trials).toHaveLength(2);
    for (const t of trials) await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    await ts.restart();
    expect(await ts.api.suggest({ experiment: "budget" })).toMatchObject({ trials: [], done: true });
    expect((await ts.api.getExperiment({ name: "budget" })).experiment).toMatchObject({
      state: ExperimentState.EXPERIMENT_STATE_COMPLETED,
      completionReason: CompletionReason.COMPLETION_REASON_BUDGET,
    });
  });

  it("keeps a user's pause, stop, raised budget and deadline across a restart", async () => {
    const space = { parameters: [uniform("x", 0, 1)] };
    await ts.api.createExperiment({ experiment: { name: "paused", space, maxTrials: 1 } });
    await ts.api.createExperiment({ experiment: { name: "stopped", space } });
    await ts.api.updateExperiment({ name: "paused", action: ExperimentAction.EXPERIMENT_ACTION_PAUSE, maxTrials: 7 });
    await ts.api.updateExperiment({
      name: "stopped",
      action: ExperimentAction.EXPERIMENT_ACTION_STOP,
      deadline: new Date(clock.now + 5000),
    });
    await ts.restart();
    expect((await ts.api.getExperiment({ name: "paused" })).experiment).toMatchObject({
      state: ExperimentState.EXPERIMENT_STATE_PAUSED,
      maxTrials: 7,
    });
    expect((await ts.api.suggest({ experiment: "paused" })).retryAfter).toBeDefined();
    expect((await ts.api.getExperiment({ name: "stopped" })).experiment).toMatchObject({
      completionReason: CompletionReason.COMPLETION_REASON_STOPPED,
      deadline: new Date(clock.now + 5000),
    });
    await ts.api.updateExperiment({ name: "stopped", action: ExperimentAction.EXPERIMENT_ACTION_RESUME });
    expect((await ts.api.suggest({ experiment: "stopped" })).trials).toHaveLength(1);
  });

  it("commits a Report with suggest_next and its next trial together, replayed the same across a restart", async () => {
    await ts.api.createExperiment({
      experiment: { name: "one-trip", space: { parameters: [uniform("x", 0, 1)] }, maxTrials: 2 },
    });
    const [a] = (await ts.api.suggest({ experiment: "one-trip", workerId: "w" })).trials;
    const next = () =>
      ts.api.report({
        trialId: a!.id,
        status: ReportStatus.REPORT_STATUS_OK,
        loss: 1,
        suggestNext: true,
        requestId: "pg-1",
      });
    const first = await next();
    expect(first.next!.trials).toHaveLength(1);
    await ts.restart();
    expect((await next()).next!.trials.map((t) => t.id)).toEqual(first.next!.trials.map((t) => t.id));
    expect((await ts.api.getExperiment({ name: "one-trip" })).experiment!.trialCounts).toMatchObject({
      complete: 1,
      running: 1,
    });
    const last = await ts.api.report({
      trialId: first.next!.trials[0]!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 2,
      suggestNext: true,
      requestId: "pg-2",
    });
    expect(last.next).toMatchObject({ trials: [], done: true, doneReason: CompletionReason.COMPLETION_REASON_BUDGET });
  });

  it("runs ask-tell with TPE, curves, enqueued configurations and request ids, and keeps it all across a restart", async () => {
    await ts.api.createExperiment({
      experiment: { name: "tpe", space: mixedSpace(), seed: 3, algorithm: { name: "tpe", options: {} } },
    });
    const { trials: queued } = await ts.api.enqueue({
      experiment: "tpe",
      configurations: [{ params: { lr: num(0.01), layers: int(2), optimizer: str("adam") }, userAttrs: { k: "v" } }],
    });
    const seen: number[] = [];
    for (let i = 0; i < 25; i++) {
      const [t] = (await ts.api.suggest({ experiment: "tpe", workerId: "w", requestId: `s${i}` })).trials;
      if (i === 0) expect(t!.id).toBe(queued[0]!.id);
      seen.push(t!.number);
      await ts.api.reportIntermediate({ trialId: t!.id, step: 0, value: Number.NaN });
      await ts.api.reportIntermediate({ trialId: t!.id, step: 1, value: i });
      const loss = Math.log10(plain(t!.params.lr) as number) ** 2;
      await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss, requestId: `r${i}` });
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const before = (await ts.api.listTrials({ experiment: "tpe" })).trials;
    const best = (await ts.api.getBest({ experiment: "tpe" })).trial;
    const replay = (await ts.api.suggest({ experiment: "tpe", workerId: "w", requestId: "s7" })).trials;

    await ts.restart();

    expect((await ts.api.listTrials({ experiment: "tpe" })).trials).toEqual(before);
    expect(before[0]!.source).toBe(TrialSource.TRIAL_SOURCE_ENQUEUED);
    expect(before[0]!.userAttrs).toEqual({ k: "v" });
    expect(before[3]!.intermediateValues.map((p) => [Number(p.step), p.value])).toEqual([
      [0, Number.NaN],
      [1, 3],
    ]);
    expect((await ts.api.getBest({ experiment: "tpe" })).trial).toEqual(best);
    // A retried Suggest and Report answer as the first time did, across the restart.
    expect((await ts.api.suggest({ experiment: "tpe", workerId: "w", requestId: "s7" })).trials).toEqual(replay);
    const next = (await ts.api.suggest({ experiment: "tpe", workerId: "w" })).trials[0]!;
    expect(next.number).toBe(25);
    expect((await ts.api.getExperiment({ name: "tpe" })).experiment!.trialCounts).toMatchObject({
      complete: 25,
      running: 1,
    });
  });

  it("turns a lapsed lease LOST and retries it once per lapse, across a restart", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "lease",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
        leaseDuration: { seconds: LEASE_MS / 1000, nanos: 0 },
        retryLost: true,
      },
    });
    const [a] = (await ts.api.suggest({ experiment: "lease", workerId: "w1" })).trials;
    clock.now += LEASE_MS + 1;
    const retry = (await ts.api.suggest({ experiment: "lease", workerId: "w2" })).trials[0]!;
    expect(retry.params).toEqual(a!.params);
    expect(retry.userAttrs["parzen.retry_of"]).toBe(String(a!.id));
    await ts.restart();
    const all = (await ts.api.listTrials({ experiment: "lease" })).trials;
    expect(all.map((t) => t.state)).toEqual([TrialState.TRIAL_STATE_LOST, TrialState.TRIAL_STATE_RUNNING]);
    expect(all[0]!.userAttrs["parzen.retried_as"]).toBe(String(retry.id));
    clock.now += LEASE_MS + 1;
    // The retry lapses too: it is LOST and retried once more, as attempt 3 (at most 3 attempts in all).
    const third = (await ts.api.suggest({ experiment: "lease", workerId: "w3" })).trials[0]!;
    expect(third.userAttrs).toEqual({ "parzen.retry_of": String(retry.id), "parzen.attempt": "3" });
    const states = (await ts.api.listTrials({ experiment: "lease" })).trials.map((t) => t.state);
    expect(states).toEqual([TrialState.TRIAL_STATE_LOST, TrialState.TRIAL_STATE_LOST, TrialState.TRIAL_STATE_RUNNING]);
  });

  it("answers UNAVAILABLE while the database is down, and carries on with its history once it is back", async () => {
    await ts.api.createExperiment({
      experiment: { name: "outage", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
    });
    const [a] = (await ts.api.suggest({ experiment: "outage", workerId: "w" })).trials;
    await cluster.pause();
    try {
      const err = await rejection(
        ts.api.report({ trialId: a!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1, requestId: "outage-r" }),
      );
      expect(err.code).toBe(status.UNAVAILABLE);
      expect(err.details).toMatch(/database could not be reached.*retry with the same request_id/);
    } finally {
      await cluster.resume();
    }
    // The client's retry, with the same request id, goes through once the database is back.
    const { trial } = await ts.api.report({
      trialId: a!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: 1,
      requestId: "outage-r",
    });
    expect(trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    const next = (await ts.api.suggest({ experiment: "outage", workerId: "w" })).trials[0]!;
    expect(next.number).toBe(1);
    const all = (await ts.api.listTrials({ experiment: "outage" })).trials;
    expect(all.map((t) => [t.number, t.state])).toEqual([
      [0, TrialState.TRIAL_STATE_COMPLETE],
      [1, TrialState.TRIAL_STATE_RUNNING],
    ]);
  });

  it("deletes an experiment with its history, and a second server on the same database starts beside the first", async () => {
    await ts.api.createExperiment({ experiment: { name: "gone", space: { parameters: [uniform("x", 0, 1)] } } });
    await ts.api.suggest({ experiment: "gone" });
    await ts.api.deleteExperiment({ name: "gone" });
    expect((await rejection(ts.api.getExperiment({ name: "gone" }))).code).toBe(status.NOT_FOUND);
    const second = await startParzen({ db: url, listen: "127.0.0.1:0", logger: pino({ level: "silent" }) });
    try {
      const names = (await second.optimizer.listExperiments(100, "")).experiments.map((e) => e.name);
      expect(names).toContain("tpe");
      expect(names).not.toContain("gone");
    } finally {
      await second.stop();
    }
  });

  it("`parzen serve` says in one line why it cannot use the database, and exits 1", async () => {
    const serve = (db: string) =>
      run("npx", ["tsx", "src/cli/main.ts", "serve", "--listen", "127.0.0.1:0", "--db", db], { timeout: 60_000 }).then(
        () => ({ code: 0, stderr: "" }),
        (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
      );
    const unreachable = await serve("postgresql://parzen:hunter2@127.0.0.1:1/parzen");
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /cannot reach the PostgreSQL server of postgresql:\/\/parzen:\*\*\*@127\.0\.0\.1:1/,
    );
    expect(unreachable.stderr).not.toContain("hunter2");
    const missing = await serve(cluster.url("missing"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/"missing" does not exist/);
  }, 120_000);
});
