/**
 * The all-continuous density's documented sum (continuous-density.ts), computed here from its definition and
 * compared bit for bit: s_k = log w_k + Σⱼ (logNormₖⱼ − ½ zₖⱼ²), M = maxₖ s_k, and
 *     log p(x) = M + log Σ_{k : s_k ≥ M − PRUNE} exp(s_k − M)   (k ascending, the prior kernel last).
 * tpe-density.test.ts compares the tree with the scan (both use the module's sum) and both with the exact mixture
 * to nk·e^−PRUNE; here the truncation itself is pinned: kernels exactly at M − PRUNE are in the sum, kernels a
 * hair below it are not, and a hundred of either, summed before M's own term, move the result's last bits.
 */
import { describe, expect, it } from "vitest";
import {
  beginContinuous,
  ContinuousScratch,
  continuousAt,
  continuousLogDensity,
  continuousUnless,
  PRUNE,
  type ContinuousKernels,
} from "../../src/algorithms/tpe/continuous-density.js";
import { KernelTree } from "../../src/algorithms/tpe/kernel-tree.js";
import { createRng, type Rng } from "../../src/math/rng.js";
import { LOG_SQRT_2PI } from "../../src/math/special.js";

/** The documented value at x[xAt ..], every kernel scored, no pruning but the definition's own. */
function documented(kr: ContinuousKernels, x: Float64Array, xAt: number): number {
  const { nk, d } = kr;
  const s = new Float64Array(nk);
  for (let k = 0; k < nk; k++) {
    let v = kr.logW[k]!;
    for (let j = 0; j < d; j++) {
      const z = (x[xAt + j]! - kr.mu[k * d + j]!) * kr.invSigma[k * d + j]!;
      v += kr.logNorm[k * d + j]! - 0.5 * z * z;
    }
    s[k] = v;
  }
  let m = Number.NEGATIVE_INFINITY;
  for (const v of s) m = Math.max(m, v);
  if (m === Number.NEGATIVE_INFINITY) return m;
  let sum = 0;
  for (let k = 0; k < nk; k++) if (s[k]! >= m - PRUNE) sum += Math.exp(s[k]! - m);
  return m + Math.log(sum);
}

/** Kernels from explicit parts; normSum and wMax derived as the interface defines them. */
function kernels(
  d: number,
  mu: number[],
  sigma: number[],
  logW: number[],
  logNorm: number[] = sigma.map((s) => -Math.log(s) - LOG_SQRT_2PI),
): ContinuousKernels {
  const nk = logW.length;
  const normSum = new Float64Array(nk);
  for (let k = 0; k < nk; k++) for (let j = 0; j < d; j++) normSum[k] = normSum[k]! + logNorm[k * d + j]!;
  let wMax = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < nk - 1; k++) wMax = Math.max(wMax, logW[k]!);
  return {
    nk,
    d,
    mu: Float64Array.from(mu),
    invSigma: Float64Array.from(sigma, (s) => 1 / s),
    logNorm: Float64Array.from(logNorm),
    logW: Float64Array.from(logW),
    normSum,
    wMax,
  };
}

/** The density at each of x's nc points: by a scan, by a tree search, and each point begun alone and in reverse order. */
function everyWay(kr: ContinuousKernels, x: Float64Array, nc: number): Float64Array[] {
  const sc = new ContinuousScratch();
  const tree = new KernelTree(kr.mu, kr.invSigma, kr.normSum, kr.nk - 1, kr.d);
  const scan = new Float64Array(nc);
  const viaTree = new Float64Array(nc);
  continuousLogDensity(kr, undefined, x, nc, scan, sc);
  continuousLogDensity(kr, tree, x, nc, viaTree, sc);
  const reversed = new Float64Array(nc);
  const lower = new Float64Array(nc);
  beginContinuous(kr, tree, x, nc, lower, sc);
  continuousAt(
    x,
    Uint32Array.from({ length: nc }, (_, q) => nc - 1 - q),
    nc,
    reversed,
    sc,
  );
  return [scan, viaTree, reversed];
}

function expectDocumented(kr: ContinuousKernels, x: Float64Array, nc: number, what: string): void {
  const want = Array.from({ length: nc }, (_, i) => documented(kr, x, i * kr.d));
  for (const [way, got] of everyWay(kr, x, nc).entries()) {
    for (let i = 0; i < nc; i++) {
      expect(
        Object.is(got[i], want[i]),
        `${what}: ${["scan", "tree", "reversed"][way]}, point ${i}: ${got[i]} ≠ ${want[i]}`,
      ).toBe(true);
    }
  }
}

/**
 * `many` kernels at 0.25 (σ = 1, normaliser 0) whose log densities at x = 0.25 are exactly `low`, then `top`
 * (exactly its log weight there), then the prior kernel at 0.5 with log density exactly `prior` at 0.25.
 */
function ladder(many: number, low: number, top: number | undefined, prior: number): ContinuousKernels {
  const n = many + (top === undefined ? 0 : 1);
  const logW = [...Array.from({ length: many }, () => low), ...(top === undefined ? [] : [top]), prior + 0.03125];
  return kernels(1, [...Array.from({ length: n }, () => 0.25), 0.5], Array(n + 1).fill(1), logW, Array(n + 1).fill(0));
}

const AT = Float64Array.of(0.25);

describe("the continuous density is its documented sum, bit for bit", () => {
  it("a hundred kernels exactly PRUNE below the prior's term are in the sum (they move its last bits)", () => {
    const kr = ladder(100, 0.5 - PRUNE, undefined, 0.5);
    expectDocumented(kr, AT, 1, "at the cut");
    expect(documented(kr, AT, 0)).toBeGreaterThan(0.5); // 1 + 100·e^−40 rounds above 1
  });

  it("a hundred kernels a hair more than PRUNE below are not, although the searches keep them (within MARGIN)", () => {
    const kr = ladder(100, 0.5 - PRUNE - 5e-7, undefined, 0.5);
    expectDocumented(kr, AT, 1, "below the cut");
    expect(documented(kr, AT, 0)).toBe(0.5);
  });

  it("the same with the largest term a kernel's, scored after the prior and after the others", () => {
    for (const [low, what] of [
      [1 - PRUNE, "at the cut"],
      [1 - PRUNE - 5e-7, "below the cut"],
      [1 - PRUNE + 1e-9, "just above the cut"],
    ] as const) {
      // The prior's term is within PRUNE of the top, then far below it (it is in no sum then, and sets no floor).
      for (const prior of [-3, 1 - 2 * PRUNE])
        expectDocumented(ladder(100, low, 1, prior), AT, 1, `${what}, prior ${prior}`);
    }
    expect(documented(ladder(100, 1 - PRUNE, 1, -3), AT, 0)).not.toBe(
      documented(ladder(100, 1 - PRUNE, 1, 1 - 2 * PRUNE), AT, 0),
    );
  });

  it("a mixture of zero weights has log density −∞", () => {
    const kr = ladder(5, Number.NEGATIVE_INFINITY, undefined, Number.NEGATIVE_INFINITY);
    expectDocumented(kr, AT, 1, "zero weights");
    expect(documented(kr, AT, 0)).toBe(Number.NEGATIVE_INFINITY);
  });

  function mixture(rng: Rng, nk: number, d: number, wide: number): ContinuousKernels {
    const mu: number[] = [];
    const sigma: number[] = [];
    for (let k = 0; k < nk; k++) {
      for (let j = 0; j < d; j++) {
        mu.push(k === nk - 1 ? 0.5 : rng.uniform());
        sigma.push(k === nk - 1 ? 1 : wide * (0.005 + 0.05 * rng.uniform()));
      }
    }
    const raw = Array.from({ length: nk }, () => 0.1 + rng.uniform());
    const total = raw.reduce((a, b) => a + b, 0);
    return kernels(
      d,
      mu,
      sigma,
      raw.map((w) => Math.log(w / total)),
    );
  }

  for (const [d, nk, wide] of [
    [1, 40, 1],
    [2, 300, 1],
    [2, 300, 8],
    [5, 700, 3],
  ] as const) {
    it(`random mixtures: d=${d}, ${nk} kernels, σ×${wide}, at kernels' centres, near them and far away`, () => {
      const rng = createRng(31 * d + nk + wide);
      const kr = mixture(rng, nk, d, wide);
      const nc = 90;
      const x = new Float64Array(nc * d);
      for (let i = 0; i < nc; i++) {
        const k = Math.floor(rng.uniform() * (nk - 1));
        for (let j = 0; j < d; j++) {
          const c = kr.mu[k * d + j]!;
          x[i * d + j] = i % 3 === 0 ? c : i % 3 === 1 ? c + 0.01 * rng.normal() : 4 * rng.normal();
        }
      }
      expectDocumented(kr, x, nc, "random");
    });
  }
});

describe("continuousUnless", () => {
  /**
   * nk kernels in d dims with σ from `sigma`, equal weights; the prior kernel at 0.5 with σ = 1. With tiny σ the
   * terms at a kernel's centre are far above the prior's: 30 nats (the watch rescales) or more than 709 (exp
   * overflows without the rescaling).
   */
  function narrow(rng: Rng, nk: number, d: number, sigma: () => number): ContinuousKernels {
    const mu: number[] = [];
    const sg: number[] = [];
    for (let k = 0; k < nk; k++) {
      for (let j = 0; j < d; j++) {
        mu.push(k === nk - 1 ? 0.5 : rng.uniform());
        sg.push(k === nk - 1 ? 1 : sigma());
      }
    }
    return kernels(
      d,
      mu,
      sg,
      Array.from({ length: nk }, () => -Math.log(nk)),
    );
  }

  for (const [name, d, nk, sigma] of [
    ["σ 0.01 to 0.04", 2, 400, (rng: Rng) => 0.01 + 0.03 * rng.uniform()],
    ["σ about 1e-4 (terms 30 nats and more above the prior's)", 3, 300, (rng: Rng) => 1e-4 * (1 + rng.uniform())],
    ["σ about 1e-250 (terms a thousand nats above the prior's)", 2, 200, (rng: Rng) => 1e-250 * (1 + rng.uniform())],
  ] as const) {
    it(`finishes a point with its documented value unless that is above the limit (then false): ${name}`, () => {
      const rng = createRng(77 + d + nk);
      const kr = narrow(rng, nk, d, () => sigma(rng));
      const nc = 40;
      const x = new Float64Array(nc * d);
      // Half the points at a kernel's centre, half anywhere.
      for (let i = 0; i < nc; i++) {
        const k = (i * 7) % (nk - 1);
        for (let j = 0; j < d; j++) x[i * d + j] = i % 2 === 0 ? kr.mu[k * d + j]! : rng.uniform();
      }
      const want = Array.from({ length: nc }, (_, i) => documented(kr, x, i * d));
      const tree = new KernelTree(kr.mu, kr.invSigma, kr.normSum, nk - 1, d);
      const sc = new ContinuousScratch();
      const lower = new Float64Array(nc);
      let stopped = 0;
      let finished = 0;
      // Limits below and above the density; ±0.5e-6 (relative beyond 1) is inside the watch's margin.
      for (const delta of [-2, -1e-3, 1e-3, 0.5e-6, 2]) {
        for (let i = 0; i < nc; i++) {
          beginContinuous(kr, tree, x, nc, lower, sc);
          const out = new Float64Array(nc).fill(Number.NaN);
          const above = want[i]! + (delta === 0.5e-6 ? delta * (1 + Math.abs(want[i]!)) : delta);
          const done = continuousUnless(x, i, above, out, sc);
          if (done) {
            finished++;
            expect(Object.is(out[i], want[i]), `point ${i}, limit ${delta}`).toBe(true);
          } else {
            stopped++;
            // Only a density above the limit may be abandoned, and the value is then left unset.
            expect(want[i]!, `point ${i}, limit ${delta}`).toBeGreaterThan(above);
            expect(out[i]).toBeNaN();
          }
          // With the tree in use, a density well above the limit is found out once the kernels kept make it so (at a
          // kernel's centre: that kernel is visited); one below it never.
          if (delta === -2 && i % 2 === 0) expect(done, `point ${i}`).toBe(false);
          if (delta > 0) expect(done, `point ${i}`).toBe(true);
          // The batch goes on after an abandoned candidate: the next one is finished in full.
          const j = (i + 1) % nc;
          continuousAt(x, Uint32Array.of(j), 1, out, sc);
          expect(Object.is(out[j], want[j]), `point ${j} after point ${i}, limit ${delta}`).toBe(true);
        }
      }
      expect(stopped).toBeGreaterThan(0);
      expect(finished).toBeGreaterThan(0);
    });
  }
});

describe("continuousUnless far from every kernel", () => {
  it("a density equal to the limit is never abandoned, where log densities are about −5e7 (rounding of 1e-8)", () => {
    const rng = createRng(21);
    const nk = 200;
    // Kernels as wide as the prior and close together: at x ≈ 1e4 they are all within PRUNE of each other.
    const mu = Array.from({ length: nk }, (_, k) => (k === nk - 1 ? 0.5 : 0.5 + 1e-4 * rng.uniform()));
    const kr = kernels(1, mu, Array(nk).fill(1), Array(nk).fill(-Math.log(nk)));
    const tree = new KernelTree(kr.mu, kr.invSigma, kr.normSum, nk - 1, 1);
    const nc = 30;
    const x = Float64Array.from({ length: nc }, () => 1e4 * (1 + rng.uniform()));
    const sc = new ContinuousScratch();
    const lower = new Float64Array(nc);
    for (let i = 0; i < nc; i++) {
      const want = documented(kr, x, i);
      expect(want).toBeLessThan(-4e7);
      for (const above of [want, want + 1e-6]) {
        beginContinuous(kr, tree, x, nc, lower, sc);
        const out = new Float64Array(nc);
        expect(continuousUnless(x, i, above, out, sc), `point ${i}, limit ${above - want} above`).toBe(true);
        expect(Object.is(out[i], want), `point ${i}`).toBe(true);
      }
    }
  });
});

describe("the tree search's kept-kernel stamps", () => {
  it("the sum stays right when the stamp counter wraps around (after 2³² candidates with many kernels kept)", () => {
    const rng = createRng(8);
    const nk = 300;
    const d = 2;
    const mu: number[] = [];
    const sigma: number[] = [];
    for (let k = 0; k < nk; k++) {
      for (let j = 0; j < d; j++) {
        mu.push(k === nk - 1 ? 0.5 : rng.uniform());
        sigma.push(k === nk - 1 ? 1 : 0.3 + 0.3 * rng.uniform());
      }
    }
    const kr = kernels(
      d,
      mu,
      sigma,
      Array.from({ length: nk }, () => -Math.log(nk)),
    );
    const tree = new KernelTree(kr.mu, kr.invSigma, kr.normSum, nk - 1, d);
    const sc = new ContinuousScratch();
    const one = new Float64Array(1);
    // Sized for these kernels first (a resize starts the stamps afresh), then three candidates short of the wrap.
    continuousLogDensity(kr, tree, Float64Array.of(0.5, 0.5), 1, one, sc);
    for (let i = 0; i < 8; i++) {
      // Three candidates short of the wrap, then at its very edge.
      if (i === 0) sc.stamp = 0xffffffff - 3;
      if (i === 5) sc.stamp = 0xffffffff;
      const x = Float64Array.of(rng.uniform(), rng.uniform());
      continuousLogDensity(kr, tree, x, 1, one, sc);
      expect(Object.is(one[0], documented(kr, x, 0)), `candidate ${i}, stamp ${sc.stamp}`).toBe(true);
    }
  });
});
