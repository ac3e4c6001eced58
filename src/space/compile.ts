/**
 * Validates a proto SearchSpace and flattens it into the `Space` model.
 * Every problem is reported as INVALID_ARGUMENT naming the parameter and the
 * field, so a user can fix the request without reading server code.
 */
import { invalidArgument } from "../errors.js";
import { checkName as checkNameCharacters } from "./names.js";
import type { Parameter, SearchSpace, Value } from "@parzen/client/gen/parzen/v1/space";
import { cleanFloat, gridTopIndex } from "./grid.js";
import type { DeclaredKind, Domain, Scalar, Space } from "./types.js";
import { scalarFromValue, scalarKey } from "./values.js";

export interface SpaceLimits {
  maxParameters: number;
  maxDepth: number;
  maxChoiceOptions: number;
  maxNameLength: number;
  maxStringLength: number;
  /**
   * Refuse control, bidirectional and replacement characters in names
   * (names.ts). On for new experiments; absent for stored ones, which load
   * with the rules they were created under.
   */
  strictNames?: boolean;
}

export const DEFAULT_SPACE_LIMITS: SpaceLimits = {
  maxParameters: 1000,
  maxDepth: 32,
  maxChoiceOptions: 10_000,
  maxNameLength: 200,
  maxStringLength: 1000,
  strictNames: true,
};

interface MutableParam {
  name: string;
  index: number;
  declared: DeclaredKind;
  domain: Domain;
  condition: { parent: number; option: number } | undefined;
}

export function compileSpace(proto: SearchSpace | undefined, limits: SpaceLimits = DEFAULT_SPACE_LIMITS): Space {
  if (proto === undefined || proto.parameters.length === 0) {
    throw invalidArgument("space: must declare at least one parameter");
  }
  const params: MutableParam[] = [];
  const byName = new Map<string, MutableParam>();

  const visit = (
    list: readonly Parameter[],
    depth: number,
    condition: MutableParam["condition"],
    where: string,
  ): void => {
    if (depth > limits.maxDepth) {
      throw invalidArgument(`${where}: conditional nesting deeper than ${limits.maxDepth} levels`);
    }
    for (const p of list) {
      if (params.length >= limits.maxParameters) {
        throw invalidArgument(`space: more than ${limits.maxParameters} parameters`);
      }
      const name = checkName(p.name, limits, where);
      if (byName.has(name))
        throw invalidArgument(`parameter "${name}": duplicate name (names must be unique across the whole space)`);
      const { declared, domain } = compileDomain(p, name, limits);
      const spec: MutableParam = { name, index: params.length, declared, domain, condition };
      params.push(spec);
      byName.set(name, spec);
      if (p.domain?.$case === "choice") {
        p.domain.value.options.forEach((opt, i) => {
          if (opt.children.length > 0) {
            visit(opt.children, depth + 1, { parent: spec.index, option: i }, `parameter "${name}" option ${i}`);
          }
        });
      }
    }
  };
  visit(proto.parameters, 0, undefined, "space");
  return { params, byName };
}

function checkName(raw: string, limits: SpaceLimits, where: string): string {
  if (raw.length === 0) throw invalidArgument(`${where}: a parameter has an empty name`);
  if (raw.length > limits.maxNameLength) {
    throw invalidArgument(
      `${where}: parameter name "${raw.slice(0, 40)}…" is longer than ${limits.maxNameLength} characters`,
    );
  }
  if (limits.strictNames === true) checkNameCharacters(raw, where, "parameter name");
  return raw;
}

function finite(name: string, field: string, x: number): number {
  if (!Number.isFinite(x)) throw invalidArgument(`parameter "${name}": ${field} must be finite, got ${x}`);
  return x;
}

function checkRange(name: string, low: number, high: number, log: boolean): void {
  finite(name, "low", low);
  finite(name, "high", high);
  if (!(low < high)) throw invalidArgument(`parameter "${name}": low (${low}) must be less than high (${high})`);
  if (log && !(low > 0)) throw invalidArgument(`parameter "${name}": a log domain needs low > 0, got low = ${low}`);
}

function checkStep(name: string, field: string, q: number, range: number | undefined): number {
  finite(name, field, q);
  if (!(q > 0)) throw invalidArgument(`parameter "${name}": ${field} must be > 0, got ${q}`);
  if (range !== undefined && q > range) {
    throw invalidArgument(`parameter "${name}": ${field} (${q}) is larger than the range high − low (${range})`);
  }
  return q;
}

function checkSigma(name: string, mu: number, sigma: number): void {
  finite(name, "mu", mu);
  finite(name, "sigma", sigma);
  if (!(sigma > 0)) throw invalidArgument(`parameter "${name}": sigma must be > 0, got ${sigma}`);
}

function compileDomain(p: Parameter, name: string, limits: SpaceLimits): { declared: DeclaredKind; domain: Domain } {
  const d = p.domain;
  if (d === undefined) throw invalidArgument(`parameter "${name}": no domain set (uniform, log_uniform, ..., choice)`);
  switch (d.$case) {
    case "uniform":
    case "logUniform": {
      const log = d.$case === "logUniform";
      checkRange(name, d.value.low, d.value.high, log);
      return {
        declared: log ? "log_uniform" : "uniform",
        domain: { type: "float", low: d.value.low, high: d.value.high, log, step: undefined },
      };
    }
    case "qUniform":
    case "qLogUniform": {
      const log = d.$case === "qLogUniform";
      const { low, high, q } = d.value;
      checkRange(name, low, high, log);
      checkStep(name, "q", q, high - low);
      const top = cleanFloat(low + gridTopIndex(low, high, q) * q);
      return {
        declared: log ? "q_log_uniform" : "q_uniform",
        domain: { type: "float", low, high: Math.min(top, high), log, step: q },
      };
    }
    case "normal":
    case "logNormal": {
      const log = d.$case === "logNormal";
      checkSigma(name, d.value.mu, d.value.sigma);
      return {
        declared: log ? "log_normal" : "normal",
        domain: { type: "normal", mu: d.value.mu, sigma: d.value.sigma, log, step: undefined },
      };
    }
    case "qNormal":
    case "qLogNormal": {
      const log = d.$case === "qLogNormal";
      checkSigma(name, d.value.mu, d.value.sigma);
      const step = checkStep(name, "q", d.value.q, undefined);
      return {
        declared: log ? "q_log_normal" : "q_normal",
        domain: { type: "normal", mu: d.value.mu, sigma: d.value.sigma, log, step },
      };
    }
    case "intRange": {
      const { low, high, log } = d.value;
      const step = d.value.step === 0 ? 1 : d.value.step;
      if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
        throw invalidArgument(`parameter "${name}": int bounds must be within ±2^53`);
      }
      if (!(low < high)) throw invalidArgument(`parameter "${name}": low (${low}) must be less than high (${high})`);
      if (step < 0) throw invalidArgument(`parameter "${name}": step must be > 0, got ${step}`);
      if (step > high - low)
        throw invalidArgument(
          `parameter "${name}": step (${step}) is larger than the range high − low (${high - low})`,
        );
      if (log && step !== 1) throw invalidArgument(`parameter "${name}": a log int domain needs step = 1, got ${step}`);
      if (log && low < 1) throw invalidArgument(`parameter "${name}": a log int domain needs low >= 1, got ${low}`);
      const top = low + gridTopIndex(low, high, step) * step;
      return { declared: "int", domain: { type: "int", low, high: top, step, log } };
    }
    case "choice": {
      const { options, weights } = d.value;
      if (options.length === 0) throw invalidArgument(`parameter "${name}": choice has no options`);
      if (options.length > limits.maxChoiceOptions) {
        throw invalidArgument(`parameter "${name}": choice has more than ${limits.maxChoiceOptions} options`);
      }
      const seen = new Set<string>();
      const scalars: Scalar[] = options.map((o, i) => {
        const s = optionScalar(name, i, o.value, limits);
        const key = scalarKey(s);
        if (seen.has(key)) throw invalidArgument(`parameter "${name}": duplicate choice option ${formatScalar(s)}`);
        seen.add(key);
        return s;
      });
      const labels = options.map((o, i) => optionLabel(name, i, o.label, scalars[i]!, limits));
      const declaredLabels = options.map((o) => o.label ?? "").filter((l) => l !== "");
      if (new Set(declaredLabels).size !== declaredLabels.length) {
        const dup = declaredLabels.find((l, i) => declaredLabels.indexOf(l) !== i)!;
        throw invalidArgument(
          `parameter "${name}": two options have the label ${JSON.stringify(dup)} (labels are unique)`,
        );
      }
      return {
        declared: "choice",
        domain: {
          type: "choice",
          options: scalars,
          labels,
          weights: normaliseWeights(name, weights, options.length),
        },
      };
    }
  }
}

function optionScalar(name: string, i: number, v: Value | undefined, limits: SpaceLimits): Scalar {
  const s = v === undefined ? undefined : scalarFromValue(v);
  if (s === undefined) throw invalidArgument(`parameter "${name}": choice option ${i} has no value`);
  if (s.kind === "double" && !Number.isFinite(s.value)) {
    throw invalidArgument(`parameter "${name}": choice option ${i} must be finite, got ${s.value}`);
  }
  if (s.kind === "string" && s.value.length > limits.maxStringLength) {
    throw invalidArgument(
      `parameter "${name}": choice option ${i} is longer than ${limits.maxStringLength} characters`,
    );
  }
  return s;
}

/** The option's label: the declared one, checked, or its value as text. */
function optionLabel(name: string, i: number, label: string | undefined, value: Scalar, limits: SpaceLimits): string {
  if (label === undefined || label === "") return String(value.value);
  if (label.length > limits.maxStringLength) {
    throw invalidArgument(
      `parameter "${name}": the label of choice option ${i} is longer than ${limits.maxStringLength} characters`,
    );
  }
  if (limits.strictNames === true) checkNameCharacters(label, `parameter "${name}" option ${i}`, "label");
  return label;
}

function normaliseWeights(name: string, weights: readonly number[], n: number): Float64Array {
  const out = new Float64Array(n);
  if (weights.length === 0) return out.fill(1 / n);
  if (weights.length !== n) {
    throw invalidArgument(
      `parameter "${name}": ${weights.length} weights for ${n} options (give one weight per option, or none)`,
    );
  }
  let sum = 0;
  weights.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0)
      throw invalidArgument(`parameter "${name}": weight ${i} must be finite and >= 0, got ${w}`);
    sum += w;
  });
  if (!(sum > 0)) throw invalidArgument(`parameter "${name}": weights must sum to a positive number`);
  weights.forEach((w, i) => {
    out[i] = w / sum;
  });
  return out;
}

export function formatScalar(s: Scalar): string {
  return s.kind === "string" ? JSON.stringify(s.value) : String(s.value);
}
