/**
 * Conversions between user-facing values (proto `Value`, `Scalar`) and the
 * internal numbers of a configuration, with the domain checks that keep
 * enqueued and imported configurations inside the space.
 */
import { invalidArgument, ParzenError } from "../errors.js";
import type { Value } from "@parzen/client/gen/parzen/v1/space";
import { onGrid } from "./grid.js";
import { conditionHolds, type Config, type ParamSpec, type Scalar, type Space } from "./types.js";

export function scalarFromValue(v: Value): Scalar | undefined {
  const k = v.kind;
  if (k === undefined) return undefined;
  switch (k.$case) {
    case "doubleValue":
      return { kind: "double", value: k.value };
    case "intValue":
      return { kind: "int", value: k.value };
    case "stringValue":
      return { kind: "string", value: k.value };
    case "boolValue":
      return { kind: "bool", value: k.value };
  }
}

export function valueFromScalar(s: Scalar): Value {
  switch (s.kind) {
    case "double":
      return { kind: { $case: "doubleValue", value: s.value } };
    case "int":
      return { kind: { $case: "intValue", value: s.value } };
    case "string":
      return { kind: { $case: "stringValue", value: s.value } };
    case "bool":
      return { kind: { $case: "boolValue", value: s.value } };
  }
}

/** Identity of a choice option: numbers compare by value whether int or double. */
export function scalarKey(s: Scalar): string {
  switch (s.kind) {
    case "double":
    case "int":
      return `n:${s.value}`;
    case "string":
      return `s:${s.value}`;
    case "bool":
      return `b:${s.value}`;
  }
}

/** The user-facing value of one active parameter. */
export function externalValue(param: ParamSpec, internal: number): Scalar {
  const d = param.domain;
  switch (d.type) {
    case "choice":
      return d.options[internal]!;
    case "int":
      return { kind: "int", value: internal };
    default:
      return { kind: "double", value: internal };
  }
}

/** A configuration as the proto map of active parameters. */
export function configToProto(space: Space, config: Config): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const p of space.params) {
    const x = config[p.index]!;
    if (!Number.isNaN(x)) out[p.name] = valueFromScalar(externalValue(p, x));
  }
  return out;
}

function numeric(param: ParamSpec, v: Scalar): number {
  if (v.kind === "double" || v.kind === "int") {
    if (!Number.isFinite(v.value))
      throw invalidArgument(`parameter "${param.name}": value must be finite, got ${v.value}`);
    return v.value;
  }
  throw invalidArgument(`parameter "${param.name}": expected a number, got ${v.kind} ${JSON.stringify(v.value)}`);
}

/** The internal value of a user-given value, or INVALID_ARGUMENT if it is outside the domain. */
export function internalValue(param: ParamSpec, v: Scalar): number {
  const d = param.domain;
  const name = param.name;
  switch (d.type) {
    case "choice": {
      const key = scalarKey(v);
      const i = d.options.findIndex((o) => scalarKey(o) === key);
      if (i < 0)
        throw invalidArgument(`parameter "${name}": ${JSON.stringify(v.value)} is not one of its choice options`);
      return i;
    }
    case "int": {
      const x = numeric(param, v);
      if (!Number.isInteger(x)) throw invalidArgument(`parameter "${name}": expected an integer, got ${x}`);
      if (x < d.low || x > d.high || (x - d.low) % d.step !== 0) {
        throw invalidArgument(
          `parameter "${name}": ${x} is outside its domain (integers ${d.low}..${d.high} step ${d.step})`,
        );
      }
      return x;
    }
    case "float": {
      const x = numeric(param, v);
      const tol = 1e-12 * Math.max(1, Math.abs(d.low), Math.abs(d.high));
      if (x < d.low - tol || x > d.high + tol)
        throw invalidArgument(`parameter "${name}": ${x} is outside [${d.low}, ${d.high}]`);
      if (d.step !== undefined && !onGrid(d.low, d.step, x)) {
        throw invalidArgument(`parameter "${name}": ${x} is not on the grid ${d.low} + k·${d.step}`);
      }
      return Math.min(Math.max(x, d.low), d.high);
    }
    case "normal": {
      const x = numeric(param, v);
      if (d.log && x < 0) throw invalidArgument(`parameter "${name}": a log-normal value must be >= 0, got ${x}`);
      if (d.log && d.step === undefined && x === 0)
        throw invalidArgument(`parameter "${name}": a log-normal value must be > 0`);
      if (d.step !== undefined && !onGrid(0, d.step, x))
        throw invalidArgument(`parameter "${name}": ${x} is not a multiple of ${d.step}`);
      return x;
    }
  }
}

/**
 * Parses a user-given assignment (e.g. from Enqueue or AddTrials): every key
 * must be a known parameter, exactly the active parameters must be present,
 * and every value must lie in its domain.
 */
export function configFromProto(space: Space, params: Record<string, Value>, where: string): Config {
  const config = new Float64Array(space.params.length).fill(Number.NaN);
  for (const name of Object.keys(params)) {
    if (!space.byName.has(name)) throw invalidArgument(`${where}: unknown parameter "${name}"`);
  }
  for (const p of space.params) {
    const active = conditionHolds(p, config);
    const given = params[p.name];
    if (!active) {
      if (given !== undefined)
        throw invalidArgument(
          `${where}: parameter "${p.name}" is given but inactive (its parent choice did not select its branch)`,
        );
      continue;
    }
    if (given === undefined) throw invalidArgument(`${where}: parameter "${p.name}" is missing`);
    const s = scalarFromValue(given);
    if (s === undefined) throw invalidArgument(`${where}: parameter "${p.name}" has an empty value`);
    try {
      config[p.index] = internalValue(p, s);
    } catch (e) {
      // Name the item too: a batch of configurations is refused whole, so the user must know which one to fix.
      if (e instanceof ParzenError) throw invalidArgument(`${where}: ${e.message}`);
      throw e;
    }
  }
  return config;
}
