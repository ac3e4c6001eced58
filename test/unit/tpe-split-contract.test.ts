/**
 * TPE's split, weights and mixture weights against their documented definitions (split.ts, weights.ts,
 * mixture-weights.ts), on random histories with ties, NaN and infinite losses, PRUNED trials with and without
 * steps, RUNNING, FAIL and LOST trials, in and out of number order.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_TPE_OPTIONS } from "../../src/algorithms/tpe/options.js";
import { fillMixtureWeights, pickKernel } from "../../src/algorithms/tpe/mixture-weights.js";
import { goodSetSize, splitHistory } from "../../src/algorithms/tpe/split.js";
import { bestLoss, observationWeights, priorRawWeight } from "../../src/algorithms/tpe/weights.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { obs } from "./tpe-helpers.js";

/** The documented ranking as a plain sort: COMPLETE by loss (NaN as +∞), then PRUNED by −step, loss; ties older. */
function referenceRank(a: Observation, b: Observation): number {
  const key = (o: Observation) => {
    const loss = o.loss === undefined || Number.isNaN(o.loss) ? Number.POSITIVE_INFINITY : o.loss;
    return o.state === "complete" ? [0, 0, loss] : [1, -(o.lastStep ?? Number.NEGATIVE_INFINITY), loss];
  };
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return a.number - b.number;
}

function randomHistory(seed: number, n: number, shuffle: "none" | "random" | "reversed"): Observation[] {
  const rng = createRng(seed);
  const states = ["complete", "complete", "complete", "pruned", "running", "fail", "lost"] as const;
  const h: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const state = states[rng.int(states.length)]!;
    const r = rng.uniform();
    // Few distinct losses, so ties are common; some NaN and infinite.
    const loss = r < 0.1 ? Number.NaN : r < 0.15 ? Number.POSITIVE_INFINITY : rng.int(6);
    const step = rng.uniform() < 0.3 ? undefined : rng.int(4);
    h.push(
      obs(
        t,
        state,
        state === "fail" || (state === "pruned" && rng.uniform() < 0.2) ? undefined : loss,
        [t],
        state === "pruned" ? step : undefined,
      ),
    );
  }
  if (shuffle === "reversed") h.reverse();
  if (shuffle === "random")
    for (let i = h.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [h[i], h[j]] = [h[j]!, h[i]!];
    }
  return h;
}

describe("splitHistory = the documented ranking", () => {
  for (const liar of [true, false])
    for (const shuffle of ["none", "random", "reversed"] as const)
      it(`random histories, ${shuffle} order, constant_liar ${liar}`, () => {
        for (let seed = 0; seed < 40; seed++) {
          const h = randomHistory(seed, 5 + (seed % 37), shuffle);
          const options = { ...DEFAULT_TPE_OPTIONS, gamma_beta: 0.3, gamma_cap: 8, constant_liar: liar };
          const finished = h.filter((o) => o.state === "complete" || o.state === "pruned");
          const ranked = [...finished].sort(referenceRank);
          const n = goodSetSize(finished.length, options);
          const byNumber = (xs: Observation[]) => xs.map((o) => o.number).sort((a, b) => a - b);
          const good = byNumber(ranked.slice(0, n));
          const bad = byNumber([...ranked.slice(n), ...(liar ? h.filter((o) => o.state === "running") : [])]);
          const s = splitHistory(h, options);
          expect(s.finished).toBe(finished.length);
          expect(
            s.good.map((o) => o.number),
            `seed ${seed}`,
          ).toEqual(good);
          expect(
            s.bad.map((o) => o.number),
            `seed ${seed}`,
          ).toEqual(bad);
        }
      });

  it("a PRUNED trial that never reported ranks below a FAIL-free tie: never-reported PRUNED after reported ones", () => {
    const h = [obs(0, "fail", undefined), obs(1, "pruned", undefined), obs(2, "pruned", 3, [0], 0)];
    const s = splitHistory(h, { ...DEFAULT_TPE_OPTIONS, gamma_beta: 0.5 });
    expect(s.good.map((o) => o.number)).toEqual([2]);
    expect(s.bad.map((o) => o.number)).toEqual([1]);
  });
});

describe("unfinished trials never rank", () => {
  it("an older FAIL, LOST or RUNNING trial does not take a never-reported PRUNED trial's place in the good set", () => {
    for (const state of ["fail", "lost", "running"] as const) {
      const s = splitHistory([obs(0, state, undefined), obs(1, "pruned", undefined)], DEFAULT_TPE_OPTIONS);
      expect(
        s.good.map((o) => o.number),
        state,
      ).toEqual([1]);
    }
  });
});

describe("weights", () => {
  it("EI: a PRUNED good member gets the floor, not its intermediate value's improvement", () => {
    const good = [obs(0, "complete", 1), obs(1, "pruned", 0.5, [0], 3)];
    expect(Array.from(observationWeights(good, "ei", 4))).toEqual([3, 1e-12]);
  });

  it("old_decay: exactly 26 members ramp only the oldest, to 1/26; uniform never decays", () => {
    const set = Array.from({ length: 26 }, (_, i) => obs(i, "complete", i));
    const w = observationWeights(set, "old_decay", Number.POSITIVE_INFINITY);
    expect(w[0]).toBe(1 / 26);
    expect(Array.from(w.subarray(1))).toEqual(new Array(25).fill(1));
    expect(Array.from(observationWeights(set.slice(0, 25), "old_decay", Number.POSITIVE_INFINITY))).toEqual(
      new Array(25).fill(1),
    );
    const thirty = Array.from({ length: 30 }, (_, i) => obs(i, "complete", i));
    expect(Array.from(observationWeights(thirty, "uniform", 3))).toEqual(new Array(30).fill(1));
  });

  it("bestLoss reads COMPLETE trials only; the prior's raw weight with no members is prior_weight", () => {
    expect(bestLoss([obs(0, "pruned", 0.1, [0], 2), obs(1, "running", undefined), obs(2, "complete", 4)])).toBe(4);
    expect(bestLoss([obs(0, "pruned", 0.1, [0], 2)])).toBe(Number.POSITIVE_INFINITY);
    expect(priorRawWeight(new Float64Array(0), "ei", 3)).toBe(3);
  });
});

describe("mixture weights", () => {
  it("normalises, returns the largest observation log weight, and falls back to the prior alone", () => {
    const logW = new Float64Array(4);
    const cumW = new Float64Array(4);
    const wMax = fillMixtureWeights(3, Float64Array.from([1, 3, 2]), 4, logW, cumW);
    expect(Array.from(logW)).toEqual([1, 3, 2, 4].map((w) => Math.log(w / 10)));
    for (const [i, c] of [0.1, 0.4, 0.6, 1].entries()) expect(cumW[i]).toBeCloseTo(c, 15);
    expect(wMax).toBe(Math.log(0.3));
    // All zero: the prior alone.
    const w0 = fillMixtureWeights(3, new Float64Array(3), 0, logW, cumW);
    expect(Array.from(logW)).toEqual([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 0]);
    expect(Array.from(cumW)).toEqual([0, 0, 0, 1]);
    expect(w0).toBe(Number.NEGATIVE_INFINITY);
  });

  it("pickKernel picks each kernel with its weight's probability and never a zero-weight one", () => {
    const logW = new Float64Array(5);
    const cumW = new Float64Array(5);
    fillMixtureWeights(4, Float64Array.from([1, 0, 3, 0]), 4, logW, cumW);
    const counts = new Array<number>(5).fill(0);
    const m = 8000;
    for (let i = 0; i < m; i++) counts[pickKernel(cumW, logW, 5, (i + 0.5) / m)]!++;
    expect(counts).toEqual([1000, 0, 3000, 0, 4000]);
    // Boundaries: u = 0 is kernel 0; a u on a cumulative edge goes to the next kernel with weight.
    expect(pickKernel(cumW, logW, 5, 0)).toBe(0);
    expect(pickKernel(cumW, logW, 5, 0.125)).toBe(2);
    expect(pickKernel(cumW, logW, 5, 0.5)).toBe(4);
  });
});
