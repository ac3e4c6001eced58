/**
 * Pruners decide ReportIntermediate's should_prune. Only "none" exists so
 * far; the registry shape lets median/ASHA/hyperband plug in without
 * touching the service.
 */
import { z } from "zod";
import { parseOptionsWith } from "../algorithms/options.js";
import { invalidArgument } from "../errors.js";
import type { Scalar } from "../space/types.js";

export interface Pruner<O = unknown> {
  readonly name: string;
  parseOptions(raw: Readonly<Record<string, Scalar>>): O;
}

const none: Pruner<Record<string, never>> = {
  name: "none",
  parseOptions: (raw) => parseOptionsWith("pruner none", z.strictObject({}), raw),
};

const pruners = new Map<string, Pruner<any>>([[none.name, none]]);

export const DEFAULT_PRUNER = "none";

export function pruneNamed(name: string): Pruner<unknown> {
  const p = pruners.get(name);
  if (p === undefined) throw invalidArgument(`pruner: unknown pruner "${name}" (known: ${[...pruners.keys()].sort().join(", ")})`);
  return p;
}
