/**
 * The GP's fitting pipeline against its documented contracts: the MAP objective and its minimum against an
 * independent NumPy/SciPy computation (test/fixtures/gen_gp_fit_goldens.py), the fallback and warm start of
 * fitHyperparameters, the refit schedule and its memo (fit-schedule.ts), standardisation, and the constraint
 * helpers' definitions (constraints.ts).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { constraintModels, isConstrained, violation, withPending } from "../../src/algorithms/gp/constraints.js";
import {
  defaultHyperparameters,
  type FitResult,
  fitHyperparameters,
  marginalObjective,
} from "../../src/algorithms/gp/fit.js";
import { FitMemo, scheduledFit, standardiseInPlace } from "../../src/algorithms/gp/fit-schedule.js";
import { GpPosterior } from "../../src/algorithms/gp/gp.js";
import { warpOutputs } from "../../src/algorithms/gp/warp.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";

interface Goldens {
  D: number;
  cat: number[];
  X: number[];
  y: number[];
  points: { deterministic: boolean; theta: number[]; loss: number }[];
  minima: { deterministic: boolean; theta: number[]; loss: number }[];
}
const golden = JSON.parse(readFileSync(new URL("../fixtures/gp-fit-goldens.json", import.meta.url), "utf8")) as Goldens;
const gX = Float64Array.from(golden.X);
const gy = Float64Array.from(golden.y);
const gcat = Uint8Array.from(golden.cat);

describe("the MAP objective (NumPy reference)", () => {
  it("equals ½yᵀC⁻¹y + Σ ln L_ii − ln p(θ) at points across the box, with and without noise", () => {
    for (const p of golden.points) {
      const f = marginalObjective(gX, gy, golden.D, gcat, p.deterministic);
      const got = f(Float64Array.from(p.theta), new Float64Array(p.theta.length));
      expect(Math.abs(got - p.loss), `${JSON.stringify(p)} got ${got}`).toBeLessThan(
        1e-9 * Math.max(1, Math.abs(p.loss)),
      );
    }
  });

  it("is minimised to SciPy's L-BFGS-B minimum within the fit's tolerance", () => {
    for (const m of golden.minima) {
      const r = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: m.deterministic });
      // Never below the true minimum (beyond rounding), and within the fit's stopping tolerance of it.
      expect(r.loss).toBeGreaterThan(m.loss - 1e-6);
      expect(r.loss).toBeLessThan(m.loss + 0.05);
      // The loss reported is the objective at the hyperparameters returned.
      const f = marginalObjective(gX, gy, golden.D, gcat, m.deterministic);
      const theta = [...Array.from(r.hyper.lambda, Math.log), Math.log(r.hyper.scale)];
      if (!m.deterministic) theta.push(Math.log(r.hyper.noise - 1e-6));
      expect(f(Float64Array.from(theta), new Float64Array(theta.length))).toBeCloseTo(r.loss, 8);
      if (m.deterministic) expect(r.hyper.noise).toBe(1e-6);
      else expect(r.hyper.noise).toBeGreaterThan(1e-6);
      expect(r.evaluations).toBeGreaterThan(0);
      expect(r.evaluations).toBeLessThanOrEqual(2 * 75);
    }
  });

  it("keeps the hyperparameters inside their sanity bounds", () => {
    // Targets that vary wildly between neighbours push every λ up and the noise up: the bounds hold them.
    const rng = createRng(3);
    const n = 30;
    const X = Float64Array.from({ length: n }, () => rng.uniform());
    const y = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1));
    for (const det of [false, true]) {
      const r = fitHyperparameters(X, y, 1, new Uint8Array(1), { deterministic: det, maxIter: 200 });
      expect(r.hyper.lambda[0]!).toBeLessThanOrEqual(1e4 * (1 + 1e-9));
      expect(r.hyper.lambda[0]!).toBeGreaterThanOrEqual(1e-4 * (1 - 1e-9));
      expect(r.hyper.scale).toBeLessThanOrEqual(1e2 * (1 + 1e-9));
      expect(r.hyper.scale).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-9));
      expect(r.hyper.noise).toBeLessThanOrEqual(1e-6 + 10 * (1 + 1e-9));
    }
  });
});

describe("fitHyperparameters' starts and fallback", () => {
  it("defaults to λ = 1, s = 1, σ² = 0.01 above the floor", () => {
    const h = defaultHyperparameters(3);
    expect(Array.from(h.lambda)).toEqual([1, 1, 1]);
    expect(h.scale).toBe(1);
    expect(h.noise).toBeCloseTo(0.01 + 1e-6, 15);
  });

  it("returns the defaults with an infinite loss when no start reaches a finite objective", () => {
    const y = Float64Array.from([0.5, Number.NaN, -0.5]);
    const X = Float64Array.from([0, 0.5, 1]);
    const noisy = fitHyperparameters(X, y, 1, new Uint8Array(1), { deterministic: false });
    expect(noisy.loss).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(noisy.hyper.lambda)).toEqual([1]);
    expect(noisy.hyper.scale).toBe(1);
    expect(noisy.hyper.noise).toBeCloseTo(0.01 + 1e-6, 15);
    expect(noisy.evaluations).toBeGreaterThan(0);
    const det = fitHyperparameters(X, y, 1, new Uint8Array(1), { deterministic: true });
    expect(det.loss).toBe(Number.POSITIVE_INFINITY);
    expect(det.hyper.noise).toBe(1e-6);
    expect(det.hyper.scale).toBe(1);
    // A warm start that fails too falls back to the default start, then to the defaults.
    const warm = fitHyperparameters(X, y, 1, new Uint8Array(1), { deterministic: false, init: noisy.hyper });
    expect(warm.loss).toBe(Number.POSITIVE_INFINITY);
    expect(warm.evaluations).toBeGreaterThan(noisy.evaluations);
  });

  it("trusts a converged warm start and falls back to the default start from a poor one", () => {
    const det = false;
    const cold = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: det });
    const warm = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: det, init: cold.hyper });
    expect(warm.loss).toBeLessThanOrEqual(cold.loss + 1e-9);
    expect(warm.evaluations).toBeLessThan(cold.evaluations);
    // From the optimum itself, every hyperparameter (the noise too) starts there: converged at once.
    expect(warm.evaluations).toBeLessThanOrEqual(2);
    expect(warm.loss).toBeCloseTo(cold.loss, 12);
    // A start stuck at a corner with one iteration allowed does not converge: the default start is also tried,
    // and the better of the two is kept.
    const corner = { lambda: Float64Array.from([1e4, 1e4, 1e4]), scale: 1e-3, noise: 10 };
    const once = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: det, init: corner, maxIter: 1 });
    const defaultOnce = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: det, maxIter: 1 });
    const cornerOnly = marginalObjective(
      gX,
      gy,
      golden.D,
      gcat,
      det,
    )(
      Float64Array.from([Math.log(1e4), Math.log(1e4), Math.log(1e4), Math.log(1e-3), Math.log(10 - 1e-6)]),
      new Float64Array(5),
    );
    expect(once.loss).toBeLessThanOrEqual(defaultOnce.loss + 1e-9);
    expect(once.loss).toBeLessThan(cornerOnly);
    expect(once.evaluations).toBeGreaterThan(defaultOnce.evaluations);
  });

  it("honours gtol, ftol and maxIter", () => {
    const loose = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: true, gtol: 10, ftol: 0.5 });
    const tight = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: true, gtol: 1e-6, ftol: 1e-15 });
    expect(loose.evaluations).toBeLessThan(tight.evaluations);
    expect(tight.loss).toBeLessThanOrEqual(loose.loss);
    const two = fitHyperparameters(gX, gy, golden.D, gcat, { deterministic: true, maxIter: 2, gtol: 1e-9 });
    // maxEval = 1.5 · maxIter = 3 evaluations at most per start, two starts at most.
    expect(two.evaluations).toBeLessThanOrEqual(2 * 3);
  });
});

describe("standardisation", () => {
  it("subtracts the mean and divides by the population standard deviation", () => {
    const y = Float64Array.from([1, 2, 3, 4]);
    standardiseInPlace(y);
    const sd = Math.sqrt(1.25);
    expect(Array.from(y)).toEqual([-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd].map((v) => expect.closeTo(v, 12)));
  });

  it("leaves constant targets at zero (a floor on the spread), never NaN", () => {
    const y = Float64Array.from([7, 7, 7]);
    standardiseInPlace(y);
    expect(Array.from(y)).toEqual([0, 0, 0]);
    // A spread below the floor is divided by the floor, 1e-10.
    const tiny = Float64Array.from([0, 1e-12]);
    standardiseInPlace(tiny);
    expect(tiny[1]! - tiny[0]!).toBeCloseTo(1e-12 / 1e-10, 9);
  });
});

describe("the fit memo", () => {
  const fitOf = (loss: number): FitResult => ({ hyper: defaultHyperparameters(1), loss, evaluations: 1 });

  it("keeps the 32 most recently used fits", () => {
    const memo = new FitMemo();
    for (let i = 0; i < 32; i++) memo.set(`k${i}`, fitOf(i));
    expect(memo.get("k0")?.loss).toBe(0);
    memo.set("k32", fitOf(32)); // evicts k1, the least recently used (k0 was just read)
    expect(memo.get("k1")).toBeUndefined();
    expect(memo.get("k0")?.loss).toBe(0);
    expect(memo.get("k2")?.loss).toBe(2);
    expect(memo.get("k32")?.loss).toBe(32);
    expect(memo.get("absent")).toBeUndefined();
  });

  it("does not take a slot for a key it does not hold", () => {
    const memo = new FitMemo();
    for (let i = 0; i < 31; i++) memo.set(`k${i}`, fitOf(i));
    expect(memo.get("absent")).toBeUndefined();
    memo.set("k31", fitOf(31)); // the 32nd fit: nothing is evicted
    expect(memo.get("k0")?.loss).toBe(0);
    expect(memo.get("absent")).toBeUndefined();
  });
});

describe("the refit schedule", () => {
  const rng = createRng(11);
  const N = 70;
  const D = 2;
  const X = Float64Array.from({ length: N * D }, () => rng.uniform());
  const target = Float64Array.from({ length: N }, (_, i) => Math.sin(6 * X[i * D]!) + X[i * D + 1]! ** 2);
  const cat = new Uint8Array(D);

  /** What a fresh fit on the first m rows gives, standardised (and warped first if asked). */
  function freshFit(m: number, det: boolean, warp: boolean): FitResult {
    let y: Float64Array = target.slice(0, m);
    if (warp) y = warpOutputs(y);
    y = Float64Array.from(y);
    standardiseInPlace(y);
    return fitHyperparameters(X.slice(0, m * D), y, D, cat, { deterministic: det });
  }
  const sched = (memo: FitMemo, n: number, det = false, warp = false) =>
    scheduledFit(memo, X.slice(0, n * D), target.slice(0, n), D, cat, det, warp);

  it("fits on every observation below 40, then on the first m, m a multiple of min(⌊n/20⌋, 10)", () => {
    const memo = new FitMemo();
    for (const [n, m] of [
      [15, 15],
      [39, 39],
      [41, 40],
      [59, 58],
      [61, 60],
    ] as const) {
      const got = sched(memo, n);
      const fresh = freshFit(m, false, false);
      expect(got.hyper, `n = ${n}`).toEqual(fresh.hyper);
      expect(got.loss, `n = ${n}`).toBe(fresh.loss);
    }
    // 38 and 39 observations are two fits; 40 and 41 one (the memo returns the same object).
    expect(sched(memo, 38)).not.toBe(sched(memo, 39));
    expect(sched(memo, 41)).toBe(sched(memo, 40));
    expect(sched(memo, 42)).not.toBe(sched(memo, 41));
  });

  it("keys the memo by the data and every option, so a hit equals a fresh fit", () => {
    const memo = new FitMemo();
    const plain = sched(memo, 30);
    expect(sched(memo, 30)).toBe(plain);
    for (const [det, warp] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const other = sched(memo, 30, det, warp);
      expect(other).not.toBe(plain);
      expect(other.hyper).toEqual(freshFit(30, det, warp).hyper);
    }
    // The same rows with another target value: another fit.
    const t2 = target.slice(0, 30);
    t2[29] = t2[29]! + 1;
    const changed = scheduledFit(memo, X.slice(0, 30 * D), t2, D, cat, false, false);
    expect(changed).not.toBe(plain);
    // The same targets at another input: another fit.
    const x2 = X.slice(0, 30 * D);
    x2[0] = x2[0]! / 2;
    expect(scheduledFit(memo, x2, target.slice(0, 30), D, cat, false, false)).not.toBe(plain);
    // A change in the last bits of any input or target: another fit (the key hashes every bit of the data).
    for (const at of [0, 1, 30 * D - 1]) {
      const x3 = X.slice(0, 30 * D);
      x3[at] = x3[at]! * (1 + 2 ** -50);
      expect(x3[at]).not.toBe(X[at]);
      expect(scheduledFit(memo, x3, target.slice(0, 30), D, cat, false, false), `x[${at}]`).not.toBe(plain);
    }
    for (const at of [0, 29]) {
      const t3 = target.slice(0, 30);
      t3[at] = t3[at]! * (1 + 2 ** -50);
      expect(scheduledFit(memo, X.slice(0, 30 * D), t3, D, cat, false, false), `target[${at}]`).not.toBe(plain);
    }
    // A sign flip of the last target changes only its high word.
    const t4 = target.slice(0, 30);
    t4[29] = -t4[29]!;
    expect(scheduledFit(memo, X.slice(0, 30 * D), t4, D, cat, false, false)).not.toBe(plain);
    // A categorical flag is part of the key too.
    expect(
      scheduledFit(memo, X.slice(0, 30 * D), target.slice(0, 30), D, Uint8Array.from([0, 1]), false, false),
    ).not.toBe(plain);
  });
});

describe("constraints", () => {
  const o = (
    number: number,
    state: Observation["state"],
    constraints?: number[],
    loss: number | undefined = 1,
  ): Observation => ({
    number,
    config: Float64Array.from([number / 10]),
    state,
    loss,
    lastStep: undefined,
    ...(constraints === undefined ? {} : { constraints: Float64Array.from(constraints) }),
  });

  it("constrain the search once a COMPLETE or PRUNED trial carries them", () => {
    expect(isConstrained([])).toBe(false);
    expect(isConstrained([o(0, "complete"), o(1, "pruned")])).toBe(false);
    expect(isConstrained([o(0, "running", [1]), o(1, "fail", [1]), o(2, "lost", [1])])).toBe(false);
    expect(isConstrained([o(0, "complete"), o(1, "complete", [0])])).toBe(true);
    expect(isConstrained([o(0, "pruned", [-1])])).toBe(true);
  });

  it("measure violation as Σ max(c_k, 0), infinite without constraints", () => {
    expect(violation(o(0, "complete"))).toBe(Number.POSITIVE_INFINITY);
    expect(violation(o(0, "complete", []))).toBe(0);
    expect(violation(o(0, "complete", [-1, 0, -3]))).toBe(0);
    expect(violation(o(0, "complete", [2, -5, 0.5]))).toBe(2.5);
  });

  it("fit one GP per constraint on the rows that carry them, with threshold −mean/std", () => {
    const rng = createRng(2);
    const n = 12;
    const X = Float64Array.from({ length: n }, () => rng.uniform());
    const sources = Array.from({ length: n }, (_, i) =>
      i === 3 ? o(i, "complete") : o(i, "complete", [X[i]! - 0.5, 2 * X[i]! - 0.2]),
    );
    // A row whose constraint count differs from the first one's is left out too.
    sources[5] = o(5, "complete", [1]);
    const models = constraintModels(X, sources, 1, new Uint8Array(1), new FitMemo(), false);
    expect(models).toHaveLength(2);
    const rows = sources.map((_s, i) => i).filter((i) => i !== 3 && i !== 5);
    for (let k = 0; k < 2; k++) {
      const raw = rows.map((i) => sources[i]!.constraints![k]!);
      const mean = raw.reduce((a, b) => a + b) / raw.length;
      const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / raw.length);
      expect(models[k]!.threshold).toBeCloseTo(-mean / sd, 12);
      const post = models[k]!.post;
      expect(post.n).toBe(rows.length);
      expect(Array.from(post.X)).toEqual(rows.map((i) => X[i]!));
      expect(Array.from(post.y)).toEqual(raw.map((v) => expect.closeTo((v - mean) / sd, 12)));
      // Fitted on the standardised values without the output warp (the sign of c_k matters, not its rank).
      const Xc = Float64Array.from(rows, (i) => X[i]!);
      const unwarped = scheduledFit(new FitMemo(), Xc, Float64Array.from(raw), 1, new Uint8Array(1), false, false);
      expect(post.hyper).toEqual(unwarped.hyper);
    }
    expect(
      constraintModels(
        X,
        sources.map((s) => o(s.number, "complete")),
        1,
        new Uint8Array(1),
        new FitMemo(),
        false,
      ),
    ).toEqual([]);
    // A constant constraint: the spread's floor keeps the threshold finite.
    const flat = Array.from({ length: n }, (_, i) => o(i, "complete", [3]));
    const [m] = constraintModels(X, flat, 1, new Uint8Array(1), new FitMemo(), true);
    expect(m === undefined || Number.isFinite(m.threshold)).toBe(true);
  });

  it("believe pending points no more feasible than the boundary: max(posterior mean, threshold)", () => {
    const X = Float64Array.from([0.1, 0.4, 0.7, 0.9]);
    const y = Float64Array.from([-1, -0.5, 0.5, 1]);
    const hyper = { lambda: Float64Array.from([4]), scale: 1, noise: 1e-4 };
    const post = GpPosterior.create(X, y, 1, new Uint8Array(1), hyper)!;
    const Xq = Float64Array.from([0.1, 0.9]);
    const mean = new Float64Array(2);
    post.predict(Xq, 2, mean, new Float64Array(2));
    const threshold = 0;
    const [m] = withPending([{ post, threshold }], Xq, 2);
    expect(m!.threshold).toBe(threshold);
    expect(m!.post.n).toBe(6);
    // At 0.1 the mean is below the threshold: believed at the threshold; at 0.9 above it: its own mean.
    expect(m!.post.y[4]).toBe(threshold);
    expect(m!.post.y[5]).toBe(mean[1]);
    expect(mean[0]!).toBeLessThan(threshold);
    expect(mean[1]!).toBeGreaterThan(threshold);
  });
});
