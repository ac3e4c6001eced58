/**
 * The compact in-memory trial columns (service/state/trial-columns.ts) across chunk boundaries: every field reads
 * back what was written for every trial, unset losses and steps read as undefined, configuration views stay valid
 * while the columns grow, lookups by id find exactly the stored ids, and out-of-range numbers are refused.
 */
import { describe, expect, it } from "vitest";
import { TRIAL_STATES } from "../../src/domain/trial-state.js";
import { TrialColumns } from "../../src/service/state/trial-columns.js";

const cfg = (...xs: number[]) => new Float64Array(xs);

/** Columns of `n` trials with ids 10, 13, 16, ... and configuration [k, -k] for trial k. */
function filled(n: number): TrialColumns {
  const c = new TrialColumns(2);
  for (let k = 0; k < n; k++) c.append(10 + 3 * k, cfg(k, -k));
  return c;
}

describe("TrialColumns", () => {
  it("reads back every field of every trial across chunk boundaries", () => {
    const n = 1100; // three chunks of 512
    const c = filled(n);
    expect(c.count).toBe(n);
    expect(c.dims).toBe(2);
    for (let k = 0; k < n; k++) {
      c.set(k, TRIAL_STATES[k % TRIAL_STATES.length]!, k % 7 === 0 ? undefined : k / 2, k % 5 === 0 ? undefined : k);
    }
    for (const k of [0, 1, 510, 511, 512, 513, 1023, 1024, 1099]) {
      expect(c.id(k)).toBe(10 + 3 * k);
      expect(c.state(k)).toBe(TRIAL_STATES[k % TRIAL_STATES.length]);
      expect(c.loss(k)).toBe(k % 7 === 0 ? undefined : k / 2);
      expect(c.lastStep(k)).toBe(k % 5 === 0 ? undefined : k);
      expect(Array.from(c.config(k))).toEqual([k, -k]);
      expect(Array.from(c.configView(k))).toEqual([k, -k]);
    }
  });

  it("a new trial is WAITING with no loss and no step; a loss of 0 and step 0 are values", () => {
    const c = filled(1);
    expect(c.state(0)).toBe("waiting");
    expect(c.loss(0)).toBeUndefined();
    expect(c.lastStep(0)).toBeUndefined();
    c.set(0, "complete", 0, 0);
    expect(c.loss(0)).toBe(0);
    expect(c.lastStep(0)).toBe(0);
    c.set(0, "lost", undefined, undefined);
    expect(c.state(0)).toBe("lost");
    expect(c.loss(0)).toBeUndefined();
    expect(c.lastStep(0)).toBeUndefined();
  });

  it("copies configurations in and out; views share the column and survive growth", () => {
    const c = new TrialColumns(3);
    const given = cfg(1, Number.NaN, 3);
    c.append(1, given);
    given[0] = 99;
    expect(c.config(0)[0]).toBe(1);
    const view = c.configView(0);
    for (let k = 1; k < 2000; k++) c.append(1 + k, cfg(k, k, k));
    expect(Array.from(view)).toEqual([1, Number.NaN, 3]);
    const copy = c.config(0);
    copy[2] = -1;
    expect(c.config(0)[2]).toBe(3);
    expect(c.configView(1999)).toHaveLength(3);
  });

  it("refuses a configuration of the wrong length", () => {
    const c = new TrialColumns(2);
    expect(() => c.append(1, cfg(1, 2, 3))).toThrow("trial columns: configuration of 3 values, expected 2");
    expect(() => c.append(1, cfg(1))).toThrow("configuration of 1 values, expected 2");
    expect(c.count).toBe(0);
  });

  it("compares a stored configuration: NaN equals NaN, -0 is not 0, lengths must match", () => {
    const c = new TrialColumns(2);
    c.append(1, cfg(0, Number.NaN));
    for (let k = 1; k < 600; k++) c.append(1 + k, cfg(k, k));
    expect(c.sameConfig(0, cfg(0, Number.NaN))).toBe(true);
    expect(c.sameConfig(0, cfg(-0, Number.NaN))).toBe(false);
    expect(c.sameConfig(0, cfg(0))).toBe(false);
    expect(c.sameConfig(0, cfg(0, Number.NaN, 1))).toBe(false);
    expect(c.sameConfig(555, cfg(555, 555))).toBe(true);
    expect(c.sameConfig(555, cfg(554, 554))).toBe(false);
  });

  it("finds a trial's number by id, and nothing for an id not stored", () => {
    const c = filled(1030);
    for (const k of [0, 1, 511, 512, 700, 1028, 1029]) expect(c.numberOf(10 + 3 * k)).toBe(k);
    for (const id of [9, 11, 12, 10 + 3 * 1030, 0, -1]) expect(c.numberOf(id)).toBeUndefined();
    expect(new TrialColumns(1).numberOf(10)).toBeUndefined();
    const one = filled(1);
    expect(one.numberOf(10)).toBe(0);
    expect(one.numberOf(13)).toBeUndefined();
  });

  it("refuses numbers outside 0..count-1", () => {
    const c = filled(3);
    for (const bad of [-1, 3, 512, Number.NaN]) {
      expect(() => c.id(bad)).toThrow(RangeError);
      expect(() => c.set(bad, "running", undefined, undefined)).toThrow(`trial columns: no trial number ${bad}`);
    }
    expect(() => c.configView(3)).toThrow(RangeError);
    expect(() => c.state(3)).toThrow(RangeError);
    expect(() => c.loss(-1)).toThrow(RangeError);
    expect(() => c.lastStep(3)).toThrow(RangeError);
    expect(() => c.sameConfig(3, cfg(3, -3))).toThrow(RangeError);
    expect(c.id(2)).toBe(16);
  });
});
