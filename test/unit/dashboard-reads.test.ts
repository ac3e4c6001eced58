/**
 * The dashboard's reads (use-cases/dashboard-reads.ts, dashboard-views.ts) over a real in-memory SQLite store and
 * the real service, without HTTP: the records README's "Dashboard, metrics and logs" and
 * domain/dashboard-records.ts describe (losses in the experiment's own direction, choice labels, ISO times, the
 * budget), the plot sample (the best trials always in it), the table's sort, filter and paging edges, timelines,
 * curves, importance and the Pareto plot.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import {
  AddTrialsRequest,
  EnqueueRequest,
  ReportRequest,
  ReportStatus,
  SuggestRequest,
  type TrialImport,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState as PbState } from "@parzen/client/gen/parzen/v1/trial";
import type { Parameter } from "@parzen/client/gen/parzen/v1/space";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { ParzenError } from "../../src/errors.js";
import { type AlgorithmRunner, runSuggestJob } from "../../src/service/runners/algorithm-runner.js";
import { Optimizer } from "../../src/service/use-cases/optimizer.js";
import type { DashboardReads } from "../../src/service/use-cases/dashboard-reads.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { choice, intRange, logUniform, num, str, uniform } from "../integration/fixtures.js";

const memos = createSharedMemos();
const runner: AlgorithmRunner = { suggest: async (job) => runSuggestJob(job, memos), close: async () => undefined };
const MIN = Direction.DIRECTION_MINIMIZE;
const MAX = Direction.DIRECTION_MAXIMIZE;
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

let sqlite: SqliteStore;
let optimizer: Optimizer;
let reads: DashboardReads;
let clock: number;

beforeEach(async () => {
  sqlite = await openSqliteStore({ path: ":memory:" });
  clock = T0;
  optimizer = new Optimizer({ store: sqlite, runner, now: () => clock, prefetch: false });
  reads = optimizer.reads;
});
afterEach(async () => {
  await optimizer.close();
  await sqlite.close();
});

async function create(name: string, fields: Partial<Experiment> = {}, params?: Parameter[]): Promise<void> {
  await optimizer.createExperiment(
    Experiment.fromPartial({
      name,
      space: { parameters: params ?? [uniform("x", 0, 1)] },
      algorithm: { name: "random" },
      seed: 1,
      ...fields,
    }),
  );
}

function imp(x: number, state: PbState, loss?: number, extra: Partial<TrialImport> = {}): TrialImport {
  return {
    params: { x: num(x) },
    state,
    loss,
    metrics: {},
    intermediateValues: [],
    userAttrs: {},
    failReason: "",
    values: [],
    constraints: [],
    ...extra,
  };
}

const C = PbState.TRIAL_STATE_COMPLETE;
const P = PbState.TRIAL_STATE_PRUNED;
const F = PbState.TRIAL_STATE_FAIL;

async function add(name: string, trials: TrialImport[]): Promise<void> {
  await optimizer.addTrials(AddTrialsRequest.fromPartial({ experiment: name, trials }));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof ParzenError ? `${err.code}: ${err.message}` : `no ParzenError: ${String(err)}`;
}

describe("summaries", () => {
  it("show state, budget, counts, best loss in the experiment's direction, times and version", async () => {
    await create("max", { direction: MAX, maxTrials: 4, maxFailedTrials: 3, goal: 10 });
    await create("min", {});
    clock = T0 + 1_000;
    await add("max", [imp(0.1, C, 2), imp(0.2, C, 5), imp(0.3, P, 9), imp(0.4, F)]);
    const summaries = await reads.experiments();
    expect(summaries.map((s) => s.name)).toEqual(["max", "min"]);
    const [max, min] = summaries;
    expect(max).toMatchObject({
      name: "max",
      algorithm: "random",
      direction: "maximize",
      objectives: [{ name: "loss", direction: "maximize" }],
      pruner: "none",
      state: "active",
      completionReason: null,
      budget: { maxTrials: 4, used: 3, maxFailedTrials: 3, goal: 10 },
      counts: { waiting: 0, running: 0, complete: 2, pruned: 1, fail: 1, lost: 0 },
      total: 4,
      bestLoss: 5,
      bestNumber: 1,
      createTime: new Date(T0).toISOString(),
      lastActivity: new Date(T0 + 1_000).toISOString(),
    });
    expect(max!.version).toBeGreaterThan(min!.version);
    expect(min).toMatchObject({
      direction: "minimize",
      budget: { maxTrials: null, used: 0, maxFailedTrials: null, goal: null },
      total: 0,
      bestLoss: null,
      bestNumber: null,
      lastActivity: null,
    });
    await add("max", [imp(0.5, C, 1)]);
    expect(await reads.experiment("max")).toMatchObject({ state: "completed", completionReason: "budget" });
  });

  it("list every experiment whatever its name sorts after", async () => {
    await create("beta");
    await create("Alpha");
    await create("0");
    expect((await reads.experiments()).map((s) => s.name)).toEqual(["0", "Alpha", "beta"]);
  });

  it("page through more than 500 experiments", async () => {
    for (let i = 0; i < 501; i++) await create(`e${String(i).padStart(3, "0")}`);
    const names = (await reads.experiments()).map((s) => s.name);
    expect(names.length).toBe(501);
    expect(names.at(-1)).toBe("e500");
  });

  it("describe each parameter: kind, scale, bounds, choice labels and where a conditional one hangs", async () => {
    await create("p", {}, [
      logUniform("lr", 1e-4, 1),
      intRange("layers", 1, 8),
      choice("opt", [
        { value: str("sgd"), label: "SGD", children: [uniform("momentum", 0, 0.9)] },
        { value: num(2.5), children: [intRange("k", 1, 3)] },
      ]),
      { name: "n", domain: { $case: "normal", value: { mu: 0, sigma: 1 } } } as Parameter,
    ]);
    const d = await reads.experiment("p");
    const byName = Object.fromEntries(d.params.map((p) => [p.name, p]));
    expect(byName.lr).toEqual({ name: "lr", kind: "float", log: true, low: 1e-4, high: 1 });
    expect(byName.layers).toEqual({ name: "layers", kind: "int", log: false, low: 1, high: 8 });
    expect(byName.opt).toEqual({ name: "opt", kind: "choice", log: false, labels: ["SGD", "2.5"] });
    expect(byName.momentum).toMatchObject({ kind: "float", parent: { name: "opt", option: "sgd" } });
    expect(byName.k).toMatchObject({ kind: "int", parent: { name: "opt", option: "2.5" } });
    expect(byName.n).toEqual({ name: "n", kind: "float", log: false });
    expect(await codeOf(reads.experiment("nope"))).toBe('NOT_FOUND: experiment "nope" does not exist');
  });
});

describe("plot points", () => {
  it("show every trial with a loss, in the experiment's direction, and the best-so-far curve of COMPLETE trials", async () => {
    await create("pts", { direction: MAX }, [
      uniform("x", 0, 1),
      choice("c", [{ value: str("a"), children: [uniform("y", 0, 1)] }, { value: str("b") }]),
    ]);
    const t = (x: number, c: string, state: PbState, loss?: number): TrialImport => ({
      ...imp(x, state, loss),
      params: c === "a" ? { x: num(x), c: str(c), y: num(0.5) } : { x: num(x), c: str(c) },
    });
    await add("pts", [
      t(0.1, "a", C, 1),
      t(0.2, "b", P, 7),
      t(0.3, "b", C, 3),
      t(0.4, "a", F),
      t(0.5, "b", C, 3),
      t(0.6, "a", C, 4),
    ]);
    const p = await reads.points("pts", 100);
    expect(p).toEqual({
      total: 5,
      sampled: false,
      numbers: [0, 1, 2, 4, 5],
      states: ["complete", "pruned", "complete", "complete", "complete"],
      losses: [1, 7, 3, 3, 4],
      params: { x: [0.1, 0.2, 0.3, 0.5, 0.6], c: [0, 1, 1, 1, 0], y: [0.5, null, null, null, 0.5] },
      // A PRUNED loss is never the best; a tie is no improvement.
      best: { numbers: [0, 2, 5], losses: [1, 3, 4] },
    });
  });

  it("sample evenly above the limit, always keeping the best quarter of the limit", async () => {
    await create("many");
    const n = 400;
    // Losses 0..399 in a shuffled order (a permutation by a stride coprime to n).
    await add(
      "many",
      Array.from({ length: n }, (_, i) => imp(i / n, C, (i * 7) % n)),
    );
    const p = await reads.points("many", 40);
    expect(p.total).toBe(n);
    expect(p.sampled).toBe(true);
    expect(p.numbers.length).toBe(40);
    expect([...p.numbers].sort((a, b) => a - b)).toEqual(p.numbers);
    expect(new Set(p.numbers).size).toBe(40);
    // The 10 best (losses 0..9) are all there.
    const losses = new Set(p.losses);
    for (let l = 0; l < 10; l++) expect(losses.has(l), `loss ${l}`).toBe(true);
    // The rest are spread over the whole history.
    expect(p.numbers[0]!).toBeLessThan(20);
    expect(p.numbers.at(-1)!).toBeGreaterThan(n - 40);
    // At the limit exactly: all of them, not a sample.
    const all = await reads.points("many", n);
    expect([all.sampled, all.numbers.length]).toEqual([false, n]);
  });
});

describe("the trials table", () => {
  beforeEach(async () => {
    await create("t", { direction: MAX }, [
      uniform("x", 0, 1),
      choice("c", [{ value: str("a"), children: [uniform("y", 0, 1)] }, { value: str("b") }]),
    ]);
    const t = (x: number, state: PbState, loss?: number, y?: number): TrialImport => ({
      ...imp(x, state, loss),
      params: y === undefined ? { x: num(x), c: str("b") } : { x: num(x), c: str("a"), y: num(y) },
    });
    // numbers:      0            1          2           3             4           5
    await add("t", [t(0.5, C, 2, 0.9), t(0.1, F), t(0.9, C, 8), t(0.3, P, 5, 0.2), t(0.7, C, 8), t(0.2, C, 1, 0.4)]);
  });

  const page = async (q: Parameters<DashboardReads["trials"]>[1]) => {
    const r = await reads.trials("t", q);
    return { total: r.total, offset: r.offset, numbers: r.rows.map((t) => t.number) };
  };

  it("sorts by the loss as reported, ties by number, trials without one last either way", async () => {
    expect((await page({ sort: "loss" })).numbers).toEqual([5, 0, 3, 2, 4, 1]);
    expect((await page({ sort: "loss", desc: true })).numbers).toEqual([2, 4, 3, 0, 5, 1]);
    expect((await page({ sort: "number", desc: true })).numbers).toEqual([5, 4, 3, 2, 1, 0]);
    expect((await page({})).numbers).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await page({ sort: "state" })).numbers).toEqual([0, 2, 4, 5, 3, 1]);
    expect((await page({ sort: "param:x" })).numbers).toEqual([1, 5, 3, 0, 4, 2]);
    expect((await page({ sort: "param:y", desc: true })).numbers).toEqual([0, 5, 3, 1, 2, 4]);
  });

  it("filters by state and pages with offset and limit, clamped to 1..1000", async () => {
    expect(await page({ states: ["complete", "pruned"], sort: "loss" })).toEqual({
      total: 5,
      offset: 0,
      numbers: [5, 0, 3, 2, 4],
    });
    expect(await page({ offset: 2, limit: 3 })).toEqual({ total: 6, offset: 2, numbers: [2, 3, 4] });
    expect(await page({ offset: -4, limit: 0 })).toEqual({ total: 6, offset: 0, numbers: [0] });
    expect(await page({ offset: 5.7, limit: 2.9 })).toEqual({ total: 6, offset: 5, numbers: [5] });
    expect(await page({ offset: 6 })).toEqual({ total: 6, offset: 6, numbers: [] });
  });

  it("refuses an unknown sort with INVALID_ARGUMENT naming what it takes", async () => {
    // "param_x" ends in a parameter's name after six characters, as "param:x" does: still refused.
    for (const sort of ["size", "param:nope", "objective:loss", "objective:", "param_x", ""]) {
      expect(await codeOf(reads.trials("t", { sort }))).toBe(
        `INVALID_ARGUMENT: sort: expected number, loss, state, objective:<name> of an objective or param:<name> of a parameter, got "${sort}"`,
      );
    }
  });

  it("keeps an order only for the same sort, direction and states", async () => {
    expect((await page({ sort: "loss" })).numbers).toEqual([5, 0, 3, 2, 4, 1]);
    expect((await page({ sort: "loss", states: ["fail"] })).numbers).toEqual([1]);
    expect((await page({ sort: "loss", states: ["complete"] })).numbers).toEqual([5, 0, 2, 4]);
    expect((await page({})).numbers).toEqual([0, 1, 2, 3, 4, 5]);
    // An empty sort is no sort "number": refused, even right after the table was read in number order.
    expect(await codeOf(reads.trials("t", { sort: "" }))).toMatch(/^INVALID_ARGUMENT: sort: expected .* got ""$/);
  });

  it("sees a change made after a sorted page was read (the order is kept only while nothing changes)", async () => {
    expect((await page({ sort: "loss", desc: true })).numbers[0]).toBe(2);
    await add(
      "t",
      [imp(0.4, C, 100)].map((t) => ({ ...t, params: { x: num(0.4), c: str("b") } })),
    );
    expect((await page({ sort: "loss", desc: true })).numbers[0]).toBe(6);
    expect((await page({ sort: "loss", states: ["fail"] })).numbers).toEqual([1]);
  });

  it("shows records with labels, ISO times, values and feasibility; a trial page adds the curve", async () => {
    const [row] = (await reads.trials("t", { limit: 1 })).rows;
    expect(row).toEqual({
      number: 0,
      id: row!.id,
      state: "complete",
      source: "imported",
      proposedBy: "",
      loss: 2,
      params: { x: 0.5, c: "a", y: 0.9 },
      metrics: {},
      userAttrs: {},
      workerId: "",
      failReason: "",
      createTime: new Date(T0).toISOString(),
      startTime: null,
      endTime: new Date(T0).toISOString(),
    });
    // Trial 2 took choice "b", under which y is inactive: the record leaves y out.
    expect((await reads.trial("t", 2)).params).toEqual({ x: 0.9, c: "b" });
    expect(await codeOf(reads.trial("t", 6))).toBe('NOT_FOUND: experiment "t" has no trial number 6');
    expect(await codeOf(reads.trial("t", -1))).toBe('NOT_FOUND: experiment "t" has no trial number -1');
    expect(await codeOf(reads.trial("t", 0.5))).toBe('NOT_FOUND: experiment "t" has no trial number 0.5');
    expect((await reads.trial("t", 5)).intermediate).toEqual([]);
    expect((await reads.trial("t", 5)).number).toBe(5);
  });

  it("downloads every row in the table's order, past a thousand", async () => {
    await add(
      "t",
      Array.from({ length: 1100 }, (_, i) => ({ ...imp(i / 1100, C, i), params: { x: num(i / 1100), c: str("b") } })),
    );
    const numbers: number[] = [];
    for await (const r of reads.allTrials("t", { sort: "number", desc: true })) numbers.push(r.number);
    expect(numbers.length).toBe(1106);
    expect(numbers.slice(0, 2)).toEqual([1105, 1104]);
    expect(numbers.at(-1)).toBe(0);
    // Table records, not a trial page's: no curve.
    for await (const r of reads.allTrials("t", { limit: 1 })) expect("intermediate" in r).toBe(false);
  });
});

describe("a trial's record", () => {
  it("carries objective values, constraints and feasibility, and its learning curve", async () => {
    await create("mo", {
      objectives: [
        { name: "a", direction: MIN },
        { name: "b", direction: MAX },
      ],
      algorithm: { name: "nsga2", options: {} },
    });
    await add("mo", [
      imp(0.1, C, undefined, { values: [1, 2], constraints: [0, -1] }),
      imp(0.2, C, undefined, { values: [3, 4], constraints: [0.5, -2] }),
    ]);
    const ok = await reads.trial("mo", 0);
    expect([ok.values, ok.constraints, ok.feasible]).toEqual([[1, 2], [0, -1], true]);
    const bad = await reads.trial("mo", 1);
    expect([bad.values, bad.constraints, bad.feasible]).toEqual([[3, 4], [0.5, -2], false]);
    await create("curve", { pruner: { name: "median", options: {} } });
    await add("curve", [
      imp(0.1, P, undefined, {
        intermediateValues: [
          { step: 1, value: 0.5 },
          { step: 3, value: 0.25 },
        ],
      }),
    ]);
    const r = await reads.trial("curve", 0);
    expect(r.intermediate).toEqual([
      [1, 0.5],
      [3, 0.25],
    ]);
    expect("values" in r || "constraints" in r || "feasible" in r).toBe(false);
    // The table's records leave the curve out.
    expect("intermediate" in (await reads.trials("curve", {})).rows[0]!).toBe(false);
  });
});

describe("a trial's metrics and attributes", () => {
  it("are in its record as reported", async () => {
    await create("attrs");
    await add("attrs", [imp(0.4, C, 1, { metrics: { acc: 0.75, ms: 12 }, userAttrs: { run: "r7", host: "a" } })]);
    const r = await reads.trial("attrs", 0);
    expect([r.metrics, r.userAttrs]).toEqual([
      { acc: 0.75, ms: 12 },
      { run: "r7", host: "a" },
    ]);
    expect((await reads.trials("attrs", {})).rows[0]).toMatchObject({
      metrics: { acc: 0.75 },
      userAttrs: { run: "r7" },
    });
  });
});

describe("timelines and curves", () => {
  it("the timeline shows the most recent started trials, oldest first, with worker and times", async () => {
    await create("tl");
    const started: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock = T0 + 1_000 * i;
      const [t] = await optimizer.suggest(SuggestRequest.fromPartial({ experiment: "tl", workerId: `w${i}` }));
      started.push(t!.id);
    }
    clock = T0 + 10_000;
    await optimizer.report(
      ReportRequest.fromPartial({ trialId: started[1]!, status: ReportStatus.REPORT_STATUS_OK, loss: 1 }),
    );
    const tl = await reads.timeline("tl", 3);
    expect(tl.total).toBe(4);
    expect(tl.rows).toEqual([
      { number: 1, workerId: "w1", state: "complete", start: T0 + 1_000, end: T0 + 10_000 },
      { number: 2, workerId: "w2", state: "running", start: T0 + 2_000, end: null },
      { number: 3, workerId: "w3", state: "running", start: T0 + 3_000, end: null },
    ]);
    expect((await reads.timeline("tl", 10)).rows.map((r) => r.number)).toEqual([0, 1, 2, 3]);
    // A WAITING trial has not started: it neither takes a place nor counts.
    await optimizer.enqueue(
      EnqueueRequest.fromPartial({ experiment: "tl", configurations: [{ params: { x: num(0.5) } }] }),
    );
    const withWaiting = await reads.timeline("tl", 3);
    expect([withWaiting.total, withWaiting.rows.map((r) => r.number)]).toEqual([4, [1, 2, 3]]);
    // An imported trial has no start time: counted, but not on the timeline.
    await add("tl", [imp(0.7, C, 2)]);
    const withImported = await reads.timeline("tl", 10);
    expect([withImported.total, withImported.rows.map((r) => r.number)]).toEqual([5, [0, 1, 2, 3]]);
  });

  it("curves: the best half by loss first, then the most recent, ascending", async () => {
    await create("cv", { pruner: { name: "median", options: {} } });
    const curve = (v: number) => [{ step: 1, value: v }];
    // Losses of the PRUNED trials are their last values.
    await add("cv", [
      imp(0.1, P, undefined, { intermediateValues: curve(5) }),
      imp(0.2, P, undefined, { intermediateValues: curve(1) }),
      imp(0.3, C, 9),
      imp(0.4, P, undefined, { intermediateValues: curve(3) }),
      imp(0.5, P, undefined, { intermediateValues: curve(4) }),
      imp(0.6, P, undefined, { intermediateValues: curve(7) }),
    ]);
    const c = await reads.curves("cv", 3);
    expect(c.total).toBe(5);
    // Best 2 (ceil of 3/2): trials 1 and 3; then the most recent: 5.
    expect(c.rows.map((r) => r.number)).toEqual([1, 3, 5]);
    expect(c.rows[0]).toEqual({ number: 1, state: "pruned", points: [[1, 1]] });
    expect((await reads.curves("cv", 4)).rows.map((r) => r.number)).toEqual([1, 3, 4, 5]);
  });
});

describe("importance", () => {
  it("ranks parameters over the COMPLETE trials, most important first, and follows new trials", async () => {
    await create("imp", {}, [uniform("x", 0, 1), uniform("noise", 0, 1)]);
    const rows = (k: number, n: number): TrialImport[] =>
      Array.from({ length: n }, (_, i) => {
        const x = ((i * 37) % n) / n;
        const noise = ((i * 11 + k) % n) / n;
        return { ...imp(x, C, x * x), params: { x: num(x), noise: num(noise) } };
      });
    await add("imp", [...rows(0, 40), { ...imp(0, F), params: { x: num(0.5), noise: num(0.5) } }]);
    const first = await reads.importance("imp");
    expect(first.trials).toBe(40);
    expect(first.params.map((p) => p.name)).toEqual(["x", "noise"]);
    expect(first.params[0]!.importance).toBeGreaterThan(first.params[1]!.importance);
    await add("imp", rows(3, 10));
    expect((await reads.importance("imp")).trials).toBe(50);
  });
});

describe("importance, ranked and kept only while nothing changes", () => {
  it("sorts the declared order by importance, leaves out non-COMPLETE trials and recomputes after a change", async () => {
    await create("imp2", {}, [uniform("noise", 0, 1), uniform("x", 0, 1)]);
    const rows = (k: number, n: number, f: (x: number) => number): TrialImport[] =>
      Array.from({ length: n }, (_, i) => {
        const x = ((i * 37) % n) / n;
        const noise = ((i * 11 + k) % n) / n;
        return { ...imp(x, C, f(x)), params: { x: num(x), noise: num(noise) } };
      });
    const pruned = { ...imp(0, P, 100), params: { x: num(0.5), noise: num(0.5) } };
    await add("imp2", [...rows(0, 40, (x) => x * x), pruned]);
    const first = await reads.importance("imp2");
    expect([first.trials, first.params.map((p) => p.name)]).toEqual([40, ["x", "noise"]]);
    // Unchanged: the same answer again.
    expect(await reads.importance("imp2")).toEqual(first);
    await add(
      "imp2",
      rows(5, 30, (x) => (x - 0.5) ** 2),
    );
    const second = await reads.importance("imp2");
    expect(second.trials).toBe(70);
    expect(second.params.map((p) => p.importance)).not.toEqual(first.params.map((p) => p.importance));
  });
});

describe("a multi-objective experiment's plot and importance", () => {
  it("show its first objective in that objective's own direction", async () => {
    await create("mo4", {
      objectives: [
        { name: "a", direction: MAX },
        { name: "b", direction: MIN },
      ],
      algorithm: { name: "nsga2", options: {} },
    });
    await add("mo4", [
      imp(0.1, C, undefined, { values: [3, 1] }),
      imp(0.2, C, undefined, { values: [5, 9] }),
      imp(0.3, C, undefined, { values: [4, 0] }),
      imp(0.4, F),
    ]);
    const p = await reads.points("mo4", 100);
    expect([p.numbers, p.losses, p.best]).toEqual([[0, 1, 2], [3, 5, 4], { numbers: [0, 1], losses: [3, 5] }]);
    expect((await reads.importance("mo4")).trials).toBe(3);
  });
});

describe("the table sorted by an objective", () => {
  it("orders by the named objective's values as reported, trials without values last either way", async () => {
    await create("mo3", {
      objectives: [
        { name: "a", direction: MIN },
        { name: "b", direction: MAX },
      ],
      algorithm: { name: "nsga2", options: {} },
    });
    await add("mo3", [
      imp(0.1, C, undefined, { values: [3, 1] }),
      imp(0.2, F),
      imp(0.3, C, undefined, { values: [1, 5] }),
      imp(0.4, C, undefined, { values: [2, 3] }),
    ]);
    const order = async (sort: string, desc = false) =>
      (await reads.trials("mo3", { sort, desc })).rows.map((t) => t.number);
    expect(await order("objective:a")).toEqual([2, 3, 0, 1]);
    expect(await order("objective:b")).toEqual([0, 3, 2, 1]);
    expect(await order("objective:a", true)).toEqual([0, 3, 2, 1]);
    expect(await order("objective:b", true)).toEqual([2, 3, 0, 1]);
    expect(await codeOf(reads.trials("mo3", { sort: "objective:c" }))).toMatch(/^INVALID_ARGUMENT: sort: expected/);
  });
});

describe("the Pareto plot", () => {
  it("shows the whole front and samples the others, in each objective's direction", async () => {
    await create("par", {
      objectives: [
        { name: "a", direction: MIN },
        { name: "b", direction: MAX },
      ],
      algorithm: { name: "nsga2", options: {} },
    });
    await add("par", [
      imp(0.1, C, undefined, { values: [1, 1] }), // dominated by 1
      imp(0.2, C, undefined, { values: [0.5, 3] }), // front
      imp(0.3, C, undefined, { values: [0.2, 0.5] }), // front
      imp(0.4, P, undefined, { values: [] }),
      imp(0.5, C, undefined, { values: [2, 2] }), // dominated by 1
      imp(0.6, C, undefined, { values: [3, 0] }), // dominated
    ]);
    const p = await reads.pareto("par", 10);
    expect(p).toEqual({
      objectives: [
        { name: "a", direction: "minimize" },
        { name: "b", direction: "maximize" },
      ],
      total: 5,
      sampled: false,
      front: {
        numbers: [1, 2],
        values: [
          [0.5, 3],
          [0.2, 0.5],
        ],
      },
      others: {
        numbers: [0, 4, 5],
        values: [
          [1, 1],
          [2, 2],
          [3, 0],
        ],
        feasible: [true, true, true],
      },
    });
    const small = await reads.pareto("par", 3);
    expect([small.sampled, small.front.numbers, small.others.numbers]).toEqual([true, [1, 2], [0]]);
    // Room for two of the three others: the first and the middle one, evenly spaced.
    const two = await reads.pareto("par", 4);
    expect([two.sampled, two.others.numbers]).toEqual([true, [0, 4]]);
    const none = await reads.pareto("par", 1);
    expect([none.sampled, none.front.numbers, none.others.numbers]).toEqual([true, [1, 2], []]);
    // A single-objective experiment has no front to show.
    await create("single");
    await add("single", [imp(0.1, C, 1)]);
    expect(await reads.pareto("single", 10)).toMatchObject({
      total: 0,
      front: { numbers: [] },
      others: { numbers: [] },
    });
  });
});

describe("curves at their edges", () => {
  it("never counts a trial without a loss among the best, and shows every curve when the limit allows", async () => {
    await create("cv2", { pruner: { name: "median", options: {} } });
    const curve = (v: number) => [{ step: 1, value: v }];
    await add("cv2", [
      // A FAIL trial has a curve but no loss.
      imp(0.1, F, undefined, { intermediateValues: curve(0) }),
      imp(0.2, P, undefined, { intermediateValues: curve(5) }),
      imp(0.3, P, undefined, { intermediateValues: curve(1) }),
      imp(0.4, P, undefined, { intermediateValues: curve(3) }),
      imp(0.5, C, 2),
    ]);
    // Best 1 (ceil of 2/2): trial 2, the lowest loss; then the most recent: 3.
    expect((await reads.curves("cv2", 2)).rows.map((r) => r.number)).toEqual([2, 3]);
    const all = await reads.curves("cv2", 10);
    expect([all.total, all.rows.map((r) => r.number)]).toEqual([4, [0, 1, 2, 3]]);
  });
});

describe("the table's order over many ties", () => {
  it("sorts equal losses by number and trials without a loss last by number, in both directions", async () => {
    await create("ties");
    // 150 trials: every third without a loss (FAIL), the others with one of three losses.
    await add(
      "ties",
      Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? imp(i / 150, F) : imp(i / 150, C, (i * 7) % 3))),
    );
    const order = async (desc: boolean) => {
      const rows = (await reads.trials("ties", { sort: "loss", desc, limit: 1000 })).rows;
      return rows.map((t) => t.number);
    };
    const numbers = Array.from({ length: 150 }, (_, i) => i);
    const lossless = numbers.filter((i) => i % 3 === 0);
    const withLoss = (l: number) => numbers.filter((i) => i % 3 !== 0 && (i * 7) % 3 === l);
    expect(await order(false)).toEqual([...withLoss(0), ...withLoss(1), ...withLoss(2), ...lossless]);
    expect(await order(true)).toEqual([...withLoss(2), ...withLoss(1), ...withLoss(0), ...lossless]);
  });
});

describe("a parameter sort in a multi-objective experiment", () => {
  it("sorts by the parameter even when its name ends in an objective's name", async () => {
    await create(
      "mo5",
      {
        objectives: [
          { name: "a", direction: MIN },
          { name: "b", direction: MIN },
        ],
        algorithm: { name: "nsga2", options: {} },
      },
      [uniform("longa", 0, 1)],
    );
    const t = (x: number, a: number): TrialImport => ({
      ...imp(x, C, undefined, { values: [a, 0] }),
      params: { longa: num(x) },
    });
    await add("mo5", [t(0.1, 3), t(0.9, 1), t(0.5, 2)]);
    // "param:longa" without its first ten characters is "a", the first objective's name.
    expect((await reads.trials("mo5", { sort: "param:longa" })).rows.map((r) => r.number)).toEqual([0, 2, 1]);
    expect((await reads.trials("mo5", { sort: "objective:a" })).rows.map((r) => r.number)).toEqual([1, 2, 0]);
  });
});

describe("plot points sampled", () => {
  const sampled = async (name: string, losses: number[], max: number) => {
    await create(name);
    await add(
      name,
      losses.map((l, i) => imp(i / losses.length, C, l)),
    );
    return reads.points(name, max);
  };

  it("are never more than the limit, each a trial with a loss, the best quarter of the limit among them", async () => {
    const cases: [string, number[], number][] = [
      ["p1", Array.from({ length: 100 }, (_, i) => (i * 7919) % 100), 8],
      ["p2", Array.from({ length: 100 }, (_, i) => (i * 7919) % 100), 10],
      // The two best are trials 1 and 2; 49 / 6 added six times falls short of 49.
      ["p3", Array.from({ length: 49 }, (_, i) => (i === 1 || i === 2 ? i - 1 : 49 + i)), 8],
    ];
    for (const [name, losses, max] of cases) {
      const p = await sampled(name, losses, max);
      expect(p.sampled, name).toBe(true);
      expect(p.numbers.length, name).toBeLessThanOrEqual(max);
      for (const n of p.numbers) expect(Number.isInteger(n) && n >= 0 && n < losses.length, `${name}: ${n}`).toBe(true);
      const best = [...losses].sort((a, b) => a - b).slice(0, Math.floor(max / 4));
      for (const l of best) expect(p.losses, `${name}: loss ${l}`).toContain(l);
    }
  });

  it("keep exactly a quarter of the limit as the best when losses tie, the earliest trials first", async () => {
    const p = await sampled("flat", Array(400).fill(1), 40);
    expect(p.numbers.length).toBeLessThanOrEqual(40);
    // The best ten are trials 0-9; the even sample of the others steps by 400 / 30, so its next one is 13.
    expect(p.numbers.filter((n) => n < 13)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
