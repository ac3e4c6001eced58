/**
 * The estimator memo (estimator-memo.ts) and the incremental sort under it:
 * a memoised or updated estimator must score exactly like a fresh one after
 * appends, replacements, inserts in the middle and removals; and a TPE
 * session's memos never change a suggestion.
 */
import { describe, expect, it } from "vitest";
import { dimsOf } from "../../src/algorithms/tpe/dims.js";
import { EstimatorMemo } from "../../src/algorithms/tpe/estimator-memo.js";
import { groupsOf } from "../../src/algorithms/tpe/groups.js";
import { tpe } from "../../src/algorithms/tpe/index.js";
import {
  allocateCandidates,
  ParzenEstimator,
  type BandwidthOptions,
} from "../../src/algorithms/tpe/parzen-estimator.js";
import { SortScratch, sortedBy, sortedOrder, updatedSorted } from "../../src/algorithms/tpe/sorted-order.js";
import { TpeWorkspace } from "../../src/algorithms/tpe/workspace.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng, type Rng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import type { Space } from "../../src/space/types.js";
import { everyKind, param, randomEdit } from "./tpe-helpers.js";

describe("updatedSorted", () => {
  it("equals a fresh (value, index) sort after removals and additions, ties included", () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n0 = 1 + Math.floor(rng.uniform() * 60);
      const distinct = 1 + Math.floor(rng.uniform() * 10);
      const value = (): number => Math.floor(rng.uniform() * distinct) / distinct;
      const old = Float64Array.from({ length: n0 }, value);
      const prev = sortedBy(old, n0, 1, 0, new SortScratch());
      // Keep some old values in order, interleaving new ones.
      const { next: mu, newOf, added } = randomEdit(rng, old, value, { insert: 0.2, keep: 0.8, repeat: true });
      const sorted = updatedSorted(mu, mu.length, 1, 0, prev, newOf, Uint32Array.from(added));
      const got = sorted.order;
      expect(Array.from(sorted.values)).toEqual(Array.from(got, (k) => mu[k]!));
      expect(Array.from(got)).toEqual(Array.from(sortedOrder(mu, mu.length, 1, 0, new SortScratch())));
      // The fresh sort is the (value, index) order.
      const want = Array.from(mu.keys()).sort((a, b) => mu[a]! - mu[b]! || a - b);
      expect(Array.from(got)).toEqual(want);
    }
  });
});

const mixed = compileSpace({
  parameters: [
    param("i", { $case: "intRange", value: { low: 1, high: 6, step: 1, log: false } }),
    param("il", { $case: "intRange", value: { low: 1, high: 100, step: 1, log: true } }),
    param("q", { $case: "qUniform", value: { low: 0, high: 1, q: 0.25 } }),
    param("u", { $case: "uniform", value: { low: -5, high: 5 } }),
    param("n", { $case: "normal", value: { mu: 0, sigma: 2 } }),
  ],
});

const continuous = compileSpace({
  parameters: [
    param("u", { $case: "uniform", value: { low: -5, high: 5 } }),
    param("lu", { $case: "logUniform", value: { low: 1e-3, high: 1 } }),
    param("n", { $case: "normal", value: { mu: 0, sigma: 2 } }),
  ],
});

const bw: BandwidthOptions = { considerEndpoints: false, floor: 0.03, clipExponent: 2, gridFloor: 1 };
const ws = new TpeWorkspace();

function observation(space: Space, rng: Rng, number: number, state: Observation["state"] = "complete"): Observation {
  const config = samplePrior(space, rng);
  return { number, config, state, loss: state === "complete" ? rng.uniform() : undefined, lastStep: undefined };
}

/** Bitwise comparison of two estimators: log densities and draws on the same candidates. */
function expectSame(a: ParzenEstimator, b: ParzenEstimator, d: number, seed: number): void {
  const ca = allocateCandidates(64, d);
  const cb = allocateCandidates(64, d);
  a.sample(createRng(seed), ca);
  b.sample(createRng(seed), cb);
  expect(Array.from(ca.values)).toEqual(Array.from(cb.values));
  // Also score points drawn from the other estimator's prior region.
  const oa = new Float64Array(64);
  const ob = new Float64Array(64);
  a.logDensity(ca, oa, ws);
  b.logDensity(ca, ob, ws);
  expect(Array.from(oa).map((x) => (Object.is(x, -0) ? 0 : x))).toEqual(
    Array.from(ob).map((x) => (Object.is(x, -0) ? 0 : x)),
  );
}

describe("EstimatorMemo", () => {
  for (const [name, space] of [
    ["mixed", mixed],
    ["everyKind root", compileSpace(everyKind)],
    ["continuous", continuous],
  ] as const) {
    it(`${name}: equals a fresh estimator through appends, replacements, inserts and removals`, () => {
      const rng = createRng(11);
      const dimsAll = dimsOf(space);
      const group = groupsOf(space, true, true)[0]!;
      const dims = group.params.map((i) => dimsAll[i]!);
      const memo = new EstimatorMemo(dims, 3, bw);
      const history: Observation[] = [];
      for (let t = 0; t < 300; t += 2) history.push(observation(space, rng, t)); // even numbers: room for inserts
      const check = (step: string, weightOf: (o: Observation) => number = () => 1): void => {
        const members = history.filter((o) => o.state !== "fail");
        const w = Float64Array.from(members, weightOf);
        const cached = memo.estimator(members, w, 1, ws);
        const fresh = new ParzenEstimator(
          dims,
          members.map((o) => o.config),
          w,
          1,
          3,
          bw,
          ws,
        );
        expect(cached.nk, step).toBe(fresh.nk);
        expectSame(cached, fresh, dims.length, history.length);
        // And a hit returns the same object.
        expect(memo.estimator(members, w, 1, ws)).toBe(cached);
      };
      check("initial");
      for (let round = 0; round < 15; round++) {
        const last = history[history.length - 1]!.number;
        // Suggest: a RUNNING trial is appended; Report: replaced in place (same config, new object).
        const running = observation(space, rng, last + 2, "running");
        history.push(running);
        check(`append ${round}`);
        // Several appended at once, one of them a duplicate configuration.
        const l2 = history[history.length - 1]!.number;
        history.push(
          observation(space, rng, l2 + 2),
          { ...history[5]!, number: l2 + 4 },
          observation(space, rng, l2 + 6),
        );
        check(`append 3 ${round}`);
        history[history.length - 1] = { ...running, state: "complete", loss: 0.5 };
        check(`complete ${round}`);
        // A trial in the middle changes configuration (new config object).
        const at = 1 + Math.floor(rng.uniform() * (history.length - 2));
        history[at] = observation(space, rng, history[at]!.number);
        check(`replace ${round}`);
        // An odd-numbered trial appears in the middle.
        const gap = history.findIndex((o, i) => i > 0 && o.number - history[i - 1]!.number > 1);
        if (gap > 0) history.splice(gap, 0, observation(space, rng, history[gap - 1]!.number + 1));
        check(`insert ${round}`);
        // A member leaves the set (e.g. into the good set), and duplicates: a copy of a neighbour's config.
        history[1 + Math.floor(rng.uniform() * (history.length - 2))] = { ...history[2]!, state: "fail" };
        const dupAt = 3 + Math.floor(rng.uniform() * (history.length - 4));
        history[dupAt] = { ...history[dupAt]!, config: Float64Array.from(history[dupAt - 1]!.config) };
        check(`remove+dup ${round}`);
        check(`weights ${round}`, (o) => 1 + (o.number % 3));
      }
      // Shrinking (a batch's longer history, then the base again).
      history.splice(history.length - 20, 20);
      check("shrink");
      history.splice(0, history.length, ...history.slice().reverse());
      check("out of order");
    });
  }

  it("equals a fresh estimator while the set grows from none to a few members and shrinks back", () => {
    // Edits in place below two kernels before or after would miss the lone kernel's own bandwidth rule (its farther
    // domain edge): the memo must rebuild there, and edit again from two on.
    for (const [space, alternate] of [
      [mixed, false],
      [mixed, true],
      [continuous, false],
      [continuous, true],
    ] as const) {
      const rng = createRng(8);
      const dims = dimsOf(space);
      // Without the magic clip the bandwidth limits stay the same for every n, so these edits are made in place.
      const noClip: BandwidthOptions = { ...bw, clipExponent: undefined };
      const memo = new EstimatorMemo(dims, 3, noClip);
      const pool = Array.from({ length: 6 }, (_, t) => observation(space, rng, t));
      const sizes = [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0, 2, 1, 3];
      for (const [step, size] of sizes.entries()) {
        // Removals from the back (kept kernels keep their index), or from the front and back by turns (renumbered).
        const members = alternate && step % 2 === 1 ? pool.slice(pool.length - size) : pool.slice(0, size);
        const w = Float64Array.from(members, (o) => 1 + (o.number % 2));
        const cached = memo.estimator(members, w, 1, ws);
        const fresh = new ParzenEstimator(
          dims,
          members.map((o) => o.config),
          w,
          1,
          3,
          noClip,
          ws,
        );
        expect(cached.nk, `step ${step}`).toBe(size + 1);
        expectSame(cached, fresh, dims.length, step);
      }
    }
  });

  it("matches observations rebuilt around copies of their configurations", () => {
    const rng = createRng(4);
    const dims = dimsOf(continuous);
    const memo = new EstimatorMemo(dims, 3, bw);
    const history: Observation[] = [];
    for (let t = 0; t < 200; t++) history.push(observation(continuous, rng, t));
    const w = new Float64Array(history.length).fill(1);
    const first = memo.estimator(history, w, 1, ws);
    const copies = history.map((o) => ({ ...o, config: Float64Array.from(o.config) }));
    expect(memo.estimator(copies, w, 1, ws)).toBe(first);
    // One more trial, as copies: edited in place, and equal to a fresh build.
    const more = [
      ...copies.map((o) => ({ ...o, config: Float64Array.from(o.config) })),
      observation(continuous, rng, 200),
    ];
    const w2 = new Float64Array(more.length).fill(1);
    const edited = memo.estimator(more, w2, 1, ws);
    expect(edited).toBe(first);
    expectSame(
      edited,
      new ParzenEstimator(
        dims,
        more.map((o) => o.config),
        w2,
        1,
        3,
        bw,
        ws,
      ),
      dims.length,
      5,
    );
  });

  it("a long-lived session gives the same suggestions as a fresh one", () => {
    const options = tpe.parseOptions({});
    for (const space of [mixed, compileSpace(everyKind), continuous]) {
      const rng = createRng(3);
      const warm = tpe.open(space, options);
      const history: Observation[] = [];
      for (let t = 0; t < 120; t++) {
        const config = warm.suggest(history, createRng(5, t));
        const cold = tpe.open(space, options).suggest(history, createRng(5, t));
        expect(Array.from(config)).toEqual(Array.from(cold));
        history.push({ number: t, config, state: "running", loss: undefined, lastStep: undefined });
        warm.suggest(history, createRng(6, t)); // warms the memos with the RUNNING trial
        history[t] = { number: t, config, state: "complete", loss: rng.uniform(), lastStep: undefined };
      }
    }
  });
});
