import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { logEI, logEIWithGradient, logH } from "../../src/algorithms/gp/acquisition.js";
import {
  fitHyperparameters,
  LENGTH_SCALE_PRIOR_LAMBDA,
  marginalObjective,
  NOISE_FLOOR,
} from "../../src/algorithms/gp/fit.js";
import { GpPosterior } from "../../src/algorithms/gp/gp.js";
import { gramMatrix, matern52, matern52Deriv } from "../../src/algorithms/gp/kernel.js";
import { minimizeBox } from "../../src/math/optimize.js";
import { createRng } from "../../src/math/rng.js";

interface Goldens {
  kernel: { X: number[][]; cat: number[]; lambda: number[]; scale: number; K: number[][] };
  posterior: { noise: number; y: number[]; P: number[][]; mean: number[]; variance: number[] };
  logei: { z: number[]; logh: number[] };
}
const goldens = JSON.parse(readFileSync(new URL("../fixtures/gp-goldens.json", import.meta.url), "utf8")) as Goldens;
const { kernel: gk, posterior: gpost } = goldens;
const D = gk.X[0]!.length;
const X = Float64Array.from(gk.X.flat());
const n = gk.X.length;
const cat = Uint8Array.from(gk.cat);
const lambda = Float64Array.from(gk.lambda);

describe("Matérn-5/2 kernel", () => {
  it("matches the NumPy Gram matrix, with a Hamming categorical dimension", () => {
    const K = gramMatrix(X, n, D, cat, { lambda, scale: gk.scale, noise: 0 });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(K[i * n + j]).toBeCloseTo(gk.K[i]![j]!, 13);
  });

  it("has a finite derivative at t = 0 that matches finite differences", () => {
    expect(matern52(0)).toBe(1);
    expect(matern52Deriv(0)).toBeCloseTo(-5 / 6, 15);
    for (const t of [1e-4, 0.3, 2, 9]) {
      const h = 1e-6 * Math.max(t, 1e-3);
      expect(matern52Deriv(t)).toBeCloseTo((matern52(t + h) - matern52(t - h)) / (2 * h), 6);
    }
  });
});

describe("GP posterior", () => {
  const post = GpPosterior.create(X, Float64Array.from(gpost.y), D, cat, {
    lambda,
    scale: gk.scale,
    noise: gpost.noise,
  })!;
  const m = gpost.P.length;
  const P = Float64Array.from(gpost.P.flat());

  it("matches NumPy's mean and noise-free variance", () => {
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    post.predict(P, m, mean, variance);
    for (let r = 0; r < m; r++) {
      expect(mean[r]).toBeCloseTo(gpost.mean[r]!, 9);
      expect(variance[r]).toBeCloseTo(gpost.variance[r]!, 9);
    }
  });

  it("gives gradients of mean and variance that match finite differences on numeric dimensions", () => {
    const active = Uint8Array.from([1, 1, 0]);
    const dMean = new Float64Array(D);
    const dVar = new Float64Array(D);
    const work = new Float64Array(3 * n);
    const x = P.slice(D, 2 * D);
    const [mu, v] = post.predictWithGradient(x, active, dMean, dVar, work);
    const one = (z: Float64Array): [number, number] => {
      const a = new Float64Array(1);
      const b = new Float64Array(1);
      post.predict(z, 1, a, b);
      return [a[0]!, b[0]!];
    };
    expect(mu).toBeCloseTo(one(x)[0], 12);
    expect(v).toBeCloseTo(one(x)[1], 12);
    for (let d = 0; d < 2; d++) {
      const h = 1e-6;
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[d]! += h;
      xm[d]! -= h;
      expect(dMean[d]).toBeCloseTo((one(xp)[0] - one(xm)[0]) / (2 * h), 5);
      expect(dVar[d]).toBeCloseTo((one(xp)[1] - one(xm)[1]) / (2 * h), 5);
    }
    expect(dMean[2]).toBe(0);
  });

  it("extends with pending points like conditioning from scratch", () => {
    const Xq = P.slice(2 * D, 4 * D);
    const yq = Float64Array.of(0.3, -0.2);
    const ext = post.extend(Xq, yq)!;
    const allX = new Float64Array((n + 2) * D);
    allX.set(X);
    allX.set(Xq, n * D);
    const allY = Float64Array.from([...gpost.y, 0.3, -0.2]);
    const fresh = GpPosterior.create(allX, allY, D, cat, post.hyper)!;
    const a = [new Float64Array(m), new Float64Array(m)] as const;
    const b = [new Float64Array(m), new Float64Array(m)] as const;
    ext.predict(P, m, a[0], a[1]);
    fresh.predict(P, m, b[0], b[1]);
    for (let r = 0; r < m; r++) {
      expect(a[0][r]).toBeCloseTo(b[0][r]!, 9);
      expect(a[1][r]).toBeCloseTo(b[1][r]!, 9);
    }
  });
});

describe("log expected improvement", () => {
  it("matches 60-digit references from z = 30 down to z = −1e8, never −Infinity or NaN", () => {
    const { z, logh } = goldens.logei;
    z.forEach((zi, i) => {
      const got = logH(zi).logH;
      expect(Number.isFinite(got)).toBe(true);
      expect(Math.abs(got - logh[i]!)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(logh[i]!)));
    });
  });

  it("is monotone and smooth across the branch points", () => {
    let prev = Number.NEGATIVE_INFINITY;
    for (let z = -80; z <= 5; z += 0.01) {
      const v = logH(z).logH;
      expect(v).toBeGreaterThan(prev);
      prev = v;
    }
    // No jump at the branch points beyond the slope (≈ |z|) times the 2e-9 step.
    for (const b of [0, -60])
      expect(Math.abs(logH(b - 1e-9).logH - logH(b + 1e-9).logH)).toBeLessThan(3e-9 * Math.max(1, -b));
  });

  it("has gradients matching finite differences, including in the tail", () => {
    const scratch = { logH: 0, cdfOverH: 0, pdfOverH: 0 };
    for (const [mu, v, best] of [
      [0.1, 0.04, 0.5],
      [1.2, 0.3, 0.5],
      [-3, 1e-4, 2], // z = −500
    ] as const) {
      const [val, dmu, dv] = logEIWithGradient(mu, v, best, scratch);
      expect(val).toBeCloseTo(logEI(mu, v, best), 12);
      const h = 1e-7;
      expect(dmu).toBeCloseTo((logEI(mu + h, v, best) - logEI(mu - h, v, best)) / (2 * h), 3);
      const hv = v * 1e-6;
      const fd = (logEI(mu, v + hv, best) - logEI(mu, v - hv, best)) / (2 * hv);
      expect(Math.abs(dv - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
    }
    expect(Number.isFinite(logEI(-1e6, 0, 0))).toBe(true);
  });
});

describe("MAP hyperparameter fit", () => {
  const rng = createRng(5);
  const nn = 25;
  const Xf = Float64Array.from({ length: nn * 2 }, () => rng.uniform());
  const catf = new Uint8Array(2);
  const raw = Array.from({ length: nn }, (_, i) => Math.sin(8 * Xf[2 * i]!) + 0.1 * Xf[2 * i + 1]!);
  const mean = raw.reduce((a, b) => a + b) / nn;
  const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / nn);
  const y = Float64Array.from(raw, (v) => (v - mean) / sd);

  it("has an analytic gradient that matches finite differences", () => {
    for (const det of [false, true]) {
      const f = marginalObjective(Xf, y, 2, catf, det);
      const th = Float64Array.from(det ? [0.5, -1, 0.2] : [0.5, -1, 0.2, -4]);
      const g = new Float64Array(th.length);
      f(th, g);
      for (let k = 0; k < th.length; k++) {
        const h = 1e-5;
        const a = Float64Array.from(th);
        const b = Float64Array.from(th);
        a[k]! += h;
        b[k]! -= h;
        const fd = (f(a, new Float64Array(th.length)) - f(b, new Float64Array(th.length))) / (2 * h);
        expect(Math.abs(g[k]! - fd)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it("learns a short length scale for the relevant input and a long one for the irrelevant one", () => {
    const r = fitHyperparameters(Xf, y, 2, catf, { deterministic: false });
    expect(r.hyper.lambda[0]!).toBeGreaterThan(5 * r.hyper.lambda[1]!);
    expect(r.hyper.noise).toBeGreaterThanOrEqual(NOISE_FLOOR);
    expect(Number.isFinite(r.loss)).toBe(true);
    const det = fitHyperparameters(Xf, y, 2, catf, { deterministic: true });
    // README: "deterministic ... fix the noise at 1e-6" (a literal: the constant itself could drift).
    expect(det.hyper.noise).toBe(1e-6);
    expect(NOISE_FLOOR).toBe(1e-6);
    // Warm start from the optimum converges immediately to the same loss.
    const warm = fitHyperparameters(Xf, y, 2, catf, { deterministic: false, init: r.hyper });
    expect(warm.loss).toBeLessThanOrEqual(r.loss + 1e-6);
    expect(warm.evaluations).toBeLessThan(r.evaluations);
  });

  it("leaves a length scale the data say nothing about at the prior's centre, ℓ = 0.5", () => {
    expect(LENGTH_SCALE_PRIOR_LAMBDA).toBe(4);
    // A third input that is constant: its λ enters only through the prior.
    const X3 = new Float64Array(nn * 3);
    for (let i = 0; i < nn; i++) X3.set([Xf[2 * i]!, Xf[2 * i + 1]!, 0.3], 3 * i);
    const f = marginalObjective(X3, y, 3, new Uint8Array(3), false);
    const slope = (lambda3: number): number => {
      const g = new Float64Array(5);
      f(Float64Array.from([0.5, -1, Math.log(lambda3), 0.2, -4]), g);
      return g[2]!;
    };
    expect(Math.abs(slope(4))).toBeLessThan(1e-9);
    expect(slope(1)).toBeLessThan(-0.1); // the loss still falls towards λ = 4
    expect(slope(16)).toBeGreaterThan(0.1);
    const r = fitHyperparameters(X3, y, 3, new Uint8Array(3), { deterministic: false });
    expect(r.hyper.lambda[2]!).toBeGreaterThan(2.5);
    expect(r.hyper.lambda[2]!).toBeLessThan(6);
  });
});

describe("projected L-BFGS", () => {
  it("minimises a bounded Rosenbrock with one active bound", () => {
    const f = (x: Float64Array, g: Float64Array): number => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const free = minimizeBox(f, [-1.2, 1], [-2, -2], [2, 2], { gtol: 1e-8, maxIter: 500, maxEval: 5000 });
    expect(free.x[0]).toBeCloseTo(1, 4);
    expect(free.x[1]).toBeCloseTo(1, 4);
    const bounded = minimizeBox(f, [-1.2, 0.2], [-2, -2], [2, 0.5], { gtol: 1e-8, maxIter: 500, maxEval: 5000 });
    expect(bounded.x[1]).toBe(0.5);
    expect(bounded.x[0]).toBeCloseTo(Math.SQRT1_2, 2);
  });
});

describe("output warping", () => {
  it("keeps the order and the good half, and tames a far tail of bad values", async () => {
    const { warpOutputs } = await import("../../src/algorithms/gp/warp.js");
    const raw = Float64Array.of(-1e5, -300, -5, -4, -1, -0.9, -0.5, -0.45, -0.2, 0);
    const w = warpOutputs(raw);
    for (let i = 1; i < raw.length; i++) expect(w[i]!).toBeGreaterThan(w[i - 1]!);
    for (let i = 5; i < raw.length; i++) expect(w[i]).toBe(raw[i]); // at or above the median
    // σ_g = RMS distance of the good half from the median (≈0.6): the worst value lands a few σ_g below.
    expect(w[0]!).toBeGreaterThan(-5);
    expect(Array.from(warpOutputs(Float64Array.of(2, 2, 2)))).toEqual([2, 2, 2]);
  });
});
