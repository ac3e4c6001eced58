/**
 * The suggestion context's documented default (src/algorithms/types.ts): callers that give none get seed 0 and the
 * number after the history's last trial, 0 for an empty history.
 */
import { describe, expect, it } from "vitest";
import { contextOf, type Observation } from "../../src/algorithms/types.js";

const trial = (number: number): Observation => ({
  number,
  config: Float64Array.of(0),
  state: "complete",
  loss: 0,
  lastStep: undefined,
});

describe("suggestion context", () => {
  it("defaults to seed 0 and the trial after the history's last (0 when there is none)", () => {
    expect(contextOf([], undefined)).toEqual({ seed: 0, trialNumber: 0 });
    expect(contextOf([trial(0)], undefined)).toEqual({ seed: 0, trialNumber: 1 });
    expect(contextOf([trial(3), trial(7)], undefined)).toEqual({ seed: 0, trialNumber: 8 });
  });

  it("is the caller's when given", () => {
    const given = { seed: 42, trialNumber: 5 };
    expect(contextOf([trial(9)], given)).toBe(given);
  });
});
