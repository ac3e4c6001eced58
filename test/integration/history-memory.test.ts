/**
 * The compact history: finished trials keep only a few columns in memory and
 * are read back from SQLite when shown, and the algorithms' view of the
 * history is kept only for the experiments most recently suggested from.
 * Neither may change anything a client sees.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState, type Trial } from "@parzen/client/gen/parzen/v1/trial";
import { mixedSpace, uniform } from "./fixtures.js";
import { startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

function stream(experiment: string, states: TrialState[] = []): Promise<Trial[]> {
  return new Promise((done, fail) => {
    const out: Trial[] = [];
    const call = ts.client.streamTrials({ experiment, states });
    call.on("data", (r: { trial: Trial }) => out.push(r.trial));
    call.on("end", () => done(out));
    call.on("error", fail);
  });
}

async function listAll(
  experiment: string,
  pageSize: number,
  states: TrialState[] = [],
  workerId = "",
): Promise<Trial[]> {
  const out: Trial[] = [];
  let pageToken = "";
  do {
    const page = await ts.api.listTrials({ experiment, pageSize, pageToken, states, workerId });
    expect(page.trials.length).toBeLessThanOrEqual(pageSize);
    out.push(...page.trials);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out;
}

/** A few Suggest/Report cycles touching every kind of result: curves, PRUNED, FAIL, metrics, attributes. */
async function cycles(experiment: string, n: number): Promise<Trial[]> {
  const reported: Trial[] = [];
  for (let i = 0; i < n; i++) {
    const [t] = (await ts.api.suggest({ experiment, workerId: `w${i % 3}` })).trials;
    const x = t!.params.x!.kind!.value as number;
    if (i % 4 === 1) {
      await ts.api.reportIntermediate({ trialId: t!.id, step: 1, value: x + 1 });
      await ts.api.reportIntermediate({ trialId: t!.id, step: 3, value: x });
      reported.push((await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_PRUNED })).trial!);
    } else if (i % 4 === 2) {
      reported.push(
        (await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: `diverged ${i}` }))
          .trial!,
      );
    } else {
      const r = await ts.api.report({
        trialId: t!.id,
        status: ReportStatus.REPORT_STATUS_OK,
        loss: (x - 0.3) ** 2,
        metrics: { acc: 1 - x },
        userAttrs: { note: `n${i}` },
      });
      reported.push(r.trial!);
    }
  }
  return reported;
}

describe("compact history", () => {
  it("shows finished trials exactly as their Report returned them", async () => {
    await ts.api.createExperiment({
      experiment: {
        name: "readback",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "tpe" },
        seed: 3,
        direction: Direction.DIRECTION_MAXIMIZE,
      },
    });
    const reported = await cycles("readback", 24);
    for (const t of reported) expect((await ts.api.getTrial({ trialId: t.id })).trial).toEqual(t);
    expect(await listAll("readback", 5)).toEqual(reported);
    expect(await stream("readback")).toEqual(reported);
    const best = reported
      .filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETE)
      .reduce((a, b) => (b.loss! > a.loss! ? b : a));
    expect((await ts.api.getBest({ experiment: "readback" })).trial).toEqual(best);
    const { experiment } = await ts.api.getExperiment({ name: "readback" });
    expect(experiment!.trialCounts).toMatchObject({
      complete: 12,
      pruned: 6,
      fail: 6,
      running: 0,
      waiting: 0,
      lost: 0,
    });
    // A repeated report of a finished trial is answered from the stored row.
    const again = await ts.api.report({
      trialId: reported[0]!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: reported[0]!.loss!,
      metrics: { acc: reported[0]!.metrics.acc! },
    });
    expect(again.trial).toEqual(reported[0]);
  });

  it("pages and streams long histories with state and worker filters", async () => {
    await ts.api.createExperiment({
      experiment: { name: "long", space: mixedSpace(), algorithm: { name: "random" }, seed: 1 },
    });
    for (const w of ["a", "b", "c"]) await ts.api.suggest({ experiment: "long", count: 900, workerId: w });
    const all = await stream("long");
    expect(all.map((t) => t.number)).toEqual([...Array(2700).keys()]);
    // Finish every third trial, so the filters cut across chunks of both kinds.
    for (const t of all.filter((t) => t.number % 3 === 0))
      await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: t.number });
    const now = await stream("long");
    expect(now.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETE)).toHaveLength(900);
    for (const [pageSize, states, workerId] of [
      [1000, [], ""],
      [7, [], "b"],
      [300, [TrialState.TRIAL_STATE_RUNNING], "c"],
      [10_000, [TrialState.TRIAL_STATE_COMPLETE, TrialState.TRIAL_STATE_RUNNING], "nobody"],
    ] as const) {
      const expected = now.filter(
        (t) =>
          (states.length === 0 || (states as readonly TrialState[]).includes(t.state)) &&
          (workerId === "" || t.workerId === workerId),
      );
      expect(await listAll("long", pageSize, [...states], workerId)).toEqual(expected);
    }
    // Page size 1 over a sparse filter: only the first few pages, each with the right trial and token.
    const first = await ts.api.listTrials({
      experiment: "long",
      pageSize: 1,
      states: [TrialState.TRIAL_STATE_COMPLETE],
      workerId: "b",
    });
    const second = await ts.api.listTrials({
      experiment: "long",
      pageSize: 1,
      states: [TrialState.TRIAL_STATE_COMPLETE],
      workerId: "b",
      pageToken: first.nextPageToken,
    });
    const bComplete = now.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETE && t.workerId === "b");
    expect([first.trials[0], second.trials[0]]).toEqual(bComplete.slice(0, 2));
    expect(await stream("long", [TrialState.TRIAL_STATE_COMPLETE])).toEqual(
      now.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETE),
    );
  });

  it("keeps the algorithms' view and session for a few experiments; rebuilt ones suggest like kept ones", async () => {
    const def = (name: string) => ({
      experiment: {
        name,
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "tpe", options: {} },
        seed: 11,
      },
    });
    const imported = Array.from({ length: 40 }, (_, i) => ({
      params: { x: { kind: { $case: "doubleValue" as const, value: (i * 0.37) % 1 } } },
      loss: ((i * 0.37) % 1) ** 2,
    }));
    for (const name of ["rebuilt", "kept"]) {
      await ts.api.createExperiment(def(name));
      await ts.api.addTrials({ experiment: name, trials: imported });
      await cycles(name, 12);
    }
    // Suggesting from three other experiments drops the view and session of "rebuilt", the least recently
    // suggested from.
    for (let i = 0; i < 3; i++) {
      await ts.api.createExperiment(def(`other-${i}`));
      await ts.api.suggest({ experiment: `other-${i}` });
    }
    expect(ts.server.optimizer.diagnostics().cache).toMatchObject({ viewed: 4, sessions: 4 });
    // "kept" suggests from the view and TPE session it has kept since its first Suggest; "rebuilt" from new ones.
    const next = await Promise.all(
      ["kept", "rebuilt"].map(async (name) =>
        (await ts.api.suggest({ experiment: name, count: 3 })).trials.map((t) => t.params),
      ),
    );
    expect(next[1]).toEqual(next[0]);
  });
});
