/**
 * algorithm grid over gRPC: every point of a finite space handed out once
 * across workers and batches, retry_after while the last points run, and
 * the experiment COMPLETED with SPACE_EXHAUSTED once they are all finished,
 * also after a restart; spaces it cannot walk are refused at creation.
 */
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { CompletionReason, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { SearchSpace } from "@parzen/client/gen/parzen/v1/space";
import { choice, intRange, plain, str, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

/** 12 points: opt ∈ {sgd (1), adam × k ∈ 1..3} = 4, times n ∈ {0, 2, 4}. */
const finite: SearchSpace = {
  parameters: [
    choice("opt", [{ value: str("sgd") }, { value: str("adam"), children: [intRange("k", 1, 3)] }]),
    intRange("n", 0, 4, 2),
  ],
};

async function server(space: SearchSpace, options: Record<string, string> = {}) {
  const ts = await startTestServer();
  servers.push(ts);
  const opts = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, str(v)]));
  await ts.api.createExperiment({ experiment: { name: "g", space, algorithm: { name: "grid", options: opts } } });
  return ts;
}

const key = (params: Record<string, unknown>) =>
  JSON.stringify(Object.entries(params).map(([k, v]) => [k, plain(v as never)]));

describe("grid over gRPC", () => {
  it("hands out each of the 12 points once to two workers, then retry_after, then done SPACE_EXHAUSTED", async () => {
    const ts = await server(finite);
    const a = await ts.api.suggest({ experiment: "g", workerId: "a", count: 5 });
    const b = await ts.api.suggest({ experiment: "g", workerId: "b", count: 5 });
    const c = await ts.api.suggest({ experiment: "g", workerId: "a", count: 5 });
    expect([a.trials.length, b.trials.length, c.trials.length]).toEqual([5, 5, 2]);
    const trials = [...a.trials, ...b.trials, ...c.trials];
    const seen = new Set(trials.map((t) => key(t.params)));
    expect(seen.size).toBe(12);

    // Every point is out: the workers wait while some still run.
    const wait = await ts.api.suggest({ experiment: "g", count: 1 });
    expect(wait.trials).toEqual([]);
    expect(wait.done).toBe(false);
    expect(wait.retryAfter).toBeDefined();

    for (const t of trials.slice(1))
      await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    expect((await ts.api.getExperiment({ name: "g" })).experiment!.state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    // A failed point is not handed out again by the grid (retry_lost is what retries).
    await ts.api.report({ trialId: trials[0]!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "x" });

    const done = await ts.api.suggest({ experiment: "g", count: 3 });
    expect(done).toMatchObject({
      trials: [],
      done: true,
      doneReason: CompletionReason.COMPLETION_REASON_SPACE_EXHAUSTED,
    });
    const exp = (await ts.api.getExperiment({ name: "g" })).experiment!;
    expect(exp.state).toBe(ExperimentState.EXPERIMENT_STATE_COMPLETED);
    expect(exp.completionReason).toBe(CompletionReason.COMPLETION_REASON_SPACE_EXHAUSTED);

    await ts.restart();
    expect((await ts.api.suggest({ experiment: "g" })).doneReason).toBe(
      CompletionReason.COMPLETION_REASON_SPACE_EXHAUSTED,
    );
  });

  it("walks given values (option values) in their declared order with order sequential, across a restart", async () => {
    const ts = await server(
      {
        parameters: [uniform("x", 0, 1), choice("c", [{ value: str("p") }, { value: str("q") }, { value: str("r") }])],
      },
      { values: JSON.stringify({ x: [0.25, 0.75], c: ["q", "r"] }), order: "sequential" },
    );
    const first = await ts.api.suggest({ experiment: "g", count: 2 });
    await ts.restart();
    const second = await ts.api.suggest({ experiment: "g", count: 4 });
    const got = [...first.trials, ...second.trials].map((t) => [plain(t.params.x), plain(t.params.c)]);
    expect(got).toEqual([
      [0.25, "q"],
      [0.75, "q"],
      [0.25, "r"],
      [0.75, "r"],
    ]);
  });

  it("refuses spaces and values it cannot walk, naming the parameter", async () => {
    const ts = await startTestServer();
    servers.push(ts);
    const create = (space: SearchSpace, options: Record<string, string> = {}) =>
      rejection(
        ts.api.createExperiment({
          experiment: {
            name: "bad",
            space,
            algorithm: {
              name: "grid",
              options: Object.fromEntries(Object.entries(options).map(([k, v]) => [k, str(v)])),
            },
          },
        }),
      );
    const continuous = await create({ parameters: [uniform("x", 0, 1)] });
    expect(continuous.code).toBe(status.INVALID_ARGUMENT);
    expect(continuous.message).toMatch(/"x" is continuous/);
    expect((await create(finite, { values: "{" })).message).toMatch(/not valid JSON/);
    expect((await create(finite, { values: '{"nope": [1]}' })).message).toMatch(/unknown parameter "nope"/);
    expect((await create(finite, { values: '{"n": [3]}' })).message).toMatch(/"n": 3 is outside its domain/);
    expect((await create(finite, { values: '{"n": []}' })).message).toMatch(/"n" is empty/);
    expect((await create({ parameters: [intRange("big", 0, 2_000_000)] })).message).toMatch(/more than 1048576/);
  });
});
