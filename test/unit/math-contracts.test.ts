/**
 * Contracts of src/math's generators and solvers against NumPy/SciPy (test/fixtures/gen_math_goldens.py):
 * the seeded RNG's determinism and ranges, the symmetric eigensolver, Halton points and their index bounds, and
 * the box-constrained minimiser's answers and budgets.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { symmetricEigen } from "../../src/math/eigen.js";
import { firstPrimes, Halton } from "../../src/math/halton.js";
import { cholesky } from "../../src/math/linalg.js";
import { minimizeBox, type ValueAndGradient } from "../../src/math/optimize.js";
import { createRng } from "../../src/math/rng.js";

interface Goldens {
  eigen: { n: number; a: number[]; values: number[] }[];
  halton: number[][];
  minima: { name: string; x0: number[]; lo: number[]; hi: number[]; x: number[]; f: number }[];
  rng: { seed: number[]; uniforms: number[]; ints10: number[]; normals: number[] }[];
}
const goldens = JSON.parse(readFileSync(new URL("../fixtures/math-goldens.json", import.meta.url), "utf8")) as Goldens;

describe("createRng", () => {
  const draw = (rng: ReturnType<typeof createRng>, k: number) => Array.from({ length: k }, () => rng.uniform());

  it.each(
    goldens.rng.map((r) => [r.seed.join(", "), r] as const),
  )("seed (%s): the documented xoshiro128** stream, as an independent Python implementation draws it", (_, r) => {
    const rng = createRng(...r.seed);
    expect(Array.from({ length: 6 }, () => rng.uniform())).toEqual(r.uniforms);
    expect(Array.from({ length: 6 }, () => rng.int(10))).toEqual(r.ints10);
    const normals = Array.from({ length: 5 }, () => rng.normal());
    for (const [i, z] of normals.entries()) expect(Math.abs(z - r.normals[i]!)).toBeLessThan(1e-14);
  });

  it("is a function of its seed words only", () => {
    expect(draw(createRng(7, 3), 20)).toEqual(draw(createRng(7, 3), 20));
    const a = draw(createRng(7, 3), 8);
    // Seeds that differ in one word, in the order of words, in the high 32 bits or by one more word all diverge.
    for (const other of [createRng(7, 4), createRng(3, 7), createRng(7 + 2 ** 32, 3), createRng(7, 3, 0), createRng(7)])
      expect(draw(other, 8)).not.toEqual(a);
    // Nearby seeds share no value (splitmix mixing, not a shifted stream).
    const b = new Set(draw(createRng(1), 200));
    expect(draw(createRng(2), 200).filter((x) => b.has(x))).toEqual([]);
  });

  it("draws uniforms in [0, 1) with 53 bits and the right moments", () => {
    const rng = createRng(11);
    const xs = draw(rng, 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
    // Low bits are used: multiples of 2^-53 that are not multiples of 2^-32 appear.
    expect(xs.some((x) => (x * 2 ** 32) % 1 !== 0)).toBe(true);
    // Deciles are all filled evenly (a generator stuck in half the range fails here).
    const deciles = new Array<number>(10).fill(0);
    for (const x of xs) deciles[Math.floor(x * 10)]!++;
    for (const c of deciles) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });

  it("draws integers in [0, n), every one of them", () => {
    const rng = createRng(5);
    const counts = new Array<number>(7).fill(0);
    const ks = Array.from({ length: 7000 }, () => rng.int(7));
    expect(ks.every((k) => Number.isInteger(k) && k >= 0 && k < 7)).toBe(true);
    for (const k of ks) counts[k]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(createRng(1).int(1)).toBe(0);
  });

  it("draws standard normals: mean 0, variance 1, symmetric tails, both Box–Muller values used", () => {
    const rng = createRng(9);
    const zs = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = zs.reduce((s, z) => s + z, 0) / zs.length;
    const variance = zs.reduce((s, z) => s + (z - mean) ** 2, 0) / zs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    const beyond = (t: number) => zs.filter((z) => z > t).length / zs.length;
    expect(Math.abs(beyond(1.96) - 0.025)).toBeLessThan(0.006);
    expect(Math.abs(zs.filter((z) => z < -1.96).length / zs.length - 0.025)).toBeLessThan(0.006);
    // Consecutive pairs come from one (r, θ): independent coordinates, so no correlation between them.
    let cross = 0;
    for (let i = 0; i + 1 < zs.length; i += 2) cross += zs[i]! * zs[i + 1]!;
    expect(Math.abs(cross / (zs.length / 2))).toBeLessThan(0.03);
    // The second value of a pair is cached, not drawn: two normals consume the uniforms of one pair.
    const r1 = createRng(4);
    const r2 = createRng(4);
    r1.normal();
    r1.normal();
    r2.uniform();
    r2.uniform();
    expect(r1.uniform()).toBe(r2.uniform());
  });
});

describe("symmetricEigen", () => {
  it.each(goldens.eigen.map((c) => [c.n, c] as const))("matches numpy.linalg.eigh for n = %i", (n, c) => {
    const a = Float64Array.from(c.a);
    const { values, vectors: V } = symmetricEigen(a, n);
    expect(Array.from(a)).toEqual(c.a);
    const scale = Math.max(...c.values.map(Math.abs));
    for (let i = 0; i < n; i++) expect(Math.abs(values[i]! - c.values[i]!)).toBeLessThan(1e-12 * scale);
    // A·v = λ·v for each column, and the columns are orthonormal.
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += a[i * n + k]! * V[k * n + j]!;
        expect(Math.abs(av - values[j]! * V[i * n + j]!)).toBeLessThan(1e-11 * scale);
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += V[k * n + j]! * V[k * n + l]!;
        expect(Math.abs(dot - (j === l ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it("returns a diagonal matrix's entries ascending with the matching unit vectors", () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3);
    expect(Array.from(values)).toEqual([-1, 2, 3]);
    expect(Array.from(vectors).map(Math.abs)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it("handles repeated eigenvalues: a diagonal with equal entries and a block with a double eigenvalue", () => {
    const diag = symmetricEigen(Float64Array.from([2, 0, 0, 0, 5, 0, 0, 0, 2]), 3);
    expect(Array.from(diag.values)).toEqual([2, 2, 5]);
    expect(Array.from(diag.vectors).every(Number.isFinite)).toBe(true);
    // [[3, 1, 0], [1, 3, 0], [0, 0, 4]]: eigenvalues 2, 4, 4.
    const block = symmetricEigen(Float64Array.from([3, 1, 0, 1, 3, 0, 0, 0, 4]), 3);
    for (const [i, want] of [2, 4, 4].entries()) expect(block.values[i]).toBeCloseTo(want, 14);
    // [[4, 0, 1], [0, 4, 0], [1, 0, 4]]: equal diagonal entries with a zero between them (eigenvalues 3, 4, 5).
    const equal = symmetricEigen(Float64Array.from([4, 0, 1, 0, 4, 0, 1, 0, 4]), 3);
    for (const [i, want] of [3, 4, 5].entries()) expect(equal.values[i]).toBeCloseTo(want, 14);
  });
});

describe("Halton", () => {
  it("gives SciPy's unscrambled points in the first six prime bases", () => {
    expect(firstPrimes(8)).toEqual([2, 3, 5, 7, 11, 13, 17, 19]);
    const h = new Halton(6);
    const out = new Float64Array(6);
    goldens.halton.forEach((want, i) => {
      h.at(i, out);
      for (let d = 0; d < 6; d++) expect(Math.abs(out[d]! - want[d]!)).toBeLessThan(1e-15);
    });
  });

  it("accepts every index in [0, 2^32) and refuses the rest", () => {
    const h = new Halton(2);
    const out = [0, 0];
    h.at(2 ** 32 - 1, out);
    // 2^32 − 1 in base 2 is 32 ones: 1 − 2^-32.
    expect(out[0]).toBe(1 - 2 ** -32);
    for (const bad of [-1, 2 ** 32, 0.5, Number.NaN]) expect(() => h.at(bad, out)).toThrow(RangeError);
    expect(() => h.at(2 ** 32, out)).toThrow("Halton index must be an integer in [0, 2^32), got 4294967296");
  });

  it("scrambled: deterministic per generator, strictly inside (0, 1), each coordinate stratified in its base", () => {
    const dim = 5;
    const a = new Halton(dim, createRng(3));
    const b = new Halton(dim, createRng(3));
    const c = new Halton(dim, createRng(4));
    const pa = new Float64Array(dim);
    const pb = new Float64Array(dim);
    const pc = new Float64Array(dim);
    let differs = false;
    const bases = firstPrimes(dim);
    // b² points: in each dimension with base b, one point per cell of width 1/b² (cells of the two leading digits).
    for (let d = 0; d < dim; d++) {
      const base = bases[d]!;
      const cells = new Set<number>();
      for (let i = 0; i < base * base; i++) {
        a.at(i, pa);
        b.at(i, pb);
        c.at(i, pc);
        expect(Array.from(pa)).toEqual(Array.from(pb));
        if (pa[d] !== pc[d]) differs = true;
        expect(pa[d]).toBeGreaterThan(0);
        expect(pa[d]).toBeLessThan(1);
        cells.add(Math.floor(pa[d]! * base * base));
      }
      expect(cells.size).toBe(base * base);
    }
    expect(differs).toBe(true);
    // Point 0 is scrambled too (not the origin), and differs from the unscrambled sequence.
    a.at(0, pa);
    expect(Array.from(pa).every((x) => x > 0)).toBe(true);
  });
});

describe("minimizeBox", () => {
  const rosen: ValueAndGradient = (x, g) => {
    let f = 0;
    g.fill(0);
    for (let i = 0; i + 1 < x.length; i++) {
      const a = x[i + 1]! - x[i]! * x[i]!;
      const b = 1 - x[i]!;
      f += 100 * a * a + b * b;
      g[i]! += -400 * x[i]! * a - 2 * b;
      g[i + 1]! += 200 * a;
    }
    return f;
  };
  const quad: ValueAndGradient = (x, g) => {
    const c = [3, -2, 0.5, 10];
    const w = [1, 10, 0.3, 2];
    let f = 0;
    for (let i = 0; i < 4; i++) {
      const d = x[i]! - c[i]!;
      f += w[i]! * d * d;
      g[i] = 2 * w[i]! * d;
    }
    return f;
  };
  const fns: Record<string, ValueAndGradient> = {
    rosenbrock: rosen,
    "rosenbrock-boxed": rosen,
    "quadratic-boxed": quad,
  };

  it.each(goldens.minima.map((m) => [m.name, m] as const))("finds SciPy's L-BFGS-B minimum: %s", (name, m) => {
    const r = minimizeBox(fns[name]!, m.x0, m.lo, m.hi, { gtol: 1e-9, maxIter: 2000, maxEval: 20_000 });
    expect(r.converged).toBe(true);
    for (let i = 0; i < m.x.length; i++) {
      expect(Math.abs(r.x[i]! - m.x[i]!)).toBeLessThan(1e-5);
      expect(r.x[i]).toBeGreaterThanOrEqual(m.lo[i]!);
      expect(r.x[i]).toBeLessThanOrEqual(m.hi[i]!);
    }
    expect(Math.abs(r.f - m.f)).toBeLessThan(1e-9 * Math.max(1, Math.abs(m.f)));
    // The reported value is f at the reported point.
    expect(r.f).toBe(fns[name]!(Float64Array.from(r.x), new Float64Array(m.x.length)));
    expect(r.evaluations).toBeGreaterThan(r.iterations);
  });

  // An ill-conditioned quadratic (curvatures 1 to 1e4): steepest descent needs thousands of iterations, a working
  // quasi-Newton model a few dozen. The iteration counts pin the curvature pairs and the two-loop product.
  const w6 = [1, 10, 100, 1000, 1e4, 3];
  const c6 = [0.5, -0.3, 0.2, 0.1, -0.05, 0.7];
  const ill: ValueAndGradient = (x, g) => {
    let f = 0;
    for (let i = 0; i < 6; i++) {
      const d = x[i]! - c6[i]!;
      f += 0.5 * w6[i]! * d * d;
      g[i] = w6[i]! * d;
    }
    return f;
  };
  const free6 = [new Array(6).fill(Number.NEGATIVE_INFINITY), new Array(6).fill(Number.POSITIVE_INFINITY)] as const;

  it("is quasi-Newton: an ill-conditioned 6-D quadratic in under 60 iterations, Rosenbrock in under 80", () => {
    const r = minimizeBox(ill, new Array(6).fill(0), ...free6, { gtol: 1e-8 });
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThan(60);
    expect(r.f).toBeLessThan(1e-10);
    for (let i = 0; i < 6; i++) expect(r.x[i]).toBeCloseTo(c6[i]!, 6);
    const rb = minimizeBox(rosen, [-1.2, 1, 0.5], [-2, -2, -2], [2, 2, 2], {
      gtol: 1e-9,
      maxIter: 2000,
      maxEval: 20_000,
    });
    expect(rb.iterations).toBeLessThan(80);
  });

  it("memory: one correction pair is not enough for the ill-conditioned quadratic in 200 iterations", () => {
    const one = minimizeBox(ill, new Array(6).fill(0), ...free6, { gtol: 1e-8, memory: 1 });
    expect(one.converged).toBe(false);
    expect(one.iterations).toBe(200);
    expect(one.f).toBeGreaterThan(1e-4);
  });

  it("with bounds active on four coordinates, converges in under 25 iterations onto them exactly", () => {
    const r = minimizeBox(ill, new Array(6).fill(0), new Array(6).fill(-0.1), new Array(6).fill(0.15), { gtol: 1e-8 });
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThan(25);
    expect([r.x[0], r.x[1], r.x[2], r.x[5]]).toEqual([0.15, -0.1, 0.15, 0.15]);
    expect(r.x[3]).toBeCloseTo(0.1, 6);
    expect(r.x[4]).toBeCloseTo(-0.05, 6);
  });

  it("holds coordinates exactly at the bounds the gradient pushes against, starting from outside the box", () => {
    const r = minimizeBox(quad, [-50, 50, 0, 0], [-1, -1, -1, -1], [1, 1, 1, 12]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBe(1);
    expect(r.x[1]).toBe(-1);
    expect(r.x[2]).toBeCloseTo(0.5, 4);
    expect(r.x[3]).toBeCloseTo(10, 4);
  });

  it("is at a minimum at once when the start is one (0 iterations, 1 evaluation)", () => {
    const r = minimizeBox(quad, [3, -2, 0.5, 10], [-10, -10, -10, -10], [10, 10, 10, 12]);
    expect(r).toMatchObject({ iterations: 0, evaluations: 1, converged: true, f: 0 });
    // A bound the gradient pushes against counts as stationary too.
    const atBound = minimizeBox(quad, [1, -1, 0.5, 10], [-1, -1, -1, -1], [1, 1, 1, 12]);
    expect(atBound).toMatchObject({ iterations: 0, evaluations: 1, converged: true });
  });

  it("respects maxIter and maxEval, and says it did not converge", () => {
    const byIter = minimizeBox(rosen, [-1.2, 1, 0.5], [-2, -2, -2], [2, 2, 2], { maxIter: 3, gtol: 1e-12 });
    expect(byIter.iterations).toBe(3);
    expect(byIter.converged).toBe(false);
    const byEval = minimizeBox(rosen, [-1.2, 1, 0.5], [-2, -2, -2], [2, 2, 2], { maxEval: 7, gtol: 1e-12 });
    expect(byEval.evaluations).toBeLessThanOrEqual(7);
    expect(byEval.converged).toBe(false);
    // Defaults: 200 iterations is too few for Rosenbrock in 10-D from far away at gtol 0.
    const defaults = minimizeBox(rosen, new Array(10).fill(-1.5), new Array(10).fill(-3), new Array(10).fill(3), {
      gtol: 0,
      ftol: 0,
    });
    expect(defaults.iterations).toBeLessThanOrEqual(200);
    expect(defaults.evaluations).toBeLessThanOrEqual(1000);
  });

  it("stops on a loose gradient tolerance earlier than on a tight one", () => {
    const loose = minimizeBox(rosen, [-1.2, 1, 0.5], [-2, -2, -2], [2, 2, 2], { gtol: 1e-1, ftol: 0 });
    const tight = minimizeBox(rosen, [-1.2, 1, 0.5], [-2, -2, -2], [2, 2, 2], { gtol: 1e-9, ftol: 0 });
    expect(loose.converged && tight.converged).toBe(true);
    expect(loose.iterations).toBeLessThan(tight.iterations);
    expect(tight.f).toBeLessThan(loose.f);
    const g = new Float64Array(3);
    rosen(Float64Array.from(loose.x), g);
    expect(Math.max(...Array.from(g, Math.abs))).toBeLessThanOrEqual(1e-1);
  });

  it("stops when the value stalls over the window (stallTol), not before", () => {
    const base = { gtol: 0, ftol: 0, maxIter: 500 };
    const plain = minimizeBox(rosen, [-1.2, 1, 0.5], [-2, -2, -2], [2, 2, 2], base);
    const stall = minimizeBox(rosen, [-1.2, 1, 0.5], [-2, -2, -2], [2, 2, 2], { ...base, stallTol: 1e-3 });
    expect(stall.converged).toBe(true);
    expect(stall.iterations).toBeGreaterThanOrEqual(3);
    expect(stall.iterations).toBeLessThan(plain.iterations);
  });

  it("limits the first step to initialStep and every step to maxStep in each coordinate", () => {
    const seen: number[][] = [];
    const f: ValueAndGradient = (x, g) => {
      seen.push(Array.from(x));
      return quad(x, g);
    };
    minimizeBox(f, [0, 0, 0, 0], [-100, -100, -100, -100], [100, 100, 100, 100], { initialStep: 0.25, maxIter: 1 });
    // The first trial point moves the coordinate with the largest gradient by exactly initialStep.
    expect(Math.max(...seen[1]!.map(Math.abs))).toBeCloseTo(0.25, 12);
    seen.length = 0;
    minimizeBox(f, [0, 0, 0, 0], [-100, -100, -100, -100], [100, 100, 100, 100], { maxStep: 0.1, maxIter: 30 });
    for (let i = 1; i < seen.length; i++) {
      // Every trial point is within maxStep of some earlier accepted point: never a longer jump than 0.1.
      const jump = Math.min(...seen.slice(0, i).map((p) => Math.max(...p.map((v, k) => Math.abs(v - seen[i]![k]!)))));
      expect(jump).toBeLessThanOrEqual(0.1 + 1e-12);
    }
  });

  it("returns without iterating when the start is not finite, and backtracks over NaN regions", () => {
    const nan = minimizeBox(() => Number.NaN, [0], [-1], [1]);
    expect(nan).toMatchObject({ iterations: 0, evaluations: 1, converged: false });
    // f is undefined (NaN) for x > 0.5; the minimum of (x − 2)² on [−3, 3] restricted to where f exists is 0.5.
    const holed: ValueAndGradient = (x, g) => {
      if (x[0]! > 0.5) return Number.NaN;
      g[0] = 2 * (x[0]! - 2);
      return (x[0]! - 2) ** 2;
    };
    const r = minimizeBox(holed, [-3], [-3], [3], { maxIter: 100 });
    expect(r.x[0]).toBeGreaterThan(0.4);
    expect(r.x[0]).toBeLessThanOrEqual(0.5);
    expect(Number.isFinite(r.f)).toBe(true);
  });
});

describe("cholesky's jitter", () => {
  // diag(1, −1e-6): factorable once the jitter exceeds 1e-6. Tries are firstJitter·mean|diag|·10^k, k = 0, 1, ...
  const m = (1 + 1e-6) / 2;

  it("is 0 when the matrix factors as given, and the first try that works otherwise", () => {
    expect(cholesky(Float64Array.from([4, 2, 2, 3]), 2)!.jitter).toBe(0);
    const f = cholesky(Float64Array.from([1, 0, 0, -1e-6]), 2)!;
    // 1e-10·m·10^4 ≈ 5e-7 is too little, 1e-10·m·10^5 ≈ 5e-6 works.
    expect(f.jitter / (1e-10 * m * 1e5)).toBeCloseTo(1, 12);
    expect(f.L[3]).toBeCloseTo(Math.sqrt(f.jitter - 1e-6), 15);
    // A singular zero matrix: mean|diag| is 0, so the scale is 1 and the first try, 1e-10, works.
    expect(cholesky(new Float64Array(4), 2)!.jitter).toBe(1e-10);
  });

  it("firstJitter and maxTries act: the first try's size, and giving up after maxTries escalations", () => {
    const f = cholesky(Float64Array.from([1, 0, 0, -1e-6]), 2, 1e-3)!;
    expect(f.jitter).toBe(1e-3 * m);
    // −1 needs a jitter above 1: 1e-10·m·10^k > 1 first at k = 11, past the default 8 tries (k ≤ 7).
    const neg = Float64Array.from([1, 0, 0, -1]);
    expect(cholesky(neg, 2)).toBeUndefined();
    expect(cholesky(neg, 2, 1e-10, 11)).toBeUndefined();
    expect(cholesky(neg, 2, 1e-10, 12)!.jitter / (1e-10 * 1 * 1e11)).toBeCloseTo(1, 12);
  });
});
