/**
 * The mixed (discrete or categorical) density (mixed-density.ts) against its documented definition, on kernels
 * built here: kernel k's log term at a candidate is log w_k plus, per dimension, a continuous kernel's log density
 * (logNorm − ½z²), a discrete kernel's log mass over the candidate's grid cell, or a categorical kernel's on, off or
 * (the prior kernel) prior log-probability of the candidate's option; the density is their running log-sum-exp in
 * kernel order, each kernel left out when its bound falls PRUNE below the largest term so far (the prior kernel's
 * included). Checked bit for bit against that rule, to nk·e^−PRUNE against the exact mixture, and for any subset
 * and order of candidates finished after `beginMixed` (whose lower bounds are the prior kernel's terms).
 */
import { describe, expect, it } from "vitest";
import type { Candidates } from "../../src/algorithms/tpe/candidates.js";
import { PRUNE } from "../../src/algorithms/tpe/continuous-density.js";
import { CATEGORICAL, CONTINUOUS, DISCRETE, type Dim } from "../../src/algorithms/tpe/dims.js";
import {
  beginMixed,
  type MixedKernels,
  MixedScratch,
  mixedAt,
  mixedLogDensity,
} from "../../src/algorithms/tpe/mixed-density.js";
import { createRng, type Rng } from "../../src/math/rng.js";
import { LOG_SQRT_2PI } from "../../src/math/special.js";
import { logNormMassApprox } from "../../src/math/truncnorm.js";

type Kind = typeof CONTINUOUS | typeof DISCRETE | typeof CATEGORICAL;

/** Kernel k's log term at candidate i, from the definitions. */
function term(kr: MixedKernels, c: Candidates, i: number, k: number): number {
  const { d } = kr;
  let s = kr.logW[k]!;
  for (let j = 0; j < d; j++) {
    const at = i * d + j;
    const kd = k * d + j;
    if (kr.kinds[j] === CONTINUOUS) {
      const z = (c.lo[at]! - kr.mu[kd]!) * kr.invSigma[kd]!;
      s += kr.logNorm[kd]! - 0.5 * z * z;
    } else if (kr.kinds[j] === DISCRETE) {
      const q = kr.discreteIds[j]![k]!;
      const [m, inv, ln] = kr.discreteKernels[j]!.subarray(3 * q, 3 * q + 3);
      s += ln! + logNormMassApprox((c.lo[at]! - m!) * inv!, (c.hi[at]! - m!) * inv!);
    } else {
      const o = c.values[at]!;
      s += k === kr.nk - 1 ? kr.catPrior[j]![o]! : c.values[at] === kr.mu[kd] ? kr.catOn[j]![o]! : kr.catOff[j]![o]!;
    }
  }
  return s;
}

/** The documented running sum: kernels in index order, each kept when its term is at least PRUNE below no kept term nor the prior's. */
function documented(kr: MixedKernels, c: Candidates, i: number): number {
  const prior = term(kr, c, i, kr.nk - 1);
  let m = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let k = 0; k < kr.nk; k++) {
    const s = term(kr, c, i, k);
    if (s < Math.max(m, prior) - PRUNE) continue;
    if (s > m) {
      sum = m === Number.NEGATIVE_INFINITY ? 1 : sum * Math.exp(m - s) + 1;
      m = s;
    } else if (s > Number.NEGATIVE_INFINITY) {
      sum += Math.exp(s - m);
    }
  }
  return m === Number.NEGATIVE_INFINITY ? m : m + Math.log(sum);
}

/** log Σ exp(term) over every kernel. */
function exact(kr: MixedKernels, c: Candidates, i: number): number {
  const s = Array.from({ length: kr.nk }, (_, k) => term(kr, c, i, k));
  const top = Math.max(...s);
  return top + Math.log(s.reduce((a, v) => a + Math.exp(v - top), 0));
}

const OPTIONS = 4;

/**
 * nk kernels (the last the prior) over dims of the given kinds: continuous in [0, 1], discrete on the grid
 * 0 .. grid−1 (unit cells, kernels on it sharing ids when equal), categorical with OPTIONS options.
 */
function mixture(rng: Rng, nk: number, kinds: readonly Kind[], width: number, grid: number): MixedKernels {
  const d = kinds.length;
  const mu = new Float64Array(nk * d);
  const invSigma = new Float64Array(nk * d);
  const logNorm = new Float64Array(nk * d);
  const discreteIds: (Int32Array | undefined)[] = [];
  const discreteKernels: (Float64Array | undefined)[] = [];
  const catOn: (Float64Array | undefined)[] = [];
  const catOff: (Float64Array | undefined)[] = [];
  const catPrior: (Float64Array | undefined)[] = [];
  const bound = new Float64Array(d);
  for (const [j, kind] of kinds.entries()) {
    const last = (k: number) => k === nk - 1;
    if (kind === CONTINUOUS) {
      for (let k = 0; k < nk; k++) {
        const sigma = last(k) ? 1.7 : width * (0.01 + 0.1 * rng.uniform());
        mu[k * d + j] = last(k) ? 0.5 : rng.uniform();
        invSigma[k * d + j] = 1 / sigma;
        logNorm[k * d + j] = -Math.log(sigma) - LOG_SQRT_2PI;
      }
      discreteIds.push(undefined);
      discreteKernels.push(undefined);
    } else if (kind === DISCRETE) {
      // Few distinct (μ, σ): many kernels share an id.
      const ids = new Int32Array(nk);
      const uniq: number[] = [];
      const seen = new Map<string, number>();
      for (let k = 0; k < nk; k++) {
        const m = last(k) ? (grid - 1) / 2 : Math.floor(rng.uniform() * grid);
        const sigma = last(k) ? grid : width * (rng.uniform() < 0.5 ? 0.6 : 2);
        const key = `${m},${sigma}`;
        if (!seen.has(key)) {
          seen.set(key, uniq.length / 3);
          // A log normaliser up to 30 (a kernel mostly outside its domain): the dims' bounds are then far from 0.
          uniq.push(m, 1 / sigma, rng.uniform() < 0.2 ? 30 * rng.uniform() : 0.1 * rng.uniform());
        }
        ids[k] = seen.get(key)!;
        mu[k * d + j] = m;
      }
      // Ids in reverse order of first use: the table's last entry is then an observation kernel, often far below
      // the batch's best cell score (the prior kernel's broad one would be close to it).
      const nu = uniq.length / 3;
      const reversed = new Float64Array(uniq.length);
      for (let q = 0; q < nu; q++) reversed.set(uniq.slice(3 * q, 3 * q + 3), 3 * (nu - 1 - q));
      discreteIds.push(ids.map((q) => nu - 1 - q));
      discreteKernels.push(reversed);
    } else {
      const p = Array.from({ length: OPTIONS }, () => 0.2 + rng.uniform());
      const total = p.reduce((a, b) => a + b, 0);
      const a = (OPTIONS * width) / nk;
      const on = Float64Array.from(p, (v) => Math.log((a * v) / total + 1) - Math.log(a + 1));
      const off = Float64Array.from(p, (v) => Math.log((a * v) / total) - Math.log(a + 1));
      const prior = Float64Array.from(p, (v) => Math.log(v / total));
      catOn.push(on);
      catOff.push(off);
      catPrior.push(prior);
      bound[j] = Math.max(...on, ...prior);
      for (let k = 0; k < nk; k++) mu[k * d + j] = last(k) ? -1 : Math.floor(rng.uniform() * OPTIONS);
    }
    if (kind !== CATEGORICAL) {
      catOn.push(undefined);
      catOff.push(undefined);
      catPrior.push(undefined);
    }
    if (kind === CATEGORICAL) {
      discreteIds.push(undefined);
      discreteKernels.push(undefined);
    }
  }
  const raw = Array.from({ length: nk }, () => 0.05 + rng.uniform());
  const total = raw.reduce((a, b) => a + b, 0);
  return kernelsOf(
    kinds,
    mu,
    invSigma,
    logNorm,
    Float64Array.from(raw, (w) => Math.log(w / total)),
    bound,
    {
      discreteIds,
      discreteKernels,
      catOn,
      catOff,
      catPrior,
    },
  );
}

function kernelsOf(
  kinds: readonly Kind[],
  mu: Float64Array,
  invSigma: Float64Array,
  logNorm: Float64Array,
  logW: Float64Array,
  bound: Float64Array,
  tables: Pick<MixedKernels, "discreteIds" | "discreteKernels" | "catOn" | "catOff" | "catPrior">,
): MixedKernels {
  const d = kinds.length;
  const nk = logW.length;
  const normSum = new Float64Array(nk);
  for (let k = 0; k < nk; k++)
    for (let j = 0; j < d; j++) if (kinds[j] === CONTINUOUS) normSum[k] = normSum[k]! + logNorm[k * d + j]!;
  // Only a dim's kind is read by the density.
  const dims = kinds.map((kind) => ({ kind }) as Dim);
  return { nk, d, dims, kinds: Int8Array.from(kinds), mu, invSigma, logNorm, logW, normSum, bound, ...tables };
}

/** nc candidates: continuous coordinates in and around [0, 1], grid values with their unit cells, options. */
function candidates(rng: Rng, kr: MixedKernels, nc: number, grid: number): Candidates {
  const d = kr.d;
  const c: Candidates = {
    n: nc,
    values: new Float64Array(nc * d),
    lo: new Float64Array(nc * d),
    hi: new Float64Array(nc * d),
  };
  for (let i = 0; i < nc; i++) {
    // A third at a kernel's centre (where its term is largest), the rest anywhere.
    const near = i % 3 === 0 ? Math.floor(rng.uniform() * (kr.nk - 1)) : -1;
    for (let j = 0; j < d; j++) {
      const at = i * d + j;
      const centre = near >= 0 ? kr.mu[near * d + j]! : Number.NaN;
      if (kr.kinds[j] === CONTINUOUS) {
        const x = near >= 0 ? centre : 1.6 * rng.uniform() - 0.3;
        c.values[at] = x;
        c.lo[at] = x;
        c.hi[at] = x;
      } else if (kr.kinds[j] === DISCRETE) {
        const v = near >= 0 ? centre : Math.floor(rng.uniform() * grid);
        c.values[at] = v;
        c.lo[at] = v - 0.5;
        c.hi[at] = v + 0.5;
      } else {
        c.values[at] = near >= 0 ? centre : Math.floor(rng.uniform() * OPTIONS);
      }
    }
  }
  return c;
}

function expectDocumented(kr: MixedKernels, c: Candidates, what: string): void {
  const nc = c.n;
  const want = Array.from({ length: nc }, (_, i) => documented(kr, c, i));
  const sc = new MixedScratch();
  const all = new Float64Array(nc);
  mixedLogDensity(kr, c, all, sc);
  for (let i = 0; i < nc; i++)
    expect(Object.is(all[i], want[i]), `${what}, point ${i}: ${all[i]} ≠ ${want[i]}`).toBe(true);
  // Begun, then every other candidate finished in reverse order, then the rest one at a time.
  const lower = new Float64Array(nc);
  beginMixed(kr, c, lower, sc);
  for (let i = 0; i < nc; i++) expect(Object.is(lower[i], term(kr, c, i, kr.nk - 1)), `${what}, lower ${i}`).toBe(true);
  const out = new Float64Array(nc).fill(Number.NaN);
  const odd = Uint32Array.from({ length: nc >> 1 }, (_, q) => nc - 1 - 2 * q - (nc % 2 === 0 ? 0 : 1));
  mixedAt(c, odd, odd.length, out, sc);
  for (let i = 0; i < nc; i++) if (Number.isNaN(out[i]!)) mixedAt(c, Uint32Array.of(i), 1, out, sc);
  for (let i = 0; i < nc; i++) expect(Object.is(out[i], want[i]), `${what}, in parts, point ${i}`).toBe(true);
}

describe("the mixed density is its documented running sum", () => {
  const D = DISCRETE;
  for (const [kinds, nk, width, grid, nc] of [
    [[DISCRETE], 30, 1, 12, 70],
    [[CATEGORICAL], 25, 1, 12, 70],
    [[CONTINUOUS, DISCRETE, CATEGORICAL], 200, 1, 12, 70],
    [[DISCRETE, DISCRETE, CONTINUOUS], 300, 0.5, 12, 70],
    [[CATEGORICAL, CONTINUOUS, CONTINUOUS, DISCRETE], 500, 3, 12, 70],
    // More distinct cells than candidates' first room (64), and more dims than the per-dim tables' first room (16).
    [[DISCRETE, CONTINUOUS], 150, 0.3, 400, 200],
    [[D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, CATEGORICAL, CONTINUOUS], 60, 2, 5, 30],
  ] as const) {
    it(`${kinds.map((k) => ["continuous", "discrete", "categorical"][k]).join(", ")}; ${nk} kernels (blocks of 128), grid of ${grid}, ${nc} candidates`, () => {
      const rng = createRng(nk * 13 + kinds.length);
      const kr = mixture(rng, nk, kinds, width, grid);
      const c = candidates(rng, kr, nc, grid);
      expectDocumented(kr, c, "random");
      for (let i = 0; i < c.n; i++) {
        const want = exact(kr, c, i);
        const got = documented(kr, c, i);
        expect(Math.abs(got - want), `point ${i}`).toBeLessThanOrEqual(
          nk * Math.exp(-PRUNE) + 1e-13 * Math.max(1, Math.abs(want)),
        );
      }
    });
  }

  /**
   * One categorical dim whose every log-probability is 0 (bound 0), so a kernel's term is exactly its log weight:
   * `many` kernels at `low`, then the prior kernel at `prior`.
   */
  function ladder(many: number, low: number, prior: number): { kr: MixedKernels; c: Candidates } {
    const nk = many + 1;
    const zeros = new Float64Array(OPTIONS);
    const logW = Float64Array.from({ length: nk }, (_, k) => (k === many ? prior : low));
    const kr = kernelsOf(
      [CATEGORICAL],
      Float64Array.from({ length: nk }, (_, k) => (k === many ? -1 : k % OPTIONS)),
      new Float64Array(nk),
      new Float64Array(nk),
      logW,
      new Float64Array(1),
      { discreteIds: [undefined], discreteKernels: [undefined], catOn: [zeros], catOff: [zeros], catPrior: [zeros] },
    );
    // More candidates than the scratch's first room (64): its per-candidate arrays grow.
    const n = 100;
    const c: Candidates = {
      n,
      values: Float64Array.from({ length: n }, (_, i) => i % OPTIONS),
      lo: new Float64Array(n),
      hi: new Float64Array(n),
    };
    return { kr, c };
  }

  it("kernels exactly PRUNE below the prior's term are in the sum, a hair further below not (a hundred move the last bits)", () => {
    const at = ladder(100, 0.5 - PRUNE, 0.5);
    expectDocumented(at.kr, at.c, "at the cut");
    expect(documented(at.kr, at.c, 0)).toBeGreaterThan(0.5);
    const below = ladder(100, 0.5 - PRUNE - 1e-9, 0.5);
    expectDocumented(below.kr, below.c, "below the cut");
    expect(documented(below.kr, below.c, 0)).toBe(0.5);
  });

  it("the cut is on the term itself when a continuous dim falls short and an option scores below its bound", () => {
    // A continuous dim (σ = 1, normaliser 0, the candidate 1 from every centre: ½z² = 0.5) and a categorical one whose
    // every log-probability is −1 under a bound of 0.5: a kernel's term is exactly log w − 1.5, the prior's 0.5.
    const lowTerm = (below: number) => 0.5 - PRUNE - below;
    for (const [below, what] of [
      [0, "at the cut"],
      [2 ** -20, "below the cut"],
    ] as const) {
      const many = 100;
      const nk = many + 1;
      const d = 2;
      const minusOne = new Float64Array(OPTIONS).fill(-1);
      const mu = new Float64Array(nk * d);
      for (let k = 0; k < nk; k++) mu[k * d + 1] = k === many ? -1 : k % OPTIONS;
      const kr = kernelsOf(
        [CONTINUOUS, CATEGORICAL],
        mu,
        new Float64Array(nk * d).fill(1),
        new Float64Array(nk * d),
        Float64Array.from({ length: nk }, (_, k) => (k === many ? 2 : lowTerm(below) + 1.5)),
        Float64Array.of(0, 0.5),
        {
          discreteIds: [undefined, undefined],
          discreteKernels: [undefined, undefined],
          catOn: [undefined, minusOne],
          catOff: [undefined, minusOne],
          catPrior: [undefined, minusOne],
        },
      );
      const c: Candidates = {
        n: 2,
        values: Float64Array.of(1, 0, 1, 1),
        lo: Float64Array.of(1, 0, 1, 0),
        hi: Float64Array.of(1, 0, 1, 0),
      };
      expect(term(kr, c, 0, many)).toBe(0.5);
      expect(term(kr, c, 0, 0)).toBe(lowTerm(below));
      expectDocumented(kr, c, what);
      if (below === 0) expect(documented(kr, c, 0)).toBeGreaterThan(0.5);
      else expect(documented(kr, c, 0)).toBe(0.5);
    }
  });

  it("a mixture of zero weights has log density −∞", () => {
    const z = ladder(3, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY);
    expectDocumented(z.kr, z.c, "zero weights");
    expect(documented(z.kr, z.c, 0)).toBe(Number.NEGATIVE_INFINITY);
  });
});
