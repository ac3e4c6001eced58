/**
 * The truncated normal's fast paths (src/math/truncnorm.ts), against the exact forms that special.test.ts checks
 * against SciPy: logNormMassApprox within its documented ~1e-7 (the midpoint rule for narrow intervals, the
 * Mills-ratio series beyond 12 σ, mirrored intervals right of 0), and sampleTruncNormalFrom equal to
 * sampleTruncNormal bit for bit given truncNormalParts, for every kind of interval and the uniform's ends.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/math/rng.js";
import { logAddExp, logNdtr } from "../../src/math/special.js";
import {
  logNormMass,
  logNormMassApprox,
  sampleTruncNormal,
  sampleTruncNormalFrom,
  truncNormalParts,
  truncNormPpf,
} from "../../src/math/truncnorm.js";

/** Interval centres and widths: both sides of 0, each branch's switch (w·max(1, |m|) = 0.03, b = −12), far tails. */
const centres = [-40, -30, -20, -13, -12.5, -12, -11, -8, -5, -3, -1.5, -1, -0.5, 0, 0.5, 1, 2, 5, 12.5, 13, 30];
const widths = [1e-9, 1e-6, 1e-4, 1e-3, 5e-3, 0.01, 0.02, 0.029, 0.031, 0.05, 0.1, 0.5, 1, 3, 10];

describe("logNormMassApprox", () => {
  it("is within 3e-7 of the exact log mass on narrow, wide, far and mirrored intervals", () => {
    for (const m of centres)
      for (const w of widths) {
        const [a, b] = [m - w / 2, m + w / 2];
        const exact = logNormMass(a, b);
        expect(Number.isFinite(exact)).toBe(true);
        expect(Math.abs(logNormMassApprox(a, b) - exact), `[${a}, ${b}]`).toBeLessThan(3e-7);
      }
  });

  it("is symmetric: the interval mirrored about 0 has the same mass", () => {
    for (const m of centres)
      for (const w of widths) {
        const d = logNormMassApprox(-m - w / 2, -m + w / 2) - logNormMassApprox(m - w / 2, m + w / 2);
        expect(Math.abs(d), `m = ${m}, w = ${w}`).toBeLessThan(1e-12);
      }
  });

  it("gives the lower tail Φ(b) beyond 12 σ, and tails that nearly cancel or barely do", () => {
    for (const b of [-12.0001, -12.5, -13, -15, -20, -40, -100, -1e3]) {
      expect(Math.abs(logNormMassApprox(Number.NEGATIVE_INFINITY, b) - logNdtr(b)), `Φ(${b})`).toBeLessThan(3e-7);
      // Upper tails, mirrored.
      expect(Math.abs(logNormMassApprox(-b, Number.POSITIVE_INFINITY) - logNdtr(b))).toBeLessThan(3e-7);
    }
    // [a, b] far out: Φ(a)/Φ(b) above ½ (a close to b: log(−expm1)) and below it (log1p).
    for (const [a, b] of [
      [-13.05, -13],
      [-13.02, -13],
      [-14, -13],
      [-20, -13],
      [-25, -24.9],
    ] as const)
      expect(Math.abs(logNormMassApprox(a, b) - logNormMass(a, b)), `[${a}, ${b}]`).toBeLessThan(3e-7);
  });

  it("is −∞ for an empty or reversed interval, and 0 for the whole line", () => {
    expect(logNormMassApprox(1, 1)).toBe(Number.NEGATIVE_INFINITY);
    expect(logNormMassApprox(2, 1)).toBe(Number.NEGATIVE_INFINITY);
    expect(logNormMassApprox(-20, -20)).toBe(Number.NEGATIVE_INFINITY);
    expect(logNormMassApprox(Number.NaN, 1)).toBe(Number.NEGATIVE_INFINITY);
    expect(Math.abs(logNormMassApprox(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY))).toBeLessThan(1e-15);
  });
});

describe("sampleTruncNormalFrom", () => {
  const kernels: [number, number, number, number][] = [
    [0, 1, -1, 2], // straddling 0
    [0, 1, 40, 41], // far right: mirrored
    [0, 1, -41, -40], // far left
    [3, 0.5, 0, 1], // right of the mean: mirrored
    [-3, 2, 0, 10],
    [0.2, 1e-3, 0, 1], // narrow kernel inside
    [0, 2, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    [1, 1, Number.NEGATIVE_INFINITY, 0],
    [1, 1, 2, Number.POSITIVE_INFINITY],
    [5, 1, 5, 5], // empty interval: its one point
    [0, 1, 0.5, 0.5 + 1e-12],
  ];

  it("gives sampleTruncNormal's value bit for bit, the uniform's ends 0 and 1 included", () => {
    const rng = createRng(17);
    for (const [mu, sigma, lo, hi] of kernels) {
      const parts = truncNormalParts(mu, sigma, lo, hi);
      for (const u of [0, 1, 0.5, 1e-300, 1 - 2 ** -53, ...Array.from({ length: 50 }, () => rng.uniform())]) {
        const want = sampleTruncNormal(mu, sigma, lo, hi, u);
        expect(sampleTruncNormalFrom(parts, mu, sigma, lo, hi, u), `${[mu, sigma, lo, hi]} at u = ${u}`).toBe(want);
        expect(want).toBeGreaterThanOrEqual(lo);
        expect(want).toBeLessThanOrEqual(hi);
      }
    }
  });

  it("draws the interval's ends at u = 0 and u = 1, and its one point when it is empty", () => {
    for (const [mu, sigma, lo, hi] of kernels.filter(([, , lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi))) {
      const parts = truncNormalParts(mu, sigma, lo, hi);
      expect(sampleTruncNormalFrom(parts, mu, sigma, lo, hi, 0)).toBeCloseTo(lo, 9);
      expect(sampleTruncNormalFrom(parts, mu, sigma, lo, hi, 1)).toBeCloseTo(hi, 9);
    }
    expect(sampleTruncNormalFrom(truncNormalParts(5, 1, 5, 5), 5, 1, 5, 5, 0.3)).toBe(5);
  });

  it("precomputes the standardised bounds, the mirrored lower tail, log Φ of its lower end and its log mass", () => {
    expect(truncNormalParts(1, 2, -3, 5)).toEqual({
      a0: -2,
      b0: 2,
      mirrored: false,
      a: -2,
      la: logNdtr(-2),
      mass: logNormMass(-2, 2),
    });
    expect(truncNormalParts(0, 0.5, 1, 3)).toEqual({
      a0: 2,
      b0: 6,
      mirrored: true,
      a: -6,
      la: logNdtr(-6),
      mass: logNormMass(-6, -2),
    });
    // a0 = 0 is not mirrored.
    expect(truncNormalParts(0, 1, 0, 1).mirrored).toBe(false);
  });
});

describe("truncNormPpf", () => {
  it("is the interval's lower end at u = 0 and its upper end at u = 1, on either side of 0", () => {
    for (const [a, b] of [
      [-1, 2],
      [2, 6],
      [-6, -2],
      [30, 31],
    ] as const) {
      expect(truncNormPpf(0, a, b)).toBeCloseTo(a, 9);
      expect(truncNormPpf(1, a, b)).toBeCloseTo(b, 9);
    }
    expect(truncNormPpf(0.5, 3, 3)).toBe(3);
    expect(truncNormPpf(0.5, 4, 3)).toBe(4);
  });
});

describe("logNormMass on narrow intervals", () => {
  it("adds up: two narrow halves (the midpoint rule with its curvature term) make the exact mass of their union", () => {
    // Each half is below the rule's switch (w·max(1, |m|) < 1e-3), their union above it.
    for (const m of [-30, -8, -2, -1, -0.3, 0, 0.7, 1, 3, 25]) {
      const w = 1.2e-3 / Math.max(1, Math.abs(m));
      const [a, c] = [m - w / 2, m + w / 2];
      const halves = logAddExp(logNormMass(a, m), logNormMass(m, c));
      expect(Math.abs(halves - logNormMass(a, c)), `m = ${m}`).toBeLessThan(1e-12);
    }
  });
});
