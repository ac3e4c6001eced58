/**
 * A server's idle image follows another server's writes through the change
 * feed (service/state/feed-sync.ts, Changes.refreshSoon): a notice that
 * arrives while the pull for an earlier one is still reading is not lost.
 * Two services on one real PostgreSQL database, in process; the reader's
 * store is the real one, with its `changesSince` held back once so the race
 * happens every time instead of now and then on a busy machine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import {
  ReportRequest,
  ReportStatus,
  SuggestRequest,
  UpdateExperimentRequest,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { type AlgorithmRunner, runSuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { Optimizer } from "../../src/service/use-cases/optimizer.js";
import { openPostgresStore } from "../../src/store/postgres/open.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { ChangeFeed, Store } from "../../src/store/store.js";
import { type PgCluster, postgresAvailable, startCluster } from "../pg-cluster.js";
import { uniform } from "./fixtures.js";

const suite = postgresAvailable ? describe : describe.skip;
const memos = createSharedMemos();
const runner: AlgorithmRunner = { suggest: async (job) => runSuggestJob(job, memos), close: async () => undefined };

suite("an idle image on another server", () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it("catches up with a write whose notice arrived while the pull for the one before was reading", async () => {
    const url = await cluster.createDatabase("refresh");
    const writerStore = await openPostgresStore({ url });
    const readerStore = await openPostgresStore({ url });
    // The reader's next pull, once armed, reads and then waits for `release` before it answers.
    let armed = false;
    let reading: (() => void) | undefined;
    const read = new Promise<void>((ok) => {
      reading = ok;
    });
    let release: (() => void) | undefined;
    const released = new Promise<void>((ok) => {
      release = ok;
    });
    const feed: ChangeFeed = {
      lock: (id, since) => readerStore.lock(id, since),
      onChange: (listener, onLost) => readerStore.onChange(listener, onLost),
      changesSince: async (id, version, toConfig) => {
        const changes = await readerStore.changesSince(id, version, toConfig);
        if (armed) {
          armed = false;
          reading!();
          await released;
        }
        return changes;
      },
    };
    const reader = new Proxy(readerStore, {
      get(target, prop) {
        if (prop === "feed") return feed;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as unknown as Store;
    const writer = new Optimizer({ store: writerStore, runner });
    const other = new Optimizer({ store: reader, runner });
    const stores: PostgresStore[] = [writerStore, readerStore];
    try {
      await writer.createExperiment(
        Experiment.fromPartial({ name: "e", space: { parameters: [uniform("x", 0, 1)] }, seed: 1 }),
      );
      // The reader holds the experiment in memory (and hears the writer's notices).
      expect((await other.getExperiment("e")).name).toBe("e");
      armed = true;
      const [t] = await writer.suggest(SuggestRequest.fromPartial({ experiment: "e", workerId: "w" }));
      // The reader's pull of the Suggest has read; the Report commits and is announced while it waits.
      await read;
      await writer.report(
        ReportRequest.fromPartial({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 }),
      );
      const reported = (await writer.getTrial(t!.id)).state;
      release!();
      // Nothing else happens on the experiment: only the feed can bring the report to the reader.
      const deadline = Date.now() + 10_000;
      let seen = (await other.getTrial(t!.id)).state;
      while (seen !== reported && Date.now() < deadline) {
        await new Promise((ok) => setTimeout(ok, 20));
        seen = (await other.getTrial(t!.id)).state;
      }
      expect(seen).toBe(TrialState.TRIAL_STATE_COMPLETE);
    } finally {
      await writer.close();
      await other.close();
      for (const s of stores) await s.close().catch(() => undefined);
    }
  }, 60_000);

  it("answers a Suggest that finds nothing to hand out from what is committed, not from an image not yet told", async () => {
    const url = await cluster.createDatabase("negative");
    const writerStore = await openPostgresStore({ url });
    const readerStore = await openPostgresStore({ url });
    // The reader hears no notices at all: as if the writer's had not arrived yet.
    const feed: ChangeFeed = {
      lock: (id, since) => readerStore.lock(id, since),
      onChange: (_listener, onLost) => readerStore.onChange(() => undefined, onLost),
      changesSince: (id, version, toConfig) => readerStore.changesSince(id, version, toConfig),
    };
    const reader = new Proxy(readerStore, {
      get(target, prop) {
        if (prop === "feed") return feed;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as unknown as Store;
    const writer = new Optimizer({ store: writerStore, runner });
    const other = new Optimizer({ store: reader, runner });
    try {
      await writer.createExperiment(
        Experiment.fromPartial({ name: "e", space: { parameters: [uniform("x", 0, 1)] }, seed: 1, maxTrials: 1 }),
      );
      const [t] = await writer.suggest(SuggestRequest.fromPartial({ experiment: "e", workerId: "w" }));
      await writer.report(
        ReportRequest.fromPartial({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 }),
      );
      // The reader's image: the budget is spent.
      expect((await other.getExperiment("e")).trialCounts?.complete).toBe(1);
      await writer.updateExperiment(UpdateExperimentRequest.fromPartial({ name: "e", maxTrials: 2 }));
      const next = await other.suggest(SuggestRequest.fromPartial({ experiment: "e", workerId: "w" }));
      expect(next.map((n) => n.number)).toEqual([1]);
    } finally {
      await writer.close();
      await other.close();
      for (const s of [writerStore, readerStore]) await s.close().catch(() => undefined);
    }
  }, 60_000);
});
