/**
 * The Parzen estimator's log density against an independent SciPy computation of its documented definition
 * (test/fixtures/gen_tpe_goldens.py): truncated kernels in each domain's coordinate, neighbour-gap bandwidths with
 * the floor, the magic clip and consider_endpoints, the prior kernel and its weight, categorical smoothing. Mixed
 * groups (with int dimensions on steps 1 and 7 and their grid floor) and all-continuous ones (a scan, and a k-d tree from 128 kernels) must agree with it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONTINUOUS, DISCRETE, dimsOf } from "../../src/algorithms/tpe/dims.js";
import { allocateCandidates, ParzenEstimator } from "../../src/algorithms/tpe/parzen-estimator.js";
import { TpeWorkspace } from "../../src/algorithms/tpe/workspace.js";
import { compileSpace } from "../../src/space/compile.js";
import { param, str } from "./tpe-helpers.js";

interface Case {
  name: string;
  members: number[][];
  raw: number[];
  priorRaw: number;
  cpw: number;
  bw: { considerEndpoints: boolean; floor: number; clipExponent: number | null; gridFloor: number };
  points: number[][];
  logDensity: number[];
  logDensityNumeric: number[];
}
const goldens = JSON.parse(readFileSync(new URL("../fixtures/tpe-goldens.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

const space = compileSpace({
  parameters: [
    param("x", { $case: "uniform", value: { low: -2, high: 3 } }),
    param("l", { $case: "logUniform", value: { low: 1e-3, high: 10 } }),
    param("n", { $case: "normal", value: { mu: 2, sigma: 3 } }),
    param("c", { $case: "choice", value: { options: [str("a"), str("b"), str("c")], weights: [0.2, 0.5, 0.3] } }),
    param("i", { $case: "intRange", value: { low: -3, high: 7, step: 1, log: false } }),
    param("s", { $case: "intRange", value: { low: 0, high: 100, step: 7, log: false } }),
  ],
});
const allDims = dimsOf(space);

function densities(c: Case, numericOnly: boolean, calls: number): number[] {
  const dims = numericOnly ? allDims.filter((d) => d.kind === CONTINUOUS) : allDims;
  const ws = new TpeWorkspace();
  const members = c.members.map((m) => Float64Array.from(m));
  const bw = { ...c.bw, clipExponent: c.bw.clipExponent ?? undefined };
  const est = new ParzenEstimator(dims, members, Float64Array.from(c.raw), c.priorRaw, c.cpw, bw, ws);
  const d = dims.length;
  const cand = allocateCandidates(c.points.length, d);
  c.points.forEach((p, i) => {
    dims.forEach((dim, j) => {
      const coord = p[dim.param.index]!;
      cand.values[i * d + j] = dim.param.name === "l" ? Math.exp(coord) : coord;
      // Discrete: the value's grid cell; continuous: the coordinate.
      const [lo, hi] = dim.kind === DISCRETE ? dim.scale!.cell(coord) : [coord, coord];
      cand.lo[i * d + j] = lo;
      cand.hi[i * d + j] = hi;
    });
  });
  const out = new Float64Array(c.points.length);
  // The estimator changes strategy on later calls (the k-d tree is built on the second): every call must agree.
  for (let k = 0; k < calls; k++) est.logDensity(cand, out, ws);
  return Array.from(out);
}

describe("Parzen estimator log density = SciPy reference", () => {
  for (const c of goldens.cases) {
    it(`${c.name}: mixed group (numeric and categorical)`, () => {
      const got = densities(c, false, 1);
      for (const [i, g] of got.entries()) expect(Math.abs(g - c.logDensity[i]!), `point ${i}`).toBeLessThan(1e-9);
    });

    it(`${c.name}: all-continuous group, first and later calls`, () => {
      for (const calls of [1, 2, 3]) {
        const got = densities(c, true, calls);
        for (const [i, g] of got.entries())
          expect(Math.abs(g - c.logDensityNumeric[i]!), `point ${i}`).toBeLessThan(1e-9);
      }
    });
  }
});
