/**
 * The search-space model the algorithms work on: the proto tree flattened
 * into a list of parameters in pre-order (a parent always precedes its
 * children), each with one normalised domain.
 *
 * A configuration is a Float64Array indexed like `Space.params`, holding each
 * parameter's *internal* value: the natural value for numeric domains, the
 * option index for choices, and NaN for inactive conditional parameters.
 */

/** A choice option or parameter value as the user sees it. */
export type Scalar =
  | { kind: "double"; value: number }
  | { kind: "int"; value: number }
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean };

/** Which proto domain a parameter was declared with (kept for round trips). */
export type DeclaredKind =
  | "uniform"
  | "log_uniform"
  | "q_uniform"
  | "q_log_uniform"
  | "normal"
  | "log_normal"
  | "q_normal"
  | "q_log_normal"
  | "int"
  | "choice";

/**
 * A bounded real domain: uniform, log-uniform and their quantized forms.
 * `step` is set for quantized domains; `high` is then the top grid point
 * (low + K·step), not necessarily the declared high.
 */
export interface BoundedFloatDomain {
  readonly type: "float";
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number | undefined;
}

/**
 * An unbounded normal (log = false) or log-normal (log = true) prior with mu
 * and sigma in the internal (log for log-normal) space; quantized to
 * multiples of `step` when set.
 */
export interface NormalDomain {
  readonly type: "normal";
  readonly mu: number;
  readonly sigma: number;
  readonly log: boolean;
  readonly step: number | undefined;
}

/** Integers low, low+step, ..., high (high is the top grid point). */
export interface IntDomain {
  readonly type: "int";
  readonly low: number;
  readonly high: number;
  readonly step: number;
  readonly log: boolean;
}

export interface ChoiceDomain {
  readonly type: "choice";
  readonly options: readonly Scalar[];
  /**
   * Each option's label as declared (ChoiceOption.label), else the option's
   * value as text: what people and every client call it.
   */
  readonly labels: readonly string[];
  /** Prior probabilities, normalised to sum to 1. */
  readonly weights: Float64Array;
}

export type Domain = BoundedFloatDomain | NormalDomain | IntDomain | ChoiceDomain;

/** Where a conditional parameter hangs: active iff `param` is active and took `option`. */
export interface Condition {
  readonly parent: number;
  readonly option: number;
}

export interface ParamSpec {
  readonly name: string;
  /** Position in `Space.params` and in every configuration array. */
  readonly index: number;
  readonly declared: DeclaredKind;
  readonly domain: Domain;
  readonly condition: Condition | undefined;
}

export interface Space {
  readonly params: readonly ParamSpec[];
  readonly byName: ReadonlyMap<string, ParamSpec>;
}

/** A configuration in internal values (see the module comment). */
export type Config = Float64Array;

/**
 * True when a parameter's condition holds given the values of earlier
 * parameters (an inactive parent holds NaN, which equals no option).
 */
export function conditionHolds(param: ParamSpec, config: Config): boolean {
  const c = param.condition;
  if (c === undefined) return true;
  return config[c.parent] === c.option;
}
