/** Pruners by name, as experiments refer to them. */
import { z } from "zod";
import { parseOptionsWith } from "../algorithms/options.js";
import { invalidArgument } from "../errors.js";
import { hyperbandPruner } from "./hyperband.js";
import { medianPruner, percentilePruner } from "./percentile.js";
import { successiveHalvingPruner } from "./successive-halving.js";
import { thresholdPruner } from "./threshold.js";
import type { Pruner } from "./types.js";

const nonePruner: Pruner<Record<string, never>> = {
  name: "none",
  parseOptions: (raw) => parseOptionsWith("pruner none", z.strictObject({}), raw),
  shouldPrune: () => false,
};

// biome-ignore lint/suspicious/noExplicitAny: each pruner has its own options type; callers pass what its parseOptions returned
const pruners = new Map<string, Pruner<any>>(
  [nonePruner, medianPruner, percentilePruner, successiveHalvingPruner, hyperbandPruner, thresholdPruner].map((p) => [
    p.name,
    p,
  ]),
);

export const DEFAULT_PRUNER = "none";

export function prunerNamed(name: string): Pruner<unknown> {
  const p = pruners.get(name === "" ? DEFAULT_PRUNER : name);
  if (p === undefined)
    throw invalidArgument(`pruner: unknown pruner "${name}" (known: ${[...pruners.keys()].sort().join(", ")})`);
  return p;
}
