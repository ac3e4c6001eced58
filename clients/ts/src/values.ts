/**
 * Plain JavaScript values <-> the contract's typed scalar `Value`. A JS
 * number that is a safe integer travels as int_value, any other number as
 * double_value: the server treats 3 and 3.0 alike for numeric domains and
 * choice options, and int parameters come back as int_value, which become
 * plain numbers again here.
 */
import { invalid } from "./errors.js";
import type { Value } from "./gen/parzen/v1/space.js";

/** A parameter value, choice option or option value as plain JavaScript. */
export type ParamValue = number | string | boolean;

/** A trial's (or a configuration's) active parameters by name. */
export type Params = Record<string, ParamValue>;

export function toValue(x: unknown, where: string): Value {
  switch (typeof x) {
    case "string":
      return { kind: { $case: "stringValue", value: x } };
    case "boolean":
      return { kind: { $case: "boolValue", value: x } };
    case "number":
      return Number.isSafeInteger(x)
        ? { kind: { $case: "intValue", value: x } }
        : { kind: { $case: "doubleValue", value: x } };
    case "bigint":
      if (x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER))
        return { kind: { $case: "intValue", value: Number(x) } };
      throw invalid(`${where}: integer ${x} is too large`);
    default:
      throw invalid(`${where}: unsupported value ${describe(x)} (want a number, string or boolean)`);
  }
}

export function fromValue(v: Value | undefined): ParamValue | undefined {
  return v?.kind?.value;
}

export function toValueMap(m: Readonly<Record<string, unknown>>, where: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [name, x] of Object.entries(m)) out[name] = toValue(x, `${where}: parameter "${name}"`);
  return out;
}

export function fromValueMap(m: Readonly<Record<string, Value>>): Params {
  const out: Params = {};
  for (const [name, v] of Object.entries(m)) {
    const x = fromValue(v);
    if (x !== undefined) out[name] = x;
  }
  return out;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  return typeof x === "object" ? `of type ${x.constructor?.name ?? "object"}` : `of type ${typeof x}`;
}
