/**
 * The GP with constraints (Optuna's logCEI): ln P(feasible) against SciPy
 * goldens (test/fixtures/gen_gp_constraint_goldens.py), gradients against
 * finite differences, the preference for feasible points, the phase with no
 * feasible observation, pending trials and the data subset.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConstrainedLogEIAcquisition, LogEIAcquisition } from "../../src/algorithms/gp/acqf.js";
import { logProbBelow, logProbBelowWithGradient } from "../../src/algorithms/gp/acquisition.js";
import { encodeSpace } from "../../src/algorithms/gp/encode.js";
import { GpPosterior } from "../../src/algorithms/gp/gp.js";
import { gpAlgorithm, observations } from "../../src/algorithms/gp/sampler.js";
import { boundedRows } from "../../src/algorithms/gp/subset.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config } from "../../src/space/types.js";

interface Goldens {
  logprob: { mean: number; variance: number; threshold: number; value: number }[];
  posterior: {
    X: number[][];
    lambda: number[];
    scale: number;
    noise: number;
    P: number[][];
    constraints: { z: number[]; threshold: number; mean: number[]; variance: number[] }[];
    log_feasible: number[];
    y: number[];
    best: number;
    log_cei: number[];
  };
}
const goldens = JSON.parse(
  readFileSync(new URL("../fixtures/gp-constraint-goldens.json", import.meta.url), "utf8"),
) as Goldens;

/** |a − b| within `rel` of |b| (or of 1 near 0). */
function expectNear(a: number, b: number, rel: number, label?: string): void {
  expect(Math.abs(a - b), `${label ?? ""} ${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));
}

describe("ln P(feasible)", () => {
  it("matches SciPy's log_ndtr from near-certain feasibility to violations 1e6 deviations deep", () => {
    for (const g of goldens.logprob) {
      const v = logProbBelow(g.mean, g.variance, g.threshold);
      expect(Number.isFinite(v)).toBe(true);
      expectNear(v, g.value, 1e-13, JSON.stringify(g));
      expect(logProbBelowWithGradient(g.mean, g.variance, g.threshold)[0]).toBe(v);
    }
  });

  it("has derivatives in mean and variance that match finite differences, finite in both tails", () => {
    for (const [mean, variance, t] of [
      [0.2, 0.7, 0],
      [-2, 0.3, 0.5],
      [3, 0.5, -1],
      [60, 2, 0],
      [-30, 1, 0],
    ] as const) {
      const [, dmu, dv] = logProbBelowWithGradient(mean, variance, t);
      expect(Number.isFinite(dmu) && Number.isFinite(dv)).toBe(true);
      const h = 1e-6;
      const fdMu = (logProbBelow(mean + h, variance, t) - logProbBelow(mean - h, variance, t)) / (2 * h);
      const fdV = (logProbBelow(mean, variance + h, t) - logProbBelow(mean, variance - h, t)) / (2 * h);
      expectNear(dmu, fdMu, 1e-5, `dmu at ${mean}`);
      expectNear(dv, fdV, 1e-5, `dv at ${mean}`);
    }
  });
});

describe("constrained log EI on fixed GPs", () => {
  const g = goldens.posterior;
  const D = g.X[0]!.length;
  const X = Float64Array.from(g.X.flat());
  const cat = new Uint8Array(D);
  const hyper = { lambda: Float64Array.from(g.lambda), scale: g.scale, noise: g.noise };
  const constraints = g.constraints.map((c) => ({
    post: GpPosterior.create(X, Float64Array.from(c.z), D, cat, hyper)!,
    threshold: c.threshold,
  }));
  const objective = GpPosterior.create(X, Float64Array.from(g.y), D, cat, hyper)!;
  const m = g.P.length;
  const P = Float64Array.from(g.P.flat());

  it("is Σ ln P(feasible) while nothing is feasible, and log EI + Σ ln P(feasible) with an incumbent", () => {
    const alone = new ConstrainedLogEIAcquisition(objective, undefined, constraints).score(P, m);
    const withBest = new ConstrainedLogEIAcquisition(objective, g.best, constraints).score(P, m);
    for (let r = 0; r < m; r++) {
      expectNear(alone[r]!, g.log_feasible[r]!, 1e-9, `feasibility at ${r}`);
      expectNear(withBest[r]!, g.log_cei[r]!, 1e-9, `logCEI at ${r}`);
    }
  });

  it("gives a value equal to its score and a gradient that matches finite differences", () => {
    const active = Uint8Array.of(1, 1);
    for (const best of [undefined, g.best]) {
      const acq = new ConstrainedLogEIAcquisition(objective, best, constraints);
      for (let r = 0; r < m; r++) {
        const x = P.slice(r * D, (r + 1) * D);
        const grad = new Float64Array(D);
        const v = acq.valueAndGradient(x, active, grad);
        expectNear(v, acq.score(x, 1)[0]!, 1e-12);
        for (let d = 0; d < D; d++) {
          const h = 1e-6;
          const xp = Float64Array.from(x);
          const xm = Float64Array.from(x);
          xp[d] = xp[d]! + h;
          xm[d] = xm[d]! - h;
          const fd = (acq.score(xp, 1)[0]! - acq.score(xm, 1)[0]!) / (2 * h);
          expect(Math.abs(grad[d]! - fd), `d${d} at ${r}: ${grad[d]} vs ${fd}`).toBeLessThan(
            1e-4 * Math.max(1, Math.abs(fd)),
          );
        }
      }
    }
  });
});

describe("the constrained acquisition's preference", () => {
  // One dimension: the objective (maximised) grows with x, the constraint c = x − 0.5 is met below 0.5.
  const xs = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95];
  const X = Float64Array.from(xs);
  const cat = new Uint8Array(1);
  const hyper = { lambda: Float64Array.of(10), scale: 1, noise: 1e-6 };
  const y = Float64Array.from(xs, (x) => 2 * x - 1);
  const c = Float64Array.from(xs, (x) => x - 0.5);
  const cMean = c.reduce((a, b) => a + b, 0) / c.length;
  const cStd = Math.sqrt(c.reduce((a, b) => a + (b - cMean) ** 2, 0) / c.length);
  const objective = GpPosterior.create(X, y, 1, cat, hyper)!;
  const constraint = {
    post: GpPosterior.create(
      X,
      Float64Array.from(c, (v) => (v - cMean) / cStd),
      1,
      cat,
      hyper,
    )!,
    threshold: -cMean / cStd,
  };
  const feasible = Float64Array.of(0.42);
  const infeasibleBetterMean = Float64Array.of(0.9);

  it("prefers a feasible point to an infeasible one with a better posterior mean", () => {
    const mean = new Float64Array(2);
    const variance = new Float64Array(2);
    objective.predict(Float64Array.of(0.42, 0.9), 2, mean, variance);
    expect(mean[1]).toBeGreaterThan(mean[0]!);
    // The incumbent: the best feasible observation (x = 0.45), not the best overall (x = 0.95).
    const best = y[4]!;
    const plain = new LogEIAcquisition(objective, best);
    expect(plain.score(infeasibleBetterMean, 1)[0]).toBeGreaterThan(plain.score(feasible, 1)[0]!);
    const constrained = new ConstrainedLogEIAcquisition(objective, best, [constraint]);
    expect(constrained.score(feasible, 1)[0]).toBeGreaterThan(constrained.score(infeasibleBetterMean, 1)[0]!);
  });
});

const unit2 = compileSpace({
  parameters: ["x", "y"].map((name) => ({ name, domain: { $case: "uniform", value: { low: 0, high: 1 } } })),
});
const options = (raw: Record<string, number> = {}) =>
  gpAlgorithm.parseOptions(
    Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { kind: "int" as const, value: v }])),
  );
/** Minimise (x − 0.9)² + (y − 0.9)² s.t. x + y ≤ 1 (c = x + y − 1): the feasible optimum is (0.5, 0.5). */
const f = (c: Config) => (c[0]! - 0.9) ** 2 + (c[1]! - 0.9) ** 2;
const g = (c: Config) => c[0]! + c[1]! - 1;
const done = (number: number, config: Config, withConstraints = true): Observation => ({
  number,
  config,
  state: "complete",
  loss: f(config),
  lastStep: undefined,
  ...(withConstraints ? { constraints: Float64Array.of(g(config)) } : {}),
});
function grid(n: number, offset = 0): Config[] {
  const rng = createRng(11, offset);
  return Array.from({ length: n }, () => Float64Array.of(rng.uniform(), rng.uniform()));
}

describe("gp suggestions with constraints", () => {
  const history = grid(16).map((c, i) => done(i, c));

  it("land in the feasible region, where the same history without constraints does not", () => {
    const session = gpAlgorithm.open(unit2, options({ n_candidates: 512 }));
    for (let k = 0; k < 3; k++) {
      const s = session.suggest(history, createRng(5, 100 + k));
      expect(g(s), `suggestion ${k}: ${Array.from(s)}`).toBeLessThanOrEqual(0.05);
    }
    // Constraints were ignored before: the unconstrained GP heads for (0.9, 0.9).
    const blind = gpAlgorithm.open(unit2, options({ n_candidates: 512 }));
    const s = blind.suggest(
      history.map((o) => done(o.number, o.config, false)),
      createRng(5, 100),
    );
    expect(g(s)).toBeGreaterThan(0.3);
  });

  it("seek feasibility alone while nothing is feasible", () => {
    // Every observation violates x + y ≤ 0.3; the best objective values are the farthest from it.
    const tight = (c: Config) => c[0]! + c[1]! - 0.3;
    const infeasible = grid(40)
      .filter((c) => tight(c) > 0.2)
      .slice(0, 14)
      .map((c, i): Observation => ({ ...done(i, c), constraints: Float64Array.of(tight(c)) }));
    expect(infeasible).toHaveLength(14);
    const session = gpAlgorithm.open(unit2, options({ n_candidates: 512 }));
    const s = session.suggest(infeasible, createRng(6, 50));
    const least = Math.min(...infeasible.map((o) => tight(o.config)));
    expect(tight(s), `suggested ${Array.from(s)}`).toBeLessThan(least);
  });

  it("spread a batch: pending trials are believed no more feasible than the boundary", () => {
    const session = gpAlgorithm.open(unit2, options({ n_candidates: 512 }));
    const batch: Config[] = [];
    for (let k = 0; k < 3; k++) {
      const pending = batch.map(
        (c, i): Observation => ({ number: 200 + i, config: c, state: "running", loss: undefined, lastStep: undefined }),
      );
      batch.push(session.suggest([...history, ...pending], createRng(7, 200 + k)));
    }
    for (let a = 0; a < batch.length; a++)
      for (let b = 0; b < a; b++)
        expect(Math.hypot(batch[a]![0]! - batch[b]![0]!, batch[a]![1]! - batch[b]![1]!)).toBeGreaterThan(1e-3);
  });

  it("are deterministic and count trials without constraints as infeasible", () => {
    const mixed = [...grid(6, 1).map((c, i) => done(i, c, false)), ...grid(12, 2).map((c, i) => done(6 + i, c))];
    const run = () => Array.from(gpAlgorithm.open(unit2, options()).suggest(mixed, createRng(8, 18)));
    expect(run()).toEqual(run());
    expect(g(Float64Array.from(run()))).toBeLessThanOrEqual(0.05);
  });
});

describe("gp with constraints on a mixed, conditional space", () => {
  const str = (v: string) => ({ value: { kind: { $case: "stringValue" as const, value: v } }, children: [] });
  const space = compileSpace({
    parameters: [
      { name: "u", domain: { $case: "uniform", value: { low: -2, high: 3 } } },
      { name: "i", domain: { $case: "intRange", value: { low: 1, high: 10, step: 1, log: false } } },
      {
        name: "model",
        domain: {
          $case: "choice",
          value: {
            options: [
              {
                ...str("svm"),
                children: [{ name: "C", domain: { $case: "logUniform", value: { low: 1e-3, high: 1e3 } } }],
              },
              str("tree"),
            ],
            weights: [],
          },
        },
      },
    ],
  });
  const at = (c: Config, name: string) => c[space.byName.get(name)!.index]!;

  it("suggests valid configurations with every trial state, constraints on some trials only", () => {
    const session = gpAlgorithm.open(space, options({ n_startup_trials: 4, n_candidates: 128 }));
    const history: Observation[] = [];
    const states = ["complete", "complete", "pruned", "complete", "fail", "running"] as const;
    for (let t = 0; t < 22; t++) {
      const c = session.suggest(history, createRng(12, t));
      expect(at(c, "u")).toBeGreaterThanOrEqual(-2);
      expect(at(c, "u")).toBeLessThanOrEqual(3);
      expect(Number.isInteger(at(c, "i"))).toBe(true);
      expect(Number.isNaN(at(c, "C"))).toBe(at(c, "model") !== 0);
      const state = states[t % states.length]!;
      const loss = state === "complete" ? (at(c, "u") - 1) ** 2 + at(c, "model") : state === "pruned" ? 5 : undefined;
      // The first trials report no constraints (as before a first constrained report); pruned ones never do.
      const constraints =
        state === "complete" && t >= 3 ? Float64Array.of(at(c, "u") - 0.5, at(c, "i") - 6) : undefined;
      history.push({
        number: t,
        config: c,
        state,
        loss,
        lastStep: state === "pruned" ? 2 : undefined,
        ...(constraints ? { constraints } : {}),
      });
    }
  });
});

describe("the data subset with constraints", () => {
  it("ranks feasible rows first, then the least infeasible, whatever their loss", () => {
    const losses = [5, 1, 2, 3, 4, 0, 6, 7];
    const violations = [0, 3, Number.POSITIVE_INFINITY, 0, 0.5, 2, 0, 0];
    // cap 4: the best half (2 rows) by (violation, loss) are rows 3 and 0; the latest quarter is row 7.
    const kept = boundedRows(losses, 4, violations);
    expect(kept).toContain(0);
    expect(kept).toContain(3);
    expect(kept).toContain(7);
    expect(kept).not.toContain(5); // the lowest loss, but infeasible
    expect(boundedRows(losses, 4)).toContain(5);
  });

  it("fits the constraint GPs on the same bounded rows as the objective's", () => {
    // x + y ≤ 0.6: about a fifth of uniform points are feasible.
    const tight = (c: Config) => c[0]! + c[1]! - 0.6;
    const rows = grid(70, 3).map((c, i): Observation => ({ ...done(i, c), constraints: Float64Array.of(tight(c)) }));
    const enc = encodeSpace(unit2);
    const data = observations(enc, rows, true, 50);
    expect(data.y).toHaveLength(50);
    expect(data.constrained).toBe(true);
    // The best half of the cap (25 rows) is every feasible observation, then the least infeasible ones.
    const feasible = rows.filter((o) => tight(o.config) <= 0);
    expect(feasible.length).toBeGreaterThan(5);
    expect(feasible.length).toBeLessThan(25);
    const best25 = [...rows].sort(
      (a, b) => Math.max(0, tight(a.config)) - Math.max(0, tight(b.config)) || a.loss! - b.loss!,
    );
    for (const o of best25.slice(0, 25)) expect(data.source).toContain(o);
    const run = (max: number) =>
      Array.from(
        gpAlgorithm.open(unit2, options({ max_observations: max, n_candidates: 256 })).suggest(rows, createRng(9, 70)),
      );
    const capped = run(50);
    expect(capped).toEqual(run(50));
    expect(capped).not.toEqual(run(400));
    expect(tight(Float64Array.from(capped))).toBeLessThanOrEqual(0.05);
  });
});
