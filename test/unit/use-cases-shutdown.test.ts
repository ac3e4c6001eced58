/**
 * Deletes racing readers and the service's shutdown (optimizer.ts): a stream over an experiment deleted under it
 * ends NOT_FOUND, never with an internal error; `close()` lets queued changes reach the database before the
 * store closes; two releases without a request id log nothing that could collide.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListTrialsRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { Optimizer } from "../../src/service/use-cases/optimizer.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import { experiment, harness, ok, releaseReq, START, suggestReq } from "./use-cases-harness.js";

const idle = { suggest: async () => new Float64Array(1), close: async () => undefined };

describe("deletes and shutdown", () => {
  it("a stream over an experiment deleted under it ends NOT_FOUND", async () => {
    const h = await harness();
    await h.optimizer.createExperiment(experiment("s"));
    const ts = await h.optimizer.suggest(suggestReq("s", 201));
    await Promise.all(ts.map((t) => h.optimizer.report(ok(t.id, 1))));
    let seen = 0;
    const err = await (async () => {
      for await (const _ of h.optimizer.streamTrials("s", [])) {
        if (seen++ === 0) await h.optimizer.deleteExperiment("s");
      }
    })().catch((e: unknown) => e);
    expect(seen).toBe(200);
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("NOT_FOUND");
    await h.close();
  });

  it("close() lets a queued retry withdrawal reach the database before the store closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-use-cases-"));
    try {
      const path = join(dir, "p.db");
      let clock = START;
      const store = await openSqliteStore({ path });
      const first = new Optimizer({ store, runner: idle, now: () => clock });
      await first.createExperiment(experiment("r", { retryLost: true, leaseDuration: { seconds: 1, nanos: 0 } }));
      const [t] = await first.suggest(suggestReq("r"));
      clock += 1001;
      const listed = await first.listTrials(ListTrialsRequest.fromPartial({ experiment: "r" }));
      const retry = listed.trials[1]!;
      expect(retry.state).toBe(TrialState.TRIAL_STATE_WAITING);
      await first.report(ok(t!.id, 1));
      await first.close();
      await store.close();
      const reopened = await openSqliteStore({ path });
      const second = new Optimizer({ store: reopened, runner: idle, now: () => clock });
      expect((await second.getTrial(retry.id)).state).toBe(TrialState.TRIAL_STATE_LOST);
      await second.close();
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("releases without a request id can follow one another", async () => {
    const h = await harness();
    await h.optimizer.createExperiment(experiment("e"));
    const [a, b] = await h.optimizer.suggest(suggestReq("e", 2));
    await h.optimizer.releaseTrial(releaseReq(a!.id));
    await h.optimizer.releaseTrial(releaseReq(b!.id));
    const [c] = await h.optimizer.suggest(suggestReq("e"));
    await h.optimizer.releaseTrial(releaseReq(c!.id));
    expect((await h.optimizer.getExperiment("e")).trialCounts).toMatchObject({ waiting: 2, running: 0 });
    await h.close();
  });
});
