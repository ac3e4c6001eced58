/**
 * Suggestion prefetch (service/use-cases/suggest.ts) over real gRPC: two servers, one
 * prefetching and one not (--no-prefetch), driven through the same calls,
 * must hand out the same suggestions, and the prefetching one must have
 * served its lone worker's Suggests from prefetched work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Trial } from "@parzen/client/gen/parzen/v1/trial";
import { mixedSpace, plain } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

let on: TestServer;
let off: TestServer;
beforeAll(async () => {
  on = await startTestServer();
  off = await startTestServer({ prefetch: false });
});
afterAll(async () => {
  await on.close();
  await off.close();
});

const stats = (ts: TestServer) => ts.server.optimizer.diagnostics().prefetch;
/** A while for a prefetch that should not happen to show up (one waits for a few event-loop turns). */
const settle = () => new Promise((r) => setTimeout(r, 30));

/** Waits until `ts` has started `n` prefetches in all (the worker's turnaround, however long a busy machine makes it). */
async function prefetchesStarted(ts: TestServer, n: number): Promise<void> {
  for (let waited = 0; stats(ts).started < n; waited += 5) {
    if (waited > 5_000) throw new Error(`only ${stats(ts).started} of ${n} prefetches started`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function paramsOf(t: Trial): Record<string, unknown> {
  return Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, plain(v)]));
}

/** A deterministic loss of a trial's parameters (both servers see the same one). */
function lossOf(t: Trial): number {
  const p = paramsOf(t);
  return (
    Math.log10(p.lr as number) ** 2 + (p.layers as number) / 10 + (p.optimizer === "sgd" ? (p.momentum as number) : 0.5)
  );
}

async function createOnBoth(name: string, algorithm: string): Promise<void> {
  for (const ts of [on, off]) {
    await ts.api.createExperiment({
      experiment: { name, space: mixedSpace(), algorithm: { name: algorithm, options: {} }, seed: 3 },
    });
  }
}

/** One Suggest on each server; both must give the same configuration. */
async function suggestOnBoth(experiment: string, workerId = "w"): Promise<[Trial, Trial]> {
  const [a] = (await on.api.suggest({ experiment, workerId })).trials;
  const [b] = (await off.api.suggest({ experiment, workerId })).trials;
  expect(a!.number).toBe(b!.number);
  expect(paramsOf(a!)).toEqual(paramsOf(b!));
  return [a!, b!];
}

async function reportOnBoth([a, b]: [Trial, Trial]): Promise<void> {
  await on.api.report({ trialId: a.id, status: ReportStatus.REPORT_STATUS_OK, loss: lossOf(a) });
  await off.api.report({ trialId: b.id, status: ReportStatus.REPORT_STATUS_OK, loss: lossOf(b) });
}

describe("suggestion prefetch", () => {
  it("gives a lone worker the same TPE suggestions, from prefetched work", async () => {
    await createOnBoth("lone", "tpe");
    const before = stats(on);
    for (let i = 0; i < 25; i++) {
      await reportOnBoth(await suggestOnBoth("lone"));
      // The worker's turnaround: the prefetch runs meanwhile (the next test has the Suggest come at once).
      await prefetchesStarted(on, before.started + i + 1);
    }
    const after = stats(on);
    // Every Report but the last was followed by a Suggest that took the prefetched suggestion.
    expect(after.started - before.started).toBe(25);
    expect(after.used - before.used).toBe(24);
    expect(after.discarded - before.discarded).toBe(0);
    expect(stats(off)).toEqual({ started: 0, used: 0, discarded: 0, ahead: 0 });
  });

  it("also when the next Suggest arrives at once", async () => {
    await createOnBoth("eager", "tpe");
    const before = stats(on);
    for (let i = 0; i < 20; i++) await reportOnBoth(await suggestOnBoth("eager"));
    // A Suggest that came before its prefetch started stopped it from starting: nothing is computed for nothing.
    expect(stats(on).discarded - before.discarded).toBe(0);
  });

  it("discards a prefetched suggestion when the experiment changed before the Suggest", async () => {
    await createOnBoth("changed", "tpe");
    for (let i = 0; i < 11; i++) await reportOnBoth(await suggestOnBoth("changed"));
    const last = await suggestOnBoth("changed");
    const started = stats(on).started;
    await reportOnBoth(last);
    await prefetchesStarted(on, started + 1);
    const before = stats(on);
    // An import lands between the Report and the next Suggest: the prefetched suggestion no longer fits the history.
    for (const ts of [on, off]) {
      await ts.api.addTrials({
        experiment: "changed",
        trials: [
          {
            params: {
              lr: { kind: { $case: "doubleValue", value: 0.01 } },
              layers: { kind: { $case: "intValue", value: 2 } },
              optimizer: { kind: { $case: "stringValue", value: "adam" } },
            },
            loss: -5,
          },
        ],
      });
    }
    await suggestOnBoth("changed");
    expect(stats(on).discarded - before.discarded).toBe(1);
    expect(stats(on).used - before.used).toBe(0);
  });

  it("discards it when a trial changed without a new trial number (a LOST trial revived by its heartbeat)", async () => {
    // Servers of their own, on a clock the test moves.
    const clock = { now: 1_000_000 };
    const a = await startTestServer({ now: () => clock.now });
    const b = await startTestServer({ now: () => clock.now, prefetch: false });
    try {
      const pair: [TestServer, TestServer] = [a, b];
      const leaseMs = 60_000;
      for (const ts of pair) {
        await ts.api.createExperiment({
          experiment: {
            name: "revived",
            space: mixedSpace(),
            algorithm: { name: "tpe", options: {} },
            seed: 5,
            leaseDuration: { seconds: leaseMs / 1000, nanos: 0 },
          },
        });
      }
      const suggest = async (workerId: string): Promise<Trial[]> =>
        Promise.all(pair.map(async (ts) => (await ts.api.suggest({ experiment: "revived", workerId })).trials[0]!));
      const report = async (ts: Trial[]) => {
        for (const [i, t] of ts.entries())
          await pair[i]!.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: lossOf(t) });
      };
      for (let i = 0; i < 11; i++) await report(await suggest("w"));
      const slow = await suggest("slow");
      clock.now += leaseMs + 1; // The slow worker's lease lapses: the next call finds its trial LOST.
      const next = await suggest("w");
      expect(paramsOf(next[0]!)).toEqual(paramsOf(next[1]!));
      const started = stats(a).started;
      await report(next); // Nothing RUNNING now: a prefetch starts.
      await prefetchesStarted(a, started + 1);
      // The slow worker was alive after all: its heartbeat revives its trial, RUNNING again, and the number to suggest is unchanged.
      for (const [i, t] of slow.entries()) await pair[i]!.api.heartbeat({ trialId: t.id });
      const before = stats(a);
      const after = await suggest("w");
      expect(after[0]!.number).toBe(after[1]!.number);
      expect(paramsOf(after[0]!)).toEqual(paramsOf(after[1]!));
      expect(stats(a).discarded - before.discarded).toBe(1);
      expect(stats(a).used - before.used).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("gives a lone one-trip worker (Report with suggest_next) the same suggestions, computed ahead", async () => {
    await createOnBoth("ahead", "tpe");
    let pair = await suggestOnBoth("ahead");
    const before = stats(on);
    for (let i = 0; i < 30; i++) {
      const ahead = stats(on).ahead;
      const next: Trial[] = [];
      for (const [k, ts] of [on, off].entries()) {
        const t = pair[k]!;
        const answer = await ts.api.report({
          trialId: t.id,
          status: ReportStatus.REPORT_STATUS_OK,
          loss: lossOf(t),
          suggestNext: true,
          workerId: "w",
          requestId: `ahead-${i}`,
        });
        next.push(answer.next!.trials[0]!);
      }
      expect(next[0]!.number).toBe(next[1]!.number);
      expect(paramsOf(next[0]!)).toEqual(paramsOf(next[1]!));
      pair = [next[0]!, next[1]!];
      // The worker's turnaround: the next suggestion is computed ahead meanwhile.
      for (let waited = 0; stats(on).ahead === ahead; waited += 5) {
        if (waited > 5_000) throw new Error("nothing was computed ahead");
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(stats(on).ahead - before.ahead).toBe(30);
    expect(stats(off).ahead).toBe(0);
    await reportOnBoth(pair);
  });

  it("prefetches nothing while another worker's trial is running", async () => {
    await createOnBoth("parallel", "tpe");
    for (let i = 0; i < 12; i++) await reportOnBoth(await suggestOnBoth("parallel"));
    const other = await suggestOnBoth("parallel", "other-worker");
    const before = stats(on);
    for (let i = 0; i < 5; i++) {
      await reportOnBoth(await suggestOnBoth("parallel"));
      await settle();
    }
    expect(stats(on).started - before.started).toBe(0);
    // Nor computes ahead after a Report with suggest_next.
    const [t] = await suggestOnBoth("parallel");
    await on.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: lossOf(t), suggestNext: true });
    await settle();
    expect(stats(on).ahead - before.ahead).toBe(0);
    await reportOnBoth(other);
  });
});
