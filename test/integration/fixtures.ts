/** Small builders for requests used across the integration tests. */
import type { Parameter, SearchSpace, Value } from "@parzen/client/gen/parzen/v1/space";

export const uniform = (name: string, low: number, high: number): Parameter => ({
  name,
  domain: { $case: "uniform", value: { low, high } },
});
export const logUniform = (name: string, low: number, high: number): Parameter => ({
  name,
  domain: { $case: "logUniform", value: { low, high } },
});
export const intRange = (name: string, low: number, high: number, step = 1, log = false): Parameter => ({
  name,
  domain: { $case: "intRange", value: { low, high, step, log } },
});
export const str = (value: string): Value => ({ kind: { $case: "stringValue", value } });
export const num = (value: number): Value => ({ kind: { $case: "doubleValue", value } });
export const int = (value: number): Value => ({ kind: { $case: "intValue", value } });
export const bool = (value: boolean): Value => ({ kind: { $case: "boolValue", value } });
export const choice = (
  name: string,
  options: { value: Value; children?: Parameter[]; label?: string }[],
  weights: number[] = [],
): Parameter => ({
  name,
  domain: {
    $case: "choice",
    value: {
      options: options.map((o) => ({
        value: o.value,
        children: o.children ?? [],
        ...(o.label === undefined ? {} : { label: o.label }),
      })),
      weights,
    },
  },
});

/** A conditional space: optimizer ∈ {sgd (with momentum), adam}, lr log-uniform, layers int. */
export function mixedSpace(): SearchSpace {
  return {
    parameters: [
      logUniform("lr", 1e-5, 1),
      intRange("layers", 1, 8),
      choice("optimizer", [{ value: str("sgd"), children: [uniform("momentum", 0, 0.99)] }, { value: str("adam") }]),
    ],
  };
}

export function plain(v: Value | undefined): unknown {
  return v?.kind?.value;
}
