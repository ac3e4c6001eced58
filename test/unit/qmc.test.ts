import { describe, expect, it } from "vitest";
import { qmc } from "../../src/algorithms/qmc/index.js";
import { randomSearch } from "../../src/algorithms/random.js";
import type { AlgorithmSession, Observation } from "../../src/algorithms/types.js";
import { Halton } from "../../src/math/halton.js";
import { createRng } from "../../src/math/rng.js";
import { Sobol } from "../../src/math/sobol.js";
import { compileSpace } from "../../src/space/compile.js";
import type { Config } from "../../src/space/types.js";
import { checkConfig, everyKind, param } from "./tpe-helpers.js";

const options = (raw: Record<string, string | boolean> = {}) =>
  qmc.parseOptions(
    Object.fromEntries(
      Object.entries(raw).map(([k, v]) => [
        k,
        typeof v === "string" ? { kind: "string" as const, value: v } : { kind: "bool" as const, value: v },
      ]),
    ),
  );

function draw(session: AlgorithmSession, seed: number, n: number): Config[] {
  const history: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const config = session.suggest(history, createRng(seed, t), { seed, trialNumber: t });
    history.push({ number: t, config, state: "complete", loss: 0, lastStep: undefined });
  }
  return history.map((o) => o.config);
}

/** Hickernell's centred L2 discrepancy (squared) of points in [0, 1]^d. */
function centredL2(points: readonly Float64Array[]): number {
  const n = points.length;
  const d = points[0]!.length;
  let a = 0;
  for (const x of points) {
    let p = 1;
    for (let k = 0; k < d; k++) {
      const z = Math.abs(x[k]! - 0.5);
      p *= 1 + 0.5 * z - 0.5 * z * z;
    }
    a += p;
  }
  let b = 0;
  for (const x of points) {
    for (const y of points) {
      let p = 1;
      for (let k = 0; k < d; k++) {
        const zx = Math.abs(x[k]! - 0.5);
        const zy = Math.abs(y[k]! - 0.5);
        p *= 1 + 0.5 * zx + 0.5 * zy - 0.5 * Math.abs(x[k]! - y[k]!);
      }
      b += p;
    }
  }
  return (13 / 12) ** d - (2 / n) * a + b / (n * n);
}

const cube = compileSpace({
  parameters: ["a", "b", "c", "d", "e"].map((n) => param(n, { $case: "uniform", value: { low: 0, high: 1 } })),
});

describe("sequences", () => {
  it("Sobol.at(i) is the stream's i-th point, scrambled or not", () => {
    for (const rng of [undefined, createRng(3)]) {
      const stream = new Sobol(7, rng);
      const jump = new Sobol(7, rng === undefined ? undefined : createRng(3));
      const a = new Float64Array(7);
      const b = new Float64Array(7);
      for (let i = 0; i < 300; i++) {
        stream.next(a);
        jump.at(i, b);
        expect(b).toEqual(a);
      }
    }
    expect(() => new Sobol(2).at(-1, [0, 0])).toThrow(RangeError);
  });

  it("plain Halton is the radical inverse in bases 2 and 3", () => {
    const h = new Halton(2);
    const out = new Float64Array(2);
    const want = [
      [0, 0],
      [1 / 2, 1 / 3],
      [1 / 4, 2 / 3],
      [3 / 4, 1 / 9],
      [1 / 8, 4 / 9],
    ];
    want.forEach((w, i) => {
      h.at(i, out);
      expect(out[0]).toBeCloseTo(w[0]!, 15);
      expect(out[1]).toBeCloseTo(w[1]!, 15);
    });
  });

  it("scrambled Halton keeps each coordinate stratified: 9 points in base 3 fill the 9 cells", () => {
    const h = new Halton(2, createRng(8));
    const out = new Float64Array(2);
    const cells = new Set<number>();
    for (let i = 0; i < 9; i++) {
      h.at(i, out);
      expect(out[1]).toBeGreaterThan(0);
      expect(out[1]).toBeLessThan(1);
      cells.add(Math.floor(out[1]! * 9));
    }
    expect(cells.size).toBe(9);
  });
});

describe("qmc", () => {
  it("validates its options and refuses Sobol past 128 unconditional parameters", () => {
    expect(options()).toEqual({ qmc_type: "sobol", scramble: true });
    expect(() => options({ qmc_type: "lattice" })).toThrow(/qmc_type/);
    expect(() => options({ bogus: true })).toThrow(/bogus/);
    const wide = compileSpace({
      parameters: Array.from({ length: 129 }, (_, i) =>
        param(`p${i}`, { $case: "uniform", value: { low: 0, high: 1 } }),
      ),
    });
    expect(() => qmc.checkSpace!(wide, options())).toThrow(/halton/);
    expect(() => qmc.checkSpace!(wide, options({ qmc_type: "halton" }))).not.toThrow();
  });

  for (const type of ["sobol", "halton"]) {
    it(`${type}: a lower centred discrepancy than random search on every seed`, () => {
      for (let seed = 1; seed <= 5; seed++) {
        const q = centredL2(draw(qmc.open(cube, options({ qmc_type: type })), seed, 128));
        const r = centredL2(draw(randomSearch.open(cube, {}), seed, 128));
        expect(q).toBeLessThan(r / 3);
      }
    });

    it(`${type}: every suggestion is inside the space and on its grids`, () => {
      const space = compileSpace(everyKind);
      for (const c of draw(qmc.open(space, options({ qmc_type: type })), 4, 200)) checkConfig(space, c);
    });
  }

  it("continues one sequence by trial number: a fresh session, any order, another worker", () => {
    const seq = draw(qmc.open(cube, options()), 9, 40);
    const fresh = qmc.open(cube, options());
    // Trial 17 suggested alone by a session that saw nothing gets the same point.
    expect(fresh.suggest([], createRng(9, 17), { seed: 9, trialNumber: 17 })).toEqual(seq[17]);
    expect(new Set(seq.map((c) => c.join())).size).toBe(40);
    // Another seed scrambles differently; scramble off is the same for every seed.
    const other = draw(qmc.open(cube, options()), 10, 5);
    expect(other[1]).not.toEqual(seq[1]);
    const plain = (seed: number) => draw(qmc.open(cube, options({ scramble: false })), seed, 3);
    expect(plain(1)).toEqual(plain(2));
  });

  it("without a context the position is the number after the history's last", () => {
    const seq = draw(qmc.open(cube, options()), 0, 6);
    const history: Observation[] = seq
      .slice(0, 5)
      .map((config, number) => ({ number, config, state: "running", loss: undefined, lastStep: undefined }));
    expect(qmc.open(cube, options()).suggest(history, createRng(0, 5))).toEqual(seq[5]);
  });

  it("a grid parameter's values are evenly covered: 4 options in 8 trials, twice each", () => {
    const space = compileSpace({
      parameters: [param("k", { $case: "intRange", value: { low: 1, high: 4, step: 1, log: false } })],
    });
    const counts = [0, 0, 0, 0];
    for (const c of draw(qmc.open(space, options()), 2, 8)) counts[c[0]! - 1]!++;
    expect(counts).toEqual([2, 2, 2, 2]);
  });
});
