/**
 * What the in-memory image answers (experiment-state.ts), as its doc comments promise: objective values and
 * constraints as the algorithms see them (minimised; a trial without constraints is infeasible once others carry
 * some), the best trial and the Pareto front over feasible COMPLETE trials only, the copies Report-and-next and the
 * ahead suggestion decide on (the live view never shows them), learning curves kept only with a pruner, the
 * per-number reads, finished rows read back from a real SQLite store, and a deleted experiment's reads.
 */
import { describe, expect, it } from "vitest";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import type { TrialState } from "../../src/domain/trial-state.js";
import { ParzenError } from "../../src/errors.js";
import { compileDefinition, definitionJson } from "../../src/service/use-cases/definition.js";
import { ExperimentState } from "../../src/service/state/experiment-state.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { Store } from "../../src/store/store.js";
import { uniform } from "../integration/fixtures.js";

const MIN = Direction.DIRECTION_MINIMIZE;
const MAX = Direction.DIRECTION_MAXIMIZE;

interface Options {
  maximize?: boolean;
  /** Directions of several objectives (a multi-objective experiment). */
  objectives?: Direction[];
  pruner?: string;
}

/** A real SQLite store, counting its readTrials calls (the store itself answers them). */
async function state(o: Options = {}): Promise<{ exp: ExperimentState; store: Store; reads: [number, number][] }> {
  const sqlite = await openSqliteStore({ path: ":memory:" });
  const reads: [number, number][] = [];
  const store: Store = new Proxy(sqlite, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (prop === "readTrials") {
        return (...args: Parameters<Store["readTrials"]>) => {
          reads.push([args[1], args[2]]);
          return target.readTrials(...args);
        };
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const def = compileDefinition(
    Experiment.fromPartial({
      name: "e",
      space: { parameters: [uniform("a", 0, 1), uniform("b", 0, 1)] },
      direction: o.objectives === undefined ? (o.maximize === true ? MAX : MIN) : undefined,
      objectives: o.objectives?.map((direction, i) => ({ name: `o${i}`, direction })),
      algorithm: { name: o.objectives === undefined ? "random" : "nsga2", options: {} },
      pruner: o.pruner === undefined ? undefined : { name: o.pruner, options: {} },
    }),
  );
  const row = (await store.createExperiment("e", definitionJson(def.proto), 0)).value;
  return { exp: new ExperimentState(row, def, store), store, reads };
}

/** A trial row in state `s`; `prev` changed, or a new one (the next number). */
function row(exp: ExperimentState, s: TrialState, extra: Partial<TrialRow> = {}, prev?: TrialRow): TrialRow {
  const n = prev?.number ?? exp.nextNumber;
  return {
    id: prev?.id ?? 0,
    experimentId: exp.row.id,
    number: n,
    state: s,
    source: "algorithm",
    config: prev?.config ?? Float64Array.of(n / 100, 1 - n / 100),
    loss: null,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "w",
    failReason: "",
    createTime: 10,
    startTime: s === "waiting" ? null : 10,
    endTime: s === "waiting" || s === "running" ? null : 20,
    leaseDeadline: s === "running" ? 1_000 : null,
    intermediate: NO_POINTS,
    ...extra,
  };
}

/** Writes a new trial (or `prev` changed) to the store, then puts it, as the mutation path does. */
async function put(
  ctx: { exp: ExperimentState; store: Store },
  s: TrialState,
  extra: Partial<TrialRow> = {},
  prev?: TrialRow,
): Promise<TrialRow> {
  const { exp, store } = ctx;
  const t = row(exp, s, extra, prev);
  if (prev === undefined) {
    const w = await store.write(exp.row.id, { insert: [{ trial: t, params: exp.storedParams(t.config) }] });
    t.id = w.value[0]!;
  } else {
    await store.write(exp.row.id, { update: [t] });
  }
  exp.put(t);
  return t;
}

describe("objective values and constraints", () => {
  it("keeps a COMPLETE trial's objective values minimisation-oriented per objective, and none for other states", async () => {
    const ctx = await state({ objectives: [MIN, MAX] });
    const { exp } = ctx;
    const done = await put(ctx, "complete", { values: [1.5, 2.5] });
    const running = await put(ctx, "running", { values: [3, 4] });
    const plain = await put(ctx, "complete", { values: [] });
    expect(Array.from(exp.valuesOf(done.number)!)).toEqual([1.5, -2.5]);
    expect(exp.valuesOf(running.number)).toBeUndefined();
    expect(exp.valuesOf(plain.number)).toBeUndefined();
    // The algorithms' view carries them too.
    const h = exp.observationHistory();
    expect(Array.from(h[0]!.values!)).toEqual([1.5, -2.5]);
    expect(h[1]!.values).toBeUndefined();
    expect("values" in h[2]!).toBe(false);
    // A trial re-put without values loses them.
    exp.put({ ...done, values: undefined });
    expect(exp.valuesOf(done.number)).toBeUndefined();
  });

  it("judges feasibility by every constraint <= 0; a trial without any is infeasible once others carry some", async () => {
    const ctx = await state();
    const { exp } = ctx;
    const before = await put(ctx, "complete", { loss: 0.1 });
    expect(exp.constraintCount).toBe(0);
    expect(exp.feasible(before.number)).toBe(true);
    const edge = await put(ctx, "complete", { loss: 0.5, constraints: [0, -1] });
    const over = await put(ctx, "complete", { loss: 0.05, constraints: [-1, 1e-9] });
    const empty = await put(ctx, "complete", { loss: 0.01, constraints: [] });
    expect(exp.constraintCount).toBe(2);
    expect([before, edge, over, empty].map((t) => exp.feasible(t.number))).toEqual([false, true, false, false]);
    // Fixed by the first trial that carried constraints.
    await put(ctx, "fail", { constraints: [1, 2, 3] });
    expect(exp.constraintCount).toBe(2);
    const h = exp.observationHistory();
    expect(Array.from(h[1]!.constraints!)).toEqual([0, -1]);
    expect(h[0]!.constraints).toBeUndefined();
    expect(Array.from(h[4]!.constraints!)).toEqual([1, 2, 3]);
    // The best is the feasible one, though others have lower losses.
    expect(exp.bestNumber()).toBe(edge.number);
    expect(exp.paretoNumbers()).toEqual([edge.number]);
  });

  it("counts only a feasible COMPLETE trial toward the goal", async () => {
    const sqlite = await openSqliteStore({ path: ":memory:" });
    const def = compileDefinition(
      Experiment.fromPartial({
        name: "g",
        space: { parameters: [uniform("a", 0, 1)] },
        direction: MIN,
        goal: 0.5,
      }),
    );
    const r = (await sqlite.createExperiment("g", definitionJson(def.proto), 0)).value;
    const exp = new ExperimentState(r, def, sqlite);
    const t = (s: TrialState, loss: number, constraints?: number[]): TrialRow => ({
      ...row(exp, s, { loss, constraints }),
      id: exp.nextNumber + 1,
      config: Float64Array.of(0.5),
    });
    exp.put(t("complete", 0.9, [-1]));
    exp.put(t("complete", 0.1, [0.5]));
    expect(exp.completion(0)).toBeUndefined();
    // Without constraints of its own, once others carry some: not known to be feasible.
    exp.put(t("complete", 0.1));
    expect(exp.completion(0)).toBeUndefined();
    const next = t("running", 0);
    exp.put(next);
    expect(exp.asIfPut({ ...next, state: "complete", loss: 0.2, constraints: [1] }, () => exp.completion(0))).toBe(
      undefined,
    );
    expect(exp.asIfPut({ ...next, state: "complete", loss: 0.2, constraints: [0] }, () => exp.completion(0))).toBe(
      "goal",
    );
    exp.put({ ...next, state: "complete", loss: 0.5, constraints: [0] });
    expect(exp.completion(0)).toBe("goal");
    await sqlite.close();
  });
});

describe("the best trial and the Pareto front", () => {
  it("bestNumber is the first COMPLETE trial with the least loss in the experiment's direction", async () => {
    for (const maximize of [false, true]) {
      const ctx = await state({ maximize });
      const { exp } = ctx;
      expect(exp.bestNumber()).toBeUndefined();
      await put(ctx, "pruned", { loss: maximize ? 100 : -100 });
      await put(ctx, "complete", { loss: 3 });
      await put(ctx, "complete", { loss: maximize ? 7 : -7 });
      await put(ctx, "complete", { loss: maximize ? 7 : -7 });
      await put(ctx, "running");
      await put(ctx, "complete", { loss: null });
      expect(exp.bestNumber()).toBe(2);
      expect(exp.lossOf(2)).toBe(-7);
      // One objective: the front is every trial tied for the best.
      expect(exp.paretoNumbers()).toEqual([2, 3]);
    }
  });

  it("paretoNumbers are the feasible COMPLETE trials no other dominates, ascending, by each objective's direction", async () => {
    const ctx = await state({ objectives: [MIN, MAX] });
    const { exp } = ctx;
    await put(ctx, "complete", { values: [1, 1] }); // dominated by 2 (lower first, higher second)
    await put(ctx, "complete", { values: [3, 5] }); // front
    await put(ctx, "complete", { values: [0.5, 2] }); // front
    await put(ctx, "pruned", { values: [0, 10] }); // not COMPLETE
    await put(ctx, "complete", { values: [4, 4] }); // dominated by 1
    await put(ctx, "complete", { values: [0.1, 0.1] }); // front (the least first objective)
    await put(ctx, "running");
    expect(exp.paretoNumbers()).toEqual([1, 2, 5]);
    await put(ctx, "complete", { values: [0, 100], constraints: [1] }); // would dominate all, but infeasible
    expect(exp.paretoNumbers()).toEqual([]); // the others carry no constraints: none is known to be feasible
  });

  it("leaves out COMPLETE trials without values from a multi-objective front", async () => {
    const ctx = await state({ objectives: [MIN, MIN] });
    await put(ctx, "complete", { values: [] });
    await put(ctx, "complete", { values: [2, 2] });
    expect(ctx.exp.paretoNumbers()).toEqual([1]);
  });
});

describe("the copies Report-and-next and the ahead suggestion decide on", () => {
  it("observationsWith shows a trial as it will be, in a copy, keeping the live configuration object", async () => {
    for (const maximize of [false, true]) {
      const sign = maximize ? -1 : 1;
      const ctx = await state({ maximize });
      const { exp } = ctx;
      await put(ctx, "complete", { loss: 1 });
      const running = await put(ctx, "running");
      const waiting = await put(ctx, "waiting");
      await put(ctx, "complete", { loss: 2 });
      const live = exp.observationHistory();
      const snapshot = live.slice();
      // A RUNNING trial reported COMPLETE: replaced in place.
      const reported = { ...running, state: "complete" as const, loss: 0.5 };
      const a = exp.observationsWith(live, reported);
      expect(a).not.toBe(live);
      expect(a.map((o) => o.number)).toEqual([0, 1, 3]);
      expect(a[1]).toEqual({
        number: 1,
        config: live[1]!.config,
        state: "complete",
        loss: sign * 0.5,
        lastStep: undefined,
      });
      expect(a[1]!.config).toBe(live[1]!.config);
      expect(live).toEqual(snapshot);
      // A WAITING trial (not in the view) started: inserted at its place.
      const started = { ...waiting, state: "running" as const };
      const b = exp.observationsWith(live, started);
      expect(b.map((o) => o.number)).toEqual([0, 1, 2, 3]);
      expect(b[2]).toMatchObject({ number: 2, state: "running", loss: undefined });
      expect(Array.from(b[2]!.config)).toEqual(Array.from(waiting.config));
      // PRUNED without a loss: its last intermediate value, with its step.
      const pruned = {
        ...running,
        state: "pruned" as const,
        intermediate: [
          [1, 0.9],
          [4, 0.7],
        ] as [number, number][],
      };
      const c = exp.observationsWith(live, pruned);
      expect(c[1]).toMatchObject({ state: "pruned", loss: sign * 0.7, lastStep: 4 });
      // A NaN last value is no loss.
      const nan = { ...pruned, intermediate: [[2, Number.NaN]] as [number, number][] };
      expect(exp.observationsWith(live, nan)[1]).toMatchObject({ state: "pruned", loss: undefined, lastStep: 2 });
      // PRUNED with a loss of its own: that loss.
      expect(exp.observationsWith(live, { ...pruned, loss: 0.3 })[1]!.loss).toBe(sign * 0.3);
      // A trial past the end is appended.
      const last = await put(ctx, "running");
      const appended = exp.observationsWith(snapshot, { ...last, state: "fail" });
      expect(appended.map((o) => o.number)).toEqual([0, 1, 3, 4]);
      expect(appended[3]!.state).toBe("fail");
      expect(appended[3]!.loss).toBeUndefined();
    }
  });

  it("observationsAsWorst shows a RUNNING trial as the worst COMPLETE one, in a copy; undefined if not in the view", async () => {
    const ctx = await state();
    const { exp } = ctx;
    await put(ctx, "complete", { loss: 1 });
    const running = await put(ctx, "running", { intermediate: [[3, 0.5]] });
    const waiting = await put(ctx, "waiting");
    const live = exp.observationHistory();
    expect(live[1]!.lastStep).toBe(3);
    const worst = exp.observationsAsWorst(live, running.number)!;
    expect(worst).not.toBe(live);
    expect(worst[1]).toEqual({
      number: 1,
      config: live[1]!.config,
      state: "complete",
      loss: Number.POSITIVE_INFINITY,
      lastStep: undefined,
    });
    expect(live[1]!.state).toBe("running");
    expect(worst[0]).toBe(live[0]);
    expect(exp.observationsAsWorst(live, waiting.number)).toBeUndefined();
    expect(exp.observationsAsWorst(live, 99)).toBeUndefined();
  });
});

describe("the algorithms' view kept in place", () => {
  it("drops a trial released back to WAITING and places an enqueued trial that starts late at its number", async () => {
    const ctx = await state();
    const { exp } = ctx;
    const w0 = await put(ctx, "waiting");
    const r1 = await put(ctx, "running");
    await put(ctx, "complete", { loss: 1 });
    expect(exp.observationHistory().map((o) => o.number)).toEqual([1, 2]);
    // Released: back to WAITING, queued before later ones, and out of the view.
    await put(ctx, "waiting", {}, r1);
    expect(exp.waiting).toEqual([0, 1]);
    expect(exp.observationHistory().map((o) => o.number)).toEqual([2]);
    // The enqueued trial 0 starts after trial 2: placed first.
    await put(ctx, "running", {}, w0);
    expect(exp.waiting).toEqual([1]);
    const h = exp.observationHistory();
    expect(h.map((o) => [o.number, o.state])).toEqual([
      [0, "running"],
      [2, "complete"],
    ]);
    expect(Array.from(h[0]!.config)).toEqual(Array.from(w0.config));
    exp.dropAlgorithmState();
    expect(exp.observationHistory()).toEqual(h);
  });

  it("re-queues released trials in number order among the WAITING ones", async () => {
    const ctx = await state();
    const { exp } = ctx;
    const r = [];
    for (let i = 0; i < 5; i++) r.push(await put(ctx, i % 2 === 0 ? "running" : "waiting"));
    expect(exp.waiting).toEqual([1, 3]);
    await put(ctx, "waiting", {}, r[4]);
    await put(ctx, "waiting", {}, r[2]);
    await put(ctx, "waiting", {}, r[0]);
    expect(exp.waiting).toEqual([0, 1, 2, 3, 4]);
    expect(exp.countOf("waiting")).toBe(5);
    expect(exp.running.size).toBe(0);
  });

  it("frees the algorithm's sessions with its view", async () => {
    const { exp } = await state();
    let released = 0;
    exp.algorithmSession = { suggest: () => new Float64Array(2) };
    exp.threadSession = { remote: true, release: () => released++ };
    exp.dropAlgorithmState();
    expect([exp.algorithmSession, exp.threadSession, released]).toEqual([undefined, undefined, 1]);
  });
});

describe("learning curves", () => {
  it("are kept, minimisation-oriented, only for experiments with a pruner", async () => {
    const none = await state();
    await put(none, "running", { intermediate: [[1, 0.5]] });
    expect(none.exp.curves()).toEqual([]);
    for (const maximize of [false, true]) {
      const ctx = await state({ pruner: "median", maximize });
      await put(ctx, "complete", { loss: 1 });
      await put(ctx, "running", {
        intermediate: [
          [1, 0.5],
          [2, 0.25],
        ],
      });
      const sign = maximize ? -1 : 1;
      expect(ctx.exp.curves()).toEqual([
        { number: 0, state: "complete", curve: [] },
        {
          number: 1,
          state: "running",
          curve: [
            [1, sign * 0.5],
            [2, sign * 0.25],
          ],
        },
      ]);
      expect(ctx.exp.lastStepOf(1)).toBe(2);
      expect(ctx.exp.lastStepOf(0)).toBeUndefined();
    }
  });
});

describe("reads", () => {
  it("answers per number: state, loss as the algorithms see it, configuration, live rows by number and by id", async () => {
    const ctx = await state({ maximize: true });
    const { exp } = ctx;
    const done = await put(ctx, "complete", { loss: 2 });
    const pruned = await put(ctx, "pruned", { intermediate: [[5, 3]] });
    const running = await put(ctx, "running");
    const waiting = await put(ctx, "waiting");
    expect([0, 1, 2, 3].map((n) => exp.stateOf(n))).toEqual(["complete", "pruned", "running", "waiting"]);
    expect([0, 1, 2, 3].map((n) => exp.lossOf(n))).toEqual([-2, -3, undefined, undefined]);
    expect(Array.from(exp.configOf(1))).toEqual(Array.from(pruned.config));
    expect(exp.lastStepOf(1)).toBe(5);
    expect(exp.liveTrial(2)).toBe(running);
    expect(exp.liveTrial(0)).toBeUndefined();
    expect(exp.liveTrialById(waiting.id)).toBe(waiting);
    expect(exp.liveTrialById(done.id)).toBeUndefined();
    expect(exp.liveTrialById(waiting.id + 100)).toBeUndefined();
    expect(exp.hasTrial(done.id)).toBe(true);
    expect(exp.hasTrial(waiting.id + 100)).toBe(false);
    expect(exp.running).toEqual(new Set([running.id]));
    expect(exp.numbersWhere(new Set(), 0, 10)).toEqual([0, 1, 2, 3]);
    expect(exp.numbersWhere(new Set(["complete", "waiting"] as TrialState[]), 0, 10)).toEqual([0, 3]);
    expect(exp.numbersWhere(new Set(), -5, 2)).toEqual([0, 1]);
    expect(exp.numbersWhere(new Set(), 2, 10)).toEqual([2, 3]);
    expect(exp.numbersWhere(new Set(), 4, 10)).toEqual([]);
    expect(exp.numbersWhere(new Set(["running"] as TrialState[]), 0, 0)).toEqual([]);
    expect(exp.hasConfig(Float64Array.from(pruned.config))).toBe(true);
    expect(exp.hasConfig(Float64Array.of(0.5, 0.5))).toBe(false);
  });

  it("reads finished rows back from the store, curves included, and live rows from memory, in few range reads", async () => {
    const ctx = await state({ pruner: "median" });
    const { exp, reads } = ctx;
    const rows: TrialRow[] = [];
    for (let i = 0; i < 100; i++) {
      const s: TrialState = i % 10 === 3 ? "running" : i % 10 === 7 ? "pruned" : "complete";
      const points: [number, number][] = s === "pruned" ? [[1, i]] : [];
      const t = await put(ctx, s, { loss: s === "complete" ? i : null, intermediate: points });
      if (points.length > 0) await ctx.store.write(exp.row.id, { points: [{ trialId: t.id, step: 1, value: i }] });
      rows.push(t);
    }
    reads.length = 0;
    // Numbers at most 32 apart share one read.
    const near = [0, 32, 64, 97];
    expect(await exp.rows(near)).toEqual(near.map((n) => rows[n]));
    expect(reads).toEqual([
      [0, 64],
      [97, 97],
    ]);
    reads.length = 0;
    const far = [1, 34, 67];
    expect(await exp.rows(far)).toEqual(far.map((n) => rows[n]));
    expect(reads).toEqual([
      [1, 1],
      [34, 34],
      [67, 67],
    ]);
    reads.length = 0;
    // Only RUNNING trials: memory only, the very objects put.
    const live = await exp.rows([3, 13, 23]);
    expect(live[0]).toBe(rows[3]);
    expect(reads).toEqual([]);
    expect(await exp.trial(13)).toBe(rows[13]);
    expect(await exp.trial(17)).toEqual(rows[17]);
    expect((await exp.trial(17)).intermediate).toEqual([[1, 17]]);
    expect(await exp.trialById(rows[50]!.id)).toEqual(rows[50]);
  });

  it("answers NOT_FOUND for a deleted experiment's finished rows, and an internal error for a row the store lacks", async () => {
    const ctx = await state();
    const { exp, store } = ctx;
    await put(ctx, "complete", { loss: 1 });
    const running = await put(ctx, "running");
    // A trial the image holds but the store never got.
    exp.put(row(exp, "complete", { id: running.id + 1, loss: 2 }));
    await expect(exp.rows([2])).rejects.toThrow("experiment e: trial 2 missing from the database");
    await store.deleteExperiment(exp.row.id);
    await expect(exp.rows([0])).rejects.toThrow("experiment e: trial 0 missing from the database");
    exp.deleted = true;
    const err = await exp.rows([0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("NOT_FOUND");
    expect((err as ParzenError).message).toBe('experiment "e" does not exist');
    // Live rows need no store.
    expect(await exp.rows([1])).toEqual([running]);
  });
});

describe("lifecycle in the image", () => {
  it("a user's stop completes the experiment as STOPPED before any condition; a pause only pauses", async () => {
    const { exp } = await state();
    expect(exp.status(0)).toBe("active");
    exp.lifecycle = { ...exp.lifecycle, paused: true };
    expect([exp.status(0), exp.completion(0)]).toEqual(["paused", undefined]);
    exp.lifecycle = { ...exp.lifecycle, stopped: true, stop: { ...exp.stop, deadline: 0 } };
    expect([exp.status(0), exp.completion(0)]).toEqual(["completed", "stopped"]);
  });
});

describe("stored parameters", () => {
  it("turn into a configuration (NaN for the inactive, unknown names ignored) and back", async () => {
    const { exp } = await state();
    const c = exp.configFromStored({ b: 0.25, gone: 3 });
    expect(Array.from(c)).toEqual([Number.NaN, 0.25]);
    expect(exp.storedParams(c)).toEqual({ b: 0.25 });
    expect(exp.storedParams(Float64Array.of(0, 1))).toEqual({ a: 0, b: 1 });
  });
});
