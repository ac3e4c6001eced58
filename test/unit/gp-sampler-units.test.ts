/**
 * sampler.ts' pure parts as its comments document them: the search budgets (n_candidates, at most 128 per
 * dimension and at least 512, shrinking like 1/n² beyond 100 observations but not below 256; n_local_starts, at most
 * 3 beyond 300 observations) at their exact edges, the incumbent (the best observation, the best FEASIBLE one with
 * constraints, none while none is feasible), COMPLETE trials without a loss left out of the observations, and
 * conditional parameters: a GP of their own once n_startup_trials trials ran in their branch, their prior before.
 */
import { describe, expect, it } from "vitest";
import { encodeSpace } from "../../src/algorithms/gp/encode.js";
import { candidateCount, gpAlgorithm, incumbent, observations, startCount } from "../../src/algorithms/gp/sampler.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { param, str } from "./tpe-helpers.js";

describe("candidates scored", () => {
  it("are as requested up to max(512, 128 per dimension)", () => {
    for (const D of [1, 2, 4]) {
      expect(candidateCount(2048, 10, D)).toBe(512);
      expect(candidateCount(512, 10, D)).toBe(512);
      expect(candidateCount(511, 10, D)).toBe(511);
      expect(candidateCount(16, 10, D)).toBe(16);
    }
    expect(candidateCount(2048, 10, 5)).toBe(640);
    expect(candidateCount(639, 10, 5)).toBe(639);
    expect(candidateCount(65536, 10, 10)).toBe(1280);
    expect(candidateCount(65536, 10, 1000)).toBe(65536);
  });

  it("shrink with n² beyond 100 observations, not below 256 nor above the request", () => {
    expect(candidateCount(2048, 100, 2)).toBe(512);
    // 512·100²/101² = 501.9
    expect(candidateCount(2048, 101, 2)).toBe(502);
    // 1280·100²/200² = 320
    expect(candidateCount(2048, 200, 10)).toBe(320);
    // 512·100²/141² = 257.5, and /142² = 253.9: the floor.
    expect(candidateCount(2048, 141, 2)).toBe(258);
    expect(candidateCount(2048, 142, 2)).toBe(256);
    expect(candidateCount(2048, 100_000, 2)).toBe(256);
    // A request below the floor stays as it is.
    expect(candidateCount(200, 101, 2)).toBe(200);
    expect(candidateCount(200, 5000, 2)).toBe(200);
  });
});

describe("local refinements", () => {
  it("are as requested up to 300 observations, then at most 3", () => {
    expect(startCount(5, 300)).toBe(5);
    expect(startCount(64, 300)).toBe(64);
    expect(startCount(5, 301)).toBe(3);
    expect(startCount(64, 100_000)).toBe(3);
    expect(startCount(2, 301)).toBe(2);
    expect(startCount(1, 1000)).toBe(1);
  });
});

describe("the incumbent", () => {
  it("is the best observation without constraints, the first of equal ones", () => {
    expect(incumbent([0.1, 2, -1, 2])).toEqual({ index: 1, best: 2 });
    expect(incumbent([3])).toEqual({ index: 0, best: 3 });
    expect(incumbent([-5, -4, -6])).toEqual({ index: 1, best: -4 });
  });

  it("is the best feasible observation with constraints, whatever better infeasible ones there are", () => {
    // y (to be maximised) and violations: the infeasible 9 and 7 are not the incumbent; of the feasible, 4.
    expect(incumbent([9, 1, 4, 7, 4], [0.5, 0, 0, 2, 0])).toEqual({ index: 2, best: 4 });
    // Feasible first, then a better feasible one.
    expect(incumbent([1, 3], [0, 0])).toEqual({ index: 1, best: 3 });
    // A feasible one after infeasible ones with better y.
    expect(incumbent([5, 6, 0.5], [1, 1, 0])).toEqual({ index: 2, best: 0.5 });
  });

  it("is none while nothing is feasible: the start is the least infeasible observation, the first of equal ones", () => {
    expect(incumbent([9, 1, 4], [3, 0.5, 2])).toEqual({ index: 1, best: undefined });
    // Equal violations: the first, whatever the y.
    expect(incumbent([1, 5, 2], [0.5, 0.5, 0.7])).toEqual({ index: 0, best: undefined });
    expect(incumbent([1, 5], [2, 1])).toEqual({ index: 1, best: undefined });
  });
});

describe("the observations", () => {
  it("leave out a COMPLETE trial without a loss", () => {
    const e = encodeSpace(compileSpace({ parameters: [param("x", { $case: "uniform", value: { low: 0, high: 1 } })] }));
    const o = (number: number, loss: number | undefined): Observation => ({
      number,
      config: Float64Array.of(number / 10),
      state: "complete",
      loss,
      lastStep: undefined,
    });
    const d = observations(e, [o(0, 2), o(1, undefined), o(2, 1)]);
    expect(d.source.map((s) => s.number)).toEqual([0, 2]);
    expect(Array.from(d.raw)).toEqual([-2, -1]);
  });
});

describe("conditional parameters", () => {
  // u always; x and the choice k only in branch a of c.
  const space = compileSpace({
    parameters: [
      param("u", { $case: "uniform", value: { low: 0, high: 1 } }),
      param("c", {
        $case: "choice",
        value: {
          options: [
            str("a", [
              param("x", { $case: "uniform", value: { low: 0, high: 1 } }),
              param("k", { $case: "choice", value: { options: [str("p"), str("q"), str("r")], weights: [] } }),
            ]),
            str("b"),
          ],
          weights: [],
        },
      }),
    ],
  });
  const options = { ...gpAlgorithm.parseOptions({}), n_startup_trials: 5 };
  /** `inA` trials in branch a (best at x = 0.6 and k = q), then six far worse ones in branch b. */
  function history(inA: number): Observation[] {
    const h: Observation[] = [];
    const rng = createRng(3);
    const xs = [0.1, 0.3, 0.5, 0.7, 0.9];
    for (let t = 0; t < inA; t++) {
      const x = xs[t]!;
      const config = Float64Array.of(rng.uniform(), 0, x, t % 3);
      h.push({
        number: h.length,
        config,
        state: "complete",
        loss: (x - 0.6) ** 2 + (t % 3 === 1 ? 0 : 0.5),
        lastStep: undefined,
      });
    }
    for (let t = 0; t < 6; t++) {
      const u = rng.uniform();
      const config = Float64Array.of(u, 1, Number.NaN, Number.NaN);
      h.push({ number: h.length, config, state: "complete", loss: 10 + u, lastStep: undefined });
    }
    return h;
  }
  const suggestions = (h: Observation[]) =>
    Array.from({ length: 6 }, (_, s) =>
      Array.from(gpAlgorithm.open(space, options).suggest(h, createRng(100 + s, h.length))),
    );

  it("get a GP of their branch once exactly n_startup_trials trials ran in it", () => {
    for (const c of suggestions(history(5))) {
      expect(c[1]).toBe(0);
      expect(Math.abs(c[2]! - 0.6), `x = ${c[2]}`).toBeLessThan(0.05);
      expect(c[3]).toBe(1);
    }
  });

  it("are drawn from their prior before, choices as option indices", () => {
    const got = suggestions(history(4));
    for (const c of got) {
      expect(c[1]).toBe(0);
      expect(c[2]! >= 0 && c[2]! <= 1).toBe(true);
      expect([0, 1, 2]).toContain(c[3]);
    }
    // Six prior draws: spread over [0, 1], not gathered at the branch's best x, and more than one option.
    expect(got.filter((c) => Math.abs(c[2]! - 0.6) < 0.05).length).toBeLessThan(3);
    expect(new Set(got.map((c) => c[3])).size).toBeGreaterThan(1);
  });
});

describe("the GP's options", () => {
  const parse = (raw: Record<string, number | boolean>) =>
    gpAlgorithm.parseOptions(
      Object.fromEntries(
        Object.entries(raw).map(([k, v]) => [
          k,
          typeof v === "boolean" ? { kind: "bool" as const, value: v } : { kind: "int" as const, value: v },
        ]),
      ),
    );

  it("accept each documented bound and refuse one step past it, naming the algorithm and the option", () => {
    const bounds: [string, number, number][] = [
      ["n_startup_trials", 1, 1000],
      ["n_candidates", 16, 65536],
      ["n_local_starts", 1, 64],
      ["max_observations", 50, 100_000],
    ];
    for (const [name, low, high] of bounds) {
      expect(parse({ [name]: low })[name as keyof ReturnType<typeof parse>]).toBe(low);
      expect(parse({ [name]: high })[name as keyof ReturnType<typeof parse>]).toBe(high);
      expect(() => parse({ [name]: low - 1 })).toThrow(new RegExp(`^gp options: "${name}" `));
      expect(() => parse({ [name]: high + 1 })).toThrow(new RegExp(`^gp options: "${name}" `));
    }
    expect(() => parse({ bogus: 1 })).toThrow(/^gp options: unknown option "bogus"/);
  });
});
