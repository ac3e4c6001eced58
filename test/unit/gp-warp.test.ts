/**
 * The GP's output warping (src/algorithms/gp/warp.ts) against an independent NumPy/SciPy computation of its
 * documented definition (test/fixtures/gp-warp-goldens.json, gen_gp_warp_goldens.py): the median of odd and even
 * counts, dense ranks of repeated values, the RMS spread of the distinct values at or above the median, and the cases
 * left as they are (fewer than 3 values, no spread above the median, nothing below it).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { warpOutputs } from "../../src/algorithms/gp/warp.js";

const goldens = JSON.parse(readFileSync(new URL("../fixtures/gp-warp-goldens.json", import.meta.url), "utf8")) as {
  cases: { values: number[]; warped: number[] }[];
};

describe("output warping", () => {
  it("matches the documented half-rank warp computed with SciPy", () => {
    for (const { values, warped } of goldens.cases) {
      const got = warpOutputs(values);
      expect(got.length).toBe(warped.length);
      for (const [i, w] of warped.entries()) {
        const tol = 1e-12 * Math.max(1, Math.abs(w));
        expect(Math.abs(got[i]! - w), `${values} at ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol);
      }
    }
  });

  it("returns a new array and leaves its input alone", () => {
    const input = Float64Array.of(3, 1, 2);
    const out = warpOutputs(input);
    expect(out).not.toBe(input);
    expect(Array.from(input)).toEqual([3, 1, 2]);
    const short = Float64Array.of(1, 2);
    expect(warpOutputs(short)).not.toBe(short);
  });
});
