/**
 * The stored lifecycle (service/state/lifecycle.ts): what UpdateExperiment
 * writes reads back the same, "never updated" is the definition's stop
 * conditions, and a damaged record is FAILED_PRECONDITION naming the
 * experiment rather than an experiment silently without its limits.
 */
import { describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { initialLifecycle, lifecycleJson, parseLifecycle } from "../../src/service/state/lifecycle.js";

const stop = { maxTrials: 40, maxFailedTrials: undefined, goal: -0.5, deadline: 1_700_000_000_123 };

describe("the stored lifecycle", () => {
  it("round-trips every field, limits cleared included", () => {
    for (const l of [
      initialLifecycle(stop),
      { paused: true, stopped: false, stop },
      {
        paused: false,
        stopped: true,
        stop: { maxTrials: undefined, maxFailedTrials: 3, goal: undefined, deadline: undefined },
      },
    ]) {
      expect(parseLifecycle(lifecycleJson(l), stop, "e")).toEqual(l);
    }
  });

  it("is the definition's stop conditions, not paused nor stopped, until the first update", () => {
    expect(parseLifecycle(null, stop, "e")).toEqual({ paused: false, stopped: false, stop });
  });

  it("refuses a damaged record with FAILED_PRECONDITION naming the experiment", () => {
    for (const bad of ["{", "[]", '{"paused":1,"stopped":false}', "null"]) {
      let err: unknown;
      try {
        parseLifecycle(bad, stop, "exp-1");
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ParzenError);
      expect((err as ParzenError).code).toBe("FAILED_PRECONDITION");
      expect((err as ParzenError).message).toContain('experiment "exp-1": stored lifecycle');
    }
  });
});
