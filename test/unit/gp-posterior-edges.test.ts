/**
 * GpPosterior (src/algorithms/gp/gp.ts) at its edges: "undefined if C cannot be factored" when created or extended
 * (duplicate points without noise), and gradients of mean and variance for the smallest histories (one and two
 * points), where scratch regions of `work` sit closest together.
 */
import { describe, expect, it } from "vitest";
import { GpPosterior } from "../../src/algorithms/gp/gp.js";

const cat = Uint8Array.of(0, 0);
const hyper = (noise: number) => ({ lambda: Float64Array.of(2, 0.5), scale: 1.3, noise });

describe("GP posterior edges", () => {
  it("is undefined when its covariance cannot be factored, created or extended", () => {
    // A negative noise makes C indefinite: at once for the first point (1.3 − 2 < 0), and for a copy of an
    // observed point when extending (Schur complement 1.2 − 1.3²/1.2 < 0).
    const x = Float64Array.of(0.2, 0.4);
    expect(GpPosterior.create(x, Float64Array.of(1), 2, cat, hyper(-2))).toBeUndefined();
    const one = GpPosterior.create(x, Float64Array.of(1), 2, cat, hyper(-0.1))!;
    expect(one).toBeDefined();
    expect(one.extend(Float64Array.of(0.2, 0.4), Float64Array.of(0.5))).toBeUndefined();
    expect(
      GpPosterior.create(x, Float64Array.of(1), 2, cat, hyper(1e-6))!.extend(x, Float64Array.of(0.5)),
    ).toBeDefined();
  });

  it.each([1, 2, 3])("gives gradients matching finite differences with %i observed points", (n) => {
    const X = Float64Array.from([0.1, 0.9, 0.6, 0.3, 0.35, 0.55].slice(0, 2 * n));
    const y = Float64Array.from([0.4, -1.1, 0.8].slice(0, n));
    const post = GpPosterior.create(X, y, 2, cat, hyper(1e-4))!;
    const one = (z: Float64Array): [number, number] => {
      const a = new Float64Array(1);
      const b = new Float64Array(1);
      post.predict(z, 1, a, b);
      return [a[0]!, b[0]!];
    };
    const x = Float64Array.of(0.45, 0.5);
    const dMean = new Float64Array(2);
    const dVar = new Float64Array(2);
    const [mu, v] = post.predictWithGradient(x, Uint8Array.of(1, 1), dMean, dVar, new Float64Array(3 * n));
    expect(mu).toBeCloseTo(one(x)[0], 12);
    expect(v).toBeCloseTo(one(x)[1], 12);
    for (let d = 0; d < 2; d++) {
      const h = 1e-6;
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[d]! += h;
      xm[d]! -= h;
      expect(dMean[d]).toBeCloseTo((one(xp)[0] - one(xm)[0]) / (2 * h), 6);
      expect(dVar[d]).toBeCloseTo((one(xp)[1] - one(xm)[1]) / (2 * h), 6);
    }
  });

  it("predicts more points than one chunk (128) exactly as one at a time", () => {
    const X = Float64Array.of(0.1, 0.9, 0.6, 0.3, 0.35, 0.55);
    const post = GpPosterior.create(X, Float64Array.of(0.4, -1.1, 0.8), 2, cat, hyper(1e-4))!;
    const m = 300;
    const P = Float64Array.from({ length: 2 * m }, (_, i) => ((i * 0.61803398875) % 1) as number);
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    post.predict(P, m, mean, variance);
    for (const r of [0, 127, 128, 255, 256, 299]) {
      const a = new Float64Array(1);
      const b = new Float64Array(1);
      post.predict(P.slice(2 * r, 2 * r + 2), 1, a, b);
      expect(mean[r]).toBeCloseTo(a[0]!, 13);
      expect(variance[r]).toBeCloseTo(b[0]!, 13);
    }
  });
});
