/**
 * The service's one mutation path (service/state/experiments.ts), on a real SQLite
 * store without the gRPC layer: calls resolve only after their commit, many
 * calls still share one commit, a failed commit answers UNAVAILABLE and the
 * history reloads from what was committed, concurrent creates of one name
 * settle on one experiment, and a delete racing other calls never turns
 * into an internal error.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { Experiment, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import {
  ExperimentAction,
  ListTrialsRequest,
  ReportRequest,
  ReportStatus,
  SuggestRequest,
  UpdateExperimentRequest,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { type AlgorithmRunner, runSuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { Optimizer } from "../../src/service/use-cases/optimizer.js";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { uniform } from "../integration/fixtures.js";

const memos = createSharedMemos();
const runner: AlgorithmRunner = { suggest: async (job) => runSuggestJob(job, memos), close: async () => undefined };

/** The store, recording when each write is applied and committed; `breakNext` fails the next write's commit. */
function observed(store: SqliteStore, events: string[]): Store & { breakNext: boolean } {
  const wrapper = {
    breakNext: false,
    async write(...args: Parameters<Store["write"]>) {
      const w = await store.write(...args);
      events.push("applied");
      if (wrapper.breakNext) {
        wrapper.breakNext = false;
        // A dangling row whose foreign key is only checked at COMMIT: the whole group fails there.
        store.db.pragma("defer_foreign_keys = ON");
        store.db.prepare("INSERT INTO intermediate_values (trial_id, step, value) VALUES (-1, 0, 0)").run();
      }
      w.durable.then(
        () => events.push("committed"),
        () => events.push("rolled back"),
      );
      return w;
    },
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "write" || prop === "breakNext") return wrapper[prop];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
    set(_target, prop, value) {
      if (prop !== "breakNext") return false;
      wrapper.breakNext = value as boolean;
      return true;
    },
  }) as unknown as Store & { breakNext: boolean };
}

const definition = (name: string, seed?: number) =>
  Experiment.fromPartial({
    name,
    space: { parameters: [uniform("x", 0, 1)] },
    algorithm: { name: "random" },
    ...(seed === undefined ? {} : { seed }),
  });

const codeOf = (err: unknown) => (err instanceof ParzenError ? err.code : `not a ParzenError: ${String(err)}`);

describe("the mutation path", () => {
  let sqlite: SqliteStore;
  let store: Store & { breakNext: boolean };
  let events: string[];
  let optimizer: Optimizer;

  beforeEach(async () => {
    sqlite = await openSqliteStore({ path: ":memory:" });
    events = [];
    store = observed(sqlite, events);
    optimizer = new Optimizer({ store, runner });
    await optimizer.createExperiment(definition("e", 1));
  });
  afterEach(async () => {
    await optimizer.close();
    await sqlite.close();
  });

  const suggest = async (count = 1) =>
    optimizer.suggest(SuggestRequest.fromPartial({ experiment: "e", workerId: "w", count }));
  const report = (trialId: number, loss: number) =>
    optimizer.report(ReportRequest.fromPartial({ trialId, status: ReportStatus.REPORT_STATUS_OK, loss }));

  it("resolves a call only once its write is committed", async () => {
    const [t] = await suggest();
    events.length = 0;
    await report(t!.id, 0.5);
    events.push("answered");
    expect(events).toEqual(["applied", "committed", "answered"]);
  });

  it("lets the calls of one moment share one commit", async () => {
    const trials = await suggest(40);
    const before = sqlite.commits();
    await Promise.all(trials.map((t, i) => report(t.id, i)));
    expect(sqlite.commits() - before).toBe(1);
  });

  it("answers UNAVAILABLE when the commit fails, and the history reloads from what was committed", async () => {
    const [t] = await suggest();
    store.breakNext = true;
    const err = await report(t!.id, 0.5).catch((e: unknown) => e);
    expect(codeOf(err)).toBe("UNAVAILABLE");
    expect((await optimizer.getTrial(t!.id)).state).toBe(TrialState.TRIAL_STATE_RUNNING);
    expect((await optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 1, complete: 0 });
    // The retried call goes through.
    expect((await report(t!.id, 0.5)).trial.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect((await optimizer.getBest("e")).id).toBe(t!.id);
  });

  it("after a failed commit, answers from the committed history only (best trial, counts, next numbers)", async () => {
    const [a, b] = await suggest(2);
    await report(b!.id, 0.9);
    store.breakNext = true;
    expect(codeOf(await report(a!.id, 0.1).catch((e: unknown) => e))).toBe("UNAVAILABLE");
    // The lost write's better loss is nowhere: not in the best trial, not in the counts.
    expect((await optimizer.getBest("e")).id).toBe(b!.id);
    expect((await optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 1, complete: 1 });
    store.breakNext = true;
    expect(codeOf(await suggest(2).catch((e: unknown) => e))).toBe("UNAVAILABLE");
    // The failed Suggest created nothing: the next one gets the numbers it would have had.
    const next = await suggest(1);
    expect(next.map((t) => t.number)).toEqual([2]);
    const all = await optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "e" }));
    expect(all.trials.map((t) => [t.number, t.state])).toEqual([
      [0, TrialState.TRIAL_STATE_RUNNING],
      [1, TrialState.TRIAL_STATE_COMPLETE],
      [2, TrialState.TRIAL_STATE_RUNNING],
    ]);
  });

  it("a Report with suggest_next whose commit fails leaves neither the report nor the next trial", async () => {
    const [t] = await suggest();
    const next = (requestId: string) =>
      optimizer.report(
        ReportRequest.fromPartial({
          trialId: t!.id,
          status: ReportStatus.REPORT_STATUS_OK,
          loss: 0.5,
          suggestNext: true,
          requestId,
        }),
      );
    store.breakNext = true;
    expect(codeOf(await next("r").catch((e: unknown) => e))).toBe("UNAVAILABLE");
    expect((await optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 1, complete: 0 });
    // The request id was not logged either: its retry reports and starts trial 1, once.
    const retried = await next("r");
    expect(retried.trial.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect(retried.next!.trials.map((n) => n.number)).toEqual([1]);
    expect((await next("r")).next!.trials.map((n) => n.id)).toEqual(retried.next!.trials.map((n) => n.id));
    expect((await optimizer.getExperiment("e")).trialCounts).toMatchObject({ running: 1, complete: 1 });
  });

  it("an UpdateExperiment whose commit fails changes nothing", async () => {
    store.breakNext = true;
    const pause = UpdateExperimentRequest.fromPartial({ name: "e", action: ExperimentAction.EXPERIMENT_ACTION_PAUSE });
    expect(codeOf(await optimizer.updateExperiment(pause).catch((e: unknown) => e))).toBe("UNAVAILABLE");
    expect((await optimizer.getExperiment("e")).state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    expect(await suggest()).toHaveLength(1);
    expect((await optimizer.updateExperiment(pause)).state).toBe(ExperimentState.EXPERIMENT_STATE_PAUSED);
  });

  it("creates nothing for a Suggest whose caller gave up while the algorithm ran, just before the commit", async () => {
    const abort = new AbortController();
    const giveUp: AlgorithmRunner = {
      suggest: async (job) => {
        const config = await runSuggestJob(job, memos);
        abort.abort(new ParzenError("DEADLINE_EXCEEDED", "suggest: the client's deadline passed"));
        return config;
      },
      close: async () => undefined,
    };
    const impatient = new Optimizer({ store, runner: giveUp });
    await impatient.createExperiment(definition("gave-up", 1));
    const req = SuggestRequest.fromPartial({ experiment: "gave-up", workerId: "w", count: 1 });
    const err = await impatient.suggest(req, abort.signal).catch((e: unknown) => e);
    expect(codeOf(err)).toBe("DEADLINE_EXCEEDED");
    const after = await impatient.getExperiment("gave-up");
    expect(after.trialCounts).toMatchObject({ running: 0, complete: 0, waiting: 0 });
    expect((await impatient.suggest(SuggestRequest.fromPartial({ experiment: "gave-up", count: 1 })))[0]!.number).toBe(
      0,
    );
    await impatient.close();
  });

  it("settles concurrent creates of one name on one experiment", async () => {
    const same = await Promise.all([1, 2, 3].map(() => optimizer.createExperiment(definition("c", 9))));
    expect(same.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(same.map((r) => JSON.stringify(r.experiment)))).toHaveProperty("size", 1);
    const different = await Promise.allSettled([
      optimizer.createExperiment(definition("d", 1)),
      optimizer.createExperiment(definition("d", 2)),
    ]);
    const rejected = different.filter((r) => r.status === "rejected");
    expect(rejected.map((r) => codeOf((r as PromiseRejectedResult).reason))).toEqual(["ALREADY_EXISTS"]);
  });

  it("answers calls racing a delete either normally or NOT_FOUND, never INTERNAL", async () => {
    const trials = await suggest(5);
    const outcomes = await Promise.allSettled([
      optimizer.getTrial(trials[0]!.id),
      report(trials[1]!.id, 1),
      optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "e" })),
      optimizer.deleteExperiment("e"),
      optimizer.getTrial(trials[2]!.id),
      report(trials[3]!.id, 1),
      optimizer.heartbeat(trials[4]!.id),
      suggest(),
    ]);
    for (const o of outcomes) if (o.status === "rejected") expect(codeOf(o.reason)).toBe("NOT_FOUND");
    expect(outcomes[3]!.status).toBe("fulfilled");
    expect(codeOf(await optimizer.getExperiment("e").catch((e: unknown) => e))).toBe("NOT_FOUND");
  });
});

describe("finding a reported trial's experiment", () => {
  it("looks in the experiments last suggested from first, and asks the store only for the others", async () => {
    const sqlite = await openSqliteStore({ path: ":memory:" });
    let lookups = 0;
    const store = new Proxy(sqlite, {
      get(target, prop) {
        if (prop === "experimentOfTrial") {
          return (id: number) => {
            lookups++;
            return target.experimentOfTrial(id);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as unknown as Store;
    const optimizer = new Optimizer({ store, runner });
    try {
      const names = ["a", "b", "c", "d", "e"];
      const trials = [];
      for (const name of names) {
        await optimizer.createExperiment(definition(name, 1));
        trials.push((await optimizer.suggest(SuggestRequest.fromPartial({ experiment: name, workerId: "w" })))[0]!);
      }
      const report = (trialId: number) =>
        optimizer.report(ReportRequest.fromPartial({ trialId, status: ReportStatus.REPORT_STATUS_OK, loss: 1 }));
      // The last four suggested from hold their sessions (VIEWED_EXPERIMENTS): found in memory.
      for (const t of trials.slice(1)) expect((await report(t.id)).trial.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
      expect(lookups).toBe(0);
      // The first is cached but no longer among them: the store says whose trial it is.
      const first = await report(trials[0]!.id);
      expect([first.trial.state, first.trial.experiment]).toEqual([TrialState.TRIAL_STATE_COMPLETE, "a"]);
      expect(lookups).toBe(1);
      expect(codeOf(await report(10_000).catch((e: unknown) => e))).toBe("NOT_FOUND");
      expect(lookups).toBe(2);
    } finally {
      await optimizer.close();
      await sqlite.close();
    }
  });
});
