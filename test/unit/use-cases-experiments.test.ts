/**
 * Experiments (definition.ts, update-experiment.ts, optimizer.ts), as the README documents CreateExperiment,
 * UpdateExperiment, ListExperiments, DeleteExperiment and ListTrials: each definition field checked at its exact
 * bounds with the message a client sees, defaults filled, the re-create rule (what is identity, what is a
 * setting), the lifecycle actions and stop conditions set and cleared, and paging.
 */
import { Direction, Experiment, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, ListTrialsRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CURRENT_DEFINITION_RULES,
  compileDefinition,
  DEFAULT_LEASE_MS,
  definitionJson,
  identityOf,
} from "../../src/service/use-cases/definition.js";
import { choice, intRange, num, str, uniform } from "../integration/fixtures.js";
import {
  experiment,
  fail,
  type Harness,
  harness,
  ok,
  refusal,
  START,
  suggestReq,
  update,
} from "./use-cases-harness.js";

const intOpt = (value: number) => ({ kind: { $case: "intValue" as const, value } });
const dblOpt = (value: number) => ({ kind: { $case: "doubleValue" as const, value } });

describe("CreateExperiment's definition", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  const create = (extra: Partial<Experiment>, name = "d") => h.optimizer.createExperiment(experiment(name, extra));
  const invalid = async (extra: Partial<Experiment>, name = "d") => {
    const r = await refusal(() => create(extra, name));
    expect(r.code).toBe("INVALID_ARGUMENT");
    return r.message;
  };

  it("fills the defaults: minimise, TPE, no pruner, a 30-minute lease, a drawn seed", async () => {
    const { experiment: e, created } = await h.optimizer.createExperiment(
      Experiment.fromPartial({ name: "dflt", space: { parameters: [uniform("x", 0, 1)] } }),
    );
    expect(created).toBe(true);
    expect(e).toMatchObject({
      direction: Direction.DIRECTION_MINIMIZE,
      algorithm: { name: "tpe" },
      pruner: { name: "none" },
      leaseDuration: { seconds: 1800, nanos: 0 },
      state: ExperimentState.EXPERIMENT_STATE_ACTIVE,
      createTime: new Date(START),
    });
    expect(DEFAULT_LEASE_MS).toBe(30 * 60 * 1000);
    expect(Number.isSafeInteger(e.seed)).toBe(true);
    expect(e.seed).toBeGreaterThanOrEqual(0);
    expect(e.seed).toBeLessThan(2 ** 31);
  });

  it("checks the name: empty, over 200 characters, control characters, edge spaces", async () => {
    expect(await invalid({}, "")).toBe("experiment.name: experiment name is empty");
    expect(await invalid({}, "n".repeat(201))).toBe("experiment.name: experiment name is longer than 200 characters");
    expect((await create({}, "n".repeat(200))).created).toBe(true);
    expect(await invalid({}, "a\u0000b")).toBe("experiment.name: experiment name contains control characters");
    expect(await invalid({}, "a\u001fb")).toBe("experiment.name: experiment name contains control characters");
    expect(await invalid({}, "a\u007fb")).toBe("experiment.name: experiment name contains control characters");
    expect(await invalid({}, " a")).toBe("experiment.name: experiment name has leading or trailing spaces");
    expect(await invalid({}, "a ")).toBe("experiment.name: experiment name has leading or trailing spaces");
    expect((await create({}, "a b ~ é")).created).toBe(true);
    expect(await refusal(() => h.optimizer.createExperiment(undefined))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "experiment: missing",
    });
    // Lookups by name check the same way.
    expect(await refusal(() => h.optimizer.updateExperiment(update("", { action: 1 })))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "name: experiment name is empty",
    });
  });

  it("takes a lease from 1 second to 7 days, to the millisecond, and says so otherwise", async () => {
    const msg = "experiment.lease_duration: must be between 1 second and 7 days";
    expect(await invalid({ leaseDuration: { seconds: 0, nanos: 999_000_000 } })).toBe(msg);
    expect(await invalid({ leaseDuration: { seconds: 7 * 86400, nanos: 1_000_000 } })).toBe(msg);
    const low = await create({ leaseDuration: { seconds: 1, nanos: 0 } }, "low");
    expect(low.experiment.leaseDuration).toEqual({ seconds: 1, nanos: 0 });
    const high = await create({ leaseDuration: { seconds: 7 * 86400, nanos: 0 } }, "high");
    expect(high.experiment.leaseDuration).toEqual({ seconds: 7 * 86400, nanos: 0 });
    const odd = await create({ leaseDuration: { seconds: 2, nanos: 345_678_901 } }, "odd");
    expect(odd.experiment.leaseDuration).toEqual({ seconds: 2, nanos: 345_000_000 });
    const [t] = await h.optimizer.suggest(suggestReq("odd"));
    expect(t!.leaseDeadline).toEqual(new Date(START + 2345));
  });

  it("checks the seed and keeps a given one", async () => {
    expect((await create({ seed: 0 }, "zero")).experiment.seed).toBe(0);
    expect((await create({ seed: 2 ** 53 - 1 }, "big")).experiment.seed).toBe(2 ** 53 - 1);
    expect(await invalid({ seed: 2 ** 53 })).toBe("experiment.seed: must be a non-negative integer below 2^53");
    expect(await invalid({ seed: -1 })).toBe("experiment.seed: must be a non-negative integer below 2^53");
  });

  it("checks the stop conditions: positive integers and a finite goal", async () => {
    for (const field of ["maxTrials", "maxFailedTrials"] as const) {
      const name = field === "maxTrials" ? "max_trials" : "max_failed_trials";
      expect(await invalid({ [field]: 0 })).toBe(`experiment.${name}: must be a positive integer when set, got 0`);
      expect(await invalid({ [field]: 1.5 })).toBe(`experiment.${name}: must be a positive integer when set, got 1.5`);
      expect((await create({ [field]: 1 }, `one-${field}`)).experiment[field]).toBe(1);
    }
    expect(await invalid({ goal: Number.NaN })).toBe("experiment.goal: must be finite when set, got NaN");
    expect(await invalid({ deadline: new Date(Number.NaN) })).toBe("experiment.deadline: not a valid timestamp");
    const d = new Date(START + 60_000);
    expect((await create({ goal: -2, deadline: d }, "g")).experiment).toMatchObject({ goal: -2, deadline: d });
  });

  it("checks directions and objectives", async () => {
    expect(await invalid({ direction: 7 as Direction })).toBe("experiment.direction: unknown direction 7");
    const two = [
      { name: "a", direction: Direction.DIRECTION_MINIMIZE },
      { name: "", direction: Direction.DIRECTION_MAXIMIZE },
    ];
    const mo = await create({ objectives: two }, "mo");
    expect(mo.experiment.objectives).toEqual([
      { name: "a", direction: Direction.DIRECTION_MINIMIZE },
      { name: "objective_1", direction: Direction.DIRECTION_MAXIMIZE },
    ]);
    expect(mo.experiment.direction).toBe(Direction.DIRECTION_UNSPECIFIED);
    expect(await invalid({ objectives: [two[0]!, { name: "a", direction: 1 }] })).toBe(
      'experiment.objectives[1].name: "a" is used by another objective',
    );
    expect(await invalid({ objectives: [{ name: " a", direction: 1 }, two[1]!] })).toBe(
      "experiment.objectives[0].name: must be at most 200 characters, without control or edge spaces",
    );
    expect(await invalid({ objectives: [{ name: "o".repeat(201), direction: 1 }, two[1]!] })).toMatch(
      /^experiment\.objectives\[0\]\.name: must be at most 200/,
    );
    expect(await invalid({ objectives: [{ name: "a\tb", direction: 1 }, two[1]!] })).toMatch(
      /^experiment\.objectives\[0\]\.name/,
    );
    expect(await invalid({ objectives: [{ name: "a", direction: 9 as Direction }, two[1]!] })).toBe(
      "experiment.objectives[0].direction: unknown direction 9",
    );
    expect(await invalid({ objectives: two, direction: Direction.DIRECTION_MINIMIZE })).toBe(
      "experiment.direction: an experiment with 2 objectives takes a direction per objective " +
        "(experiment.objectives[i].direction); leave experiment.direction unset",
    );
    expect(await invalid({ objectives: [{ name: "a", direction: Direction.DIRECTION_MAXIMIZE }], direction: 1 })).toBe(
      "experiment.direction: contradicts experiment.objectives[0].direction; set only one",
    );
    // One declared objective is a single objective with a name: GetBest picks by its direction.
    const one = await create(
      { objectives: [{ name: "acc", direction: Direction.DIRECTION_MAXIMIZE }], direction: 2 },
      "one",
    );
    expect(one.experiment.direction).toBe(Direction.DIRECTION_MAXIMIZE);
    const ts = await h.optimizer.suggest(suggestReq("one", 2));
    await h.optimizer.report(ok(ts[0]!.id, 1));
    await h.optimizer.report(ok(ts[1]!.id, 2));
    expect((await h.optimizer.getBest("one")).loss).toBe(2);
  });

  it("refuses a multi-objective experiment with a single-objective algorithm, a pruner or a goal", async () => {
    const two = [
      { name: "a", direction: Direction.DIRECTION_MINIMIZE },
      { name: "b", direction: Direction.DIRECTION_MINIMIZE },
    ];
    expect(await invalid({ objectives: two, algorithm: { name: "gp", options: {} } })).toBe(
      'experiment.algorithm: "gp" optimises one objective; an experiment with 2 objectives needs ' +
        '"auto", "nsga2", "random" or "tpe"',
    );
    expect(await invalid({ objectives: two, pruner: { name: "median", options: {} } })).toBe(
      'experiment.pruner: "median" compares single losses and cannot prune a multi-objective experiment ' +
        "(as in Optuna); leave the pruner unset",
    );
    expect(await invalid({ objectives: two, goal: 1 })).toBe(
      "experiment.goal: a goal is one loss to reach; a multi-objective experiment has none",
    );
  });

  it("checks algorithm and pruner options: no value, non-finite, unknown names", async () => {
    expect(await invalid({ algorithm: { name: "tpe", options: { gamma_cap: {} } } })).toBe(
      'tpe options: "gamma_cap" has no value',
    );
    expect(await invalid({ algorithm: { name: "tpe", options: { prior_weight: dblOpt(Infinity) } } })).toBe(
      'tpe options: "prior_weight" must be finite',
    );
    expect(await invalid({ pruner: { name: "median", options: { n_warmup_steps: {} } } })).toBe(
      'pruner median options: "n_warmup_steps" has no value',
    );
    expect(await invalid({ pruner: { name: "nope", options: {} } })).toMatch(/^pruner: unknown pruner "nope"/);
    expect(await invalid({ algorithm: { name: "nope", options: {} } })).toMatch(/unknown algorithm "nope"/);
  });
});

describe("re-creating an experiment", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  it("returns the stored one for the same definition, settings aside; ALREADY_EXISTS for any identity change", async () => {
    const base = {
      space: { parameters: [choice("c", [{ value: str("a") }, { value: num(1) }]), intRange("n", 1, 4)] },
      algorithm: { name: "tpe", options: { gamma_cap: intOpt(8) } },
      maxTrials: 5,
    };
    const first = await h.optimizer.createExperiment(experiment("r", base));
    expect(first.created).toBe(true);
    // Settings are not identity: lease, retry_lost, attributes; nor choice labels, nor a default spelled out.
    const same: Partial<Experiment>[] = [
      { leaseDuration: { seconds: 60, nanos: 0 }, retryLost: true, userAttrs: { a: "b" } },
      {
        space: {
          parameters: [choice("c", [{ value: str("a"), label: "A" }, { value: num(1) }]), intRange("n", 1, 4)],
        },
      },
      { algorithm: { name: "tpe", options: { gamma_cap: dblOpt(8), n_startup_trials: intOpt(20) } } },
      { seed: 7 },
      { pruner: { name: "none", options: {} } },
    ];
    for (const extra of same) {
      const again = await h.optimizer.createExperiment(experiment("r", { ...base, ...extra }));
      expect(again.created).toBe(false);
      expect(again.experiment).toEqual(first.experiment);
    }
    // Without a seed, the stored seed is kept and not compared.
    const noSeed = await h.optimizer.createExperiment(Experiment.fromPartial({ name: "r", ...base }));
    expect(noSeed.created).toBe(false);
    const different: Partial<Experiment>[] = [
      { space: { parameters: [choice("c", [{ value: str("a") }, { value: num(2) }]), intRange("n", 1, 4)] } },
      { direction: Direction.DIRECTION_MAXIMIZE },
      { algorithm: { name: "tpe", options: { gamma_cap: intOpt(9) } } },
      { algorithm: { name: "random", options: {} } },
      { pruner: { name: "median", options: {} } },
      { seed: 8 },
      { maxTrials: 6 },
      { maxFailedTrials: 1 },
      { goal: 0 },
      { deadline: new Date(START) },
    ];
    for (const extra of different)
      expect(await refusal(h.optimizer.createExperiment(experiment("r", { ...base, ...extra })))).toEqual({
        code: "ALREADY_EXISTS",
        message:
          'experiment "r" already exists with a different definition (space, direction, algorithm, pruner, seed ' +
          "or stop conditions); choose another name or delete it first",
      });
  });

  it("checks a new experiment's user attributes, and creates nothing when they are too large", async () => {
    const small = await harness({ limits: { maxAttrLength: 10 } });
    expect(
      await refusal(small.optimizer.createExperiment(experiment("u", { userAttrs: { k: "v".repeat(10) } }))),
    ).toEqual({ code: "INVALID_ARGUMENT", message: 'experiment.user_attrs: "k" is longer than 10 characters' });
    expect(await refusal(small.optimizer.getExperiment("u"))).toMatchObject({ code: "NOT_FOUND" });
    expect((await small.optimizer.createExperiment(experiment("u", { userAttrs: { k: "v".repeat(9) } }))).created).toBe(
      true,
    );
    await small.close();
  });

  it("concurrent creates of one name settle on one experiment", async () => {
    const all = await Promise.all([1, 2, 3].map(() => h.optimizer.createExperiment(experiment("c"))));
    expect(all.filter((r) => r.created)).toHaveLength(1);
    const conflicting = await Promise.allSettled([
      h.optimizer.createExperiment(experiment("k", { maxTrials: 1 })),
      h.optimizer.createExperiment(experiment("k", { maxTrials: 2 })),
    ]);
    expect(conflicting.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  });
});

describe("the definition's stored form", () => {
  it("identity ignores the lease, retry_lost, attributes and labels, and the seed unless asked", () => {
    const a = compileDefinition(experiment("i", { seed: 1, leaseDuration: { seconds: 5, nanos: 0 } }));
    const b = compileDefinition(experiment("i", { seed: 2, retryLost: true, userAttrs: { x: "y" } }));
    expect(identityOf(a, false)).toBe(identityOf(b, false));
    expect(identityOf(a, true)).not.toBe(identityOf(b, true));
    // The canonical JSON sorts keys at every level, so equal definitions give equal strings.
    const json = definitionJson(a.proto);
    expect(json.indexOf('"algorithm"')).toBeLessThan(json.indexOf('"space"'));
    // Stored with the rules it was created under (today's: a new version must not break this test).
    expect(json).toContain(`"$version":${CURRENT_DEFINITION_RULES.version}`);
  });
});

describe("UpdateExperiment", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    await h.optimizer.createExperiment(experiment("u", { maxTrials: 2, goal: 0.5 }));
  });
  afterEach(() => h.close());

  const upd = (extra: Parameters<typeof update>[1]) => h.optimizer.updateExperiment(update("u", extra));

  it("pauses, resumes and stops; a stop supersedes a pause, and only RESUME undoes it", async () => {
    expect((await upd({ action: ExperimentAction.EXPERIMENT_ACTION_PAUSE })).state).toBe(
      ExperimentState.EXPERIMENT_STATE_PAUSED,
    );
    expect((await upd({ action: ExperimentAction.EXPERIMENT_ACTION_STOP })).state).toBe(
      ExperimentState.EXPERIMENT_STATE_COMPLETED,
    );
    // A budget change alone does not re-open a stopped experiment.
    expect((await upd({ maxTrials: 100 })).state).toBe(ExperimentState.EXPERIMENT_STATE_COMPLETED);
    const resumed = await upd({ action: ExperimentAction.EXPERIMENT_ACTION_RESUME });
    expect(resumed.state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    expect(resumed.maxTrials).toBe(100);
    // PAUSE keeps a stop; the stop conditions stay as they were.
    await upd({ action: ExperimentAction.EXPERIMENT_ACTION_STOP });
    const paused = await upd({ action: ExperimentAction.EXPERIMENT_ACTION_PAUSE });
    expect(paused.state).toBe(ExperimentState.EXPERIMENT_STATE_COMPLETED);
    expect(paused).toMatchObject({ maxTrials: 100, goal: 0.5 });
    expect((await upd({ action: ExperimentAction.EXPERIMENT_ACTION_RESUME })).state).toBe(
      ExperimentState.EXPERIMENT_STATE_ACTIVE,
    );
  });

  it("sets, keeps and clears each stop condition; raising the limit that completed it re-opens it", async () => {
    const ts = await h.optimizer.suggest(suggestReq("u", 2));
    for (const t of ts) await h.optimizer.report(ok(t.id, 1));
    expect((await h.optimizer.getExperiment("u")).state).toBe(ExperimentState.EXPERIMENT_STATE_COMPLETED);
    const raised = await upd({ maxTrials: 3 });
    expect(raised).toMatchObject({ state: ExperimentState.EXPERIMENT_STATE_ACTIVE, maxTrials: 3, goal: 0.5 });
    const d = new Date(START + 1000);
    const set = await upd({ maxFailedTrials: 4, deadline: d });
    expect(set).toMatchObject({ maxTrials: 3, maxFailedTrials: 4, goal: 0.5, deadline: d });
    const cleared = await upd({
      clearMaxTrials: true,
      clearGoal: true,
      clearDeadline: true,
      clearMaxFailedTrials: true,
    });
    expect(cleared).toMatchObject({
      maxTrials: undefined,
      maxFailedTrials: undefined,
      goal: undefined,
      deadline: undefined,
    });
    // Stored: a later read shows the same.
    expect(await h.optimizer.getExperiment("u")).toMatchObject({ maxTrials: undefined, goal: undefined });
    expect((await upd({ goal: 2 })).goal).toBe(2);
  });

  it("a deadline reached completes it (DEADLINE) at that instant", async () => {
    await upd({ deadline: new Date(START + 1000) });
    h.clock = START + 999;
    expect((await h.optimizer.getExperiment("u")).state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
    h.clock = START + 1000;
    expect((await h.optimizer.suggestAnswer(suggestReq("u"))).done).toBe(true);
  });

  it("refuses an unknown action, nothing to do, a value both set and cleared, and bad values", async () => {
    expect(await refusal(() => upd({ action: 9 as ExperimentAction }))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "action: unknown action 9",
    });
    expect(await refusal(() => upd({}))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "nothing to update: give an action (PAUSE, RESUME, STOP) or a stop condition to set or clear",
    });
    for (const [extra, field] of [
      [{ maxTrials: 3, clearMaxTrials: true }, "max_trials"],
      [{ maxFailedTrials: 3, clearMaxFailedTrials: true }, "max_failed_trials"],
      [{ goal: 3, clearGoal: true }, "goal"],
      [{ deadline: new Date(START), clearDeadline: true }, "deadline"],
    ] as const)
      expect(await refusal(() => upd(extra))).toEqual({
        code: "INVALID_ARGUMENT",
        message: `${field}: both set and cleared (clear_${field}) in one request; choose one`,
      });
    expect(await refusal(() => upd({ maxTrials: 0 }))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "max_trials: must be a positive integer when set, got 0",
    });
    expect(await refusal(() => upd({ deadline: new Date(Number.NaN) }))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "deadline: not a valid timestamp",
    });
    expect(await refusal(() => h.optimizer.updateExperiment(update("none", { action: 1 })))).toMatchObject({
      code: "NOT_FOUND",
    });
    // Each of these alone is an update.
    for (const extra of [
      { clearMaxTrials: true },
      { clearMaxFailedTrials: true },
      { clearGoal: true },
      { clearDeadline: true },
    ])
      expect((await upd(extra)).name).toBe("u");
    expect((await h.optimizer.getExperiment("u")).state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
  });

  it("max_failed_trials completes it with FAILURES once reached, and clearing it re-opens it", async () => {
    await upd({ maxFailedTrials: 1 });
    const [t] = await h.optimizer.suggest(suggestReq("u"));
    await h.optimizer.report(fail(t!.id));
    expect((await h.optimizer.getExperiment("u")).completionReason).toBe(3);
    expect((await upd({ clearMaxFailedTrials: true })).state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
  });
});

describe("listing and deleting", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness({ limits: { maxPageSize: 3 } });
  });
  afterEach(() => h.close());

  it("ListExperiments pages in name order, 1 to 1000 a page", async () => {
    for (const n of ["c", "A", "d", "b"]) await h.optimizer.createExperiment(experiment(n));
    const p1 = await h.optimizer.listExperiments(3, "");
    expect(p1.experiments.map((e) => e.name)).toEqual(["A", "b", "c"]);
    const p2 = await h.optimizer.listExperiments(3, p1.nextPageToken);
    expect(p2.experiments.map((e) => e.name)).toEqual(["d"]);
    expect(p2.nextPageToken).toBe("");
    const exact = await h.optimizer.listExperiments(4, "");
    expect(exact.experiments).toHaveLength(4);
    expect(exact.nextPageToken).toBe("");
    expect((await h.optimizer.listExperiments(0, "")).experiments).toHaveLength(4);
    expect((await h.optimizer.listExperiments(1000, "")).experiments).toHaveLength(4);
    expect(await refusal(() => h.optimizer.listExperiments(1001, ""))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "page_size: must be between 1 and 1000, got 1001",
    });
  });

  it("ListExperiments cuts a page at the answer limit and goes on from there", async () => {
    await h.optimizer.createExperiment(experiment("a"));
    const size = Experiment.encode(await h.optimizer.getExperiment("a")).finish().length + 6;
    // Room for two experiments a page (each counted with 6 bytes of framing), not three.
    const small = await harness({ limits: { maxAnswerBytes: 3 * (size - 6) } });
    for (const n of ["a", "b", "c", "d", "e"]) await small.optimizer.createExperiment(experiment(n));
    const p1 = await small.optimizer.listExperiments(0, "");
    expect(p1.experiments.map((e) => e.name)).toEqual(["a", "b"]);
    const p2 = await small.optimizer.listExperiments(0, p1.nextPageToken);
    expect(p2.experiments.map((e) => e.name)).toEqual(["c", "d"]);
    const p3 = await small.optimizer.listExperiments(0, p2.nextPageToken);
    expect(p3.experiments.map((e) => e.name)).toEqual(["e"]);
    expect(p3.nextPageToken).toBe("");
    await small.close();
  });

  it("ListTrials pages in number order, filters by state and worker, within max_page_size", async () => {
    await h.optimizer.createExperiment(experiment("e"));
    const ts = await h.optimizer.suggest(suggestReq("e", 5, { workerId: "w1" }));
    await h.optimizer.suggest(suggestReq("e", 2, { workerId: "w2" }));
    await h.optimizer.report(ok(ts[1]!.id, 1));
    await h.optimizer.report(ok(ts[3]!.id, 1));
    const list = (extra: Partial<ListTrialsRequest>) =>
      h.optimizer.listTrials(ListTrialsRequest.fromPartial({ experiment: "e", ...extra }));
    const p1 = await list({ pageSize: 3 });
    expect(p1.trials.map((t) => t.number)).toEqual([0, 1, 2]);
    const p2 = await list({ pageSize: 3, pageToken: p1.nextPageToken });
    expect(p2.trials.map((t) => t.number)).toEqual([3, 4, 5]);
    const p3 = await list({ pageSize: 3, pageToken: p2.nextPageToken });
    expect(p3.trials.map((t) => t.number)).toEqual([6]);
    expect(p3.nextPageToken).toBe("");
    expect(await refusal(() => list({ pageSize: 4 }))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "page_size: must be between 1 and 3, got 4",
    });
    const done = await list({ states: [TrialState.TRIAL_STATE_COMPLETE] });
    expect(done.trials.map((t) => t.number)).toEqual([1, 3]);
    const w2 = await list({ workerId: "w2" });
    expect(w2.trials.map((t) => t.number)).toEqual([5, 6]);
    const w1 = await list({ workerId: "w1", pageSize: 2 });
    expect(w1.trials.map((t) => t.number)).toEqual([0, 1]);
    const w1b = await list({ workerId: "w1", pageSize: 2, pageToken: w1.nextPageToken });
    expect(w1b.trials.map((t) => t.number)).toEqual([2, 3]);
    const finished = await list({ workerId: "w1", states: [TrialState.TRIAL_STATE_COMPLETE] });
    expect(finished.trials.map((t) => t.number)).toEqual([1, 3]);
    expect(finished.nextPageToken).toBe("");
  });

  it("StreamTrials yields every matching trial that existed when it started, in number order", async () => {
    await h.optimizer.createExperiment(experiment("s"));
    const ts = await h.optimizer.suggest(suggestReq("s", 450));
    await h.optimizer.report(ok(ts[200]!.id, 1));
    const numbers: number[] = [];
    for await (const t of h.optimizer.streamTrials("s", [])) {
      numbers.push(t.number);
      if (numbers.length === 1) await h.optimizer.suggest(suggestReq("s", 2));
    }
    expect(numbers).toEqual([...Array(450).keys()]);
    const done: number[] = [];
    for await (const t of h.optimizer.streamTrials("s", [TrialState.TRIAL_STATE_COMPLETE])) done.push(t.number);
    expect(done).toEqual([200]);
  });

  it("DeleteExperiment removes it and its trials; the name can be used again", async () => {
    await h.optimizer.createExperiment(experiment("x", { maxTrials: 1 }));
    const [t] = await h.optimizer.suggest(suggestReq("x"));
    expect(await h.optimizer.experimentOfTrial(t!.id)).toBe("x");
    await h.optimizer.deleteExperiment("x");
    expect(await refusal(h.optimizer.getExperiment("x"))).toMatchObject({ code: "NOT_FOUND" });
    expect(await refusal(h.optimizer.getTrial(t!.id))).toMatchObject({ code: "NOT_FOUND" });
    expect(await h.optimizer.experimentOfTrial(t!.id)).toBeUndefined();
    expect((await h.optimizer.listExperiments(0, "")).experiments).toEqual([]);
    const again = await h.optimizer.createExperiment(experiment("x", { maxTrials: 2 }));
    expect(again.created).toBe(true);
    expect(again.experiment.trialCounts).toMatchObject({ running: 0 });
  });

  it("GetParetoFront refuses a front too large for one answer rather than cutting it", async () => {
    const small = await harness({ limits: { maxAnswerBytes: 150 } });
    const two = [
      { name: "a", direction: Direction.DIRECTION_MINIMIZE },
      { name: "b", direction: Direction.DIRECTION_MINIMIZE },
    ];
    await small.optimizer.createExperiment(experiment("mo", { objectives: two }));
    const [a] = await small.optimizer.suggest(suggestReq("mo"));
    const [b] = await small.optimizer.suggest(suggestReq("mo"));
    await small.optimizer.report(ok(a!.id, 0, { loss: undefined, values: [0, 1] }));
    expect(await small.optimizer.getParetoFront("mo")).toHaveLength(1);
    await small.optimizer.report(ok(b!.id, 0, { loss: undefined, values: [1, 0] }));
    expect(await refusal(small.optimizer.getParetoFront("mo"))).toMatchObject({
      code: "FAILED_PRECONDITION",
      message:
        'experiment "mo": its Pareto front of 2 trials does not fit in one answer (150 bytes); ' +
        "read the COMPLETE trials with ListTrials instead",
    });
    await small.close();
  });
});
