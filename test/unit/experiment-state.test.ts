/**
 * The compact in-memory history (trial-columns.ts, experiment-state.ts): the
 * columns hold what was put across chunk boundaries; the algorithms' view,
 * whether maintained in place or rebuilt after being dropped, is exactly the
 * observation of every non-WAITING trial; finished trials read back from
 * SQLite equal the rows that were put.
 */
import { describe, expect, it } from "vitest";
import type { Observation } from "../../src/algorithms/types.js";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { createRng } from "../../src/math/rng.js";
import { compileDefinition, definitionJson } from "../../src/service/use-cases/definition.js";
import { ExperimentState } from "../../src/service/state/experiment-state.js";
import { TrialColumns } from "../../src/service/state/trial-columns.js";
import { TRIAL_STATES } from "../../src/domain/trial-state.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS, type TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";

describe("TrialColumns", () => {
  it("holds ids, states, losses, steps and configurations across chunks", () => {
    const c = new TrialColumns(3);
    const n = 1300;
    for (let i = 0; i < n; i++) {
      c.append(10 + 3 * i, Float64Array.of(i, i % 7 === 0 ? Number.NaN : -i, 0.5));
      c.set(i, TRIAL_STATES[i % 6]!, i % 5 === 0 ? undefined : i / 10, i % 4 === 0 ? i : undefined);
    }
    expect(c.count).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(c.id(i)).toBe(10 + 3 * i);
      expect(c.numberOf(10 + 3 * i)).toBe(i);
      expect(c.numberOf(11 + 3 * i)).toBeUndefined();
      expect(c.state(i)).toBe(TRIAL_STATES[i % 6]);
      expect(c.loss(i)).toBe(i % 5 === 0 ? undefined : i / 10);
      expect(c.lastStep(i)).toBe(i % 4 === 0 ? i : undefined);
      expect([...c.config(i)]).toEqual([i, i % 7 === 0 ? Number.NaN : -i, 0.5]);
      expect(c.sameConfig(i, Float64Array.of(i, i % 7 === 0 ? Number.NaN : -i, 0.5))).toBe(true);
    }
    expect(c.sameConfig(7, Float64Array.of(7, -7, 0.5))).toBe(false);
    expect(c.sameConfig(0, Float64Array.of(0, Number.NaN))).toBe(false);
    // A copy is independent; a view is the column itself.
    c.config(5)[0] = 99;
    expect(c.configView(5)[0]).toBe(5);
    expect(() => c.id(n)).toThrow(RangeError);
    expect(() => c.append(1, new Float64Array(2))).toThrow();
  });
});

/** The observation of a row, written out independently of the implementation. */
function expectedObservation(t: TrialRow, sign: number): Observation | undefined {
  const state = t.state;
  if (state === "waiting") return undefined;
  const last = t.intermediate.at(-1);
  let loss: number | undefined;
  if (t.state === "complete" && t.loss !== null) loss = sign * t.loss;
  if (t.state === "pruned") {
    const v = t.loss ?? last?.[1];
    loss = v === undefined || Number.isNaN(v) ? undefined : sign * v;
  }
  return { number: t.number, config: t.config, state, loss, lastStep: last?.[0] };
}

describe("ExperimentState", () => {
  for (const maximize of [false, true]) {
    it(`keeps its view, in place or rebuilt, equal to the observations of its rows, and reads finished rows back (${maximize ? "maximise" : "minimise"})`, async () => {
      const store = await openSqliteStore({ path: ":memory:" });
      const def = compileDefinition(
        Experiment.fromPartial({
          name: "e",
          space: {
            parameters: ["a", "b"].map((name) => ({ name, domain: { $case: "uniform", value: { low: 0, high: 1 } } })),
          },
          direction: maximize ? Direction.DIRECTION_MAXIMIZE : Direction.DIRECTION_MINIMIZE,
          seed: 1,
        }),
      );
      const row = (await store.createExperiment("e", definitionJson(def.proto), 0)).value;
      const exp = new ExperimentState(row, def, store);
      const rows: TrialRow[] = [];
      const rng = createRng(5);
      const write = async (t: TrialRow, isNew: boolean) => {
        const w = await store.write(
          row.id,
          isNew ? { insert: [{ trial: t, params: exp.storedParams(t.config) }] } : { update: [t] },
        );
        if (isNew) t.id = w.value[0]!;
        exp.put(t);
        rows[t.number] = t;
      };
      exp.observationHistory(); // maintained in place from the start
      for (let step = 0; step < 1500; step++) {
        const r = rng.uniform();
        if (r < 0.6 || rows.length === 0) {
          const waiting = rng.uniform() < 0.2;
          const config = Float64Array.of(rng.uniform(), rng.uniform() < 0.1 ? Number.NaN : rng.uniform());
          const state = waiting ? "waiting" : (["running", "complete", "pruned", "fail"] as const)[rng.int(4)]!;
          const curve: [number, number][] =
            state === "pruned" && rng.uniform() < 0.7
              ? [
                  [1, rng.uniform()],
                  [4, rng.uniform() < 0.2 ? Number.NaN : rng.uniform()],
                ]
              : [];
          await write(
            {
              id: 0,
              experimentId: row.id,
              number: rows.length,
              state,
              source: "algorithm",
              config,
              loss:
                state === "complete" ? rng.uniform() : state === "pruned" && rng.uniform() < 0.3 ? rng.uniform() : null,
              metrics: rng.uniform() < 0.3 ? { m: rng.uniform() } : NO_NUMBERS,
              userAttrs: rng.uniform() < 0.3 ? { k: `v${step}` } : NO_STRINGS,
              workerId: `w${rng.int(3)}`,
              failReason: state === "fail" ? "boom" : "",
              createTime: step,
              startTime: waiting ? null : step,
              endTime: state === "complete" ? step + 1 : null,
              leaseDeadline: state === "running" ? step + 100 : null,
              intermediate: curve.length === 0 ? NO_POINTS : curve,
            },
            true,
          );
        } else {
          // Move a WAITING or RUNNING trial on, as Suggest, Report, lease expiry and ReleaseTrial (back to WAITING) do.
          const open = rows.filter((t) => t.state === "waiting" || t.state === "running");
          if (open.length === 0) continue;
          const t = open[rng.int(open.length)]!;
          const next =
            t.state === "waiting" ? "running" : (["complete", "fail", "lost", "waiting"] as const)[rng.int(4)]!;
          await write(
            {
              ...t,
              state: next,
              loss: next === "complete" ? rng.uniform() : null,
              endTime: next === "running" || next === "waiting" ? null : step,
            },
            false,
          );
        }
        if (step % 250 === 249) {
          const sign = maximize ? -1 : 1;
          const expected = rows.map((t) => expectedObservation(t, sign)).filter((o) => o !== undefined);
          expect(exp.observationHistory()).toEqual(expected);
          exp.dropAlgorithmState();
          expect(exp.observationHistory()).toEqual(expected);
        }
      }
      expect(exp.nextNumber).toBe(rows.length);
      const all = rows.map((t) => t.number);
      const read = await exp.rows(all);
      // Finished rows are read back from SQLite (an equal row, not the object that was put).
      expect(read).toEqual(rows);
      expect(read.some((t, i) => t !== rows[i])).toBe(true);
      for (const t of rows.filter((_, i) => i % 37 === 0)) expect(await exp.trialById(t.id)).toEqual(t);
      expect(await exp.trialById(rows.at(-1)!.id + 1)).toBeUndefined();
      for (const s of TRIAL_STATES) expect(exp.countOf(s)).toBe(rows.filter((t) => t.state === s).length);
      expect(exp.waiting).toEqual(rows.filter((t) => t.state === "waiting").map((t) => t.number));
      const sign = maximize ? -1 : 1;
      const complete = rows.filter((t) => t.state === "complete");
      const best = complete.reduce((a, b) => (sign * b.loss! < sign * a.loss! ? b : a));
      expect(exp.bestNumber()).toBe(best.number);
      expect(exp.hasConfig(rows[17]!.config)).toBe(true);
      expect(exp.hasConfig(Float64Array.of(2, 2))).toBe(false);
      await store.close();
    });
  }
});
