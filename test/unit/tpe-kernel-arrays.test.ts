/**
 * The per-kernel arrays of a Parzen estimator (kernel-arrays.ts), against their documented contracts: a
 * member's coordinate lies in its dimension's domain; a kernel's continuous normaliser is a function of its
 * (μ, σ) alone, whatever a previous estimator carried over; and an estimator rebuilt from a previous one that
 * keeps some kernels and adds several new ones scores like a fresh build.
 */
import { describe, expect, it } from "vitest";
import { dimsOf } from "../../src/algorithms/tpe/dims.js";
import { EstimatorMemo } from "../../src/algorithms/tpe/estimator-memo.js";
import { continuousLogNorm, gatherCoords, normalisers } from "../../src/algorithms/tpe/kernel-arrays.js";
import {
  allocateCandidates,
  type BandwidthOptions,
  ParzenEstimator,
} from "../../src/algorithms/tpe/parzen-estimator.js";
import { TpeWorkspace } from "../../src/algorithms/tpe/workspace.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import { param } from "./tpe-helpers.js";

describe("gatherCoords", () => {
  it("puts each member's coordinate inside its dimension's domain", () => {
    const space = compileSpace({
      parameters: [
        param("u", { $case: "uniform", value: { low: 0, high: 1 } }),
        param("l", { $case: "logUniform", value: { low: 1, high: Math.E ** 2 } }),
      ],
    });
    const dims = dimsOf(space);
    // Values a hair outside the domain (rounding on the way in) are clamped to its ends.
    const members = [
      Float64Array.of(-1e-9, 0.5),
      Float64Array.of(1 + 1e-9, Math.E ** 3),
      Float64Array.of(0.25, Math.E),
    ];
    const mu = new Float64Array(6);
    expect(gatherCoords(dims, members, mu, undefined, undefined)).toBe(3);
    expect(Array.from(mu)).toEqual([0, dims[1]!.lo, 1, dims[1]!.hi, 0.25, dims[1]!.scale!.toCoord(Math.E)]);
  });
});

describe("normalisers", () => {
  it("gives every continuous kernel −log σ − log√(2π) − log Z of its own (μ, σ), carried over or not", () => {
    const rng = createRng(5);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
    // Few distinct σ and μ, so a kept kernel's new σ often equals another kernel's old one.
    const sigmas = [0.2, 0.3, 0.5];
    const mus = [0.1, 0.4, 0.7, 0.9];
    for (let trial = 0; trial < 300; trial++) {
      const d = 2 + Math.floor(rng.uniform() * 2);
      const n0 = 2 + Math.floor(rng.uniform() * 6);
      const prevMu = new Float64Array((n0 + 1) * d);
      const prevSigma = new Float64Array((n0 + 1) * d);
      const prevLogNorm = new Float64Array((n0 + 1) * d);
      for (let k = 0; k <= n0; k++) {
        for (let j = 0; j < d; j++) {
          const at = k * d + j;
          prevMu[at] = k === n0 ? 0.5 : pick(mus);
          prevSigma[at] = k === n0 ? 1 : pick(sigmas);
          prevLogNorm[at] = continuousLogNorm(prevMu[at]!, prevSigma[at]!, 0, 1, true);
        }
      }
      // New kernels: previous ones kept in order (same μ, σ possibly changed) and new ones between them.
      const oldOf: number[] = [];
      for (let o = 0; o < n0; o++) {
        if (rng.uniform() < 0.3) oldOf.push(-1);
        if (rng.uniform() < 0.8) oldOf.push(o);
      }
      const n = oldOf.length;
      const nk = n + 1;
      const mu = new Float64Array(nk * d);
      const sigma = new Float64Array(nk * d);
      for (let k = 0; k < nk; k++) {
        const o = k === n ? n0 : oldOf[k]!;
        for (let j = 0; j < d; j++) {
          mu[k * d + j] = o >= 0 ? prevMu[o * d + j]! : pick(mus);
          sigma[k * d + j] = k === n ? 1 : pick(sigmas);
        }
      }
      const invSigma = new Float64Array(nk * d);
      const logNorm = new Float64Array(nk * d);
      const prev = { nk: n0 + 1, mu: prevMu, sigma: prevSigma, logNorm: prevLogNorm };
      for (let j = 0; j < d; j++) {
        normalisers(nk, d, j, true, true, 0, 1, mu, sigma, invSigma, logNorm, Int32Array.from(oldOf), prev);
      }
      for (let at = 0; at < nk * d; at++) {
        expect(logNorm[at], `trial ${trial}, entry ${at}`).toBe(continuousLogNorm(mu[at]!, sigma[at]!, 0, 1, true));
        expect(invSigma[at]).toBe(1 / sigma[at]!);
      }
    }
  });
});

/** A continuous and an int parameter: the memo's two kinds of numeric kernel. */
const space = compileSpace({
  parameters: [
    param("u", { $case: "uniform", value: { low: -5, high: 5 } }),
    param("i", { $case: "intRange", value: { low: 0, high: 40, step: 1, log: false } }),
  ],
});
const dims = dimsOf(space);
const bw: BandwidthOptions = { considerEndpoints: false, floor: 0.03, clipExponent: 2, gridFloor: 1 };

describe("an estimator rebuilt from a previous one", () => {
  it("scores like a fresh build when many kernels come and go at once", () => {
    const ws = new TpeWorkspace();
    const rng = createRng(21);
    const memo = new EstimatorMemo(dims, 3, bw);
    const trial = (number: number): Observation => ({
      number,
      config: samplePrior(space, rng),
      state: "complete",
      loss: rng.uniform(),
      lastStep: undefined,
    });
    // Even numbers first, then rounds that drop every third member and add odd-numbered ones between the rest:
    // too many edits to make in place, few enough that the kept kernels' sort order carries over.
    let members = Array.from({ length: 120 }, (_, t) => trial(2 * t));
    for (let round = 0; round < 4; round++) {
      const w = new Float64Array(members.length).fill(1);
      const cached = memo.estimator(members, w, 1, ws);
      const fresh = new ParzenEstimator(
        dims,
        members.map((o) => o.config),
        w,
        1,
        3,
        bw,
        ws,
      );
      const c = allocateCandidates(64, dims.length);
      fresh.sample(createRng(round), c);
      const a = new Float64Array(64);
      const b = new Float64Array(64);
      cached.logDensity(c, a, ws);
      fresh.logDensity(c, b, ws);
      expect(Array.from(a), `round ${round}`).toEqual(Array.from(b));
      const next: Observation[] = [];
      for (const [i, o] of members.entries()) {
        if (i % 9 === 4 + round) next.push(trial(o.number + 1 - (o.number % 2)));
        if (i % 3 !== round % 3) next.push(o);
      }
      members = next
        .sort((x, y) => x.number - y.number)
        .filter((o, i, all) => i === 0 || o.number !== all[i - 1]!.number);
    }
  });
});

describe("the estimator memo", () => {
  const ws = new TpeWorkspace();
  const expectFresh = (cached: ParzenEstimator, members: readonly Observation[], w: Float64Array, prior: number) => {
    const fresh = new ParzenEstimator(
      dims,
      members.map((o) => o.config),
      w,
      prior,
      3,
      bw,
      ws,
    );
    const c = allocateCandidates(64, dims.length);
    fresh.sample(createRng(9), c);
    const a = new Float64Array(64);
    const b = new Float64Array(64);
    cached.logDensity(c, a, ws);
    fresh.logDensity(c, b, ws);
    expect(Array.from(a)).toEqual(Array.from(b));
  };
  const trials = (seed: number, numbers: readonly number[]): Observation[] => {
    const rng = createRng(seed);
    return numbers.map((number) => ({
      number,
      config: samplePrior(space, rng),
      state: "complete",
      loss: rng.uniform(),
      lastStep: undefined,
    }));
  };

  it("answers a new prior weight with an estimator of that weight", () => {
    const memo = new EstimatorMemo(dims, 3, bw);
    const members = trials(1, [0, 1, 2, 3, 4, 5, 6, 7]);
    const w = new Float64Array(members.length).fill(1);
    memo.estimator(members, w, 1, ws);
    expectFresh(memo.estimator(members, w, 5, ws), members, w, 5);
  });

  it("matches kernels by trial number: a new trial before one with an equal configuration is a new kernel", () => {
    const memo = new EstimatorMemo(dims, 3, bw);
    const members = trials(2, [2, 4, 6, 8, 10, 12]);
    const w = new Float64Array(members.length).fill(1);
    memo.estimator(members, w, 1, ws);
    const twin = { ...members[0]!, number: 1, config: Float64Array.from(members[0]!.config) };
    const next = [twin, ...members];
    const w2 = new Float64Array(next.length).fill(1);
    expectFresh(memo.estimator(next, w2, 1, ws), next, w2, 1);
  });
});
