/**
 * Documented contracts of the small algorithms and the registry (README "Algorithms"): names and refusals, random
 * search as the prior and nothing else, qmc's options and sequence positions, grid's options.
 */
import { describe, expect, it } from "vitest";
import { grid } from "../../src/algorithms/grid/index.js";
import { qmc } from "../../src/algorithms/qmc/index.js";
import { randomSearch } from "../../src/algorithms/random.js";
import { algorithmNamed, algorithmNames, DEFAULT_ALGORITHM } from "../../src/algorithms/registry.js";
import type { Observation } from "../../src/algorithms/types.js";
import { ParzenError } from "../../src/errors.js";
import { createRng } from "../../src/math/rng.js";
import { Sobol } from "../../src/math/sobol.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import { checkConfig, everyKind, param, str } from "./tpe-helpers.js";

const bool = (value: boolean) => ({ kind: "bool" as const, value });
const text = (value: string) => ({ kind: "string" as const, value });

describe("registry", () => {
  it("finds every algorithm under its own name, the default for an empty name", () => {
    const names = algorithmNames();
    expect([...names].sort()).toEqual(names);
    for (const n of ["cmaes", "gp", "grid", "qmc", "random", "tpe"]) expect(names).toContain(n);
    for (const n of names) expect(algorithmNamed(n).name).toBe(n);
    expect(algorithmNamed("").name).toBe(DEFAULT_ALGORITHM);
  });

  it("refuses an unknown name with INVALID_ARGUMENT listing the known ones", () => {
    let err: unknown;
    try {
      algorithmNamed("tpe2");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("INVALID_ARGUMENT");
    expect((err as ParzenError).message).toBe(
      `algorithm: unknown algorithm "tpe2" (known: ${algorithmNames().join(", ")})`,
    );
    // Names are exact: no case folding, no trimming.
    expect(() => algorithmNamed("TPE")).toThrow(/unknown algorithm/);
    expect(() => algorithmNamed(" tpe")).toThrow(/unknown algorithm/);
  });
});

describe("random search", () => {
  const space = compileSpace(everyKind);

  it("is the prior draw of the trial's stream, whatever the history", () => {
    const session = randomSearch.open(space, randomSearch.parseOptions({}));
    const history: Observation[] = [];
    for (let t = 0; t < 30; t++) {
      const c = session.suggest(history, createRng(5, t));
      checkConfig(space, c);
      expect(c).toEqual(samplePrior(space, createRng(5, t)));
      history.push({ number: t, config: c, state: "complete", loss: t % 3, lastStep: undefined });
    }
  });

  it("takes no options and handles several objectives", () => {
    expect(() => randomSearch.parseOptions({ seed: bool(true) })).toThrow(/random options: unknown option "seed"/);
    expect(randomSearch.multiObjective).toBe(true);
  });
});

describe("qmc", () => {
  const cube = compileSpace({
    parameters: [
      param("a", { $case: "uniform", value: { low: 0, high: 1 } }),
      param("b", { $case: "uniform", value: { low: -4, high: 4 } }),
      param("c", {
        $case: "choice",
        value: {
          options: [str("x"), str("y", [param("y1", { $case: "uniform", value: { low: 0, high: 1 } })])],
          weights: [],
        },
      }),
    ],
  });
  const at = (
    opts: Record<string, { kind: "bool"; value: boolean } | { kind: "string"; value: string }>,
    seed: number,
    n: number,
  ) => qmc.open(cube, qmc.parseOptions(opts)).suggest([], createRng(seed, n), { seed, trialNumber: n });

  it("unscrambled Sobol: trial n is point n of the plain sequence, mapped onto each domain", () => {
    const plain = new Sobol(3);
    const u = new Float64Array(3);
    for (const n of [0, 1, 2, 3, 7, 100]) {
      plain.at(n, u);
      const c = at({ scramble: bool(false) }, 1, n);
      expect(c[0]).toBeCloseTo(u[0]!, 12);
      expect(c[1]).toBeCloseTo(-4 + 8 * u[1]!, 12);
      expect(c[2]).toBe(u[2]! < 0.5 ? 0 : 1);
    }
  });

  it("qmc_type halton reads another sequence than sobol; scramble makes the seed matter", () => {
    expect(at({ qmc_type: text("halton") }, 3, 5)).not.toEqual(at({}, 3, 5));
    expect(at({ qmc_type: text("halton"), scramble: bool(false) }, 3, 5)).toEqual(
      at({ qmc_type: text("halton"), scramble: bool(false) }, 4, 5),
    );
    expect(at({ qmc_type: text("halton") }, 3, 5)).not.toEqual(at({ qmc_type: text("halton") }, 4, 5));
    // Unscrambled Halton point 1 is (1/2, 1/3, 1/5).
    const h = at({ qmc_type: text("halton"), scramble: bool(false) }, 0, 1);
    expect(h[0]).toBeCloseTo(0.5, 15);
    expect(h[1]).toBeCloseTo(-4 + 8 / 3, 14);
    expect(h[2]).toBe(0);
  });

  it("conditional parameters come from the trial's own stream, not the sequence", () => {
    const withY = Array.from({ length: 16 }, (_, n) => at({}, 2, n)).find((c) => c[2] === 1)!;
    expect(Number.isNaN(withY[3]!)).toBe(false);
    expect(withY[3]).toBeGreaterThanOrEqual(0);
    expect(withY[3]).toBeLessThanOrEqual(1);
  });

  it("maps a normal parameter through the normal quantile, clamped off the sequence's 0", () => {
    const normal = compileSpace({ parameters: [param("z", { $case: "normal", value: { mu: 2, sigma: 3 } })] });
    const plain = qmc.open(normal, qmc.parseOptions({ qmc_type: text("halton"), scramble: bool(false) }));
    const z = (n: number) => plain.suggest([], createRng(1, n), { seed: 1, trialNumber: n })[0]!;
    // Unscrambled Halton starts at 0, 1/2, 1/4, 3/4: the quantile of 1e-12 (SciPy: −7.0345σ), the median, ∓0.674σ.
    expect(z(0)).toBeCloseTo(2 - 3 * 7.034483825301131, 9);
    expect(z(1)).toBe(2);
    expect(z(2)).toBeCloseTo(2 - 3 * 0.6744897501960817, 12);
    expect(z(3)).toBeCloseTo(2 + 3 * 0.6744897501960817, 12);
  });

  it("trial numbers wrap around the sequence after 2^32 points", () => {
    expect(at({}, 6, 2 ** 32 + 3).slice(0, 3)).toEqual(at({}, 6, 3).slice(0, 3));
    expect(at({}, 6, 2 ** 32 - 1).slice(0, 3)).not.toEqual(at({}, 6, 0).slice(0, 3));
  });

  it("accepts exactly 128 unconditional parameters for Sobol (conditional ones do not count)", () => {
    const wide = (n: number, conditional: number) =>
      compileSpace({
        parameters: [
          ...Array.from({ length: n }, (_, i) => param(`p${i}`, { $case: "uniform", value: { low: 0, high: 1 } })),
          param("c", {
            $case: "choice",
            value: {
              options: [
                str(
                  "x",
                  Array.from({ length: conditional }, (_, i) =>
                    param(`q${i}`, { $case: "uniform", value: { low: 0, high: 1 } }),
                  ),
                ),
              ],
              weights: [],
            },
          }),
        ],
      });
    const sobol = qmc.parseOptions({});
    expect(() => qmc.checkSpace!(wide(127, 5), sobol)).not.toThrow();
    expect(() => qmc.checkSpace!(wide(128, 0), sobol)).toThrow(
      'qmc options: "qmc_type" sobol supports at most 128 unconditional parameters, the space has 129; use "halton"',
    );
  });
});

describe("grid options", () => {
  const space = compileSpace({
    parameters: [
      param("k", { $case: "intRange", value: { low: 1, high: 6, step: 1, log: false } }),
      param("c", { $case: "choice", value: { options: [str("a"), str("b")], weights: [] } }),
    ],
  });
  const walk = (opts: Record<string, { kind: "string"; value: string }>, seed: number) => {
    const options = grid.parseOptions(opts);
    const session = grid.open(space, options);
    const history: Observation[] = [];
    for (let t = 0; t < 12; t++) {
      const config = session.suggest(history, createRng(seed, t), { seed, trialNumber: t });
      history.push({ number: t, config, state: "running", loss: undefined, lastStep: undefined });
    }
    return history.map((o) => Array.from(o.config).join());
  };

  it("order sequential walks the same order for every seed; shuffled depends on the seed; both cover all", () => {
    const seq = walk({ order: text("sequential") }, 1);
    expect(walk({ order: text("sequential") }, 2)).toEqual(seq);
    expect(new Set(seq).size).toBe(12);
    const shuffled = walk({}, 1);
    expect(new Set(shuffled).size).toBe(12);
    expect(shuffled).not.toEqual(seq);
    expect(walk({}, 2)).not.toEqual(shuffled);
  });

  it("values restricts a parameter to the listed values", () => {
    const points = walk({ values: text('{"k": [2, 5]}') }, 1).slice(0, 4);
    expect(new Set(points.map((p) => p.split(",")[0]))).toEqual(new Set(["2", "5"]));
    expect(new Set(points).size).toBe(4);
  });
});
