/**
 * src/math/special.ts at the edges of its branches, against 50-digit references (test/fixtures/special-edge-goldens.json,
 * made by gen_special_edge_goldens.py with mpmath): the switches between series, Chebyshev pieces and continued
 * fractions, the clamps, the far tails, and arguments whose square loses digits. special.test.ts checks SciPy's values
 * at 1e-13; the module documents ~2e-15, so this file holds it to 4e-15 where the reference is exact. Plus the
 * symmetries and log-space identities the callers rely on, and the infinite arguments.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  erf,
  erfc,
  erfcx,
  expNegSquare,
  logAddExp,
  logNdtr,
  logNormPdf,
  logSubExp,
  logSumExp,
  ndtr,
  ndtri,
  ndtriExp,
} from "../../src/math/special.js";

type Pairs = [number, number][];
const goldens = JSON.parse(
  readFileSync(new URL("../fixtures/special-edge-goldens.json", import.meta.url), "utf8"),
) as Record<string, Pairs>;

/** |actual − expected| ≤ rel·|expected| + abs. */
function expectNear(actual: number, expected: number, rel: number, abs = 0, what = ""): void {
  expect(Math.abs(actual - expected), `${what}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(
    rel * Math.abs(expected) + abs,
  );
}

const REL = 4e-15;

describe("special functions at their branch edges, against 50-digit references", () => {
  it("erfcx", () => {
    for (const [x, y] of goldens.erfcx!) {
      // Left of 0, erfcx is 2·exp(x²) − erfcx(−x), and x² rounds: exp(x²) carries x²·2⁻⁵³ of relative error.
      const rel = x < 0 ? Math.max(REL, 2 * x * x * 2 ** -53) : REL;
      expectNear(erfcx(x), y, rel, 0, `erfcx(${x})`);
    }
  });

  for (const [name, fn] of [
    ["erf", erf],
    ["erfc", erfc],
    ["ndtr", ndtr],
    ["log_ndtr", logNdtr],
  ] as const)
    it(name, () => {
      for (const [x, y] of goldens[name]!) expectNear(fn(x), y, REL, 0, `${name}(${x})`);
    });

  it("ndtri", () => {
    for (const [p, x] of goldens.ndtri!) expectNear(ndtri(p), x, REL, 1e-16, `ndtri(${p})`);
  });

  it("ndtriExp", () => {
    // Around log ½ the answer is ~1e-16 and the absolute error of rounding y, not a relative one, is what is achievable.
    for (const [y, x] of goldens.ndtri_exp!) expectNear(ndtriExp(y), x, REL, 2e-16, `ndtriExp(${y})`);
  });

  it("expNegSquare keeps full relative precision where x² does not", () => {
    for (const [x, y] of goldens.exp_neg_square!) expectNear(expNegSquare(x), y, 2e-16, 0, `expNegSquare(${x})`);
    // The naive exp(−x·x) is off by x²·2⁻⁵³ relative: the golden values above tell the two apart.
    const naive = Math.max(...goldens.exp_neg_square!.map(([x, y]) => Math.abs(Math.exp(-x * x) - y) / y));
    expect(naive).toBeGreaterThan(1e-14);
  });
});

describe("infinite and extreme arguments", () => {
  it("expNegSquare is 0 once x² overflows, and NaN for NaN", () => {
    expect(expNegSquare(1e200)).toBe(0);
    expect(expNegSquare(-1e200)).toBe(0);
    expect(expNegSquare(Number.POSITIVE_INFINITY)).toBe(0);
    expect(expNegSquare(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(expNegSquare(Number.NaN)).toBeNaN();
    expect(expNegSquare(0)).toBe(1);
  });

  it("the CDF and its logarithm at ±∞ and in the far tails", () => {
    expect(ndtr(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(ndtr(Number.POSITIVE_INFINITY)).toBe(1);
    expect(ndtr(-40)).toBe(0);
    expect(ndtr(40)).toBe(1);
    expect(logNdtr(Number.POSITIVE_INFINITY) === 0).toBe(true);
    expect(erfcx(-27)).toBe(Number.POSITIVE_INFINITY);
    expect(erfc(28)).toBe(0);
    expect(erfc(-7)).toBe(2);
    expect(erf(7)).toBe(1);
    expect(erf(-7)).toBe(-1);
    expect(logNormPdf(0)).toBeCloseTo(-0.5 * Math.log(2 * Math.PI), 15);
    expect(logNormPdf(3)).toBeCloseTo(-4.5 - 0.5 * Math.log(2 * Math.PI), 14);
  });

  it("the quantiles refuse arguments outside their domain", () => {
    for (const p of [-1e-300, -1, 1 + 2 ** -52, 2]) expect(ndtri(p), `ndtri(${p})`).toBeNaN();
    for (const y of [1e-300, 1]) expect(ndtriExp(y), `ndtriExp(${y})`).toBeNaN();
  });
});

describe("symmetries", () => {
  it("erf is odd, erfc(x) + erfc(−x) = 2, Φ(x) + Φ(−x) = 1, and ndtri is odd about ½", () => {
    for (const x of [1e-12, 0.1, 0.49, 0.5, 0.69, 0.7, 1.1, 2.2, 4.4, 5.9]) {
      expect(erf(-x), `erf(−${x})`).toBe(-erf(x));
      expectNear(erfc(x) + erfc(-x), 2, 2 ** -52, 0, `erfc(±${x})`);
      expectNear(ndtr(x) + ndtr(-x), 1, 2 ** -52, 0, `ndtr(±${x})`);
    }
    for (const p of [1e-9, 0.01, 0.2, 0.3, 0.4]) expectNear(ndtri(1 - p), -ndtri(p), 1e-8, 0, `ndtri(1 − ${p})`);
  });
});

describe("log-space sums", () => {
  it("logAddExp is symmetric and exact at the extremes", () => {
    for (const [a, b] of [
      [0, 0],
      [1, -2],
      [-2, 1],
      [-745, -746],
      [700, 0],
    ] as const) {
      const want = Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
      expectNear(logAddExp(a, b), want, 1e-15, 0, `logAddExp(${a}, ${b})`);
      expect(logAddExp(a, b)).toBe(logAddExp(b, a));
    }
    // exp(b − a) and exp(a − b) only ever of the smaller minus the larger: no overflow.
    expect(logAddExp(1000, 0)).toBe(1000);
    expect(logAddExp(0, 1000)).toBe(1000);
    expect(logAddExp(2, Number.NEGATIVE_INFINITY)).toBe(2);
    expect(logAddExp(Number.NEGATIVE_INFINITY, 2)).toBe(2);
    expect(logAddExp(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
  });

  it("logSubExp on both sides of the switch at b − a = −log 2, and with nothing to subtract", () => {
    expect(logSubExp(3, Number.NEGATIVE_INFINITY)).toBe(3);
    expect(logSubExp(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    // log(e⁰ − e^d) for d near 0 (log(−expm1(d))) and far below (log1p(−e^d)), each against the form exact there.
    for (const d of [-1e-10, -1e-3, -0.5, -0.69, -0.7, -1, -5, -40]) {
      const want = d > -1e-2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d));
      expectNear(logSubExp(0, d), want, 1e-14, 0, `d = ${d}`);
      expectNear(logSubExp(2, 2 + d), 2 + Math.log(-Math.expm1(2 + d - 2)), 1e-14, 0, `2, 2 + ${d}`);
    }
    // Near 0, the naive log(1 − e^d) has lost digits that log(−expm1(d)) keeps.
    expectNear(logSubExp(0, -1e-10), Math.log(1e-10) - 5e-11, 1e-15, 0, "d = −1e−10");
  });

  it("logSumExp over a window, with infinities", () => {
    const xs = [5, -1, 2, 0.5, -Infinity, 3];
    expectNear(logSumExp(xs), Math.log(xs.reduce((s, x) => s + Math.exp(x), 0)), 1e-15);
    expectNear(logSumExp(xs, 1, 3), Math.log(Math.exp(-1) + Math.exp(2) + Math.exp(0.5)), 1e-15);
    expectNear(logSumExp(xs, 3), Math.log(Math.exp(0.5) + Math.exp(3)), 1e-15);
    expect(logSumExp(xs, 4, 1)).toBe(Number.NEGATIVE_INFINITY);
    expect(logSumExp(xs, 2, 0)).toBe(Number.NEGATIVE_INFINITY);
    expect(logSumExp([1, Number.POSITIVE_INFINITY, 2])).toBe(Number.POSITIVE_INFINITY);
    // The shift is the window's own maximum: not an element past it, not the last one.
    expectNear(logSumExp([1, 2, 1000], 0, 2), Math.log(Math.E + Math.E ** 2), 1e-15);
    expectNear(logSumExp([7, 1, 2, Number.POSITIVE_INFINITY], 1, 2), Math.log(Math.E + Math.E ** 2), 1e-15);
    expect(logSumExp([1000, 0])).toBe(1000);
    expect(logSumExp([0, Number.NEGATIVE_INFINITY])).toBe(0);
    expectNear(logSumExp([-1000, -1001]), -1000 + Math.log1p(Math.exp(-1)), 1e-15);
    expectNear(logSumExp([1000, 1000, 1000, 1000]), 1000 + Math.log(4), 1e-15);
  });
});
