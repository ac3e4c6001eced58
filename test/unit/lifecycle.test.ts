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

describe("the stored lifecycle's limits", () => {
  it("writes every field, null for no limit", () => {
    const none = { maxTrials: undefined, maxFailedTrials: undefined, goal: undefined, deadline: undefined };
    expect(JSON.parse(lifecycleJson({ paused: true, stopped: false, stop: none }))).toEqual({
      paused: true,
      stopped: false,
      maxTrials: null,
      maxFailedTrials: null,
      goal: null,
      deadline: null,
    });
    expect(JSON.parse(lifecycleJson(initialLifecycle({ ...stop, maxFailedTrials: 0, goal: 0 })))).toEqual({
      paused: false,
      stopped: false,
      maxTrials: 40,
      maxFailedTrials: 0,
      goal: 0,
      deadline: 1_700_000_000_123,
    });
  });

  it("reads a limit that is not a finite number as no limit, and keeps 0 and negative ones", () => {
    const l = parseLifecycle(
      '{"paused":false,"stopped":true,"maxTrials":"5","maxFailedTrials":0,"goal":-1.5,"deadline":null}',
      stop,
      "e",
    );
    expect(l).toEqual({
      paused: false,
      stopped: true,
      stop: { maxTrials: undefined, maxFailedTrials: 0, goal: -1.5, deadline: undefined },
    });
    // Fields missing from an older record: no limit either.
    expect(parseLifecycle('{"paused":true,"stopped":false}', stop, "e").stop).toEqual({
      maxTrials: undefined,
      maxFailedTrials: undefined,
      goal: undefined,
      deadline: undefined,
    });
  });

  it("refuses records that are not an object with both flags, quoting at most 100 characters of them", () => {
    const long = `{"paused":false,"stopped":"no","pad":"${"x".repeat(200)}"}`;
    for (const bad of ["5", '"text"', "true", '{"paused":false}', '{"stopped":false}', long, `{${"y".repeat(150)}`]) {
      let err: unknown;
      try {
        parseLifecycle(bad, stop, "e");
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ParzenError);
      const message = (err as ParzenError).message;
      const quoted = bad.slice(0, 100);
      expect(message.endsWith(`: ${quoted}`), message).toBe(true);
      expect(message).toMatch(
        bad.startsWith("{y") ? /stored lifecycle is not JSON: / : /stored lifecycle is damaged: /,
      );
    }
  });
});
