/**
 * TPE's last-suggestion memo (sampler.ts), which a lone one-trip worker's
 * next suggestion computed ahead relies on: a call whose inputs equal the
 * last call's gets the same configuration back without sampling, and any
 * difference TPE reads (a reported trial joining the good set, a moved
 * threshold, another trial number) is computed afresh, exactly as a fresh
 * session would.
 */
import { describe, expect, it } from "vitest";
import { TpeSession } from "../../src/algorithms/tpe/sampler.js";
import { parseTpeOptions } from "../../src/algorithms/tpe/options.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config } from "../../src/space/types.js";

const space = compileSpace({
  parameters: Array.from({ length: 3 }, (_, i) => ({
    name: `x${i}`,
    domain: { $case: "uniform" as const, value: { low: 0, high: 1, log: false } },
  })),
});
const options = parseTpeOptions({});
const lossOf = (c: Config) => c.reduce((s, x) => s + (x - 0.3) ** 2, 0);

/** 60 COMPLETE random trials and trial 60 RUNNING. */
function historyWithRunning(): { history: Observation[]; running: Observation } {
  const rng = createRng(11);
  const history: Observation[] = [];
  for (let n = 0; n <= 60; n++) {
    const config = Float64Array.from({ length: 3 }, () => rng.uniform());
    history.push({
      number: n,
      config,
      state: n < 60 ? "complete" : "running",
      loss: n < 60 ? lossOf(config) : undefined,
      lastStep: undefined,
    });
  }
  return { history, running: history[60]! };
}

function reported(history: Observation[], running: Observation, loss: number): Observation[] {
  return history.map((o) => (o === running ? { ...o, state: "complete", loss } : o));
}

const suggest = (s: TpeSession, h: readonly Observation[]) =>
  Array.from(s.suggest(h, createRng(5, 61), { seed: 5, trialNumber: 61 }));

describe("TPE's last-suggestion memo", () => {
  it("hands back the suggestion computed ahead when the reported trial joins the bad set", () => {
    const { history, running } = historyWithRunning();
    const ahead = new TpeSession(space, options);
    suggest(
      ahead,
      history.map((o) => (o === running ? { ...o, state: "complete", loss: Infinity } : o)),
    );
    const real = reported(history, running, 5); // worse than every trial: the bad set
    const got = suggest(ahead, real);
    expect(ahead.memoHits).toBe(1);
    expect(got).toEqual(suggest(new TpeSession(space, options), real));
  });

  it("computes afresh when the report changes the good set or the trial number", () => {
    const { history, running } = historyWithRunning();
    const ahead = new TpeSession(space, options);
    suggest(
      ahead,
      history.map((o) => (o === running ? { ...o, state: "complete", loss: Infinity } : o)),
    );
    const best = reported(history, running, -1); // the best yet: the good set
    const got = suggest(ahead, best);
    expect(ahead.memoHits).toBe(0);
    expect(got).toEqual(suggest(new TpeSession(space, options), best));
    // The same inputs for another trial number (another random stream): not the memo's.
    const other = Array.from(ahead.suggest(best, createRng(5, 62), { seed: 5, trialNumber: 62 }));
    expect(ahead.memoHits).toBe(0);
    expect(other).toEqual(Array.from(new TpeSession(space, options).suggest(best, createRng(5, 62))));
  });

  it("keeps nothing without a context", () => {
    const { history, running } = historyWithRunning();
    const s = new TpeSession(space, options);
    const real = reported(history, running, 5);
    s.suggest(real, createRng(5, 61));
    s.suggest(real, createRng(5, 61));
    expect(s.memoHits).toBe(0);
  });
});
