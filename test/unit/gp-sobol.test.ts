import { describe, expect, it } from "vitest";
import { createRng } from "../../src/math/rng.js";
import { Sobol, SOBOL_MAX_DIM } from "../../src/math/sobol.js";

describe("Sobol' sequence", () => {
  it("starts with the classic unscrambled points", () => {
    const s = new Sobol(3);
    const pts = Array.from(s.take(4), (v) => Math.round(v * 8) / 8);
    // (0,0,0), (.5,.5,.5), (.75,.25,.25), (.25,.75,.75), up to the half-cell offset
    expect(pts).toEqual([0, 0, 0, 0.5, 0.5, 0.5, 0.75, 0.25, 0.25, 0.25, 0.75, 0.75]);
  });

  it("scrambled: each of 2^k points falls in its own 1-D cell of width 2^-k and 2-D elementary box", () => {
    const dim = 40;
    const m = 64;
    const P = new Sobol(dim, createRng(7)).take(m);
    for (let d = 0; d < dim; d++) {
      const cells = new Set<number>();
      for (let r = 0; r < m; r++) {
        const v = P[r * dim + d]!;
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(1);
        cells.add(Math.floor(v * m));
      }
      expect(cells.size).toBe(m);
    }
    // The first two dimensions form a (0, m, 2)-net: one point per 8×8 box.
    const boxes = new Set<number>();
    for (let r = 0; r < m; r++) boxes.add(Math.floor(P[r * dim]! * 8) * 8 + Math.floor(P[r * dim + 1]! * 8));
    expect(boxes.size).toBe(m);
  });

  it("is reproducible from the rng and differs between seeds; extra dimensions are filled", () => {
    const a = new Sobol(SOBOL_MAX_DIM + 2, createRng(1)).take(3);
    const b = new Sobol(SOBOL_MAX_DIM + 2, createRng(1)).take(3);
    const c = new Sobol(SOBOL_MAX_DIM + 2, createRng(2)).take(3);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
