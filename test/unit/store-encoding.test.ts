/**
 * How both stores encode what is not a plain number or string (src/store/encoding.ts): states and sources as
 * their parzen.v1 enum numbers, so a stored row reads the same through either backend and `parzen copy`; an
 * unknown stored number is INTERNAL naming it, never a silently wrong state. And the list-page byte budget
 * (answer-size.ts): items are taken while they fit, the first always.
 */
import { describe, expect, it } from "vitest";
import { TrialSource as ProtoTrialSource, TrialState as ProtoTrialState } from "@parzen/client/gen/parzen/v1/trial";
import { ParzenError } from "../../src/errors.js";
import { TRIAL_STATES } from "../../src/domain/trial-state.js";
import { PageBudget } from "../../src/service/use-cases/answer-size.js";
import {
  decoded,
  encodeValues,
  outcomeOf,
  parseNumbers,
  parseValues,
  parseStrings,
  SOURCE_NUMBER,
  SOURCE_OF,
  STATE_NUMBER,
  STATE_OF,
} from "../../src/store/encoding.js";

describe("stored states and sources", () => {
  it("are the parzen.v1 enum numbers, and decode back to the same names", () => {
    expect(STATE_NUMBER).toEqual({
      waiting: ProtoTrialState.TRIAL_STATE_WAITING,
      running: ProtoTrialState.TRIAL_STATE_RUNNING,
      complete: ProtoTrialState.TRIAL_STATE_COMPLETE,
      pruned: ProtoTrialState.TRIAL_STATE_PRUNED,
      fail: ProtoTrialState.TRIAL_STATE_FAIL,
      lost: ProtoTrialState.TRIAL_STATE_LOST,
    });
    expect(SOURCE_NUMBER).toEqual({
      algorithm: ProtoTrialSource.TRIAL_SOURCE_ALGORITHM,
      enqueued: ProtoTrialSource.TRIAL_SOURCE_ENQUEUED,
      imported: ProtoTrialSource.TRIAL_SOURCE_IMPORTED,
    });
    for (const s of TRIAL_STATES) expect(decoded(STATE_OF, STATE_NUMBER[s], "state")).toBe(s);
    for (const s of SOURCE_OF) expect(decoded(SOURCE_OF, SOURCE_NUMBER[s], "source")).toBe(s);
  });

  it("an unknown stored number is INTERNAL naming what and which", () => {
    for (const n of [0, 7, -1]) {
      let err: unknown;
      try {
        decoded(STATE_OF, n, "state");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ParzenError);
      expect((err as ParzenError).code).toBe("INTERNAL");
      expect((err as ParzenError).message).toBe(`trials: unknown stored state ${n}`);
    }
    expect(() => decoded(SOURCE_OF, 4, "source")).toThrow("trials: unknown stored source 4");
  });

  it("metrics and attributes are JSON objects", () => {
    expect(parseNumbers("{}")).toEqual({});
    expect(parseNumbers('{"a":1.5,"b":-2}')).toEqual({ a: 1.5, b: -2 });
    expect(parseStrings("{}")).toEqual({});
    expect(parseStrings('{"k":"v"}')).toEqual({ k: "v" });
    // The shared empty maps cannot be changed through one trial's row.
    expect(Object.isFrozen(parseNumbers("{}"))).toBe(true);
    expect(Object.isFrozen(parseStrings("{}"))).toBe(true);
  });

  it("objective values and constraints are JSON arrays, '[]' for none, and a row carries only those it has", () => {
    expect(encodeValues(undefined)).toBe("[]");
    expect(encodeValues([])).toBe("[]");
    expect(encodeValues([1.5, -2])).toBe("[1.5,-2]");
    expect(outcomeOf("[]", "[]")).toEqual({});
    expect(Object.keys(outcomeOf("[]", "[]"))).toEqual([]);
    expect(outcomeOf("[1.5,-2]", "[]")).toEqual({ values: [1.5, -2] });
    expect(Object.keys(outcomeOf("[1.5,-2]", "[]"))).toEqual(["values"]);
    expect(outcomeOf("[]", "[0.25]")).toEqual({ constraints: [0.25] });
    expect(Object.keys(outcomeOf("[]", "[0.25]"))).toEqual(["constraints"]);
    expect(outcomeOf("[3]", "[-1,2]")).toEqual({ values: [3], constraints: [-1, 2] });
    // As with the maps: the shared empty list cannot be changed through one row.
    expect(parseValues("[]")).toEqual([]);
    expect(Object.isFrozen(parseValues("[]"))).toBe(true);
    expect(parseValues("[0.5]")).toEqual([0.5]);
  });
});

describe("a list page's byte budget", () => {
  it("takes items while the total stays within the budget, exactly at it included", () => {
    const b = new PageBudget(10);
    expect(b.take(4)).toBe(true);
    expect(b.take(6)).toBe(true);
    expect(b.take(1)).toBe(false);
  });

  it("always takes the first item, however large; a refused item is not counted", () => {
    const b = new PageBudget(10);
    expect(b.take(50)).toBe(true);
    expect(b.take(0)).toBe(false);
    const c = new PageBudget(10);
    expect(c.take(8)).toBe(true);
    expect(c.take(3)).toBe(false);
    expect(c.take(2)).toBe(true);
  });
});
