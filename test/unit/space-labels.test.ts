/**
 * Choice options' labels on the space model (README "Option labels"): a declared label is kept, an option without
 * one is called by its value as text, and labels are checked like other names (bounded, no control characters
 * when names are strict, unique within their choice), each refusal INVALID_ARGUMENT naming the parameter.
 */
import { describe, expect, it } from "vitest";
import type { Parameter, Value } from "@parzen/client/gen/parzen/v1/space";
import { ParzenError } from "../../src/errors.js";
import { compileSpace, DEFAULT_SPACE_LIMITS, type SpaceLimits } from "../../src/space/compile.js";

const str = (s: string): Value => ({ kind: { $case: "stringValue", value: s } });
const dbl = (x: number): Value => ({ kind: { $case: "doubleValue", value: x } });
const int = (x: number): Value => ({ kind: { $case: "intValue", value: x } });
const bool = (x: boolean): Value => ({ kind: { $case: "boolValue", value: x } });

/** A choice named "c" whose options carry the given labels (undefined: no label). */
const labelled = (options: { value: Value; label?: string }[]): Parameter => ({
  name: "c",
  domain: { $case: "choice", value: { options: options.map((o) => ({ ...o, children: [] })), weights: [] } },
});

const limits = (over: Partial<SpaceLimits>): SpaceLimits => ({ ...DEFAULT_SPACE_LIMITS, ...over });

function labelsOf(param: Parameter, lim?: SpaceLimits): readonly string[] {
  const d = compileSpace({ parameters: [param] }, lim).params[0]!.domain;
  if (d.type !== "choice") throw new Error(`expected a choice, got ${d.type}`);
  return d.labels;
}

/** The INVALID_ARGUMENT message of `f`, failing the test if `f` does not throw one. */
function invalid(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("INVALID_ARGUMENT");
    return (err as ParzenError).message;
  }
  throw new Error("expected INVALID_ARGUMENT, nothing was thrown");
}

describe("choice option labels", () => {
  it("keeps declared labels and calls an unlabelled option (no label, or an empty one) by its value as text", () => {
    const c = labelled([
      { value: str("adam"), label: "Adam" },
      { value: str("sgd") },
      { value: int(32), label: "" },
      { value: bool(true) },
      { value: dbl(1e-7) },
    ]);
    expect(labelsOf(c)).toEqual(["Adam", "sgd", "32", "true", "1e-7"]);
  });

  it("accepts a label of exactly the string limit and refuses one a character longer", () => {
    const lim = limits({ maxStringLength: 5 });
    expect(labelsOf(labelled([{ value: int(0) }, { value: int(1), label: "abcde" }]), lim)).toEqual(["0", "abcde"]);
    expect(invalid(() => labelsOf(labelled([{ value: int(0) }, { value: int(1), label: "abcdef" }]), lim))).toBe(
      'parameter "c": the label of choice option 1 is longer than 5 characters',
    );
  });

  it("refuses a control character in a label when names are strict, and keeps it when they are not", () => {
    const c = labelled([{ value: int(0) }, { value: int(1), label: "a\u0007b" }]);
    expect(invalid(() => labelsOf(c))).toBe(
      'parameter "c" option 1: label "a\\u0007b" contains the control character U+0007',
    );
    expect(labelsOf(c, limits({ strictNames: false }))).toEqual(["0", "a\u0007b"]);
  });

  it("refuses two options with the same label, naming the repeated one", () => {
    const c = labelled([
      { value: int(0), label: "a" },
      { value: int(1), label: "b" },
      { value: int(2), label: "b" },
    ]);
    expect(invalid(() => labelsOf(c))).toBe('parameter "c": two options have the label "b" (labels are unique)');
  });

  it("does not count options without a label, or with an empty one, as sharing a label", () => {
    const c = labelled([
      { value: int(0), label: "" },
      { value: int(1), label: "" },
      { value: int(2) },
      { value: int(3) },
    ]);
    expect(labelsOf(c)).toEqual(["0", "1", "2", "3"]);
  });
});
