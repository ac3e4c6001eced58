/**
 * An experiment's stop conditions and budget at their exact edges (experiment-state.ts: completion, startable,
 * asIfPut, mayHaveLapsed), as README's "Stop conditions" promises them: max_trials counts COMPLETE and PRUNED
 * trials (RUNNING ones hold a place), max_failed_trials counts FAIL ones, the goal is met by a best loss at or
 * beyond it, the deadline from its very millisecond.
 */
import { describe, expect, it } from "vitest";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import type { TrialState } from "../../src/domain/trial-state.js";
import { compileDefinition, definitionJson } from "../../src/service/use-cases/definition.js";
import { ExperimentState } from "../../src/service/state/experiment-state.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import { choice, num, uniform } from "../integration/fixtures.js";

interface Stop {
  maxTrials?: number;
  maxFailedTrials?: number;
  goal?: number;
  deadline?: Date;
  maximize?: boolean;
  algorithm?: string;
}

async function state(stop: Stop = {}): Promise<ExperimentState> {
  const store = await openSqliteStore({ path: ":memory:" });
  const def = compileDefinition(
    Experiment.fromPartial({
      name: "e",
      space: {
        parameters: [stop.algorithm === "grid" ? choice("c", [{ value: num(1) }]) : uniform("a", 0, 1)],
      },
      direction: stop.maximize === true ? Direction.DIRECTION_MAXIMIZE : Direction.DIRECTION_MINIMIZE,
      algorithm: { name: stop.algorithm ?? "random", options: {} },
      maxTrials: stop.maxTrials,
      maxFailedTrials: stop.maxFailedTrials,
      goal: stop.goal,
      deadline: stop.deadline,
    }),
  );
  const row = (await store.createExperiment("e", definitionJson(def.proto), 0)).value;
  return new ExperimentState(row, def, store);
}

let nextId = 1;
/** Puts a new trial, or `prev` changed, in state `s`. */
function put(
  exp: ExperimentState,
  s: TrialState,
  loss: number | null = null,
  prev?: TrialRow,
  extra: Partial<TrialRow> = {},
): TrialRow {
  const t: TrialRow = {
    id: prev?.id ?? nextId++,
    experimentId: exp.row.id,
    number: prev?.number ?? exp.nextNumber,
    state: s,
    source: "algorithm",
    config: Float64Array.of(0),
    loss,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "",
    failReason: "",
    createTime: 10,
    startTime: s === "waiting" ? null : 10,
    endTime: s === "waiting" || s === "running" ? null : 20,
    leaseDeadline: s === "running" ? 1_000 : null,
    intermediate: NO_POINTS,
    ...extra,
  };
  exp.put(t);
  return t;
}

describe("max_trials", () => {
  it("is reached by COMPLETE and PRUNED trials together, exactly at the limit; FAIL and RUNNING do not count", async () => {
    const exp = await state({ maxTrials: 3 });
    put(exp, "complete", 1);
    put(exp, "pruned", 2);
    put(exp, "fail");
    put(exp, "running");
    put(exp, "waiting");
    put(exp, "lost");
    expect(exp.completion(0)).toBeUndefined();
    expect(exp.status(0)).toBe("active");
    put(exp, "complete", 3);
    expect(exp.completion(0)).toBe("budget");
    expect(exp.status(0)).toBe("completed");
  });

  it("leaves max_trials less COMPLETE, PRUNED and RUNNING trials to start, never fewer than 0", async () => {
    const exp = await state({ maxTrials: 5 });
    expect(exp.startable()).toBe(5);
    put(exp, "complete", 1);
    put(exp, "pruned", 1);
    put(exp, "running");
    put(exp, "fail");
    put(exp, "waiting");
    put(exp, "lost");
    expect(exp.startable()).toBe(2);
    put(exp, "running");
    put(exp, "running");
    put(exp, "running");
    expect(exp.startable()).toBe(0);
    expect((await state()).startable()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("max_failed_trials", () => {
  it("is reached by the FAIL trial that makes the count equal to it", async () => {
    const exp = await state({ maxFailedTrials: 2 });
    put(exp, "fail");
    put(exp, "lost");
    put(exp, "pruned", 1);
    expect(exp.completion(0)).toBeUndefined();
    put(exp, "fail");
    expect(exp.completion(0)).toBe("failures");
  });
});

describe("goal", () => {
  it("is met by a best COMPLETE loss equal to it (minimise), not by a PRUNED one", async () => {
    const exp = await state({ goal: 0.5 });
    put(exp, "complete", 0.50001);
    put(exp, "pruned", 0.1);
    put(exp, "running");
    expect(exp.completion(0)).toBeUndefined();
    put(exp, "complete", 0.5);
    expect(exp.completion(0)).toBe("goal");
  });

  it("is met by a value at or above it when maximising", async () => {
    const exp = await state({ goal: 0.5, maximize: true });
    put(exp, "complete", 0.49999);
    put(exp, "complete", -3);
    expect(exp.completion(0)).toBeUndefined();
    put(exp, "complete", 0.5);
    expect(exp.completion(0)).toBe("goal");
    const above = await state({ goal: -2, maximize: true });
    put(above, "complete", 7);
    expect(above.completion(0)).toBe("goal");
  });

  it("comes first when the budget is reached by the same trial", async () => {
    const exp = await state({ goal: 0, maxTrials: 1, maxFailedTrials: 1 });
    put(exp, "fail");
    put(exp, "complete", -1);
    expect(exp.completion(0)).toBe("goal");
  });
});

describe("deadline", () => {
  it("completes the experiment from its very millisecond", async () => {
    const exp = await state({ deadline: new Date(5_000) });
    expect(exp.completion(4_999)).toBeUndefined();
    expect(exp.completion(5_000)).toBe("deadline");
    expect(exp.status(5_000)).toBe("completed");
    expect((await state({ maxFailedTrials: 1 })).completion(Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });
});

describe("a finite design (grid)", () => {
  it("is exhausted once every point was taken and none is RUNNING or WAITING", async () => {
    const exp = await state({ algorithm: "grid" });
    expect(exp.completion(0)).toBeUndefined();
    expect(exp.startable()).toBe(1);
    const t = put(exp, "waiting");
    expect(exp.startable()).toBe(1); // the WAITING trial is still to start
    expect(exp.completion(0)).toBeUndefined();
    put(exp, "running", null, t);
    expect(exp.startable()).toBe(0);
    expect(exp.completion(0)).toBeUndefined();
    put(exp, "complete", 1, t);
    expect(exp.completion(0)).toBe("space_exhausted");
  });
});

describe("asIfPut", () => {
  it("answers with the counts and best loss the change would make, and leaves both as they were", async () => {
    const exp = await state({ maxTrials: 2, goal: 0.2 });
    put(exp, "complete", 0.5);
    const t = put(exp, "running");
    const seen = exp.asIfPut({ ...t, state: "complete", loss: 0.1 }, () => [
      exp.countOf("complete"),
      exp.countOf("running"),
      exp.completion(0),
    ]);
    expect(seen).toEqual([2, 0, "goal"]);
    expect([exp.countOf("complete"), exp.countOf("running"), exp.completion(0)]).toEqual([1, 1, undefined]);
    expect(exp.asIfPut({ ...t, state: "fail" }, () => [exp.countOf("fail"), exp.startable()])).toEqual([1, 1]);
    expect(exp.startable()).toBe(0);
  });
});

describe("leases in memory", () => {
  it("may have lapsed only strictly after the earliest deadline of a RUNNING trial", async () => {
    const exp = await state();
    expect(exp.mayHaveLapsed(Number.MAX_SAFE_INTEGER)).toBe(false);
    const t = put(exp, "running"); // lease deadline 1000
    expect(exp.mayHaveLapsed(1_000)).toBe(false);
    expect(exp.mayHaveLapsed(1_001)).toBe(true);
    put(exp, "complete", 1, t);
    expect(exp.mayHaveLapsed(1_001)).toBe(false);
  });

  it("refuses a trial number out of sequence", async () => {
    const exp = await state();
    put(exp, "running");
    const base = put(exp, "waiting");
    expect(() => put(exp, "running", null, { ...base, number: 3 })).toThrow(
      "experiment e: trial number 3 out of sequence",
    );
    expect(() => put(exp, "running", null, { ...base, number: -1 })).toThrow("trial number -1 out of sequence");
    expect(exp.nextNumber).toBe(2);
  });
});

describe("what put keeps for Suggest and the lease checks", () => {
  it("queues WAITING trials in number order and drops each once it leaves WAITING", async () => {
    const exp = await state();
    const [a, b, c] = [put(exp, "waiting"), put(exp, "waiting"), put(exp, "waiting")];
    put(exp, "running");
    expect(exp.waiting).toEqual([0, 1, 2]);
    put(exp, "running", null, b);
    expect(exp.waiting).toEqual([0, 2]);
    put(exp, "waiting", null, c, { userAttrs: { k: "v" } }); // still WAITING: stays once, in place
    put(exp, "lost", null, a);
    expect(exp.waiting).toEqual([2]);
    expect([0, 1, 2, 3].map((n) => exp.liveTrial(n)?.state)).toEqual([undefined, "running", "waiting", "running"]);
    expect(exp.liveTrial(2)?.userAttrs).toEqual({ k: "v" });
  });

  it("keeps the earliest lease deadline of the RUNNING trials, whatever order they come in", async () => {
    const exp = await state();
    put(exp, "running", null, undefined, { leaseDeadline: 1_000 });
    put(exp, "running", null, undefined, { leaseDeadline: 2_000 });
    expect(exp.mayHaveLapsed(1_001)).toBe(true);
    const late = await state();
    put(late, "running", null, undefined, { leaseDeadline: 2_000 });
    put(late, "running", null, undefined, { leaseDeadline: 1_000 });
    expect(late.mayHaveLapsed(1_001)).toBe(true);
    expect(late.mayHaveLapsed(1_000)).toBe(false);
  });

  it("counts every change in its version and keeps the latest activity, never an older one", async () => {
    const exp = await state();
    const v0 = exp.version;
    const t = put(exp, "waiting", null, undefined, { createTime: 50, startTime: null, endTime: null });
    expect([exp.version - v0, exp.lastActivity]).toEqual([1, 50]);
    put(exp, "running", null, t, { startTime: 70, endTime: null });
    expect([exp.version - v0, exp.lastActivity]).toEqual([2, 70]);
    put(exp, "complete", 1, t, { startTime: 70, endTime: 90 });
    expect(exp.lastActivity).toBe(90);
    put(exp, "complete", null, undefined, { createTime: 5, startTime: 6, endTime: 7 }); // an old import
    expect([exp.version - v0, exp.lastActivity]).toEqual([4, 90]);
  });
});
