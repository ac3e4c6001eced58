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
import { goodSetSize } from "../../src/algorithms/tpe/split.js";
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

/** `history` with `running` reported worse than every trial: what the service computes ahead from. */
const asWorst = (history: Observation[], running: Observation): Observation[] =>
  history.map((o) => (o === running ? { ...o, state: "complete", loss: Infinity } : o));

/** `h` with entry i replaced (a new array). */
const replaced = (h: readonly Observation[], i: number, o: Observation): Observation[] =>
  h.map((x, k) => (k === i ? o : x));

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

  it("decides the one-trip loop's common case without splitting the history again", () => {
    const { history, running } = historyWithRunning();
    const ahead = new TpeSession(space, options);
    suggest(ahead, asWorst(history, running));
    const real = reported(history, running, 5);
    const got = suggest(ahead, real);
    expect(ahead.quickHits).toBe(1);
    expect(got).toEqual(suggest(new TpeSession(space, options), real));
  });

  it("hands back the suggestion computed ahead exactly when the full check would, for any report", () => {
    const { history, running } = historyWithRunning();
    const losses = history.slice(0, 60).map((o) => o.loss!);
    const sorted = [...losses].sort((a, b) => a - b);
    // Every rank, exact ties with the good set's last member and the bad set's best loss, and the extremes.
    const probes = [
      ...sorted.flatMap((x, i) => [x, i + 1 < sorted.length ? (x + sorted[i + 1]!) / 2 : x + 1]),
      -1,
      0,
      Infinity,
    ];
    const outcomes: Array<Partial<Observation>> = [
      ...probes.map((loss) => ({ state: "complete" as const, loss })),
      { state: "pruned", loss: 0.1, lastStep: 3 },
      { state: "pruned", loss: undefined, lastStep: undefined },
      { state: "fail", loss: undefined },
      { state: "complete", loss: 5, values: Float64Array.of(5, 1) },
    ];
    let quick = 0;
    for (const outcome of outcomes) {
      const real = history.map((o) => (o === running ? { ...o, ...outcome } : o));
      const ahead = new TpeSession(space, options);
      suggest(ahead, asWorst(history, running));
      const got = suggest(ahead, real);
      // The same report in fresh objects: the quick check cannot apply, the full one decides.
      const full = new TpeSession(space, options);
      suggest(full, asWorst(history, running));
      const copied = real.map((o) => ({ ...o }));
      expect(suggest(full, copied)).toEqual(got);
      expect(full.quickHits).toBe(0);
      expect(ahead.memoHits, JSON.stringify(outcome)).toBe(full.memoHits);
      expect(got).toEqual(suggest(new TpeSession(space, options), real));
      quick += ahead.quickHits;
    }
    // Most reports land in the bad set (a hit); the best few, a failure and the outcomes do not.
    expect(quick).toBeGreaterThan(probes.length / 2);
    expect(quick).toBeLessThan(outcomes.length - 8);
  });

  it("computes afresh when a report ties the good set's last member and wins on its older number", () => {
    // Trial 0 RUNNING (an enqueued trial started late), 1-59 COMPLETE, and the bad set's best loss made equal to the
    // good set's last member's: a report of that loss for trial 0 moves no threshold, but ranks into the good set.
    const { history } = historyWithRunning();
    const base = history
      .slice(0, 60)
      .map((o) => (o.number === 0 ? { ...o, state: "running" as const, loss: undefined } : o));
    const ranked = base.slice(1).sort((a, b) => a.loss! - b.loss!);
    const nGood = goodSetSize(60, options);
    const last = ranked[nGood - 1]!;
    const tied = base.map((o) => (o === ranked[nGood] ? { ...o, loss: last.loss } : o));
    const running = tied[0]!;
    const real = tied.map((o) => (o === running ? { ...o, state: "complete" as const, loss: last.loss } : o));
    const ahead = new TpeSession(space, options);
    suggest(ahead, asWorst(tied, running));
    const got = suggest(ahead, real);
    expect(ahead.memoHits).toBe(0);
    expect(got).toEqual(suggest(new TpeSession(space, options), real));
  });

  it("checks the whole history, not only the reported trial", () => {
    const { history, running } = historyWithRunning();
    const ahead = new TpeSession(space, options);
    suggest(ahead, asWorst(history, running));
    // Trial 3 replaced meanwhile (another worker's report, an import): the full check decides.
    const real = reported(history, running, 5).map((o) => (o.number === 3 ? { ...o, loss: -5 } : o));
    const got = suggest(ahead, real);
    expect(ahead.quickHits).toBe(0);
    expect(got).toEqual(suggest(new TpeSession(space, options), real));
  });

  it("computes afresh when the bad set's best trial is replaced by a worse one (EI's threshold moves)", () => {
    // All 60 COMPLETE: the bad set's best is the trial ranked just below the good set. Its loss, replaced by a
    // worse one, keeps it out of the good set but moves the threshold the good set's EI weights are taken over.
    const history = historyWithRunning().history.slice(0, 60);
    const ranked = [...history].sort((a, b) => a.loss! - b.loss!);
    const badBest = ranked[goodSetSize(60, options)]!;
    const worse = history.map((o) => (o === badBest ? { ...o, loss: ranked[ranked.length - 1]!.loss! + 1 } : o));
    const at = (session: TpeSession, h: readonly Observation[], t: number) =>
      Array.from(session.suggest(h, createRng(5, t), { seed: 5, trialNumber: t }));
    const trials = Array.from({ length: 12 }, (_, i) => 61 + i);
    const fresh = trials.map((t) => at(new TpeSession(space, options), worse, t));
    expect(fresh).not.toEqual(trials.map((t) => at(new TpeSession(space, options), history, t)));
    const memoised = trials.map((t) => {
      const ahead = new TpeSession(space, options);
      at(ahead, history, t);
      const got = at(ahead, worse, t);
      expect(ahead.memoHits).toBe(0);
      return got;
    });
    expect(memoised).toEqual(fresh);
  });

  it("computes afresh for another seed, a changed configuration, or a RUNNING trial that finished", () => {
    const { history, running } = historyWithRunning();
    const real = reported(history, running, 5);
    // Another seed with the same trial number: another random stream.
    const seeded = new TpeSession(space, options);
    suggest(seeded, asWorst(history, running));
    const six = Array.from(seeded.suggest(real, createRng(6, 61), { seed: 6, trialNumber: 61 }));
    expect(seeded.memoHits).toBe(0);
    expect(six).toEqual(Array.from(new TpeSession(space, options).suggest(real, createRng(6, 61))));
    // The reported trial with another configuration (same number): the bad set's kernel moved.
    const moved = real.map((o) => (o.number === 60 ? { ...o, config: Float64Array.of(0.9, 0.9, 0.9) } : o));
    const ahead = new TpeSession(space, options);
    suggest(ahead, asWorst(history, running));
    expect(suggest(ahead, moved)).toEqual(suggest(new TpeSession(space, options), moved));
    expect(ahead.quickHits).toBe(0);
    // Neither check may accept it: one moved kernel among 54 rarely changes the pick, so equality alone is no proof.
    expect(ahead.memoHits).toBe(0);
    // Computed while trial 60 was RUNNING, asked again once it finished: N grew, and with a cap above the good
    // set's size (β·N: 6 of 60, 7 of 61) so did the good set.
    const wide = { ...options, gamma_cap: 25 };
    expect(goodSetSize(61, wide)).toBe(goodSetSize(60, wide) + 1);
    const at = (session: TpeSession, h: readonly Observation[], t: number) =>
      Array.from(session.suggest(h, createRng(5, t), { seed: 5, trialNumber: t }));
    const trials = Array.from({ length: 12 }, (_, i) => 61 + i);
    const fresh = trials.map((t) => at(new TpeSession(space, wide), real, t));
    expect(fresh).not.toEqual(trials.map((t) => at(new TpeSession(space, wide), history, t)));
    const memoised = trials.map((t) => {
      const s = new TpeSession(space, wide);
      at(s, history, t);
      const got = at(s, real, t);
      expect(s.memoHits).toBe(0);
      return got;
    });
    expect(memoised).toEqual(fresh);
  });

  it("decides a NaN loss reported in the one-trip loop quickly: it ranks and bounds like +∞", () => {
    const { history, running } = historyWithRunning();
    const ahead = new TpeSession(space, options);
    suggest(ahead, asWorst(history, running));
    const real = reported(history, running, Number.NaN);
    expect(suggest(ahead, real)).toEqual(suggest(new TpeSession(space, options), real));
    expect(ahead.quickHits).toBe(1);
  });

  it("hands out configurations the caller owns: editing one changes no later suggestion", () => {
    const { history, running } = historyWithRunning();
    const real = reported(history, running, 5);
    const want = suggest(new TpeSession(space, options), real);
    const ahead = new TpeSession(space, options);
    const first = ahead.suggest(asWorst(history, running), createRng(5, 61), { seed: 5, trialNumber: 61 });
    first.fill(0.5); // e.g. a caller rounding or clearing its copy
    // Handed back from the memo twice (the quick check, then the full one): each a copy of the kept suggestion.
    const second = ahead.suggest(real, createRng(5, 61), { seed: 5, trialNumber: 61 });
    expect(Array.from(second)).toEqual(want);
    second.fill(0.25);
    // New objects: the full check, twice.
    for (let k = 0; k < 2; k++) {
      const again = real.map((o) => ({ ...o }));
      const got = ahead.suggest(again, createRng(5, 61), { seed: 5, trialNumber: 61 });
      expect(Array.from(got)).toEqual(want);
      got.fill(0.75);
    }
    expect(ahead.memoHits).toBe(3);
  });

  it("compares with the history as it was, not with the caller's array edited in place since", () => {
    const { history, running } = historyWithRunning();
    const live = asWorst(history, running);
    const ahead = new TpeSession(space, options);
    suggest(ahead, live);
    // The service's live history: the report replaces the trial in the same array, and it is the best yet.
    const at = live.findIndex((o) => o.number === running.number);
    live[at] = { ...running, state: "complete", loss: -1 };
    const got = suggest(ahead, live);
    expect(ahead.memoHits).toBe(0);
    expect(got).toEqual(suggest(new TpeSession(space, options), live.slice()));
  });

  it("hands back the last suggestion for the very same history, and computes afresh for any one change TPE reads", () => {
    const { history, running } = historyWithRunning();
    const base = asWorst(history, running);
    const same = new TpeSession(space, options);
    const first = suggest(same, base);
    expect(suggest(same, base)).toEqual(first);
    expect(same.quickHits).toBe(1);
    const at = base.findIndex((o) => o.number === running.number);
    const bestAt = base.reduce((b, o, i) => ((o.loss ?? Infinity) < (base[b]!.loss ?? Infinity) ? i : b), 0);
    const good = base.reduce(
      (b, o, i) => (i !== bestAt && (o.loss ?? Infinity) < (b < 0 ? Infinity : base[b]!.loss!) ? i : b),
      -1,
    );
    const edits: [string, (h: Observation[]) => Observation[]][] = [
      [
        "a trial appended",
        (h) => [...h, { ...running, number: 61, config: Float64Array.of(0.3, 0.3, 0.3), state: "complete", loss: -1 }],
      ],
      ["the best trial left out", (h) => h.filter((_, i) => i !== bestAt)],
      ["the reported trial with two objectives", (h) => replaced(h, at, { ...h[at]!, values: Float64Array.of(1, 2) })],
      ["the reported trial the best", (h) => replaced(h, at, { ...h[at]!, loss: -1 })],
      ["a good trial failed", (h) => replaced(h, good, { ...h[good]!, state: "fail", loss: undefined })],
      ["a good trial the worst", (h) => replaced(h, good, { ...h[good]!, loss: 1e9 })],
    ];
    for (const [name, edit] of edits) {
      const s = new TpeSession(space, options);
      suggest(s, base);
      const changed = edit(base);
      const fresh = suggest(new TpeSession(space, options), changed);
      // Each change moves the suggestion, so a stale memo hit would show.
      expect(fresh, name).not.toEqual(first);
      expect(suggest(s, changed), name).toEqual(fresh);
    }
  });

  it("a call without a context after one with a context computes afresh", () => {
    const { history, running } = historyWithRunning();
    const real = reported(history, running, 5);
    const s = new TpeSession(space, options);
    suggest(s, real);
    const got = Array.from(s.suggest(real, createRng(7, 61)));
    expect(got).toEqual(Array.from(new TpeSession(space, options).suggest(real, createRng(7, 61))));
    expect(s.memoHits).toBe(0);
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
