/**
 * src/math/sobol.ts against SciPy (test/fixtures/sobol-goldens.json, gen_sobol_goldens.py): the unscrambled
 * sequence in all 128 tabulated dimensions, from its first points to index 2^32 − 1, by stream and by jump; and the
 * scrambled sequence's documented properties: a jump equals the stream, every dimension stays a (0, k, 1)-net
 * (one point per cell of width 2^-k among the first 2^k) for k up to 10, the digital shift moves the start, the
 * same rng gives the same sequence, and dimensions past the table are uniform draws (0.5 unscrambled).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/math/rng.js";
import { SOBOL_MAX_DIM, Sobol } from "../../src/math/sobol.js";

interface Goldens {
  readonly dim: number;
  readonly points: readonly { readonly index: number; readonly point: readonly number[] }[];
}

const goldens = JSON.parse(readFileSync(new URL("../fixtures/sobol-goldens.json", import.meta.url), "utf8")) as Goldens;

/** The cell centre src/math/sobol.ts returns for SciPy's 32-bit integer coordinate. */
const centre = (k: number) => (k + 0.5) / 2 ** 32;

describe("unscrambled Sobol' points", () => {
  it("are SciPy's (Joe–Kuo directions) in every tabulated dimension, jumped to by index", () => {
    expect(goldens.dim).toBe(SOBOL_MAX_DIM);
    expect(SOBOL_MAX_DIM).toBe(128);
    const s = new Sobol(SOBOL_MAX_DIM);
    const out = new Float64Array(SOBOL_MAX_DIM);
    for (const { index, point } of goldens.points) {
      s.at(index, out);
      expect(Array.from(out), `point ${index}`).toEqual(point.map(centre));
    }
  });

  it("are the same from the stream, point after point", () => {
    const s = new Sobol(SOBOL_MAX_DIM);
    const byIndex = new Map(goldens.points.map((p) => [p.index, p.point]));
    const out = new Float64Array(SOBOL_MAX_DIM);
    for (let i = 0; i <= 4095; i++) {
      s.next(out);
      const want = byIndex.get(i);
      if (want !== undefined) expect(Array.from(out), `point ${i}`).toEqual(want.map(centre));
    }
    const taken = new Sobol(SOBOL_MAX_DIM).take(40);
    for (let i = 0; i < 40; i++) {
      expect(Array.from(taken.subarray(i * SOBOL_MAX_DIM, (i + 1) * SOBOL_MAX_DIM))).toEqual(
        byIndex.get(i)!.map(centre),
      );
    }
  });

  it("fill dimensions past the table with 0.5", () => {
    const s = new Sobol(SOBOL_MAX_DIM + 3);
    const out = new Float64Array(SOBOL_MAX_DIM + 3);
    s.at(5, out);
    expect(Array.from(out.subarray(SOBOL_MAX_DIM))).toEqual([0.5, 0.5, 0.5]);
    s.next(out);
    expect(Array.from(out.subarray(SOBOL_MAX_DIM))).toEqual([0.5, 0.5, 0.5]);
    expect(out[0]).toBe(centre(0));
  });

  it("take indices in [0, 2^32) only", () => {
    const s = new Sobol(2);
    const out = [0, 0];
    for (const bad of [-1, 4294967296, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => s.at(bad, out), String(bad)).toThrow(
        new RangeError(`Sobol index must be an integer in [0, 2^32), got ${bad}`),
      );
    }
    s.at(0, out);
    expect(out).toEqual([centre(0), centre(0)]);
    s.at(4294967295, out);
    const last = goldens.points.find((p) => p.index === 4294967295)!.point;
    expect(out).toEqual([centre(last[0]!), centre(last[1]!)]);
  });
});

describe("scrambled Sobol' points", () => {
  it(
    "keep every dimension a net: the first 2^k points fill the 2^k cells of width 2^-k, for k up to 10",
    { timeout: 120_000 },
    () => {
      const dim = SOBOL_MAX_DIM;
      const m = 1024;
      const faults: string[] = [];
      for (const seed of [1, 2]) {
        const s = new Sobol(dim, createRng(seed));
        const cell = new Int32Array(m * dim);
        const out = new Float64Array(dim);
        for (let i = 0; i < m; i++) {
          s.at(i, out);
          for (let d = 0; d < dim; d++) {
            if (!(out[d]! > 0 && out[d]! < 1)) faults.push(`seed ${seed}, point ${i}, dimension ${d}: ${out[d]}`);
            cell[i * dim + d] = Math.floor(out[d]! * m);
          }
        }
        for (let d = 0; d < dim; d++) {
          for (let k = 1; k <= 10; k++) {
            const n = 2 ** k;
            const seen = new Set<number>();
            for (let i = 0; i < n; i++) seen.add(cell[i * dim + d]! >> (10 - k));
            if (seen.size !== n) faults.push(`seed ${seed}, dimension ${d}, k ${k}: ${seen.size} cells`);
          }
        }
      }
      expect(faults).toEqual([]);
    },
  );

  it("jump to the stream's points, start away from the unscrambled start, and follow the rng", () => {
    const dim = SOBOL_MAX_DIM + 2;
    const stream = new Sobol(dim, createRng(4));
    const jump = new Sobol(dim, createRng(4));
    const a = new Float64Array(dim);
    const b = new Float64Array(dim);
    for (let i = 0; i < 70; i++) {
      stream.next(a);
      jump.at(i, b);
      // Past the table both draw from their own rng: equal draws, equal points.
      expect(Array.from(b), `point ${i}`).toEqual(Array.from(a));
    }
    const first = new Float64Array(dim);
    new Sobol(dim, createRng(4)).at(0, first);
    // The digital shift: point 0 is not the cell at 0 in any tabulated dimension (2^-32 chance each).
    for (let d = 0; d < SOBOL_MAX_DIM; d++) expect(first[d]).not.toBe(centre(0));
    // Past the table: uniform draws, not 0.5.
    expect(first[SOBOL_MAX_DIM]).not.toBe(0.5);
    expect(first[SOBOL_MAX_DIM]).toBeGreaterThanOrEqual(0);
    expect(first[SOBOL_MAX_DIM]).toBeLessThan(1);
    const other = new Float64Array(dim);
    new Sobol(dim, createRng(5)).at(0, other);
    expect(Array.from(other)).not.toEqual(Array.from(first));
  });

  it("scramble the direction numbers, not only shift them: point 1 differs from point 0 by more than the top bit", () => {
    // x(1) = x(0) XOR v_0. Unscrambled, v_0 is the top bit alone in every dimension; the linear matrix scramble
    // keeps the top bit and mixes random lower bits in (a digital shift alone would leave v_0 as it is).
    const s = new Sobol(SOBOL_MAX_DIM, createRng(13));
    const p0 = new Float64Array(SOBOL_MAX_DIM);
    const p1 = new Float64Array(SOBOL_MAX_DIM);
    s.at(0, p0);
    s.at(1, p1);
    let mixed = 0;
    for (let d = 0; d < SOBOL_MAX_DIM; d++) {
      const v0 = (Math.floor(p0[d]! * 2 ** 32) ^ Math.floor(p1[d]! * 2 ** 32)) >>> 0;
      expect(v0 >>> 31, `dimension ${d}`).toBe(1);
      if (v0 !== 2 ** 31) mixed++;
    }
    // Each dimension's lower 31 bits are all zero with chance 2^-31.
    expect(mixed).toBe(SOBOL_MAX_DIM);
  });

  it("scramble every bit: the points' low bits differ from the unscrambled ones' in every dimension", () => {
    const plain = new Sobol(SOBOL_MAX_DIM);
    const scrambled = new Sobol(SOBOL_MAX_DIM, createRng(9));
    const p = new Float64Array(SOBOL_MAX_DIM);
    const q = new Float64Array(SOBOL_MAX_DIM);
    // Point 1 of the unscrambled sequence is 1/2 exactly (one bit set); the scrambled one XORs a random
    // shift and a random combination of lower bits: its low 16 bits are 0 with chance 2^-16.
    plain.at(1, p);
    scrambled.at(1, q);
    for (let d = 0; d < SOBOL_MAX_DIM; d++) {
      expect(p[d]).toBe(centre(2 ** 31));
      const bits = Math.floor(q[d]! * 2 ** 32);
      expect(bits & 0xffff, `dimension ${d}`).not.toBe(0);
    }
  });
});
