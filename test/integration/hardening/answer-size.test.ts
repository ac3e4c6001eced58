/**
 * No answer is ever larger than a client accepts (4 MiB by default in every
 * gRPC implementation): a Suggest whose answer would not fit is refused
 * before anything is created, naming the largest count that fits; list
 * pages stop early at a byte budget; user attributes have a size limit.
 * Before these checks, Suggest(count = 1000) on a 1,000-parameter space
 * committed 1,000 RUNNING trials and then failed to send them, and a few
 * experiments with large attributes made ListExperiments fail for good.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { num, uniform } from "../fixtures.js";
import { rejection, startTestServer, type TestServer } from "../harness.js";

let ts: TestServer;
const wide = { parameters: Array.from({ length: 1000 }, (_, i) => uniform(`parameter_${i}`, 0, 1)) };
/** About 240 KiB of attributes: under the limit, but 20 of them are more than a client accepts. */
const bigAttrs = () => Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`note${i}`, "x".repeat(60_000)]));

beforeAll(async () => {
  ts = await startTestServer();
}, 60_000);
afterAll(async () => {
  await ts?.close();
});

describe("Suggest answers that would exceed the message limit", () => {
  it("are refused before anything is created, with the largest count that fits", async () => {
    await ts.api.createExperiment({ experiment: { name: "wide", space: wide } });
    const err = await rejection(ts.api.suggest({ experiment: "wide", count: 1000, requestId: "wide-1" }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    const max = Number(/at most (\d+)/.exec(err.details)?.[1]);
    expect(err.details).toMatch(/^count: /);
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThan(1000);
    const counts = (await ts.api.getExperiment({ name: "wide" })).experiment!.trialCounts!;
    expect(counts.running).toBe(0);
    // The same request id is not spoilt: with a count that fits it succeeds, and replays.
    const first = await ts.api.suggest({ experiment: "wide", count: max, requestId: "wide-1" });
    expect(first.trials).toHaveLength(max);
    const again = await ts.api.suggest({ experiment: "wide", count: max, requestId: "wide-1" });
    expect(again.trials.map((t) => t.id)).toEqual(first.trials.map((t) => t.id));
  }, 120_000);
});

describe("AddTrials answers that would exceed the message limit", () => {
  it("are refused before anything is stored, with the largest count that fits", async () => {
    const space = { parameters: Array.from({ length: 6 }, (_, i) => uniform(`x${i}`, 0, 1)) };
    await ts.api.createExperiment({ experiment: { name: "import-big", space } });
    const trials = Array.from({ length: 40_000 }, (_, k) => ({
      params: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x${i}`, num(((k + i) % 100) / 100)])),
      loss: k,
    }));
    const err = await rejection(ts.api.addTrials({ experiment: "import-big", trials }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^trials: .*send at most \d+ per call/);
    expect((await ts.api.getExperiment({ name: "import-big" })).experiment!.trialCounts!.complete).toBe(0);
  }, 120_000);
});

describe("list pages", () => {
  it("ListExperiments stops a page at the byte budget and pages through everything", async () => {
    for (let i = 0; i < 20; i++) {
      await ts.api.createExperiment({
        experiment: {
          name: `attrs-${String(i).padStart(2, "0")}`,
          space: { parameters: [uniform("x", 0, 1)] },
          userAttrs: bigAttrs(),
        },
      });
    }
    const names: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await ts.api.listExperiments({ pageToken: token });
      names.push(...page.experiments.map((e) => e.name));
      token = page.nextPageToken;
      pages++;
    } while (token !== "");
    expect(pages).toBeGreaterThan(1);
    expect(names.filter((n) => n.startsWith("attrs-"))).toHaveLength(20);
  }, 120_000);

  it("ListTrials stops a page at the byte budget and pages through everything", async () => {
    await ts.api.createExperiment({ experiment: { name: "fat-trials", space: { parameters: [uniform("x", 0, 1)] } } });
    for (let i = 0; i < 20; i++) {
      await ts.api.enqueue({
        experiment: "fat-trials",
        configurations: [{ params: { x: num(i / 20) }, userAttrs: bigAttrs() }],
      });
    }
    const numbers: number[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await ts.api.listTrials({ experiment: "fat-trials", pageToken: token });
      numbers.push(...page.trials.map((t) => t.number));
      token = page.nextPageToken;
      pages++;
    } while (token !== "");
    expect(pages).toBeGreaterThan(1);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i));
  }, 120_000);
});

describe("user attributes", () => {
  it("are limited in total size per call, with a message naming the field and the limit", async () => {
    const huge = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, "y".repeat(60_000)]));
    const create = await rejection(
      ts.api.createExperiment({
        experiment: { name: "huge", space: { parameters: [uniform("x", 0, 1)] }, userAttrs: huge },
      }),
    );
    expect(create.code).toBe(status.INVALID_ARGUMENT);
    expect(create.details).toMatch(/user_attrs: .*bytes/);
    const trial = (await ts.api.suggest({ experiment: "fat-trials" })).trials[0]!;
    const report = await rejection(ts.api.report({ trialId: trial.id, status: 2, userAttrs: huge }));
    expect(report.code).toBe(status.INVALID_ARGUMENT);
    expect(report.details).toMatch(/user_attrs: .*bytes/);
  }, 120_000);
});
