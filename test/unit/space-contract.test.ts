/**
 * The search-space contract at its edges, checked on the space model directly (no server): every limit accepted
 * at its value and refused one past it, every refusal INVALID_ARGUMENT naming the parameter and the field, the
 * normalised domain each declaration compiles to, and the value checks that keep enqueued and imported
 * configurations inside the space (README "Search spaces").
 */
import { describe, expect, it } from "vitest";
import type { Parameter, SearchSpace, Value } from "@parzen/client/gen/parzen/v1/space";
import { ParzenError } from "../../src/errors.js";
import type { Rng } from "../../src/math/rng.js";
import { compileSpace, DEFAULT_SPACE_LIMITS, formatScalar, type SpaceLimits } from "../../src/space/compile.js";
import { sameConfig, sameConfigAt } from "../../src/space/config.js";
import { cleanFloat, gridPoint, gridTopIndex, onGrid, snapToGrid, snapToMultiple } from "../../src/space/grid.js";
import { checkName, nameProblem, quoteName } from "../../src/space/names.js";
import { sampleCategorical, samplePrior } from "../../src/space/prior.js";
import { numericScale, samplePriorNumeric, spaceScales } from "../../src/space/scale.js";
import type { ParamSpec, Scalar, Space } from "../../src/space/types.js";
import {
  configFromProto,
  configToProto,
  externalValue,
  internalValue,
  scalarFromValue,
  scalarKey,
  valueFromScalar,
} from "../../src/space/values.js";

type Domain = Parameter["domain"];
const p = (name: string, domain: Domain): Parameter => ({ name, domain });
const uniform = (name: string, low = 0, high = 1): Parameter => p(name, { $case: "uniform", value: { low, high } });
const str = (s: string): Value => ({ kind: { $case: "stringValue", value: s } });
const dbl = (x: number): Value => ({ kind: { $case: "doubleValue", value: x } });
const int = (x: number): Value => ({ kind: { $case: "intValue", value: x } });
const bool = (x: boolean): Value => ({ kind: { $case: "boolValue", value: x } });
const choice = (name: string, values: Value[], weights: number[] = [], children: Parameter[][] = []): Parameter =>
  p(name, {
    $case: "choice",
    value: { options: values.map((value, i) => ({ value, children: children[i] ?? [] })), weights },
  });
const intRange = (name: string, low: number, high: number, step = 1, log = false): Parameter =>
  p(name, { $case: "intRange", value: { low, high, step, log } });

const compile1 = (param: Parameter, limits?: SpaceLimits): Space => compileSpace({ parameters: [param] }, limits);
const only = (param: Parameter): ParamSpec => compile1(param).params[0]!;

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

const limits = (over: Partial<SpaceLimits>): SpaceLimits => ({ ...DEFAULT_SPACE_LIMITS, ...over });

/** An Rng that returns the given uniforms (and normals) in turn. */
function scripted(uniforms: number[], normals: number[] = []): Rng {
  return {
    uniform: () => {
      const u = uniforms.shift();
      if (u === undefined) throw new Error("scripted rng ran out of uniforms");
      return u;
    },
    normal: () => {
      const z = normals.shift();
      if (z === undefined) throw new Error("scripted rng ran out of normals");
      return z;
    },
    int: () => 0,
  };
}

describe("space shape limits", () => {
  it("refuses a missing or empty space", () => {
    expect(invalid(() => compileSpace(undefined))).toBe("space: must declare at least one parameter");
    expect(invalid(() => compileSpace({ parameters: [] }))).toBe("space: must declare at least one parameter");
  });

  it("accepts exactly maxParameters parameters and refuses one more, nested ones counted", () => {
    const lim = limits({ maxParameters: 3 });
    const nested = (extra: number): SearchSpace => ({
      parameters: [
        choice("c", [str("a")], [], [Array.from({ length: 1 + extra }, (_, i) => uniform(`x${i}`))]),
        uniform("y"),
      ],
    });
    expect(compileSpace(nested(0), lim).params.map((q) => q.name)).toEqual(["c", "x0", "y"]);
    expect(invalid(() => compileSpace(nested(1), lim))).toBe("space: more than 3 parameters");
  });

  it("accepts nesting of exactly maxDepth levels and refuses one more, naming where", () => {
    const chain = (levels: number): Parameter => {
      let inner: Parameter = uniform("leaf");
      for (let i = levels; i >= 1; i--) inner = choice(`c${i}`, [str("a")], [], [[inner]]);
      return inner;
    };
    // chain(n): the leaf sits n levels below the top.
    const ok = compileSpace({ parameters: [chain(2)] }, limits({ maxDepth: 2 }));
    expect(ok.params.map((q) => q.name)).toEqual(["c1", "c2", "leaf"]);
    expect(ok.byName.get("leaf")!.condition).toEqual({ parent: 1, option: 0 });
    // A choice at the deepest level whose options have no children nests nothing.
    expect(
      compileSpace({ parameters: [choice("top", [str("a"), str("b")])] }, limits({ maxDepth: 0 })).params,
    ).toHaveLength(1);
    const deepChoice = choice("c1", [str("a")], [], [[choice("c2", [str("x"), str("y")])]]);
    expect(compileSpace({ parameters: [deepChoice] }, limits({ maxDepth: 1 })).params).toHaveLength(2);
    expect(invalid(() => compileSpace({ parameters: [chain(3)] }, limits({ maxDepth: 2 })))).toBe(
      'parameter "c3" option 0: conditional nesting deeper than 2 levels',
    );
  });

  it("refuses a duplicate name anywhere in the tree", () => {
    const msg = invalid(() =>
      compileSpace({ parameters: [choice("c", [str("a"), str("b")], [], [[uniform("x")], [uniform("x")]])] }),
    );
    expect(msg).toBe('parameter "x": duplicate name (names must be unique across the whole space)');
    expect(invalid(() => compileSpace({ parameters: [uniform("x"), uniform("x")] }))).toContain('"x": duplicate');
  });

  it("records each conditional parameter's parent index and option index; options without children add none", () => {
    const space = compileSpace({
      parameters: [
        uniform("first"),
        choice("c", [str("a"), str("b"), str("c")], [], [[], [uniform("b1"), uniform("b2")], [uniform("c1")]]),
      ],
    });
    expect(space.params.map((q) => [q.name, q.index, q.condition])).toEqual([
      ["first", 0, undefined],
      ["c", 1, undefined],
      ["b1", 2, { parent: 1, option: 1 }],
      ["b2", 3, { parent: 1, option: 1 }],
      ["c1", 4, { parent: 1, option: 2 }],
    ]);
    expect(space.byName.get("b2")).toBe(space.params[3]);
  });
});

describe("parameter names", () => {
  it("refuses an empty name, naming where", () => {
    expect(invalid(() => compile1(uniform("")))).toBe("space: a parameter has an empty name");
  });

  it("accepts a name of exactly maxNameLength and refuses one character more, quoting its first 40", () => {
    const lim = limits({ maxNameLength: 50 });
    expect(compile1(uniform("n".repeat(50)), lim).params[0]!.name).toBe("n".repeat(50));
    const long = `${"a".repeat(40)}${"b".repeat(11)}`;
    expect(invalid(() => compile1(uniform(long), lim))).toBe(
      `space: parameter name "${"a".repeat(40)}…" is longer than 50 characters`,
    );
  });

  it("refuses control and bidirectional characters only under strictNames", () => {
    const bad = uniform("a\u202Eb");
    expect(invalid(() => compile1(bad))).toBe(
      'space: parameter name "a\\u202Eb" contains the bidirectional control U+202E, which makes a name display as something it is not',
    );
    expect(compile1(bad, limits({ strictNames: undefined })).params[0]!.name).toBe("a\u202Eb");
    expect(compile1(bad, limits({ strictNames: false })).params[0]!.name).toBe("a\u202Eb");
  });

  it("says which kind of character is refused", () => {
    expect(nameProblem("plain name-1.x/é")).toBeUndefined();
    expect(nameProblem("a\u0000b")).toBe("contains a NUL character");
    expect(nameProblem("a\ufffd")).toBe("contains U+FFFD, the replacement character (text that was not valid UTF-8)");
    expect(nameProblem("a\u2028")).toBe("contains the line or paragraph separator U+2028");
    expect(nameProblem("a\u2029")).toBe("contains the line or paragraph separator U+2029");
    expect(nameProblem("a\u0007")).toBe("contains the control character U+0007");
    expect(nameProblem("a\u001f")).toBe("contains the control character U+001F");
    expect(nameProblem("a\u007f")).toBe("contains the control character U+007F");
    expect(nameProblem("a\u009f")).toBe("contains the control character U+009F");
    for (const c of ["\u061c", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069"]) {
      expect(nameProblem(`a${c}`)).toMatch(/^contains the bidirectional control U\+[0-9A-F]{4}, which makes/);
    }
    // Neighbours of the refused ranges are ordinary characters.
    for (const c of [" ", "\u00a0", "\u061b", "\u200d", "\u2027", "\u202f", "\u2065", "\u206a", "\ufffc"]) {
      expect(nameProblem(`a${c}`), `U+${c.codePointAt(0)!.toString(16)}`).toBeUndefined();
    }
  });

  it("quotes names safely: refused characters spelled out, long names cut at 40 characters", () => {
    expect(quoteName("ok")).toBe('"ok"');
    expect(quoteName("a\u0000b\u202Ec")).toBe('"a\\u0000b\\u202Ec"');
    expect(quoteName("x".repeat(40))).toBe(`"${"x".repeat(40)}"`);
    expect(quoteName("x".repeat(41))).toBe(`"${"x".repeat(40)}…"`);
    expect(invalid(() => checkName("a\u0001", "CreateExperiment.name", "experiment name"))).toBe(
      'CreateExperiment.name: experiment name "a\\u0001" contains the control character U+0001',
    );
    expect(() => checkName("fine", "f", "w")).not.toThrow();
  });
});

describe("numeric domains compile to their normalised form", () => {
  it("uniform and log_uniform", () => {
    expect(only(uniform("x", -2, 3))).toMatchObject({
      declared: "uniform",
      domain: { type: "float", low: -2, high: 3, log: false, step: undefined },
    });
    expect(only(p("x", { $case: "logUniform", value: { low: 0.001, high: 10 } }))).toMatchObject({
      declared: "log_uniform",
      domain: { type: "float", low: 0.001, high: 10, log: true, step: undefined },
    });
  });

  it("refuses non-finite or crossed bounds and log bounds at or below 0", () => {
    expect(invalid(() => compile1(uniform("x", Number.NaN, 1)))).toBe('parameter "x": low must be finite, got NaN');
    expect(invalid(() => compile1(uniform("x", 0, Number.POSITIVE_INFINITY)))).toBe(
      'parameter "x": high must be finite, got Infinity',
    );
    expect(invalid(() => compile1(uniform("x", 1, 1)))).toBe('parameter "x": low (1) must be less than high (1)');
    expect(invalid(() => compile1(uniform("x", 2, 1)))).toBe('parameter "x": low (2) must be less than high (1)');
    expect(compile1(uniform("x", -1e-9, 0)).params[0]!.domain).toMatchObject({ low: -1e-9, high: 0 });
    const logU = (low: number) => p("x", { $case: "logUniform", value: { low, high: 1 } });
    expect(invalid(() => compile1(logU(0)))).toBe('parameter "x": a log domain needs low > 0, got low = 0');
    expect(invalid(() => compile1(logU(-1)))).toBe('parameter "x": a log domain needs low > 0, got low = -1');
    expect(compile1(logU(1e-300)).params[0]!.domain).toMatchObject({ low: 1e-300, log: true });
  });

  it("q_uniform and q_log_uniform: the top is the last grid point at or below high", () => {
    const q = (low: number, high: number, step: number) => p("x", { $case: "qUniform", value: { low, high, q: step } });
    expect(only(q(0, 1, 0.3))).toMatchObject({
      declared: "q_uniform",
      domain: { type: "float", low: 0, high: 0.9, log: false, step: 0.3 },
    });
    expect(only(q(0, 1, 0.25)).domain).toMatchObject({ high: 1 });
    expect(only(q(0.1, 0.7, 0.2)).domain).toMatchObject({ high: 0.7 });
    expect(only(q(0, 1, 1)).domain).toMatchObject({ high: 1, step: 1 });
    expect(only(p("x", { $case: "qLogUniform", value: { low: 1, high: 10, q: 4 } }))).toMatchObject({
      declared: "q_log_uniform",
      domain: { type: "float", low: 1, high: 9, log: true, step: 4 },
    });
  });

  it("refuses a step that is not finite, not positive, or wider than the range", () => {
    const q = (step: number) => p("x", { $case: "qUniform", value: { low: 0, high: 1, q: step } });
    expect(invalid(() => compile1(q(0)))).toBe('parameter "x": q must be > 0, got 0');
    expect(invalid(() => compile1(q(-0.5)))).toBe('parameter "x": q must be > 0, got -0.5');
    expect(invalid(() => compile1(q(Number.NaN)))).toBe('parameter "x": q must be finite, got NaN');
    expect(invalid(() => compile1(q(1.5)))).toBe('parameter "x": q (1.5) is larger than the range high − low (1)');
    const q12 = p("x", { $case: "qUniform", value: { low: 1, high: 2, q: 1.5 } });
    expect(invalid(() => compile1(q12))).toBe('parameter "x": q (1.5) is larger than the range high − low (1)');
    const ql = p("x", { $case: "qLogUniform", value: { low: 0, high: 1, q: 0.1 } });
    expect(invalid(() => compile1(ql))).toBe('parameter "x": a log domain needs low > 0, got low = 0');
  });

  it("normal, log_normal and their quantized forms", () => {
    expect(only(p("x", { $case: "normal", value: { mu: -1, sigma: 2 } }))).toMatchObject({
      declared: "normal",
      domain: { type: "normal", mu: -1, sigma: 2, log: false, step: undefined },
    });
    expect(only(p("x", { $case: "logNormal", value: { mu: 0, sigma: 0.5 } }))).toMatchObject({
      declared: "log_normal",
      domain: { type: "normal", mu: 0, sigma: 0.5, log: true, step: undefined },
    });
    expect(only(p("x", { $case: "qNormal", value: { mu: 0, sigma: 1, q: 0.5 } }))).toMatchObject({
      declared: "q_normal",
      domain: { type: "normal", mu: 0, sigma: 1, log: false, step: 0.5 },
    });
    expect(only(p("x", { $case: "qLogNormal", value: { mu: 0, sigma: 1, q: 100 } }))).toMatchObject({
      declared: "q_log_normal",
      domain: { type: "normal", log: true, step: 100 },
    });
  });

  it("refuses a sigma that is not positive, a non-finite mu, and a bad q on normals", () => {
    const n = (mu: number, sigma: number) => p("x", { $case: "normal", value: { mu, sigma } });
    expect(invalid(() => compile1(n(0, 0)))).toBe('parameter "x": sigma must be > 0, got 0');
    expect(invalid(() => compile1(n(0, -1)))).toBe('parameter "x": sigma must be > 0, got -1');
    expect(invalid(() => compile1(n(Number.NaN, 1)))).toBe('parameter "x": mu must be finite, got NaN');
    expect(invalid(() => compile1(n(0, Number.POSITIVE_INFINITY)))).toBe(
      'parameter "x": sigma must be finite, got Infinity',
    );
    const ln = p("x", { $case: "logNormal", value: { mu: 0, sigma: 0 } });
    expect(invalid(() => compile1(ln))).toBe('parameter "x": sigma must be > 0, got 0');
    const qn = (q: number) => p("x", { $case: "qNormal", value: { mu: 0, sigma: 1, q } });
    expect(invalid(() => compile1(qn(0)))).toBe('parameter "x": q must be > 0, got 0');
    const qln = p("x", { $case: "qLogNormal", value: { mu: 0, sigma: -1, q: 1 } });
    expect(invalid(() => compile1(qln))).toBe('parameter "x": sigma must be > 0, got -1');
    // No range to compare a normal's q with: any positive q is accepted.
    expect(only(qn(1e6)).domain).toMatchObject({ step: 1e6 });
  });
});

describe("int domains", () => {
  it("step 0 means 1; high becomes the top grid point", () => {
    expect(only(intRange("n", 1, 10, 0))).toMatchObject({
      declared: "int",
      domain: { type: "int", low: 1, high: 10, step: 1, log: false },
    });
    expect(only(intRange("n", 1, 10, 4)).domain).toMatchObject({ low: 1, high: 9, step: 4 });
    expect(only(intRange("n", -3, 3, 3)).domain).toMatchObject({ low: -3, high: 3, step: 3 });
    expect(only(intRange("n", 1, 10, 9)).domain).toMatchObject({ high: 10, step: 9 });
    expect(only(intRange("n", 1, 100, 1, true)).domain).toMatchObject({ low: 1, high: 100, step: 1, log: true });
  });

  it("refuses unsafe, equal or crossed bounds and negative or too-wide steps", () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(only(intRange("n", -max, max)).domain).toMatchObject({ low: -max, high: max });
    expect(invalid(() => compile1(intRange("n", 0, max + 1)))).toBe('parameter "n": int bounds must be within ±2^53');
    expect(invalid(() => compile1(intRange("n", -max - 1, 0)))).toBe('parameter "n": int bounds must be within ±2^53');
    expect(invalid(() => compile1(intRange("n", 0.5, 2)))).toBe('parameter "n": int bounds must be within ±2^53');
    expect(invalid(() => compile1(intRange("n", 3, 3)))).toBe('parameter "n": low (3) must be less than high (3)');
    expect(invalid(() => compile1(intRange("n", 4, 3)))).toBe('parameter "n": low (4) must be less than high (3)');
    expect(invalid(() => compile1(intRange("n", 0, 10, -1)))).toBe('parameter "n": step must be > 0, got -1');
    expect(invalid(() => compile1(intRange("n", 0, 10, 11)))).toBe(
      'parameter "n": step (11) is larger than the range high − low (10)',
    );
    expect(invalid(() => compile1(intRange("n", 5, 15, 11)))).toBe(
      'parameter "n": step (11) is larger than the range high − low (10)',
    );
  });

  it("a log int domain needs step 1 and low >= 1", () => {
    expect(invalid(() => compile1(intRange("n", 1, 10, 2, true)))).toBe(
      'parameter "n": a log int domain needs step = 1, got 2',
    );
    expect(invalid(() => compile1(intRange("n", 0, 10, 1, true)))).toBe(
      'parameter "n": a log int domain needs low >= 1, got 0',
    );
    expect(only(intRange("n", 1, 2, 0, true)).domain).toMatchObject({ low: 1, high: 2, step: 1, log: true });
  });
});

describe("choice domains", () => {
  it("keeps options in order with uniform weights when none are given", () => {
    const spec = only(choice("c", [str("a"), int(2), dbl(0.5), bool(true)]));
    expect(spec.declared).toBe("choice");
    expect(spec.domain).toEqual({
      type: "choice",
      options: [
        { kind: "string", value: "a" },
        { kind: "int", value: 2 },
        { kind: "double", value: 0.5 },
        { kind: "bool", value: true },
      ],
      weights: new Float64Array([0.25, 0.25, 0.25, 0.25]),
      // No label given: each option's value as text.
      labels: ["a", "2", "0.5", "true"],
    });
  });

  it("normalises weights; a zero weight is allowed, an all-zero, negative or non-finite one is not", () => {
    expect(only(choice("c", [str("a"), str("b"), str("c")], [3, 0, 1])).domain).toMatchObject({
      weights: new Float64Array([0.75, 0, 0.25]),
    });
    const three = [str("a"), str("b"), str("c")];
    expect(invalid(() => compile1(choice("c", three, [1, 1])))).toBe(
      'parameter "c": 2 weights for 3 options (give one weight per option, or none)',
    );
    expect(invalid(() => compile1(choice("c", three, [1, 1, 1, 1])))).toContain("4 weights for 3 options");
    expect(invalid(() => compile1(choice("c", three, [1, -0.5, 1])))).toBe(
      'parameter "c": weight 1 must be finite and >= 0, got -0.5',
    );
    expect(invalid(() => compile1(choice("c", three, [1, 1, Number.POSITIVE_INFINITY])))).toBe(
      'parameter "c": weight 2 must be finite and >= 0, got Infinity',
    );
    expect(invalid(() => compile1(choice("c", three, [Number.NaN, 1, 1])))).toContain("weight 0 must be finite");
    expect(invalid(() => compile1(choice("c", three, [0, 0, 0])))).toBe(
      'parameter "c": weights must sum to a positive number',
    );
  });

  it("refuses no options, more than maxChoiceOptions, and duplicates (1 and 1.0 are the same option)", () => {
    expect(invalid(() => compile1(choice("c", [])))).toBe('parameter "c": choice has no options');
    const lim = limits({ maxChoiceOptions: 3 });
    expect(compile1(choice("c", [int(1), int(2), int(3)]), lim).params[0]!.domain).toMatchObject({
      options: [{ value: 1 }, { value: 2 }, { value: 3 }],
    });
    expect(invalid(() => compile1(choice("c", [int(1), int(2), int(3), int(4)]), lim))).toBe(
      'parameter "c": choice has more than 3 options',
    );
    expect(invalid(() => compile1(choice("c", [int(1), dbl(1)])))).toBe('parameter "c": duplicate choice option 1');
    expect(invalid(() => compile1(choice("c", [str("a"), str("a")])))).toBe(
      'parameter "c": duplicate choice option "a"',
    );
    // Different kinds with the same text are different options.
    expect(compile1(choice("c", [str("1"), int(1), str("true"), bool(true)])).params[0]!.domain).toMatchObject({
      type: "choice",
    });
  });

  it("refuses an option without a value, a non-finite one, and a string longer than maxStringLength", () => {
    const noValue = p("c", { $case: "choice", value: { options: [{ value: undefined, children: [] }], weights: [] } });
    expect(invalid(() => compile1(noValue))).toBe('parameter "c": choice option 0 has no value');
    expect(invalid(() => compile1(choice("c", [str("a"), { kind: undefined }])))).toBe(
      'parameter "c": choice option 1 has no value',
    );
    expect(invalid(() => compile1(choice("c", [dbl(Number.NaN)])))).toBe(
      'parameter "c": choice option 0 must be finite, got NaN',
    );
    const lim = limits({ maxStringLength: 5 });
    expect(compile1(choice("c", [str("12345")]), lim).params[0]!.domain).toMatchObject({
      options: [{ value: "12345" }],
    });
    expect(invalid(() => compile1(choice("c", [str("ok"), str("123456")]), lim))).toBe(
      'parameter "c": choice option 1 is longer than 5 characters',
    );
  });

  it("refuses a parameter with no domain", () => {
    expect(invalid(() => compile1({ name: "x", domain: undefined }))).toBe(
      'parameter "x": no domain set (uniform, log_uniform, ..., choice)',
    );
  });

  it("formats options the way users typed them", () => {
    expect(formatScalar({ kind: "string", value: 'a"b' })).toBe('"a\\"b"');
    expect(formatScalar({ kind: "int", value: 3 })).toBe("3");
    expect(formatScalar({ kind: "bool", value: false })).toBe("false");
  });
});

describe("values: user-given values in and out of the space", () => {
  const space = compileSpace({
    parameters: [
      uniform("u", -1, 1),
      p("q", { $case: "qUniform", value: { low: 0, high: 1, q: 0.25 } }),
      intRange("n", 2, 20, 3),
      p("ln", { $case: "logNormal", value: { mu: 0, sigma: 1 } }),
      p("qln", { $case: "qLogNormal", value: { mu: 0, sigma: 1, q: 0.5 } }),
      p("qn", { $case: "qNormal", value: { mu: 0, sigma: 1, q: 0.5 } }),
      choice("c", [str("a"), int(1), bool(false)], [], [[uniform("child")]]),
    ],
  });
  const param = (name: string) => space.byName.get(name)!;
  const d = (x: number): Scalar => ({ kind: "double", value: x });
  const i = (x: number): Scalar => ({ kind: "int", value: x });

  it("converts proto values to scalars and back", () => {
    expect(scalarFromValue({ kind: undefined })).toBeUndefined();
    for (const v of [str("s"), dbl(1.5), int(-3), bool(true), bool(false)]) {
      expect(valueFromScalar(scalarFromValue(v)!)).toEqual(v);
    }
    expect(scalarFromValue(int(7))).toEqual({ kind: "int", value: 7 });
  });

  it("identifies options by kind and value; ints and doubles compare by value", () => {
    expect(scalarKey(i(1))).toBe(scalarKey(d(1)));
    expect(scalarKey(i(1))).not.toBe(scalarKey({ kind: "string", value: "1" }));
    expect(scalarKey({ kind: "bool", value: true })).not.toBe(scalarKey({ kind: "string", value: "true" }));
    expect(scalarKey({ kind: "bool", value: true })).not.toBe(scalarKey({ kind: "bool", value: false }));
    expect(
      new Set([str("a"), str("b"), int(1), int(2), bool(true), bool(false)].map((v) => scalarKey(scalarFromValue(v)!)))
        .size,
    ).toBe(6);
  });

  it("a choice value is its option index; an unknown option is refused", () => {
    expect(internalValue(param("c"), { kind: "string", value: "a" })).toBe(0);
    expect(internalValue(param("c"), d(1))).toBe(1);
    expect(internalValue(param("c"), { kind: "bool", value: false })).toBe(2);
    expect(invalid(() => internalValue(param("c"), { kind: "string", value: "z" }))).toBe(
      'parameter "c": "z" is not one of its choice options',
    );
    expect(externalValue(param("c"), 1)).toEqual({ kind: "int", value: 1 });
  });

  it("int values: integers on the grid from low to the top, ends included", () => {
    const n = param("n"); // 2, 5, ..., 20
    expect(internalValue(n, i(2))).toBe(2);
    expect(internalValue(n, i(20))).toBe(20);
    expect(internalValue(n, d(11))).toBe(11);
    expect(invalid(() => internalValue(n, i(-1)))).toBe(
      'parameter "n": -1 is outside its domain (integers 2..20 step 3)',
    );
    expect(invalid(() => internalValue(n, i(23)))).toContain("23 is outside its domain");
    expect(invalid(() => internalValue(n, i(3)))).toContain("3 is outside its domain");
    expect(invalid(() => internalValue(n, d(5.5)))).toBe('parameter "n": expected an integer, got 5.5');
    expect(invalid(() => internalValue(n, { kind: "string", value: "5" }))).toBe(
      'parameter "n": expected a number, got string "5"',
    );
    expect(invalid(() => internalValue(n, { kind: "bool", value: true }))).toBe(
      'parameter "n": expected a number, got bool true',
    );
    expect(invalid(() => internalValue(n, d(Number.POSITIVE_INFINITY)))).toBe(
      'parameter "n": value must be finite, got Infinity',
    );
    expect(externalValue(n, 5)).toEqual({ kind: "int", value: 5 });
  });

  it("float values: inside [low, high] up to rounding noise, which is clipped; on the grid when quantized", () => {
    const u = param("u");
    expect(internalValue(u, d(-1))).toBe(-1);
    expect(internalValue(u, i(1))).toBe(1);
    expect(internalValue(u, d(1 + 1e-13))).toBe(1);
    expect(internalValue(u, d(-1 - 1e-13))).toBe(-1);
    // Exactly at the tolerance (1e-12 here) is still inside.
    expect(internalValue(u, d(1 + 1e-12))).toBe(1);
    expect(internalValue(u, d(-1 - 1e-12))).toBe(-1);
    expect(invalid(() => internalValue(u, d(1 + 1e-11)))).toBe(`parameter "u": ${1 + 1e-11} is outside [-1, 1]`);
    expect(invalid(() => internalValue(u, d(-1.001)))).toBe('parameter "u": -1.001 is outside [-1, 1]');
    expect(invalid(() => internalValue(u, d(Number.NaN)))).toBe('parameter "u": value must be finite, got NaN');
    const q = param("q");
    expect(internalValue(q, d(0.75))).toBe(0.75);
    expect(internalValue(q, d(1))).toBe(1);
    expect(invalid(() => internalValue(q, d(0.3)))).toBe('parameter "q": 0.3 is not on the grid 0 + k·0.25');
    expect(externalValue(u, 0.5)).toEqual({ kind: "double", value: 0.5 });
  });

  it("the rounding tolerance scales with the bounds' magnitude", () => {
    const big = only(uniform("b", 1e6, 2e6));
    expect(internalValue(big, d(2e6 + 1e-7))).toBe(2e6);
    expect(invalid(() => internalValue(big, d(2e6 + 1e-5)))).toContain("is outside [1000000, 2000000]");
    const small = only(uniform("s", 0.001, 0.002));
    // The tolerance never falls below 1e-12 absolute.
    expect(internalValue(small, d(0.002 + 5e-13))).toBe(0.002);
    expect(invalid(() => internalValue(small, d(0.002 + 1e-11)))).toContain("is outside");
  });

  it("normal values: any finite number; log-normal ones positive, or 0 when quantized; quantized ones multiples of q", () => {
    expect(internalValue(param("ln"), d(0.01))).toBe(0.01);
    expect(invalid(() => internalValue(param("ln"), d(-0.01)))).toBe(
      'parameter "ln": a log-normal value must be >= 0, got -0.01',
    );
    expect(invalid(() => internalValue(param("ln"), d(0)))).toBe('parameter "ln": a log-normal value must be > 0');
    expect(internalValue(param("qln"), d(0))).toBe(0);
    expect(internalValue(param("qln"), d(1.5))).toBe(1.5);
    expect(invalid(() => internalValue(param("qln"), d(-0.5)))).toContain("must be >= 0, got -0.5");
    expect(invalid(() => internalValue(param("qln"), d(0.7)))).toBe('parameter "qln": 0.7 is not a multiple of 0.5');
    expect(internalValue(param("qn"), d(-1.5))).toBe(-1.5);
    expect(invalid(() => internalValue(param("qn"), d(0.25)))).toBe('parameter "qn": 0.25 is not a multiple of 0.5');
    const n = only(p("x", { $case: "normal", value: { mu: 0, sigma: 1 } }));
    expect(internalValue(n, d(-1e9))).toBe(-1e9);
  });

  const full = (over: Record<string, Value | undefined>): Record<string, Value> => {
    const base: Record<string, Value | undefined> = {
      u: dbl(0),
      q: dbl(0.5),
      n: int(5),
      ln: dbl(1),
      qln: dbl(1),
      qn: dbl(0),
      c: str("a"),
      child: dbl(0.5),
      ...over,
    };
    return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<string, Value>;
  };

  it("parses a whole assignment: exactly the active parameters, each inside its domain", () => {
    const c = configFromProto(space, full({}), "Enqueue");
    expect(Array.from(c)).toEqual([0, 0.5, 5, 1, 1, 0, 0, 0.5]);
    const other = configFromProto(space, full({ c: bool(false), child: undefined }), "Enqueue");
    expect(Number.isNaN(other[7]!)).toBe(true);
    expect(other[6]).toBe(2);
    expect(configToProto(space, other)).toEqual(full({ c: bool(false), child: undefined }));
    expect(configToProto(space, c)).toEqual(full({}));
  });

  it("names the problem with the assignment and where it came from", () => {
    expect(invalid(() => configFromProto(space, full({ extra: dbl(1) }), "AddTrials.trials[2]"))).toBe(
      'AddTrials.trials[2]: unknown parameter "extra"',
    );
    expect(invalid(() => configFromProto(space, full({ n: undefined }), "Enqueue"))).toBe(
      'Enqueue: parameter "n" is missing',
    );
    expect(invalid(() => configFromProto(space, full({ child: undefined }), "Enqueue"))).toBe(
      'Enqueue: parameter "child" is missing',
    );
    expect(invalid(() => configFromProto(space, full({ c: int(1) }), "Enqueue"))).toBe(
      'Enqueue: parameter "child" is given but inactive (its parent choice did not select its branch)',
    );
    expect(invalid(() => configFromProto(space, full({ u: { kind: undefined } }), "Enqueue"))).toBe(
      'Enqueue: parameter "u" has an empty value',
    );
    expect(invalid(() => configFromProto(space, full({ u: dbl(2) }), "Enqueue"))).toBe(
      'Enqueue: parameter "u": 2 is outside [-1, 1]',
    );
  });
});

describe("grids", () => {
  it("the top index tolerates rounding noise in (high − low) / step", () => {
    expect(gridTopIndex(0, 1, 0.1)).toBe(10);
    expect(gridTopIndex(0, 0.3, 0.1)).toBe(3); // 0.3 / 0.1 = 2.9999999999999996
    expect(gridTopIndex(0, 0.95, 0.1)).toBe(9);
    expect(gridTopIndex(1, 10, 3)).toBe(3);
  });

  it("grid points print clean; 0 and non-finite values pass through", () => {
    expect(gridPoint(0, 0.1, 3)).toBe(0.3);
    expect(gridPoint(1, 0.25, 2)).toBe(1.5);
    expect(cleanFloat(0.1 + 0.2)).toBe(0.3);
    expect(cleanFloat(0)).toBe(0);
    expect(Object.is(cleanFloat(-0), -0)).toBe(true);
    expect(cleanFloat(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(cleanFloat(Number.NaN)).toBeNaN();
    expect(cleanFloat(123456789.12345679)).toBe(123456789.123);
  });

  it("snaps to the nearest grid point, clipped to the ends", () => {
    expect(snapToGrid(0, 0.25, 4, 0.3)).toBe(0.25);
    expect(snapToGrid(0, 0.25, 4, 0.4)).toBe(0.5);
    expect(snapToGrid(0, 0.25, 4, -0.2)).toBe(0);
    expect(snapToGrid(0, 0.25, 4, 1.4)).toBe(1);
    expect(snapToGrid(0, 0.25, 3, 1)).toBe(0.75);
    expect(snapToMultiple(0.5, 1.3)).toBe(1.5);
    expect(snapToMultiple(0.1, 0.26)).toBe(0.3);
    expect(snapToMultiple(0.5, -0.8)).toBe(-1);
  });

  it("on-grid checks forgive rounding noise only", () => {
    expect(onGrid(0, 0.1, 0.3)).toBe(true);
    expect(onGrid(0.1, 0.2, 0.7)).toBe(true);
    expect(onGrid(0, 0.1, 0.35)).toBe(false);
    // The tolerance is relative to the grid index: 1e-9 of it, at least 1e-9.
    expect(onGrid(0, 1, 1e6 + 1e-2)).toBe(false);
    expect(onGrid(0, 1, 1e6 + 1e-4)).toBe(true);
    expect(onGrid(0, 1, 1 + 2e-9)).toBe(false);
    expect(onGrid(0, 1, 1 + 5e-10)).toBe(true);
    expect(onGrid(0, 1, 5e-10)).toBe(true);
    expect(onGrid(0, 1, -3)).toBe(true);
    // Anchored at the anchor, not at 0.
    expect(onGrid(0.25, 1, 1.25)).toBe(true);
    expect(onGrid(0.25, 1, 1.5)).toBe(false);
    expect(onGrid(0.25, 1, 1)).toBe(false);
  });
});

describe("scales: the coordinate algorithms model a numeric parameter in", () => {
  it("continuous: identity or log, clipped back into the bounds", () => {
    const lin = numericScale({ type: "float", low: -2, high: 3, log: false, step: undefined });
    expect([lin.log, lin.lo, lin.hi, lin.discrete]).toEqual([false, -2, 3, false]);
    expect(lin.toCoord(1.5)).toBe(1.5);
    expect(lin.fromCoord(4)).toBe(3);
    expect(lin.fromCoord(-5)).toBe(-2);
    expect(lin.fromCoord(0.5)).toBe(0.5);
    expect(lin.cell(1)).toEqual([1, 1]);
    const log = numericScale({ type: "float", low: 1, high: 100, log: true, step: undefined });
    expect(log.log).toBe(true);
    expect(log.lo).toBe(0);
    expect(log.hi).toBeCloseTo(Math.log(100), 12);
    expect(log.toCoord(Math.E)).toBeCloseTo(1, 12);
    expect(log.fromCoord(Math.log(10))).toBeCloseTo(10, 10);
    expect(log.fromCoord(10)).toBe(100);
    expect(log.fromCoord(-1)).toBe(1);
    expect(log.cell(10)).toEqual([Math.log(10), Math.log(10)]);
  });

  it("quantized float: half a step beyond each end, snapping to the grid", () => {
    const s = numericScale({ type: "float", low: 0, high: 1, log: false, step: 0.25 });
    expect([s.log, s.lo, s.hi, s.discrete]).toEqual([false, -0.125, 1.125, true]);
    expect(s.fromCoord(0.3)).toBe(0.25);
    expect(s.fromCoord(1.1)).toBe(1);
    expect(s.fromCoord(-0.1)).toBe(0);
    expect(s.cell(0.5)).toEqual([0.375, 0.625]);
    expect(s.cell(0)).toEqual([-0.125, 0.125]);
    // A log grid whose lower cell edge would reach 0 starts at low.
    const lg = numericScale({ type: "float", low: 1, high: 9, log: true, step: 4 });
    expect([lg.log, lg.lo, lg.hi]).toEqual([true, Math.log(1), Math.log(11)]);
    expect(lg.cell(1)).toEqual([Math.log(1), Math.log(3)]);
    expect(lg.cell(5)).toEqual([Math.log(3), Math.log(7)]);
    expect(lg.fromCoord(Math.log(6))).toBe(5);
    expect(lg.fromCoord(Math.log(8))).toBe(9);
    // A lower edge of exactly 0 (low = step / 2) is not a coordinate either.
    const lg0 = numericScale({ type: "float", low: 0.5, high: 2.5, log: true, step: 1 });
    expect(lg0.lo).toBe(Math.log(0.5));
    expect(lg0.cell(0.5)).toEqual([Math.log(0.5), Math.log(1)]);
    const lg2 = numericScale({ type: "float", low: 2, high: 4, log: true, step: 1 });
    expect(lg2.lo).toBe(Math.log(1.5));
    expect(lg2.hi).toBe(Math.log(4.5));
  });

  it("int: cells of one step, rounding to the nearest grid integer, clipped", () => {
    const s = numericScale({ type: "int", low: 1, high: 10, step: 3, log: false });
    expect([s.log, s.lo, s.hi, s.discrete]).toEqual([false, -0.5, 11.5, true]);
    expect(s.fromCoord(2.4)).toBe(1);
    expect(s.fromCoord(2.6)).toBe(4);
    expect(s.fromCoord(11)).toBe(10);
    expect(s.fromCoord(-0.4)).toBe(1);
    expect(s.fromCoord(100)).toBe(10);
    expect(s.cell(4)).toEqual([2.5, 5.5]);
    // Ints up to 2^53 keep every digit (no rounding to 12 significant digits, as grid floats get).
    const big = numericScale({ type: "int", low: 0, high: 1e15, step: 1, log: false });
    expect(big.fromCoord(123456789012345.3)).toBe(123456789012345);
    const log = numericScale({ type: "int", low: 1, high: 20, step: 1, log: true });
    expect([log.log, log.lo, log.hi, log.discrete]).toEqual([true, Math.log(0.5), Math.log(20.5), true]);
    expect(log.toCoord(5)).toBe(Math.log(5));
    expect(log.fromCoord(Math.log(4.6))).toBe(5);
    expect(log.fromCoord(Math.log(4.4))).toBe(4);
    expect(log.fromCoord(Math.log(0.6))).toBe(1);
    expect(log.fromCoord(Math.log(30))).toBe(20);
    expect(log.cell(5)).toEqual([Math.log(4.5), Math.log(5.5)]);
  });

  it("normal: unbounded; quantized ones snap to multiples of q and have cells", () => {
    const n = numericScale({ type: "normal", mu: 0, sigma: 1, log: false, step: undefined });
    expect([n.log, n.lo, n.hi, n.discrete]).toEqual([false, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, false]);
    expect(n.fromCoord(-7.3)).toBe(-7.3);
    expect(n.cell(2)).toEqual([2, 2]);
    const qn = numericScale({ type: "normal", mu: 0, sigma: 1, log: false, step: 0.5 });
    expect(qn.discrete).toBe(true);
    expect(qn.fromCoord(0.7)).toBe(0.5);
    expect(qn.toCoord(-3)).toBe(-3);
    expect(qn.cell(1)).toEqual([0.75, 1.25]);
    const ln = numericScale({ type: "normal", mu: 0, sigma: 1, log: true, step: undefined });
    expect(ln.log).toBe(true);
    expect(ln.toCoord(Math.E)).toBeCloseTo(1, 12);
    expect(ln.fromCoord(0)).toBe(1);
    expect(ln.cell(1)).toEqual([0, 0]);
    const qln = numericScale({ type: "normal", mu: 0, sigma: 1, log: true, step: 0.5 });
    // 0 is a value of a quantized log-normal; its coordinate is that of the lower cell edge q/2.
    expect(qln.toCoord(0)).toBe(Math.log(0.25));
    expect(qln.toCoord(2)).toBe(Math.log(2));
    expect(qln.fromCoord(Math.log(1.3))).toBe(1.5);
    expect(qln.fromCoord(Math.log(0.2))).toBe(0);
    expect(qln.cell(0)).toEqual([Number.NEGATIVE_INFINITY, Math.log(0.25)]);
    expect(qln.cell(1)).toEqual([Math.log(0.75), Math.log(1.25)]);
  });

  it("prior draws: mu + sigma·z for normals, lo + (hi − lo)·u otherwise", () => {
    const nd = { type: "normal", mu: 1, sigma: 2, log: false, step: undefined } as const;
    expect(samplePriorNumeric(nd, numericScale(nd), scripted([], [0.5]))).toBe(2);
    const ud = { type: "float", low: -2, high: 3, log: false, step: undefined } as const;
    expect(samplePriorNumeric(ud, numericScale(ud), scripted([0.2]))).toBe(-1);
    const id = { type: "int", low: 1, high: 10, step: 3, log: false } as const;
    // Coordinates -0.5..11.5: u = 0.5 is 5.5, between the cells of 4 and 7.
    expect(samplePriorNumeric(id, numericScale(id), scripted([0.49]))).toBe(4);
    expect(samplePriorNumeric(id, numericScale(id), scripted([0.51]))).toBe(7);
  });

  it("spaceScales has one scale per numeric parameter and none for choices", () => {
    const space = compileSpace({ parameters: [uniform("x", 0, 2), choice("c", [str("a")]), intRange("n", 0, 4)] });
    const scales = spaceScales(space);
    expect(scales).toHaveLength(3);
    expect(scales[0]!.hi).toBe(2);
    expect(scales[1]).toBeUndefined();
    expect(scales[2]!.hi).toBe(4.5);
  });
});

describe("prior: categorical draws and whole configurations", () => {
  const w = (...xs: number[]) => new Float64Array(xs);

  it("picks the first option whose cumulative weight exceeds u", () => {
    expect(sampleCategorical(w(0.5, 0.25, 0.25), scripted([0]))).toBe(0);
    expect(sampleCategorical(w(0.5, 0.25, 0.25), scripted([0.4999]))).toBe(0);
    expect(sampleCategorical(w(0.5, 0.25, 0.25), scripted([0.5]))).toBe(1);
    expect(sampleCategorical(w(0.5, 0.25, 0.25), scripted([0.75]))).toBe(2);
    expect(sampleCategorical(w(0, 1, 0), scripted([0]))).toBe(1);
  });

  it("falls back to the last option with positive weight when rounding leaves the total short of u", () => {
    expect(sampleCategorical(w(0.3, 0.6, 0), scripted([0.95]))).toBe(1);
    expect(sampleCategorical(w(0.3, 0.6, 0.0999), scripted([0.9999]))).toBe(2);
    expect(sampleCategorical(w(0.6, 0), scripted([0.7]))).toBe(0);
    expect(sampleCategorical(w(0, 0), scripted([0.5]))).toBe(1);
  });

  it("draws a parent before its children and leaves inactive children NaN", () => {
    const space = compileSpace({
      parameters: [choice("c", [str("a"), str("b")], [1, 1], [[uniform("x", 0, 10)], [uniform("y", 0, 10)]])],
    });
    // u = 0.7 picks "b"; then y = 10·0.3.
    const c = samplePrior(space, scripted([0.7, 0.3]));
    expect(c[0]).toBe(1);
    expect(c[1]).toBeNaN();
    expect(c[2]).toBe(3);
  });
});

describe("configuration equality", () => {
  it("NaN equals NaN, 0 and −0 differ, lengths must match", () => {
    const a = new Float64Array([1, Number.NaN, 0]);
    expect(sameConfig(a, a)).toBe(true);
    expect(sameConfig(a, new Float64Array([1, Number.NaN, 0]))).toBe(true);
    expect(sameConfig(a, new Float64Array([1, Number.NaN, -0]))).toBe(false);
    expect(sameConfig(a, new Float64Array([1, 2, 0]))).toBe(false);
    expect(sameConfig(a, new Float64Array([1, Number.NaN]))).toBe(false);
    expect(sameConfig(new Float64Array([1]), new Float64Array([1, 2]))).toBe(false);
    expect(sameConfig(new Float64Array([2, Number.NaN, 0]), a)).toBe(false);
  });

  it("compares a configuration stored at an offset of a larger column", () => {
    const column = new Float64Array([9, 9, 1, 2, 3, 9]);
    expect(sameConfigAt(column, 2, new Float64Array([1, 2, 3]))).toBe(true);
    expect(sameConfigAt(column, 1, new Float64Array([1, 2, 3]))).toBe(false);
    expect(sameConfigAt(column, 2, new Float64Array([1, 2, 4]))).toBe(false);
    expect(sameConfigAt(column, 3, new Float64Array([2, 3, 9]))).toBe(true);
  });
});
