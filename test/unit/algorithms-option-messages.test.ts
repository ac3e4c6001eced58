/**
 * The messages of src/algorithms/options.ts, which every algorithm's and pruner's options go through: unknown
 * options named (all of them), the nearest known name within two edits suggested (the first in sorted order on a
 * tie), else the known names listed in sorted order, and schema failures naming the option.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseOptionsWith, suggestion } from "../../src/algorithms/options.js";
import { ParzenError } from "../../src/errors.js";
import type { Scalar } from "../../src/space/types.js";

const num = (value: number): Scalar => ({ kind: "double", value });

function message(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("INVALID_ARGUMENT");
    return (err as Error).message;
  }
  throw new Error("no refusal");
}

// Declared out of order on purpose: the listed names are sorted.
const schema = z.strictObject({ values: z.number().optional(), order: z.number().optional(), ab: z.number().max(5) });

describe("option messages", () => {
  it("name every unknown option, and list the known ones sorted when none is near", () => {
    expect(message(() => parseOptionsWith("t", schema, { ab: num(1), zzzzzz: num(1) }))).toBe(
      't options: unknown option "zzzzzz" (known: ab, order, values)',
    );
    expect(message(() => parseOptionsWith("t", schema, { ab: num(1), qqqqqq: num(1), wwwwww: num(2) }))).toBe(
      't options: unknown option "qqqqqq", "wwwwww" (known: ab, order, values)',
    );
  });

  it("suggest a known name within two edits, counting every character of both names", () => {
    expect(message(() => parseOptionsWith("t", schema, { ab: num(1), ordr: num(1) }))).toBe(
      't options: unknown option "ordr" (did you mean "order"?)',
    );
    // Two edits (insert u, e): suggested. Dropping the typed name's last character would make it three.
    expect(suggestion("vals", ["order", "values"])).toBe(' (did you mean "values"?)');
    expect(suggestion("valuesxyz", ["order", "values"])).toBe(" (known: order, values)");
    expect(suggestion("xvalues", ["order", "values"])).toBe(' (did you mean "values"?)');
    // Substitution, insertion and deletion each cost one.
    expect(suggestion("ordeX", ["order"])).toBe(' (did you mean "order"?)');
    expect(suggestion("oXrder", ["order"])).toBe(' (did you mean "order"?)');
    expect(suggestion("orer", ["order"])).toBe(' (did you mean "order"?)');
    expect(suggestion("XYZer", ["order"])).toBe(" (known: order)");
    expect(suggestion("", ["ab"])).toBe(' (did you mean "ab"?)');
    expect(suggestion("abc", ["a"])).toBe(' (did you mean "a"?)');
    expect(suggestion("abcd", ["a"])).toBe(" (known: a)");
  });

  it("on a tie, suggest the known name that comes first", () => {
    expect(suggestion("aa", ["ab", "ac"])).toBe(' (did you mean "ab"?)');
    expect(suggestion("aa", ["ac", "ab"])).toBe(' (did you mean "ac"?)');
    // A nearer name later in the list wins over a farther one first.
    expect(suggestion("abcd", ["abxy", "abcx"])).toBe(' (did you mean "abcx"?)');
  });

  it("say nothing more when no name is known", () => {
    expect(suggestion("x", [])).toBe("");
    const opaque = z.strictObject({ a: z.number() }).transform((o) => o);
    expect(message(() => parseOptionsWith("t", opaque, { a: num(1), b: num(2) }))).toBe(
      't options: unknown option "b"',
    );
  });

  it("name the option a schema check failed on", () => {
    expect(message(() => parseOptionsWith("t", schema, { ab: num(6) }))).toMatch(/^t options: "ab" /);
    expect(parseOptionsWith("t", schema, { ab: num(5) })).toEqual({ ab: 5 });
  });
});
