import { describe, expect, it } from "vitest";
import { cmaParams } from "../../src/algorithms/cmaes/cma.js";
import { flatSpace } from "../../src/algorithms/cmaes/encode.js";
import { algorithmNamed } from "../../src/algorithms/registry.js";
import { CmaesSession, cmaes, type CmaesOptions } from "../../src/algorithms/cmaes/index.js";
import type { Observation, ObservationState } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config, Space } from "../../src/space/types.js";
import { checkConfig, everyKind, param, str } from "./tpe-helpers.js";

const defaults = cmaes.parseOptions({});
const open = (space: Space, options: CmaesOptions) => new CmaesSession(space, options);
const box = (d: number, low = -5, high = 5) =>
  compileSpace({
    parameters: Array.from({ length: d }, (_, i) => param(`x${i}`, { $case: "uniform", value: { low, high } })),
  });
const ellipsoid = (c: Config) => {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += (i + 1) * (c[i]! - 1) ** 2;
  return s;
};
const ask = (s: CmaesSession, h: readonly Observation[], seed: number, t: number) =>
  s.suggest(h, createRng(seed, t), { seed, trialNumber: t });

/** Sequential ask/tell: `f` gives each trial's loss and state. */
function sequential(
  session: CmaesSession,
  seed: number,
  n: number,
  f: (c: Config, t: number) => [ObservationState, number | undefined],
) {
  const h: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const config = ask(session, h, seed, t);
    const [state, loss] = f(config, t);
    h.push({ number: t, config, state, loss, lastStep: undefined });
  }
  return h;
}

describe("cmaes", () => {
  it("is registered under its name", () => {
    expect(cmaes.name).toBe("cmaes");
    expect(algorithmNamed("cmaes")).toBe(cmaes);
  });

  it("validates its options", () => {
    expect(defaults).toMatchObject({
      popsize: 0,
      diagonal_phase: 100,
      orthogonal_sampling: true,
      csa_damping: 1,
      restart_strategy: "ipop",
      with_margin: true,
      warm_start: true,
    });
    expect(() => cmaes.parseOptions({ diagonal_phase: { kind: "double", value: -1 } })).toThrow(/diagonal_phase/);
    expect(() => cmaes.parseOptions({ sigma0: { kind: "double", value: 2 } })).toThrow(/sigma0/);
    expect(() => cmaes.parseOptions({ csa_damping: { kind: "double", value: 0 } })).toThrow(/csa_damping/);
    expect(() => cmaes.parseOptions({ restart_strategy: { kind: "string", value: "lipop" } })).toThrow(
      /restart_strategy/,
    );
    expect(cmaes.parseOptions({ restart_strategy: { kind: "string", value: "bipop" } }).restart_strategy).toBe("bipop");
  });

  it("csa_damping scales the step size's damping dσ and nothing else", () => {
    const base = cmaParams(12);
    const fast = cmaParams(12, undefined, false, 0.5);
    expect(fast.dSigma).toBeCloseTo(base.dSigma / 2, 12);
    expect({ ...fast, dSigma: 0 }).toEqual({ ...base, dSigma: 0 });
  });

  it("converges on a 5-D ellipsoid where random search does not", () => {
    const bests = [1, 2, 3].map((seed) => {
      const h = sequential(open(box(5), defaults), seed, 300, (c) => ["complete", ellipsoid(c)]);
      return Math.min(...h.map((o) => o.loss!));
    });
    for (const b of bests) expect(b).toBeLessThan(0.05);
  });

  it("keeps every suggestion inside the space and on its grids, choices and conditionals by the fallback", () => {
    const space = compileSpace(everyKind);
    const session = open(space, defaults);
    const h = sequential(session, 4, 150, (c, t) => {
      checkConfig(space, c);
      return t % 7 === 3 ? ["fail", undefined] : ["complete", (c[0]! - 1) ** 2 + c[8]! ** 2 / 10];
    });
    expect(session.position()!.generation).toBeGreaterThan(5);
    expect(h).toHaveLength(150);
  });

  it("maps a normal parameter through its prior's CDF, clipped 1e-12 from 0 and 1 so every coordinate is finite", () => {
    const space = compileSpace({
      parameters: [
        param("n", { $case: "normal", value: { mu: 1, sigma: 2 } }),
        param("ln", { $case: "logNormal", value: { mu: 0, sigma: 1 } }),
      ],
    });
    const [n, ln] = flatSpace(space, true).axes;
    // SciPy: ndtri(1 − 1e-12) = 7.0344869100478356 (1 − 1e-12 rounded to a double), ndtri(1e-12) = −7.034483825301131.
    expect(n!.fromUnit(1)).toBeCloseTo(1 + 2 * 7.0344869100478356, 9);
    expect(n!.fromUnit(1.5)).toBe(n!.fromUnit(1));
    expect(n!.fromUnit(0)).toBeCloseTo(1 - 2 * 7.034483825301131, 9);
    expect(n!.fromUnit(-0.5)).toBe(n!.fromUnit(0));
    expect(ln!.fromUnit(1)).toBeCloseTo(1135.1123480102162, 6);
    expect(ln!.fromUnit(0)).toBeGreaterThan(0);
    for (const u of [0.001, 0.3, 0.5, 0.9]) {
      expect(n!.toUnit(n!.fromUnit(u))).toBeCloseTo(u, 12);
      expect(ln!.toUnit(ln!.fromUnit(u))).toBeCloseTo(u, 12);
    }
    expect(n!.fromUnit(0.5)).toBeCloseTo(1, 12);
  });

  it("suggests a stepped parameter's grid values as typed: 0.3, not 0.1 + 2·0.1 = 0.30000000000000004", () => {
    const space = compileSpace({
      parameters: [
        param("q", { $case: "qUniform", value: { low: 0.1, high: 2.1, q: 0.1 } }),
        param("u", { $case: "uniform", value: { low: 0, high: 1 } }),
      ],
    });
    const h = sequential(open(space, defaults), 7, 60, (c) => ["complete", (c[0]! - 1.3) ** 2 + c[1]!]);
    const values = new Set(h.map((o) => o.config[0]!));
    expect(values.size).toBeGreaterThan(5);
    for (const v of values) expect(v).toBe(Number.parseFloat(v.toPrecision(12)));
  });

  it("with nothing for CMA-ES to search (choices only), draws from the prior and keeps no replay", () => {
    const space = compileSpace({
      parameters: [
        param("c", {
          $case: "choice",
          value: {
            options: [str("a"), str("b", [param("x", { $case: "uniform", value: { low: 0, high: 1 } })])],
            weights: [],
          },
        }),
      ],
    });
    const session = open(space, defaults);
    expect(session.position()).toBeUndefined();
    const h = sequential(session, 8, 30, (c) => ["complete", c[0]!]);
    for (const o of h) checkConfig(space, o.config);
    expect(new Set(h.map((o) => o.config[0])).size).toBe(2);
    expect(session.position()).toBeUndefined();
  });

  it("fixes a parameter whose log range is one point (both ends with the same logarithm) at its low end", () => {
    const high = 1e300 * (1 + 2 ** -52);
    expect(Math.log(high)).toBe(Math.log(1e300));
    const u = param("u", { $case: "uniform", value: { low: 0, high: 1 } });
    const c = param("c", { $case: "choice", value: { options: [str("a"), str("b"), str("d")], weights: [] } });
    const space = compileSpace({
      parameters: [param("l", { $case: "logUniform", value: { low: 1e300, high } }), u, c],
    });
    expect(flatSpace(space, true).axes.map((a) => a.param.name)).toEqual(["u"]);
    const h = sequential(open(space, defaults), 9, 40, (x) => ["complete", (x[1]! - 0.3) ** 2 + x[2]!]);
    for (const o of h) expect(o.config[0]).toBe(1e300);
    // Neither CMA-ES nor the fallback's random stream sees it: the rest is what the space without it gets.
    const without = sequential(open(compileSpace({ parameters: [u, c] }), defaults), 9, 40, (x) => [
      "complete",
      (x[0]! - 0.3) ** 2 + x[1]!,
    ]);
    expect(h.map((o) => [o.config[1], o.config[2]])).toEqual(without.map((o) => [o.config[0], o.config[1]]));
  });

  it("integers with margin keep moving: a 3-D integer problem reaches its optimum", () => {
    const space = compileSpace({
      parameters: [0, 1, 2].map((i) =>
        param(`k${i}`, { $case: "intRange", value: { low: -10, high: 10, step: 1, log: false } }),
      ),
    });
    const h = sequential(open(space, defaults), 5, 200, (c) => [
      "complete",
      (c[0]! - 3) ** 2 + (c[1]! + 2) ** 2 + (c[2]! - 7) ** 2,
    ]);
    expect(Math.min(...h.map((o) => o.loss!))).toBe(0);
  });

  it("rebuilt from the history, a fresh session suggests what the live one does, with workers finishing out of order", () => {
    const space = box(4);
    const seed = 11;
    const live = open(space, defaults);
    const h: Observation[] = [];
    const rng = createRng(99);
    const running: number[] = [];
    for (let t = 0; t < 160; t++) {
      const config = ask(live, h, seed, t);
      // Several workers: a batch of RUNNING trials, finished in random order, some failing.
      const fresh = ask(open(space, defaults), h, seed, t);
      expect(fresh).toEqual(config);
      h.push({ number: t, config, state: "running", loss: undefined, lastStep: undefined });
      running.push(t);
      while (running.length > 3 || (running.length > 0 && rng.uniform() < 0.4)) {
        const k = running.splice(rng.int(running.length), 1)[0]!;
        const o = h[k]!;
        h[k] = rng.uniform() < 0.1 ? { ...o, state: "fail" } : { ...o, state: "complete", loss: ellipsoid(o.config) };
      }
    }
    expect(new Set(h.map((o) => o.config.join())).size).toBe(160);
    const best = Math.min(...h.filter((o) => o.loss !== undefined).map((o) => o.loss!));
    expect(best).toBeLessThan(2);
  });

  it("a live session starts its replay over when trials appear before where it stopped, or the history shrinks", () => {
    const space = box(3);
    const live = open(space, defaults);
    const h = sequential(live, 4, 40, (c) => ["complete", ellipsoid(c)]);
    const fresh = (hist: Observation[], t: number) => ask(open(space, defaults), hist, 4, t);
    // A WAITING trial (number 40) started after 0..39 but listed by number first: an enqueued configuration.
    const inserted: Observation[] = [
      ...h.slice(0, 20),
      { number: 40, config: Float64Array.of(0, 0, 0), state: "complete", loss: 0, lastStep: undefined },
      ...h.slice(20),
    ];
    expect(ask(live, inserted, 4, 41)).toEqual(fresh(inserted, 41));
    // A view without trial 10 (WAITING then, not listed), then the whole history: 10 is one of CMA-ES's members.
    const gap = open(space, defaults);
    ask(gap, [...h.slice(0, 10), ...h.slice(11)], 4, 40);
    expect(ask(gap, h, 4, 40)).toEqual(fresh(h, 40));
    // Back to a shorter history (another view of the experiment): rebuilt, not continued.
    const shorter = h.slice(0, 25);
    expect(ask(live, shorter, 4, 25)).toEqual(fresh(shorter, 25));
  });

  it("passes over trials that are not its members (enqueued mid-run): it suggests what it would without them", () => {
    const space = box(3);
    const h = sequential(open(space, defaults), 4, 30, (c) => ["complete", ellipsoid(c)]);
    const foreign = (number: number): Observation => ({
      number,
      config: Float64Array.of(1, 1, 1),
      state: "complete",
      loss: 0,
      lastStep: undefined,
    });
    // The same trials with two enqueued ones (the optimum, loss 0) among them, numbered in order.
    const mixed = [...h.slice(0, 10), foreign(10), ...h.slice(10, 20), foreign(21), ...h.slice(20)].map(
      (o, number) => ({
        ...o,
        number,
      }),
    );
    expect(ask(open(space, defaults), mixed, 4, 32)).toEqual(ask(open(space, defaults), h, 4, 30));
  });

  it("passes over a member reported COMPLETE without a usable loss (NaN) as it does a FAIL one", () => {
    const space = box(3);
    const nanAt = (t: number) => t % 5 === 2;
    const nan = sequential(open(space, defaults), 4, 40, (c, t) => ["complete", nanAt(t) ? Number.NaN : ellipsoid(c)]);
    const failed = sequential(open(space, defaults), 4, 40, (c, t) =>
      nanAt(t) ? ["fail", undefined] : ["complete", ellipsoid(c)],
    );
    expect(nan.map((o) => Array.from(o.config))).toEqual(failed.map((o) => Array.from(o.config)));
  });

  it("pending members count: a batch of λ asks gets λ distinct members of one generation, then extras while they run", () => {
    const session = open(box(3), defaults);
    const h: Observation[] = [];
    for (let t = 0; t < 9; t++) {
      h.push({ number: t, config: ask(session, h, 1, t), state: "running", loss: undefined, lastStep: undefined });
    }
    // λ = 7 in 3-D: all nine come from generation 0, the last two as stand-ins.
    expect(session.position()).toMatchObject({ run: 0, generation: 0, popsize: 7, members: 8 });
    for (let t = 0; t < 9; t++) h[t] = { ...h[t]!, state: "complete", loss: ellipsoid(h[t]!.config) };
    ask(session, h, 1, 9);
    h.push({ number: 9, config: ask(session, h, 1, 9), state: "running", loss: undefined, lastStep: undefined });
    ask(session, h, 1, 10);
    expect(session.position()).toMatchObject({ generation: 1, members: 1 });
  });

  it("restarts with a doubled population (IPOP) once a run stops, and not with restart_strategy none", () => {
    const flat = () => ["complete", 1] as [ObservationState, number];
    const ipop = open(box(2), defaults);
    sequential(ipop, 3, 400, flat);
    expect(ipop.position()!.run).toBeGreaterThan(0);
    expect(ipop.position()!.popsize).toBe(6 * 2 ** ipop.position()!.run);
    const none = open(box(2), cmaes.parseOptions({ restart_strategy: { kind: "string", value: "none" } }));
    sequential(none, 3, 400, flat);
    expect(none.position()!.run).toBe(0);
  });

  it("each run starts diagonal (sep-CMA) for diagonal_phase·n/√λ generations, then goes on full; replays agree", () => {
    // 4-D: λ = 8, diagonal_phase 2: ⌈2·4/√8⌉ = 3 diagonal generations.
    const options = cmaes.parseOptions({ diagonal_phase: { kind: "double", value: 2 } });
    const live = open(box(4), options);
    const h: Observation[] = [];
    const seen = new Map<string, boolean>();
    for (let t = 0; t < 120; t++) {
      const config = ask(live, h, 7, t);
      if (t % 9 === 0) expect(ask(open(box(4), options), h, 7, t)).toEqual(config);
      const pos = live.position();
      if (pos !== undefined) seen.set(`${pos.run}/${pos.generation}`, pos.diagonal);
      h.push({ number: t, config, state: "complete", loss: ellipsoid(config), lastStep: undefined });
    }
    expect([0, 1, 2].map((g) => seen.get(`0/${g}`))).toEqual([true, true, true]);
    expect([3, 4, 10].map((g) => seen.get(`0/${g}`))).toEqual([false, false, false]);
    // A restart's run starts diagonal again.
    const flat = open(box(2), options);
    const runs = new Map<number, boolean>();
    sequential(flat, 3, 400, () => {
      const pos = flat.position();
      if (pos !== undefined && pos.generation === 0) runs.set(pos.run, pos.diagonal);
      return ["complete", 1];
    });
    expect(runs.size).toBeGreaterThan(1);
    expect([...runs.values()].every((d) => d)).toBe(true);
  });

  it("a one-parameter run has no diagonal phase (C is 1×1 either way)", () => {
    const one = open(box(1), defaults);
    sequential(one, 2, 20, (c) => ["complete", ellipsoid(c)]);
    expect(one.position()).toMatchObject({ run: 0, diagonal: false });
  });

  it("diagonal_phase 0 is the full update from the first generation, and a warm start is always full", () => {
    const full = open(box(3), cmaes.parseOptions({ diagonal_phase: { kind: "double", value: 0 } }));
    sequential(full, 2, 30, (c) => ["complete", ellipsoid(c)]);
    expect(full.position()).toMatchObject({ run: 0, diagonal: false });
    const sep = open(box(3), defaults);
    sequential(sep, 2, 30, (c) => ["complete", ellipsoid(c)]);
    expect(sep.position()).toMatchObject({ run: 0, diagonal: true });
    const rng = createRng(4);
    const h: Observation[] = Array.from({ length: 20 }, (_, t) => {
      const config = Float64Array.from([0, 1, 2], () => rng.uniform() * 10 - 5);
      return { number: t, config, state: "complete" as const, loss: ellipsoid(config), lastStep: undefined };
    });
    const warm = open(box(3), defaults);
    const config = ask(warm, h, 2, 20);
    h.push({ number: 20, config, state: "running", loss: undefined, lastStep: undefined });
    ask(warm, h, 2, 21);
    expect(warm.position()).toMatchObject({ run: 0, generation: 0, diagonal: false });
  });

  it("the diagonal phase gets far lower on a 10-D ill-conditioned ellipsoid in 600 trials than the full update", () => {
    const conditioned = (c: Config) => {
      let s = 0;
      for (let i = 0; i < c.length; i++) s += 10 ** ((3 * i) / (c.length - 1)) * (c[i]! - 1) ** 2;
      return s;
    };
    const best = (options: CmaesOptions, seed: number) =>
      Math.min(
        ...sequential(open(box(10), options), seed, 600, (c) => ["complete", conditioned(c)]).map((o) => o.loss!),
      );
    const full = cmaes.parseOptions({ diagonal_phase: { kind: "double", value: 0 } });
    for (const seed of [1, 2, 3]) expect(best(defaults, seed) * 10).toBeLessThan(best(full, seed));
  });

  it("BIPOP alternates large-population restarts with small ones, and a fresh session replays them exactly", () => {
    const bipop = cmaes.parseOptions({ restart_strategy: { kind: "string", value: "bipop" } });
    const session = open(box(2), bipop);
    const h: Observation[] = [];
    const popsizes = new Map<number, number>();
    for (let t = 0; t < 1500; t++) {
      const config = ask(session, h, 3, t);
      const pos = session.position();
      if (pos !== undefined) popsizes.set(pos.run, pos.popsize);
      // Flat with a faint slope: runs stop on tolfun quickly.
      h.push({ number: t, config, state: "complete", loss: 1 + 1e-14 * config[0]!, lastStep: undefined });
    }
    const runs = [...popsizes.values()];
    expect(runs.length).toBeGreaterThan(4);
    expect(runs[0]).toBe(6);
    // The first restart is a large one; then small runs (λ below the largest so far) come between larger ones.
    expect(runs[1]).toBe(12);
    expect(runs.some((l, i) => i > 1 && l < Math.max(...runs.slice(0, i)))).toBe(true);
    expect(Math.max(...runs)).toBeGreaterThanOrEqual(24);
    expect(ask(open(box(2), bipop), h, 3, 1500)).toEqual(ask(session, h, 3, 1500));
  });

  it("warm-starts from COMPLETE trials with a loss and every axis set only, ties in number order", () => {
    const space = box(3, 0, 1);
    const rng = createRng(12);
    const trial = (number: number, loss: number, over: Partial<Observation> = {}): Observation => ({
      number,
      config: Float64Array.from([rng.uniform(), rng.uniform(), rng.uniform()]),
      state: "complete",
      loss,
      lastStep: undefined,
      ...over,
    });
    // 30 usable trials, losses 0..29 with 1..4 tied at 1: the best 10% (3) are 0 and the first two of the tie.
    const usable = Array.from({ length: 30 }, (_, i) => trial(0, i >= 1 && i <= 4 ? 1 : i));
    const first = (h: Observation[]) => ask(open(space, defaults), h, 7, h.length);
    const numbered = (h: Observation[]) => h.map((o, number) => ({ ...o, number }));
    const base = first(numbered(usable));
    // The tie broken explicitly in number order: the same best 10%, the same start.
    expect(first(numbered(usable.map((o, i) => (i >= 1 && i <= 4 ? { ...o, loss: 1 + i * 1e-9 } : o))))).toEqual(base);
    // And the other way round: another best 10%.
    expect(first(numbered(usable.map((o, i) => (i >= 1 && i <= 4 ? { ...o, loss: 1 - i * 1e-9 } : o))))).not.toEqual(
      base,
    );
    // Better trials that do not count, among them: PRUNED with an intermediate value, COMPLETE with a NaN loss,
    // and trials from before a parameter was added (NaN on an axis). The start is the same.
    const ignored = [
      trial(0, -5, { state: "pruned", lastStep: 3 }),
      trial(0, Number.NaN),
      trial(0, -5, { config: Float64Array.of(0.5, Number.NaN, 0.5) }),
      trial(0, -4, { config: Float64Array.of(Number.NaN, 0.1, 0.1) }),
    ];
    expect(first(numbered([...ignored, ...usable]))).toEqual(first(numbered(usable)));
    // The best trial reported late (the 23rd or the last of 29, after the last change in the size of the best 10%)
    // or first: the same best 10%, the same start.
    const best = trial(0, -1);
    const early = first(numbered([best, ...usable.slice(0, 28)]));
    expect(first(numbered([...usable.slice(0, 22), best, ...usable.slice(22, 28)]))).toEqual(early);
    expect(first(numbered([...usable.slice(0, 28), best]))).toEqual(early);
    // From 10 usable trials on (the best one), not with 9: then the default start, as without a warm start.
    const cold = (h: Observation[]) =>
      ask(open(space, cmaes.parseOptions({ warm_start: { kind: "bool", value: false } })), h, 7, h.length);
    const ten = numbered(usable.slice(0, 10));
    expect(first(ten)).not.toEqual(cold(ten));
    const nine = numbered(usable.slice(0, 9));
    expect(first(nine)).toEqual(cold(nine));
  });

  it("warm-starts from earlier finished trials: the first generation centres on the best of them", () => {
    const space = box(3, 0, 1);
    const rng = createRng(2);
    const h: Observation[] = [];
    for (let t = 0; t < 40; t++) {
      const config = Float64Array.from([rng.uniform(), rng.uniform(), rng.uniform()]);
      h.push({
        number: t,
        config,
        state: "complete",
        loss: (config[0]! - 0.9) ** 2 + (config[1]! - 0.9) ** 2 + (config[2]! - 0.9) ** 2,
        lastStep: undefined,
      });
    }
    const warm = open(space, defaults);
    const cold = open(space, cmaes.parseOptions({ warm_start: { kind: "bool", value: false } }));
    const mean = (s: CmaesSession) => {
      const hh = [...h];
      for (let t = 40; t < 60; t++)
        hh.push({ number: t, config: ask(s, hh, 5, t), state: "running", loss: undefined, lastStep: undefined });
      return hh.slice(40).reduce((acc, o) => acc + o.config[0]!, 0) / 20;
    };
    expect(mean(warm)).toBeGreaterThan(0.7);
    expect(Math.abs(mean(cold) - 0.5)).toBeLessThan(0.15);
    // And a fresh session rebuilds the warm start from the same history.
    const hh = [...h];
    for (let t = 40; t < 45; t++)
      hh.push({ number: t, config: ask(warm, hh, 6, t), state: "complete", loss: 1, lastStep: undefined });
    expect(ask(open(space, defaults), hh, 6, 45)).toEqual(ask(warm, hh, 6, 45));
  });

  it("after a long history of other trials (ties, one RUNNING until late), a fresh session rebuilds the warm start exactly", () => {
    const space = box(3, 0, 1);
    const rng = createRng(3);
    const h: Observation[] = [];
    for (let t = 0; t < 1500; t++) {
      const config = Float64Array.from([rng.uniform(), rng.uniform(), rng.uniform()]);
      // Losses rounded to a coarse grid: many ties, which must keep number order as a stable sort does.
      const loss = Math.round(10 * ((config[0]! - 0.8) ** 2 + (config[1]! - 0.2) ** 2)) / 10;
      h.push({ number: t, config, state: t === 700 ? "running" : "complete", loss, lastStep: undefined });
    }
    const live = open(space, defaults);
    // Trial 700 still running: no warm start yet, CMA-ES begins from the default centre.
    const first = ask(live, h, 9, 1500);
    expect(first).toEqual(
      ask(open(space, cmaes.parseOptions({ warm_start: { kind: "bool", value: false } })), h, 9, 1500),
    );
    h[700] = { ...h[700]!, state: "complete", loss: 0.5 };
    // Finished now: the next ask (still before any CMA-ES trial) warm-starts from the best 10% of 1,500.
    const warm = ask(live, h, 9, 1500);
    expect(warm).not.toEqual(first);
    for (let t = 1500; t < 1560; t++) {
      const config = ask(live, h, 9, t);
      if (t % 10 === 0 || t === 1559) expect(ask(open(space, defaults), h, 9, t)).toEqual(config);
      h.push({ number: t, config, state: "complete", loss: (config[0]! - 0.8) ** 2, lastStep: undefined });
    }
    expect(h[1500]!.config).toEqual(warm);
    expect(live.position()!.generation).toBeGreaterThan(5);
  });

  it("suggests in well under 5 ms at 10,000 trials in 10-D", () => {
    const session = open(box(10), defaults);
    const h = sequential(session, 8, 10_000, (c) => ["complete", ellipsoid(c)]);
    const times: number[] = [];
    for (let r = 0; r < 20; r++) {
      const t0 = performance.now();
      ask(session, h, 8, 10_000);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    expect(times[10]!).toBeLessThan(5);
  });
});
