/**
 * The in-memory image (experiment-state.ts) at the edges its doc comments name: the best COMPLETE loss only falls
 * and only a feasible COMPLETE trial with a loss moves it (also in asIfPut, Report-and-next's look ahead, in either
 * direction); a trial is feasible only when every constraint is <= 0; only COMPLETE and PRUNED trials have a loss
 * as the algorithms see it; a RUNNING trial without a lease never "may have lapsed"; the algorithms' view is one
 * array kept in place; finished rows are read back with their curves only when some trial in the range has one,
 * and a row the store lacks is named, not replaced by its neighbour.
 */
import { describe, expect, it } from "vitest";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import type { TrialState } from "../../src/domain/trial-state.js";
import { compileDefinition, definitionJson } from "../../src/service/use-cases/definition.js";
import { ExperimentState } from "../../src/service/state/experiment-state.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { Store } from "../../src/store/store.js";
import { uniform } from "../integration/fixtures.js";

interface Options {
  goal?: number;
  maximize?: boolean;
  pruner?: string;
}

/** A real in-memory SQLite store behind the image, recording each readTrials' range and curves flag. */
async function state(o: Options = {}): Promise<{ exp: ExperimentState; store: Store; reads: string[] }> {
  const sqlite = await openSqliteStore({ path: ":memory:" });
  const reads: string[] = [];
  const store: Store = new Proxy(sqlite, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (prop === "readTrials") {
        return (...args: Parameters<Store["readTrials"]>) => {
          reads.push(`${args[1]}-${args[2]}${args[3] ? " with curves" : ""}`);
          return target.readTrials(...args);
        };
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const def = compileDefinition(
    Experiment.fromPartial({
      name: "e",
      space: { parameters: [uniform("a", 0, 1)] },
      direction: o.maximize === true ? Direction.DIRECTION_MAXIMIZE : Direction.DIRECTION_MINIMIZE,
      algorithm: { name: "random", options: {} },
      goal: o.goal,
      pruner: o.pruner === undefined ? undefined : { name: o.pruner, options: {} },
    }),
  );
  const row = (await store.createExperiment("e", definitionJson(def.proto), 0)).value;
  return { exp: new ExperimentState(row, def, store), store, reads };
}

let nextId = 1;
function row(exp: ExperimentState, s: TrialState, extra: Partial<TrialRow> = {}): TrialRow {
  const n = exp.nextNumber;
  return {
    id: nextId++,
    experimentId: exp.row.id,
    number: n,
    state: s,
    source: "algorithm",
    config: Float64Array.of(n / 100),
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

/** Puts a new trial in the image only. */
function put(exp: ExperimentState, s: TrialState, extra: Partial<TrialRow> = {}): TrialRow {
  const t = row(exp, s, extra);
  exp.put(t);
  return t;
}

/** Writes a new trial to the store, then puts it, as the mutation path does. */
async function stored(ctx: { exp: ExperimentState; store: Store }, s: TrialState, extra: Partial<TrialRow> = {}) {
  const t = row(ctx.exp, s, extra);
  const w = await ctx.store.write(ctx.exp.row.id, { insert: [{ trial: t, params: ctx.exp.storedParams(t.config) }] });
  t.id = w.value[0]!;
  ctx.exp.put(t);
  return t;
}

describe("the goal's best loss", () => {
  it("only falls: a worse COMPLETE trial after the best one leaves the goal reached", async () => {
    const { exp } = await state({ goal: 0.5 });
    put(exp, "complete", { loss: 0.1 });
    expect(exp.completion(0)).toBe("goal");
    put(exp, "complete", { loss: 0.9 });
    expect(exp.completion(0)).toBe("goal");
  });

  it("is moved only by a COMPLETE trial with a loss: not by a lossless COMPLETE one nor by PRUNED or FAIL ones", async () => {
    for (const goal of [0.5, -0.5]) {
      const { exp } = await state({ goal });
      // sign * null would be 0, which meets a goal of 0.5.
      put(exp, "complete", { loss: null });
      put(exp, "pruned", { loss: goal - 1 });
      put(exp, "fail", { loss: goal - 1 });
      expect(exp.completion(0)).toBeUndefined();
    }
  });

  it("needs every constraint <= 0, an empty list being no constraints once others carry some", async () => {
    const { exp } = await state({ goal: 0.5 });
    put(exp, "complete", { loss: 0.9, constraints: [-1, 0] });
    put(exp, "complete", { loss: 0.1, constraints: [-1, 0.25] });
    put(exp, "complete", { loss: 0.1, constraints: [0.25, -1] });
    put(exp, "complete", { loss: 0.1, constraints: [] });
    expect(exp.completion(0)).toBeUndefined();
    expect(exp.bestNumber()).toBe(0);
    put(exp, "complete", { loss: 0.5, constraints: [0, 0] });
    expect(exp.completion(0)).toBe("goal");
  });

  it("asIfPut counts only a feasible COMPLETE trial with a loss, better than the best, in either direction", async () => {
    for (const maximize of [false, true]) {
      const sign = maximize ? -1 : 1;
      const { exp } = await state({ goal: sign * 0.5, maximize });
      const running = put(exp, "running");
      const as = (changes: Partial<TrialRow>) => exp.asIfPut({ ...running, ...changes }, () => exp.completion(0));
      expect(as({ state: "complete", loss: sign * 0.4 })).toBe("goal");
      expect(as({ state: "complete", loss: sign * 0.6 })).toBeUndefined();
      expect(as({ state: "complete", loss: null })).toBeUndefined();
      expect(as({ state: "pruned", loss: sign * 0.1 })).toBeUndefined();
      expect(as({ state: "fail", loss: sign * 0.1 })).toBeUndefined();
      // Nothing stays changed.
      expect(exp.completion(0)).toBeUndefined();
      expect(exp.countOf("running")).toBe(1);
      // Once the goal is met, a worse report does not undo it.
      put(exp, "complete", { loss: sign * 0.2 });
      expect(as({ state: "complete", loss: sign * 0.9 })).toBe("goal");
    }
  });
});

describe("losses as the algorithms see them", () => {
  it("are a COMPLETE trial's loss or a PRUNED trial's last value; none for a lossless COMPLETE or other states", async () => {
    const { exp } = await state();
    const curve: [number, number][] = [[3, 0.25]];
    const lossless = put(exp, "complete", { loss: null });
    const running = put(exp, "running", { intermediate: curve });
    const failed = put(exp, "fail", { loss: 0.5, intermediate: curve });
    const lost = put(exp, "lost", { intermediate: curve });
    const pruned = put(exp, "pruned", { intermediate: curve });
    expect([lossless, running, failed, lost, pruned].map((t) => exp.lossOf(t.number))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      0.25,
    ]);
    expect(exp.observationHistory().map((o) => o.loss)).toEqual([undefined, undefined, undefined, undefined, 0.25]);
  });

  it("bestNumber skips a lossless COMPLETE trial ahead of the one with a loss", async () => {
    const { exp } = await state();
    put(exp, "complete", { loss: null });
    put(exp, "complete", { loss: 3 });
    expect(exp.bestNumber()).toBe(1);
  });
});

describe("leases", () => {
  it("a RUNNING trial without a lease never may have lapsed; one with a lease only after its deadline", async () => {
    const { exp } = await state();
    put(exp, "running", { leaseDeadline: null });
    expect(exp.mayHaveLapsed(Number.MAX_SAFE_INTEGER)).toBe(false);
    put(exp, "running", { leaseDeadline: 5_000 });
    expect([exp.mayHaveLapsed(5_000), exp.mayHaveLapsed(5_001)]).toEqual([false, true]);
  });
});

describe("the algorithms' view", () => {
  it("is one array, kept in place by later puts rather than rebuilt", async () => {
    const { exp } = await state();
    put(exp, "complete", { loss: 1 });
    const h = exp.observationHistory();
    const running = put(exp, "running");
    expect(exp.observationHistory()).toBe(h);
    expect(h.map((o) => [o.number, o.state])).toEqual([
      [0, "complete"],
      [1, "running"],
    ]);
    exp.put({ ...running, state: "complete", loss: 2, endTime: 30 });
    expect(exp.observationHistory()).toBe(h);
    expect(h[1]).toMatchObject({ state: "complete", loss: 2 });
  });
});

describe("finished rows read back", () => {
  it("ask the store for curves only when a trial in the range reported some", async () => {
    const ctx = await state({ pruner: "median" });
    await stored(ctx, "complete", { loss: 1 });
    await stored(ctx, "complete", { loss: 2 });
    await stored(ctx, "pruned", { intermediate: [[1, 3]] });
    ctx.reads.length = 0;
    await ctx.exp.rows([0, 1]);
    await ctx.exp.rows([1, 2]);
    await ctx.exp.rows([2]);
    expect(ctx.reads).toEqual(["0-1", "1-2 with curves", "2-2 with curves"]);
  });

  it("name the trial the store lacks, even when the store holds a later one of the range", async () => {
    const ctx = await state();
    await stored(ctx, "complete", { loss: 1 });
    put(ctx.exp, "complete", { loss: 2 }); // never written
    await stored(ctx, "complete", { loss: 3 });
    await expect(ctx.exp.rows([0, 1, 2])).rejects.toThrow("experiment e: trial 1 missing from the database");
  });
});
