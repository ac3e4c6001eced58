/**
 * Choice option labels: what every client, the CLI and the dashboard call an
 * option, whatever its stored value (a Python dict option is stored as its
 * index and labelled by its "name"). An option without a declared label is
 * called by its value as text.
 */
import type { SearchSpace } from "./gen/parzen/v1/space.js";
import { fromValue, type ParamValue } from "./values.js";

/** Each choice parameter's option labels, by `optionKey` of the option's value. */
export type ChoiceLabels = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** Identity of an option as the server sees it: numbers by value, strings and booleans by themselves. */
export function optionKey(v: ParamValue): string {
  return `${typeof v === "number" ? "n" : typeof v === "string" ? "s" : "b"}:${String(v)}`;
}

/** An option's value as text ("adam", "32", "0.5", "true"): the label of an option that declares none. */
export function labelText(v: ParamValue): string {
  return String(v);
}

export function choiceLabels(space: SearchSpace | undefined): ChoiceLabels {
  const out = new Map<string, Map<string, string>>();
  const walk = (params: SearchSpace["parameters"]): void => {
    for (const p of params) {
      if (p.domain?.$case !== "choice") continue;
      const labels = new Map<string, string>();
      for (const o of p.domain.value.options) {
        const v = fromValue(o.value);
        if (v !== undefined) labels.set(optionKey(v), o.label ? o.label : labelText(v));
        walk(o.children);
      }
      out.set(p.name, labels);
    }
  };
  walk(space?.parameters ?? []);
  return out;
}

/** The labels of the chosen options of the active choice parameters among `params`. */
export function labelsOf(params: Readonly<Record<string, ParamValue>>, known: ChoiceLabels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(params)) {
    const options = known.get(name);
    if (options !== undefined) out[name] = options.get(optionKey(v)) ?? labelText(v);
  }
  return out;
}
