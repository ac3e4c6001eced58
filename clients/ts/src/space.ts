/**
 * The search-space builder. Each function returns a `Param` wrapping the
 * proto `Parameter`; the server does the real validation (and its messages
 * name the parameter), so the client only rejects what could not even be
 * encoded. Bounds are natural units everywhere: `logUniform("lr", 1e-5, 1)`
 * is [1e-5, 1], unlike hyperopt's log-space bounds.
 */
import { invalid } from "./errors.js";
import type { Parameter, SearchSpace } from "./gen/parzen/v1/space.js";
import { toValue, type ParamValue } from "./values.js";

/** One named parameter of a search space. */
export class Param {
  constructor(readonly proto: Parameter) {}
  get name(): string {
    return this.proto.name;
  }
}

/** A choice option with child parameters that exist only when it is chosen. */
export class When {
  constructor(
    readonly value: ParamValue,
    readonly children: readonly Param[],
  ) {}
}

/** A choice option: a plain value, or `when(value, ...children)`. */
export type ChoiceOption = ParamValue | When;

/** Conditional children for a choice option, to any depth: `choice("opt", [when("sgd", uniform("momentum", 0, 0.99)), "adam"])`. */
export function when(value: ParamValue, ...children: Param[]): When {
  return new When(value, children);
}

/** Uniform on [low, high]. */
export function uniform(name: string, low: number, high: number): Param {
  return new Param({ name, domain: { $case: "uniform", value: { low, high } } });
}

/** Log-uniform on [low, high], low > 0 (natural units). */
export function logUniform(name: string, low: number, high: number): Param {
  return new Param({ name, domain: { $case: "logUniform", value: { low, high } } });
}

/** Uniform on the grid low, low+q, ... <= high. */
export function qUniform(name: string, low: number, high: number, q: number): Param {
  return new Param({ name, domain: { $case: "qUniform", value: { low, high, q } } });
}

/** Log-uniform rounded to the grid low, low+q, ... <= high. */
export function qLogUniform(name: string, low: number, high: number, q: number): Param {
  return new Param({ name, domain: { $case: "qLogUniform", value: { low, high, q } } });
}

/** Normal(mu, sigma), unbounded. */
export function normal(name: string, mu: number, sigma: number): Param {
  return new Param({ name, domain: { $case: "normal", value: { mu, sigma } } });
}

/** exp(Normal(mu, sigma)): mu and sigma are for log(value), as in hyperopt. */
export function logNormal(name: string, mu: number, sigma: number): Param {
  return new Param({ name, domain: { $case: "logNormal", value: { mu, sigma } } });
}

/** Normal(mu, sigma) rounded to a multiple of q. */
export function qNormal(name: string, mu: number, sigma: number, q: number): Param {
  return new Param({ name, domain: { $case: "qNormal", value: { mu, sigma, q } } });
}

/** exp(Normal(mu, sigma)) rounded to a multiple of q. */
export function qLogNormal(name: string, mu: number, sigma: number, q: number): Param {
  return new Param({ name, domain: { $case: "qLogNormal", value: { mu, sigma, q } } });
}

/** Integers low, low+step, ... <= high; `log` (step 1, low >= 1) makes the prior log-uniform. */
export function int(name: string, low: number, high: number, opts: { step?: number; log?: boolean } = {}): Param {
  const step = opts.step ?? 1;
  for (const [what, x] of [
    ["low", low],
    ["high", high],
    ["step", step],
  ] as const) {
    // int64 fields: a fraction would be silently truncated on the wire.
    if (!Number.isSafeInteger(x)) throw invalid(`parameter "${name}": ${what} must be an integer, got ${x}`);
  }
  return new Param({ name, domain: { $case: "intRange", value: { low, high, step, log: opts.log ?? false } } });
}

/** One of `options` (strings, numbers, booleans, or `when(...)`), uniformly or with `weights` (hyperopt's pchoice). */
export function choice(
  name: string,
  options: readonly ChoiceOption[],
  opts: { weights?: readonly number[] } = {},
): Param {
  return new Param({
    name,
    domain: {
      $case: "choice",
      value: {
        options: options.map((o, i) => {
          const where = `parameter "${name}": option ${i}`;
          return o instanceof When
            ? { value: toValue(o.value, where), children: o.children.map((c) => c.proto) }
            : { value: toValue(o, where), children: [] };
        }),
        weights: [...(opts.weights ?? [])],
      },
    },
  });
}

/** The proto `SearchSpace` of a list of parameters. */
export function toSearchSpace(params: readonly Param[]): SearchSpace {
  return {
    parameters: params.map((p, i) => {
      if (!(p instanceof Param))
        throw invalid(`space: entry ${i} is not a parameter (build it with uniform(), int(), choice(), ...)`);
      return p.proto;
    }),
  };
}
