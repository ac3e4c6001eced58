/**
 * The Store contract (src/store/store.ts): one suite that every storage
 * backend must pass, run by a small file per backend (sqlite.test.ts) that
 * supplies a harness. Each test states one documented promise: experiments
 * (unique names, code-point order, paging, cascading delete), trials (whole
 * round trips, ids, numbers, updates of mutable fields only, range reads),
 * learning curves, the request log, atomic units, the change feed and
 * version-checked units (stores that offer them), rollback notification and
 * durability across a reopen. It uses nothing but the interface, so a
 * backend passes it by behaving, not by sharing code.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { TRIAL_STATES } from "../../src/domain/trial-state.js";
import type { TrialSource } from "../../src/domain/trial-source.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type StoredParams, type TrialRow } from "../../src/store/rows.js";
import type { Store, Unit } from "../../src/store/store.js";

export interface StoreHarness {
  /** The store under test; a new object after `reopen`. */
  readonly store: Store;
  /** Closes the store and opens the same data again. */
  reopen(): Promise<void>;
  /**
   * Makes the commit of the units applied in the current event-loop turn
   * fail. Called right after a write, in the same turn. Backends that cannot
   * inject a failure leave it out and declare so (StoreCapabilities), and the
   * rollback test is not registered for them.
   */
  breakCommit?(): void;
  dispose(): Promise<void>;
}

/** Configurations of two parameters, "a" and "b" (NaN: inactive). */
const toConfig = (p: StoredParams): Float64Array => Float64Array.of(p.a ?? Number.NaN, p.b ?? Number.NaN);
const paramsOf = (c: Float64Array): StoredParams => {
  const p: StoredParams = {};
  if (!Number.isNaN(c[0]!)) p.a = c[0]!;
  if (!Number.isNaN(c[1]!)) p.b = c[1]!;
  return p;
};

function trial(experimentId: number, number: number, fields: Partial<TrialRow> = {}): TrialRow {
  return {
    id: 0,
    experimentId,
    number,
    state: "running",
    source: "algorithm",
    config: Float64Array.of(number / 10, Number.NaN),
    loss: null,
    metrics: NO_NUMBERS,
    userAttrs: NO_STRINGS,
    workerId: "w",
    failReason: "",
    createTime: 1000 + number,
    startTime: 1000 + number,
    endTime: null,
    leaseDeadline: 9000 + number,
    intermediate: NO_POINTS,
    ...fields,
  };
}

const inserts = (...trials: TrialRow[]): Unit => ({
  insert: trials.map((t) => ({ trial: t, params: paramsOf(t.config) })),
});

/** The ParzenError code a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof ParzenError ? err.code : `not a ParzenError: ${String(err)}`;
  }
  return "resolved";
}

/**
 * What a backend offers beyond the core contract, declared up front so the
 * suite registers only the tests that apply (a skipped test would fail a CI
 * run that requires every test to run), and checked against the harness.
 */
export interface StoreCapabilities {
  /** `Store.feed`: a change feed and version-checked units (stores several servers may share). */
  readonly feed: boolean;
  /** `StoreHarness.breakCommit`: the harness can make a commit fail. */
  readonly breakCommit: boolean;
}

export function storeContract(
  backend: string,
  open: () => Promise<StoreHarness>,
  capabilities: StoreCapabilities,
): void {
  describe(`Store contract: ${backend}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.dispose();
    });

    it("offers exactly the capabilities its test file declares", () => {
      expect({ feed: h.store.feed !== undefined, breakCommit: h.breakCommit !== undefined }).toEqual(capabilities);
    });

    /** Creates an experiment (durably) and returns its id. */
    const experiment = async (name: string): Promise<number> => {
      const w = await h.store.createExperiment(name, `{"name":${JSON.stringify(name)}}`, 7);
      await w.durable;
      return w.value.id;
    };
    /** Inserts trials (durably), setting their ids; returns them. */
    const insert = async (experimentId: number, ...trials: TrialRow[]): Promise<TrialRow[]> => {
      const w = await h.store.write(experimentId, inserts(...trials));
      await w.durable;
      w.value.forEach((id, i) => {
        trials[i]!.id = id;
      });
      return trials;
    };
    const load = (experimentId: number, from = 0, limit = 1_000_000) =>
      h.store.loadTrials(experimentId, from, limit, toConfig);

    describe("experiments", () => {
      it("creates experiments and finds them by name and by id", async () => {
        const w = await h.store.createExperiment("first", '{"x":1}', 123);
        await w.durable;
        expect(w.value).toEqual({
          id: w.value.id,
          name: "first",
          definition: '{"x":1}',
          createTime: 123,
          lifecycle: null,
        });
        expect(w.value.id).toBeGreaterThan(0);
        expect(await h.store.experimentByName("first")).toEqual(w.value);
        expect(await h.store.experimentById(w.value.id)).toEqual(w.value);
        expect(await h.store.experimentByName("First")).toBeUndefined();
        expect(await h.store.experimentById(w.value.id + 1000)).toBeUndefined();
      });

      it("refuses a taken name with ALREADY_EXISTS and keeps the first", async () => {
        await h.store.createExperiment("dup", "one", 1);
        expect(await codeOf(h.store.createExperiment("dup", "two", 2))).toBe("ALREADY_EXISTS");
        expect((await h.store.experimentByName("dup"))?.definition).toBe("one");
        expect((await h.store.listExperiments("", 10)).map((e) => e.name)).toEqual(["dup"]);
      });

      it("lists by name in code-point order, strictly after a name, in pages", async () => {
        const names = ["b", "a", "B", "é", "a b", "aa", "Z", "0"];
        for (const n of names) await experiment(n);
        const sorted = [...names].sort();
        expect((await h.store.listExperiments("", 100)).map((e) => e.name)).toEqual(sorted);
        const paged: string[] = [];
        for (let after = ""; ; ) {
          const page = await h.store.listExperiments(after, 3);
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) break;
          paged.push(...page.map((e) => e.name));
          after = page[page.length - 1]!.name;
        }
        expect(paged).toEqual(sorted);
        expect((await h.store.listExperiments("a", 2)).map((e) => e.name)).toEqual(["a b", "aa"]);
      });

      it("deletes an experiment with its trials, curves and request log, and nothing else", async () => {
        const gone = await experiment("gone");
        const kept = await experiment("kept");
        const [g] = await insert(gone, trial(gone, 0, { intermediate: [[1, 0.5]] }));
        const [k] = await insert(kept, trial(kept, 0, { intermediate: [[1, 0.25]] }));
        const createTime = 5;
        await (
          await h.store.write(gone, { request: { method: "Suggest", requestId: "r", trialIds: [g!.id], createTime } })
        ).durable;
        await (
          await h.store.write(kept, { request: { method: "Suggest", requestId: "k", trialIds: [k!.id], createTime } })
        ).durable;
        const w = await h.store.deleteExperiment(gone);
        await w.durable;
        expect(w.value).toBe(true);
        expect(await h.store.experimentById(gone)).toBeUndefined();
        expect(await h.store.experimentByName("gone")).toBeUndefined();
        expect(await h.store.experimentOfTrial(g!.id)).toBeUndefined();
        expect(await load(gone)).toEqual([]);
        expect(await h.store.findRequest("Suggest", "r")).toBeUndefined();
        expect(await load(kept)).toEqual([k]);
        expect(await h.store.findRequest("Suggest", "k")).toEqual({ experimentId: kept, trialIds: [k!.id] });
        expect((await h.store.deleteExperiment(gone)).value).toBe(false);
        expect(await codeOf(h.store.write(gone, inserts(trial(gone, 1))))).toBe("NOT_FOUND");
      });
    });

    describe("trials", () => {
      it("stores trials whole: every state, source and field round-trips", async () => {
        const e = await experiment("e");
        const sources: TrialSource[] = ["algorithm", "enqueued", "imported"];
        const trials = TRIAL_STATES.map((state, i) =>
          trial(e, i, {
            state,
            source: sources[i % 3]!,
            config: Float64Array.of(i === 2 ? Number.NaN : 0.125 * i, i % 2 === 0 ? -3 : Number.NaN),
            loss: i % 2 === 0 ? null : i - 2.5,
            metrics: i === 3 ? { acc: 0.9, "odd key": -1e300 } : NO_NUMBERS,
            userAttrs: i === 4 ? { note: "héllo ✓", empty: "" } : NO_STRINGS,
            workerId: i === 5 ? "" : `worker-${i}`,
            failReason: state === "fail" ? "out of memory" : "",
            startTime: i === 0 ? null : 2000 + i,
            endTime: i > 1 ? 3000 + i : null,
            leaseDeadline: state === "running" ? 4000 : null,
            intermediate:
              i === 3
                ? [
                    [0, 1.5],
                    [2, Number.NaN],
                    [7, -0.25],
                  ]
                : NO_POINTS,
          }),
        );
        await insert(e, ...trials);
        expect(await load(e)).toEqual(trials);
        expect(await h.store.experimentOfTrial(trials[4]!.id)).toBe(e);
        expect(await h.store.experimentOfTrial(trials[5]!.id + 1000)).toBeUndefined();
      });

      it("assigns ids that grow with insertion, within a unit, across units and beside other experiments", async () => {
        const a = await experiment("a");
        const b = await experiment("b");
        const ids: Record<number, number[]> = { [a]: [], [b]: [] };
        for (let round = 0; round < 4; round++) {
          for (const e of [a, b]) {
            const n = ids[e]!.length;
            const w = await h.store.write(e, inserts(trial(e, n), trial(e, n + 1), trial(e, n + 2)));
            ids[e]!.push(...w.value);
          }
        }
        const c = await experiment("c");
        await insert(c, trial(c, 0), trial(c, 1));
        await (await h.store.deleteExperiment(c)).durable;
        ids[a]!.push(...(await h.store.write(a, inserts(trial(a, 12)))).value);
        for (const e of [a, b]) {
          const list = ids[e]!;
          expect(list.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
          for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]!);
        }
        expect(new Set([...ids[a]!, ...ids[b]!]).size).toBe(ids[a]!.length + ids[b]!.length);
      });

      it("refuses a taken trial number with ALREADY_EXISTS, undoing the whole unit", async () => {
        const e = await experiment("e");
        await insert(e, trial(e, 0));
        expect(await codeOf(h.store.write(e, inserts(trial(e, 1), trial(e, 0))))).toBe("ALREADY_EXISTS");
        expect((await load(e)).map((t) => t.number)).toEqual([0]);
        // The same number in another experiment is fine.
        const f = await experiment("f");
        expect((await insert(f, trial(f, 0)))[0]!.id).toBeGreaterThan(0);
      });

      it("refuses writes to an experiment that does not exist with NOT_FOUND", async () => {
        const e = await experiment("e");
        const [t] = await insert(e, trial(e, 0));
        const missing = e + 1000;
        expect(await codeOf(h.store.write(missing, inserts(trial(missing, 0))))).toBe("NOT_FOUND");
        expect(await codeOf(h.store.write(missing, { update: [t!] }))).toBe("NOT_FOUND");
        expect(
          await codeOf(
            h.store.write(missing, { request: { method: "Suggest", requestId: "x", trialIds: [], createTime: 1 } }),
          ),
        ).toBe("NOT_FOUND");
        expect(await h.store.findRequest("Suggest", "x")).toBeUndefined();
      });

      it("stores objective values and constraints (issue 20): inserted, updated and read back, by range too", async () => {
        const e = await experiment("e");
        const [a, b, c] = await insert(
          e,
          trial(e, 0, { state: "complete", values: [0.5, -1e300, 3], constraints: [0, -2.5] }),
          trial(e, 1, { state: "complete", loss: 0.25, constraints: [1] }),
          trial(e, 2),
        );
        const done: TrialRow = { ...c!, state: "complete", values: [1, 2], constraints: [-1, 0.5], endTime: 5 };
        await (await h.store.write(e, { update: [done] })).durable;
        const loaded = await load(e);
        expect(loaded.map((t) => [t.values ?? [], t.constraints ?? []])).toEqual([
          [
            [0.5, -1e300, 3],
            [0, -2.5],
          ],
          [[], [1]],
          [
            [1, 2],
            [-1, 0.5],
          ],
        ]);
        expect(loaded).toEqual([a, b, done]);
        const read = await h.store.readTrials(e, 0, 2, false, (n) => loaded[n]!.config);
        expect(read).toEqual([a, b, done]);
        await h.reopen();
        expect(await load(e)).toEqual([a, b, done]);
      });

      it("stores the algorithm that proposed a trial (issue 21): set on insert, kept by updates and reopens", async () => {
        const e = await experiment("e");
        const [a, b] = await insert(
          e,
          trial(e, 0, { state: "running", proposedBy: "gp" }),
          trial(e, 1, { state: "waiting", source: "enqueued" }),
        );
        expect([a!.proposedBy, b!.proposedBy]).toEqual(["gp", undefined]);
        const done: TrialRow = { ...a!, state: "complete", loss: 1, endTime: 5 };
        await (await h.store.write(e, { update: [done] })).durable;
        expect(await load(e)).toEqual([done, b]);
        expect(await h.store.readTrials(e, 0, 1, false, (n) => [done, b!][n]!.config)).toEqual([done, b]);
        await h.reopen();
        expect((await load(e)).map((t) => t.proposedBy)).toEqual(["gp", undefined]);
      });

      it("rewrites a trial's mutable fields and nothing else", async () => {
        const e = await experiment("e");
        const [t] = await insert(e, trial(e, 0, { intermediate: [[1, 2]] }));
        const changed: TrialRow = {
          ...t!,
          state: "complete",
          loss: 0.75,
          metrics: { m: 1 },
          userAttrs: { k: "v" },
          workerId: "other",
          failReason: "why",
          startTime: 11,
          endTime: 12,
          leaseDeadline: null,
        };
        // Fields that never change are ignored if given.
        const attempt = {
          ...changed,
          number: 5,
          source: "imported" as const,
          createTime: 1,
          config: Float64Array.of(9, 9),
          intermediate: NO_POINTS,
        };
        await (await h.store.write(e, { update: [attempt] })).durable;
        expect(await load(e)).toEqual([changed]);
      });

      it("refuses to update a trial that is not the experiment's (NOT_FOUND), undoing the whole unit", async () => {
        const e = await experiment("e");
        const f = await experiment("f");
        const [t] = await insert(e, trial(e, 0));
        const [u] = await insert(f, trial(f, 0));
        const unit: Unit = {
          ...inserts(trial(e, 1)),
          update: [
            { ...t!, state: "lost" },
            { ...u!, state: "lost" },
          ],
        };
        expect(await codeOf(h.store.write(e, unit))).toBe("NOT_FOUND");
        // The message names the trial that is not the experiment's.
        const refused = await h.store.write(e, unit).catch((err: unknown) => err);
        expect((refused as Error).message).toMatch(new RegExp(`^trial ${u!.id} of experiment ${e} does not exist`));
        expect(await codeOf(h.store.write(e, { update: [{ ...t!, id: u!.id + 1000 }] }))).toBe("NOT_FOUND");
        expect(await load(e)).toEqual([t]);
        expect(await load(f)).toEqual([u]);
      });

      it("pages through a history with loadTrials", async () => {
        const e = await experiment("e");
        const all = await insert(e, ...Array.from({ length: 25 }, (_, n) => trial(e, n)));
        expect(await load(e, 0, 10)).toEqual(all.slice(0, 10));
        expect(await load(e, 10, 10)).toEqual(all.slice(10, 20));
        expect(await load(e, 20, 10)).toEqual(all.slice(20));
        expect(await load(e, 25, 10)).toEqual([]);
        expect(await load(e, 7, 1)).toEqual([all[7]]);
      });

      it("reads ranges without parameters, from the caller's configurations, with curves only when asked", async () => {
        const e = await experiment("e");
        const all = await insert(
          e,
          ...Array.from({ length: 6 }, (_, n) => trial(e, n, n === 3 ? { intermediate: [[4, 0.5]] } : {})),
        );
        const asked: number[] = [];
        const configOf = (n: number) => {
          asked.push(n);
          return Float64Array.of(n, n);
        };
        const read = await h.store.readTrials(e, 2, 4, true, configOf);
        expect(asked).toEqual([2, 3, 4]);
        expect(read).toEqual(all.slice(2, 5).map((t) => ({ ...t, config: Float64Array.of(t.number, t.number) })));
        const noCurves = await h.store.readTrials(e, 3, 3, false, configOf);
        expect(noCurves[0]!.intermediate).toEqual([]);
        expect(await h.store.readTrials(e, 5, 99, false, configOf)).toHaveLength(1);
        expect(await h.store.readTrials(e + 1000, 0, 99, true, configOf)).toEqual([]);
      });
    });

    describe("learning curves", () => {
      it("records points in step order; a repeated step keeps its first value; NaN survives", async () => {
        const e = await experiment("e");
        const [t] = await insert(e, trial(e, 0, { intermediate: [[0, 9]] }));
        const id = t!.id;
        await (
          await h.store.write(e, {
            points: [
              { trialId: id, step: 3, value: 0.3 },
              { trialId: id, step: 1, value: Number.NaN },
              { trialId: id, step: 0, value: 42 },
            ],
          })
        ).durable;
        await (await h.store.write(e, { points: [{ trialId: id, step: 3, value: 99 }] })).durable;
        expect((await load(e))[0]!.intermediate).toEqual([
          [0, 9],
          [1, Number.NaN],
          [3, 0.3],
        ]);
      });

      it("refuses points for a trial that is not the experiment's (NOT_FOUND), undoing the whole unit", async () => {
        const e = await experiment("e");
        const f = await experiment("f");
        const [t] = await insert(e, trial(e, 0));
        const [u] = await insert(f, trial(f, 0));
        const unit: Unit = {
          points: [
            { trialId: t!.id, step: 1, value: 1 },
            { trialId: u!.id, step: 1, value: 1 },
          ],
        };
        expect(await codeOf(h.store.write(e, unit))).toBe("NOT_FOUND");
        expect((await load(e))[0]!.intermediate).toEqual([]);
        expect((await load(f))[0]!.intermediate).toEqual([]);
      });
    });

    describe("request log", () => {
      it("logs a call under (method, request id), with trial ids that withIds can name", async () => {
        const e = await experiment("e");
        const [old] = await insert(e, trial(e, 0, { state: "waiting" }));
        const w = await h.store.write(e, {
          ...inserts(trial(e, 1), trial(e, 2)),
          update: [{ ...old!, state: "running" }],
          withIds: (ids) => ({
            request: { method: "Suggest", requestId: "req-1", trialIds: [old!.id, ...ids], createTime: 3 },
          }),
        });
        await w.durable;
        expect(await h.store.findRequest("Suggest", "req-1")).toEqual({
          experimentId: e,
          trialIds: [old!.id, ...w.value],
        });
        expect(await h.store.findRequest("Suggest", "req-2")).toBeUndefined();
        expect(await h.store.findRequest("Report", "req-1")).toBeUndefined();
        const other = { method: "Report", requestId: "req-1", trialIds: [], createTime: 4 };
        await (await h.store.write(e, { request: other })).durable;
        expect(await h.store.findRequest("Report", "req-1")).toEqual({ experimentId: e, trialIds: [] });
      });

      it("logs the ids of the unit's new trials after the given ones with withInserted, in insert order", async () => {
        const e = await experiment("e");
        const [old] = await insert(e, trial(e, 0, { state: "waiting" }));
        const request = { method: "Suggest", requestId: "r", trialIds: [old!.id], withInserted: true, createTime: 3 };
        // Inserted out of number order: the log follows the unit's order, as the ids it returns do.
        const w = await h.store.write(e, {
          ...inserts(trial(e, 2), trial(e, 1)),
          update: [{ ...old!, state: "running" }],
          request,
        });
        await w.durable;
        expect(await h.store.findRequest("Suggest", "r")).toEqual({ experimentId: e, trialIds: [old!.id, ...w.value] });
        const alone = await h.store.write(e, { request: { ...request, requestId: "s", trialIds: [] } });
        await alone.durable;
        expect(await h.store.findRequest("Suggest", "s")).toEqual({ experimentId: e, trialIds: [] });
        // Beside writes that need the new ids too.
        const linked = await h.store.write(e, {
          ...inserts(trial(e, 3)),
          request: { ...request, requestId: "t", trialIds: [] },
          withIds: ([id]) => ({ update: [{ ...old!, state: "lost", userAttrs: { retried_as: String(id) } }] }),
        });
        await linked.durable;
        expect(await h.store.findRequest("Suggest", "t")).toEqual({ experimentId: e, trialIds: linked.value });
      });

      it("refuses a request id already logged for the method (ALREADY_EXISTS), undoing the whole unit", async () => {
        const e = await experiment("e");
        const f = await experiment("f");
        const request = { method: "Suggest", requestId: "once", trialIds: [], createTime: 1 };
        await (await h.store.write(e, { request })).durable;
        expect(await codeOf(h.store.write(f, { ...inserts(trial(f, 0)), request }))).toBe("ALREADY_EXISTS");
        expect(await load(f)).toEqual([]);
        expect(await h.store.findRequest("Suggest", "once")).toEqual({ experimentId: e, trialIds: [] });
      });
    });

    describe("experiment lifecycle (Unit.lifecycle)", () => {
      it("replaces an experiment's lifecycle text, seen by every read, and keeps it across a reopen", async () => {
        const e = await experiment("e");
        const other = await experiment("other");
        expect((await h.store.experimentById(e))!.lifecycle).toBeNull();
        await (await h.store.write(e, { lifecycle: '{"paused":true}' })).durable;
        expect((await h.store.experimentByName("e"))!.lifecycle).toBe('{"paused":true}');
        await (await h.store.write(e, { lifecycle: '{"stopped":true}' })).durable;
        await h.reopen();
        expect((await h.store.experimentById(e))!.lifecycle).toBe('{"stopped":true}');
        expect((await h.store.listExperiments("", 10)).map((r) => [r.name, r.lifecycle])).toEqual([
          ["e", '{"stopped":true}'],
          ["other", null],
        ]);
        expect(other).not.toBe(e);
      });

      it("writes the lifecycle in the same unit as trials: a failure undoes both", async () => {
        const e = await experiment("e");
        const [t] = await insert(e, trial(e, 0));
        const ok = await h.store.write(e, { update: [{ ...t!, state: "complete", loss: 2 }], lifecycle: "a" });
        await ok.durable;
        expect((await load(e))[0]!.state).toBe("complete");
        expect((await h.store.experimentById(e))!.lifecycle).toBe("a");
        const bad = h.store.write(e, { ...inserts(trial(e, 0)), lifecycle: "b" });
        expect(await codeOf(bad)).toBe("ALREADY_EXISTS");
        expect((await h.store.experimentById(e))!.lifecycle).toBe("a");
      });

      it("keeps the lifecycle through units that do not set one", async () => {
        const e = await experiment("e");
        await (await h.store.write(e, { lifecycle: '{"paused":true}' })).durable;
        const [t] = await insert(e, trial(e, 0));
        await (await h.store.write(e, { update: [{ ...t!, state: "complete", loss: 1 }] })).durable;
        await (await h.store.write(e, {})).durable;
        expect((await h.store.experimentById(e))!.lifecycle).toBe('{"paused":true}');
      });

      it("refuses a lifecycle for an experiment that does not exist with NOT_FOUND", async () => {
        const e = await experiment("e");
        expect(await codeOf(h.store.write(e + 1000, { lifecycle: "x" }))).toBe("NOT_FOUND");
        expect((await h.store.experimentById(e))!.lifecycle).toBeNull();
      });
    });

    describe("units", () => {
      it("applies a unit atomically: a failure in any part undoes all of it", async () => {
        const e = await experiment("e");
        const [t] = await insert(e, trial(e, 0));
        const boom = new Error("boom");
        const unit: Unit = {
          ...inserts(trial(e, 1), trial(e, 2)),
          update: [{ ...t!, state: "complete", loss: 1 }],
          points: [{ trialId: t!.id, step: 0, value: 1 }],
          request: { method: "Suggest", requestId: "r", trialIds: [], createTime: 1 },
          withIds: () => {
            throw boom;
          },
        };
        await expect(h.store.write(e, unit)).rejects.toBe(boom);
        expect(await load(e)).toEqual([t]);
        expect(await h.store.findRequest("Suggest", "r")).toBeUndefined();
      });

      it("writes that need the new ids (withIds) are part of the same unit", async () => {
        const e = await experiment("e");
        const [lost] = await insert(e, trial(e, 0, { state: "lost" }));
        const w = await h.store.write(e, {
          ...inserts(trial(e, 1, { state: "waiting", source: "enqueued" })),
          withIds: ([retry]) => ({
            update: [{ ...lost!, userAttrs: { retried_as: String(retry) } }],
            points: [{ trialId: retry!, step: 0, value: 1 }],
          }),
        });
        await w.durable;
        const [l, r] = await load(e);
        expect(l!.userAttrs).toEqual({ retried_as: String(w.value[0]) });
        expect(r!.id).toBe(w.value[0]);
        expect(r!.intermediate).toEqual([[0, 1]]);
      });

      it("a unit that fails leaves the units written beside it alone", async () => {
        const e = await experiment("e");
        // Three writes in one moment: a backend that groups commits puts them in one group.
        const ok1 = h.store.write(e, inserts(trial(e, 0)));
        const bad = h.store.write(e, inserts(trial(e, 0)));
        const ok2 = h.store.write(e, inserts(trial(e, 1)));
        expect(await codeOf(bad)).toBe("ALREADY_EXISTS");
        await (await ok1).durable;
        await (await ok2).durable;
        await h.reopen();
        expect((await load(e)).map((t) => t.number)).toEqual([0, 1]);
      });

      it("a write is visible to every read as soon as it resolves", async () => {
        const w = await h.store.createExperiment("seen", "d", 1);
        expect(await h.store.experimentByName("seen")).toEqual(w.value);
        const e = w.value.id;
        const t = await h.store.write(e, inserts(trial(e, 0)));
        expect((await load(e)).map((r) => r.id)).toEqual(t.value);
        expect(await h.store.experimentOfTrial(t.value[0]!)).toBe(e);
        await Promise.all([w.durable, t.durable]);
      });

      it("an empty unit writes nothing and succeeds", async () => {
        const e = await experiment("e");
        const w = await h.store.write(e, {});
        expect(w.value).toEqual([]);
        await w.durable;
        expect(await load(e)).toEqual([]);
      });
    });

    if (capabilities.feed)
      describe("change feed (stores that several servers may share: Store.feed)", () => {
        const insert = (...trials: TrialRow[]) => inserts(...trials);
        it("every unit bumps the version; changesSince returns the trials written after it, whole", async () => {
          const feed = h.store.feed!;
          const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
          expect(await feed.changesSince(e, 0, toConfig)).toEqual({ version: 0, trials: [], lifecycle: null });
          const w1 = await h.store.write(e, insert(trial(e, 0), trial(e, 1)));
          expect(w1.version).toBe(1);
          const [id0, id1] = w1.value;
          const v1 = await feed.changesSince(e, 0, toConfig);
          expect(v1?.version).toBe(1);
          expect(v1?.trials.map((t) => t.id)).toEqual([id0, id1]);
          const w2 = await h.store.write(e, { points: [{ trialId: id1!, step: 3, value: 0.5 }] });
          expect(w2.version).toBe(2);
          const w3 = await h.store.write(e, {
            update: [{ ...trial(e, 0), id: id0!, state: "complete", loss: 2, endTime: 5 }],
          });
          expect(w3.version).toBe(3);
          const since1 = await feed.changesSince(e, 1, toConfig);
          expect(since1?.version).toBe(3);
          expect(since1?.trials.map((t) => [t.number, t.state, t.loss, t.intermediate])).toEqual([
            [0, "complete", 2, []],
            [1, "running", null, [[3, 0.5]]],
          ]);
          expect((await feed.changesSince(e, 3, toConfig))?.trials).toEqual([]);
          // A unit that only changes the lifecycle is a change too, seen with the version it made.
          const w4 = await h.store.write(e, { lifecycle: '{"paused":true}' });
          expect(await feed.changesSince(e, 3, toConfig)).toEqual({
            version: w4.version,
            trials: [],
            lifecycle: '{"paused":true}',
          });
          await h.store.deleteExperiment(e);
          expect(await feed.changesSince(e, 0, toConfig)).toBeUndefined();
        });

        it("expectVersion: a unit computed from a stale history is refused with ABORTED and writes nothing", async () => {
          const e = (await h.store.createExperiment("e", "{}", 1)).value.id;
          await h.store.write(e, { ...insert(trial(e, 0)), expectVersion: 0 });
          const stale = await h.store.write(e, { ...insert(trial(e, 1)), expectVersion: 0 }).then(
            () => undefined,
            (err: unknown) => err,
          );
          expect(stale).toBeInstanceOf(ParzenError);
          expect((stale as ParzenError).code).toBe("ABORTED");
          expect((stale as ParzenError).message).toMatch(/changed on another server: .* at version 1, not 0/);
          expect((await load(e)).map((t) => t.number)).toEqual([0]);
          expect((await h.store.write(e, { ...insert(trial(e, 1)), expectVersion: 1 })).version).toBe(2);
        });
      });

    describe("durability", () => {
      it("keeps every durable write across a reopen", async () => {
        const e = await experiment("e");
        const trials = Array.from({ length: 40 }, (_, n) =>
          trial(e, n, { state: n % 3 === 0 ? "complete" : "running", loss: n % 3 === 0 ? n : null }),
        );
        const writes = await Promise.all(trials.map((t) => h.store.write(e, inserts(t))));
        await Promise.all(writes.map((w) => w.durable));
        writes.forEach((w, i) => {
          trials[i]!.id = w.value[0]!;
        });
        await (await h.store.write(e, { points: [{ trialId: trials[1]!.id, step: 2, value: 0.5 }] })).durable;
        trials[1]!.intermediate = [[2, 0.5]];
        await h.reopen();
        expect(await load(e)).toEqual(trials);
        expect((await h.store.experimentByName("e"))?.id).toBe(e);
      });

      it("durable() settles once everything applied so far is committed", async () => {
        const e = await experiment("e");
        await expect(h.store.durable()).resolves.toBeUndefined();
        const w = await h.store.write(e, inserts(trial(e, 0)));
        let committed = false;
        void w.durable.then(() => {
          committed = true;
        });
        await h.store.durable();
        await Promise.resolve();
        expect(committed).toBe(true);
      });

      it("close() commits what was applied", async () => {
        const e = await experiment("e");
        const w = await h.store.write(e, inserts(trial(e, 0)));
        await h.reopen();
        await w.durable;
        expect((await load(e)).map((t) => t.id)).toEqual(w.value);
      });

      if (capabilities.breakCommit)
        it("a failed commit loses its units, tells the rollback listeners, then rejects their durables", async () => {
          const e = await experiment("e");
          const [kept] = await insert(e, trial(e, 0));
          const events: string[] = [];
          h.store.onRollback(() => events.push("rollback"));
          const a = await h.store.write(e, inserts(trial(e, 1)));
          h.breakCommit!();
          const b = await h.store.write(e, { update: [{ ...kept!, state: "complete", loss: 1 }] });
          const outcomes = [a, b].map((w) =>
            w.durable.then(
              () => "committed",
              (err: unknown) => {
                events.push("rejected");
                return err instanceof ParzenError ? err.code : String(err);
              },
            ),
          );
          expect(await codeOf(h.store.durable())).toBe("UNAVAILABLE");
          expect(await Promise.all(outcomes)).toEqual(["UNAVAILABLE", "UNAVAILABLE"]);
          expect(events).toEqual(["rollback", "rejected", "rejected"]);
          expect(await load(e)).toEqual([kept]);
          // The store goes on working.
          const c = await h.store.write(e, inserts(trial(e, 1)));
          await c.durable;
          await h.reopen();
          expect((await load(e)).map((t) => t.number)).toEqual([0, 1]);
        });
    });
  });
}
