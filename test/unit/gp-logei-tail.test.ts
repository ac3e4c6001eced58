/**
 * logH (src/algorithms/gp/acquisition.ts) against 60-digit references (test/fixtures/gp-logei-tail-goldens.json,
 * gen_gp_logei_tail_goldens.py): the gradient ratios φ/h and Φ/h carry no cancellation, so they pin both branches
 * and every term of the asymptotic series below z = −60 to about 1e-13; ln h is checked up to z = 100, where the
 * lower branch's erfcx would overflow.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { logH } from "../../src/algorithms/gp/acquisition.js";

const goldens = JSON.parse(
  readFileSync(new URL("../fixtures/gp-logei-tail-goldens.json", import.meta.url), "utf8"),
) as { rows: { z: number; logH: number; pdfOverH: number; cdfOverH: number }[] };

const relative = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);

describe("log expected improvement's ratios", () => {
  it("match φ/h and Φ/h to 1e-13 (z²·ε where w cancels) from z = −1000 to 100, and ln h to 1e-14", () => {
    const faults: string[] = [];
    for (const row of goldens.rows) {
      const r = logH(row.z);
      // Between −60 and 0, w = 1 + z·r loses about z²·ε to cancellation (the module comment); below, the series does not.
      const tol = row.z >= -60 && row.z < 0 ? Math.max(1e-13, 4 * row.z * row.z * Number.EPSILON) : 1e-13;
      if (!(relative(r.pdfOverH, row.pdfOverH) < tol)) faults.push(`z ${row.z}: φ/h ${r.pdfOverH} vs ${row.pdfOverH}`);
      if (!(relative(r.cdfOverH, row.cdfOverH) < tol)) faults.push(`z ${row.z}: Φ/h ${r.cdfOverH} vs ${row.cdfOverH}`);
      if (!(Math.abs(r.logH - row.logH) <= 1e-14 * Math.max(1, Math.abs(row.logH))))
        faults.push(`z ${row.z}: ln h ${r.logH} vs ${row.logH}`);
    }
    expect(faults).toEqual([]);
  });

  it("fills the object it is given and returns it", () => {
    const out = { logH: 1, cdfOverH: 2, pdfOverH: 3 };
    expect(logH(-70, out)).toBe(out);
    const row = goldens.rows.find((r) => r.z === -70)!;
    expect(relative(out.pdfOverH, row.pdfOverH)).toBeLessThan(1e-13);
    expect(logH(2).logH).toBeCloseTo(Math.log(2 + 0.008490702616290166), 6);
  });
});
