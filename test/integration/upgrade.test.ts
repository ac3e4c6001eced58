/**
 * Upgrade safety: every database fixture written by a past release
 * (test/fixtures/release-<version>-schema<N>.db, made by
 * make-release-db.ts) is copied to a temp dir and opened by this code
 * through a real server over real gRPC. Every experiment and trial must read
 * back exactly as that release returned it (its .json snapshot: ids,
 * numbers, params, states, losses, metrics, attributes, curves, timestamps,
 * leases), replayed Suggest request ids must return the same trials, leases
 * must lapse at their stored deadlines, every experiment must still suggest
 * and record results, and the file must stay sound at the current schema.
 */
import { credentials } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startParzen, type RunningParzen } from "../../src/app.js";
import { ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { Trial, TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { latestVersion, loadMigrations } from "../../src/store/sqlite/database.js";
import { snapshotExperiments, type ReleaseSnapshot } from "../fixtures/release-snapshot.js";
import { promisify, type Api } from "./harness.js";

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures");
const RELEASES = readdirSync(FIXTURES)
  .filter((f) => /^release-.+\.db$/.test(f))
  .map((f) => f.slice(0, -".db".length))
  .sort();

/** A trial as proto3 JSON (what the snapshot holds), with the fields the checks below read. */
interface TrialJson {
  id: number;
  number?: number;
  state: string;
  source: string;
  params: Record<string, unknown>;
  leaseDeadline?: string;
  userAttrs?: Record<string, string>;
}

/** Integrity and foreign keys of a closed database file, and its schema version. */
function soundness(path: string): { integrity: unknown; foreignKeyErrors: unknown[]; userVersion: unknown } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      integrity: db.pragma("integrity_check", { simple: true }),
      foreignKeyErrors: db.pragma("foreign_key_check") as unknown[],
      userVersion: db.pragma("user_version", { simple: true }),
    };
  } finally {
    db.close();
  }
}

it("has a fixture of at least one release", () => {
  expect(RELEASES.length).toBeGreaterThan(0);
  for (const base of RELEASES) {
    expect(existsSync(join(FIXTURES, `${base}.json`)), `${base}.json`).toBe(true);
    // A fixture is one self-contained file: its WAL was checkpointed when it was written.
    expect(existsSync(join(FIXTURES, `${base}.db-wal`)), `${base}.db-wal`).toBe(false);
  }
});

describe.each(RELEASES)("a database written by %s", (base) => {
  const snapshot = JSON.parse(readFileSync(join(FIXTURES, `${base}.json`), "utf8")) as ReleaseSnapshot;
  const clock = { now: snapshot.now };
  let dir: string;
  let dbPath: string;
  let server: RunningParzen | undefined;
  let client: OptimizerServiceClient | undefined;
  let api: Api;

  const start = async () => {
    server = await startParzen({
      db: dbPath,
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
      now: () => clock.now,
      prefetch: false,
    });
    client = new OptimizerServiceClient(server.address, credentials.createInsecure());
    api = promisify(client);
  };
  const stop = async () => {
    client?.close();
    await server?.stop();
    client = undefined;
    server = undefined;
  };
  const trialsOf = (name: string) => snapshot.experiments.find((e) => e.name === name)!.trials as TrialJson[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "parzen-upgrade-"));
    dbPath = join(dir, "parzen.db");
    copyFileSync(join(FIXTURES, `${base}.db`), dbPath);
    const before = soundness(dbPath);
    expect(before).toEqual({ integrity: "ok", foreignKeyErrors: [], userVersion: snapshot.schemaVersion });
    await start();
  });
  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // The steps below run in order on one database: each starts from what the previous one left.

  it("migrates it to the current schema version", () => {
    expect(soundness(dbPath).userVersion).toBe(latestVersion(loadMigrations()));
  });

  it("returns every experiment and trial exactly as the release did", async () => {
    const now = await snapshotExperiments(api);
    expect(now.map((e) => e.name)).toEqual(snapshot.experiments.map((e) => e.name));
    for (const [i, e] of snapshot.experiments.entries()) {
      // The lifecycle state and the algorithm choice are output fields added since the release: a release
      // experiment has no stop conditions, and its next trial comes from its own algorithm.
      const { state, algorithmChoice, ...asReleased } = now[i]!.experiment as Record<string, unknown>;
      expect(state, e.name).toBe("EXPERIMENT_STATE_ACTIVE");
      expect(algorithmChoice, e.name).toEqual({
        algorithm: (e.experiment as { algorithm: { name: string } }).algorithm.name,
      });
      expect(asReleased, e.name).toEqual(e.experiment);
      expect(now[i]!.trials.length, e.name).toBe(e.trials.length);
      for (const [j, t] of e.trials.entries()) expect(now[i]!.trials[j], `${e.name} trial ${j}`).toEqual(t);
      expect(now[i]!.best, e.name).toEqual(e.best);
    }
  });

  it("answers a replayed Suggest request id with the trials it created then, creating none", async () => {
    expect(snapshot.suggests.length).toBeGreaterThan(0);
    for (const s of snapshot.suggests) {
      const { trials } = await api.suggest({ experiment: s.experiment, workerId: s.workerId, requestId: s.requestId });
      expect(trials.map((t) => t.id)).toEqual(s.trialIds);
    }
    for (const e of snapshot.experiments) {
      const { trials } = await api.listTrials({ experiment: e.name });
      expect(trials.length, e.name).toBe(e.trials.length);
    }
  });

  it("lets a RUNNING trial's lease lapse exactly at its stored deadline, and still takes its late result", async () => {
    const running = snapshot.experiments
      .flatMap((e) => (e.trials as TrialJson[]).filter((t) => t.state === "TRIAL_STATE_RUNNING"))
      .map((t) => ({ id: t.id, deadline: Date.parse(t.leaseDeadline!) }))
      .sort((a, b) => a.deadline - b.deadline);
    expect(running.length).toBeGreaterThan(0);
    for (const { id, deadline } of running) {
      expect(deadline).toBeGreaterThan(clock.now);
      clock.now = deadline;
      expect((await api.getTrial({ trialId: id })).trial!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
      clock.now = deadline + 1;
      expect((await api.getTrial({ trialId: id })).trial!.state).toBe(TrialState.TRIAL_STATE_LOST);
    }
    // The worker was alive after all: its result is accepted.
    const late = (await api.report({ trialId: running[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 }))
      .trial!;
    expect(late.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(late.loss).toBe(0.25);
  });

  it("suggests in every experiment (an enqueued trial first) and records results and curves", async () => {
    for (const e of snapshot.experiments) {
      const before = (await api.getExperiment({ name: e.name })).experiment!;
      const trials = (await api.listTrials({ experiment: e.name })).trials;
      const waiting = trials.filter((t) => t.state === TrialState.TRIAL_STATE_WAITING);
      clock.now += 1000;
      const [t] = (await api.suggest({ experiment: e.name, workerId: "after-upgrade" })).trials;
      expect(t!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
      expect(t!.workerId).toBe("after-upgrade");
      if (waiting.length > 0) {
        // Enqueued configurations (and retries of lost trials) are served first, oldest first, as stored.
        expect(t!.id, e.name).toBe(waiting[0]!.id);
        expect(Trial.toJSON(t!)).toMatchObject({ params: trialsOf(e.name).find((s) => s.id === t!.id)!.params });
      } else {
        expect(t!.number, e.name).toBe(trials.length);
        expect(t!.id).toBeGreaterThan(Math.max(0, ...snapshot.experiments.flatMap((x) => x.trials.map(idOf))));
        expect(t!.source).toBe(TrialSource.TRIAL_SOURCE_ALGORITHM);
      }
      const prune = await api.reportIntermediate({ trialId: t!.id, step: 7, value: 1.5 });
      expect(typeof prune.shouldPrune).toBe("boolean");
      clock.now += 1000;
      const done = (
        await api.report({
          trialId: t!.id,
          status: ReportStatus.REPORT_STATUS_OK,
          loss: 0.5,
          metrics: { after: 1 },
          userAttrs: { upgraded: "yes" },
        })
      ).trial!;
      expect(done.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
      expect(done.intermediateValues).toEqual([{ step: 7, value: 1.5 }]);
      expect(done.metrics).toEqual({ after: 1 });
      const after = (await api.getExperiment({ name: e.name })).experiment!;
      expect(after.trialCounts!.complete, e.name).toBe(before.trialCounts!.complete + 1);
      expect(after.trialCounts!.waiting, e.name).toBe(before.trialCounts!.waiting - (waiting.length > 0 ? 1 : 0));
    }
  });

  it("lets UpdateExperiment give a release experiment a budget and pause it (kept across the reopen below)", async () => {
    const name = snapshot.experiments[0]!.name;
    const c = (await api.getExperiment({ name })).experiment!.trialCounts!;
    const maxTrials = c.complete + c.pruned + 1;
    const updated = (await api.updateExperiment({ name, maxTrials, action: ExperimentAction.EXPERIMENT_ACTION_PAUSE }))
      .experiment!;
    expect(updated).toMatchObject({ maxTrials, state: ExperimentState.EXPERIMENT_STATE_PAUSED });
    expect((await api.suggest({ experiment: name, workerId: "after-upgrade" })).retryAfter).toBeDefined();
  });

  it("leaves a sound file at the current schema version, which reopens with the same history", async () => {
    const served = await snapshotExperiments(api);
    await stop();
    expect(soundness(dbPath)).toEqual({
      integrity: "ok",
      foreignKeyErrors: [],
      userVersion: latestVersion(loadMigrations()),
    });
    await start();
    expect(await snapshotExperiments(api)).toEqual(served);
  });
});

function idOf(t: unknown): number {
  return (t as TrialJson).id;
}
