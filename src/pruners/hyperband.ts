/**
 * Hyperband: several successive-halving brackets with different early-stopping
 * rates, trials spread over brackets deterministically (CRC-32 of
 * experiment name and trial number) in proportion to each bracket's budget.
 * A trial competes only with trials of its own bracket. Unlike Optuna, the
 * sampler still sees every trial (documented in the README).
 */
import { crc32 } from "node:zlib";
import { z } from "zod";
import { parseOptionsWith } from "../algorithms/options.js";
import { invalidArgument } from "../errors.js";
import { successiveHalvingDecision } from "./successive-halving.js";
import { maxCompletedStep, type Pruner, type PruneInput } from "./types.js";

const schema = z.strictObject({
  min_resource: z.number().int().min(1).default(1),
  max_resource: z.union([z.literal("auto"), z.number().int().min(1)]).default("auto"),
  reduction_factor: z.number().int().min(2).default(3),
  bootstrap_count: z.number().int().min(0).default(0),
});

export type HyperbandOptions = z.infer<typeof schema>;

export function bracketCount(minResource: number, maxResource: number, eta: number): number {
  return Math.floor(Math.log(maxResource / minResource) / Math.log(eta) + 1e-9) + 1;
}

/** Budget of bracket i: brackets that stop earlier get more trials. */
export function bracketBudget(i: number, brackets: number, eta: number): number {
  const s = brackets - 1 - i;
  return Math.ceil((brackets * eta ** s) / (s + 1));
}

export function bracketOf(experiment: string, trialNumber: number, brackets: number, eta: number): number {
  const budgets = Array.from({ length: brackets }, (_, i) => bracketBudget(i, brackets, eta));
  const total = budgets.reduce((a, b) => a + b, 0);
  let h = crc32(`${experiment}_${trialNumber}`) % total;
  for (let i = 0; i < brackets; i++) {
    if (h < budgets[i]!) return i;
    h -= budgets[i]!;
  }
  return brackets - 1;
}

export const hyperbandPruner: Pruner<HyperbandOptions> = {
  name: "hyperband",
  parseOptions: (raw) => {
    const o = parseOptionsWith("pruner hyperband", schema, raw);
    if (o.max_resource !== "auto" && o.max_resource < o.min_resource) {
      throw invalidArgument(
        `pruner hyperband options: "max_resource" (${o.max_resource}) must be >= "min_resource" (${o.min_resource})`,
      );
    }
    return o;
  },
  shouldPrune({ trial, step, trials, options, experiment }: PruneInput<HyperbandOptions>): boolean {
    const maxResource = options.max_resource === "auto" ? maxCompletedStep(trials) : options.max_resource;
    if (maxResource === undefined || maxResource < options.min_resource) return false;
    const eta = options.reduction_factor;
    const brackets = bracketCount(options.min_resource, maxResource, eta);
    const mine = bracketOf(experiment, trial.number, brackets, eta);
    const peers = trials.filter((t) => bracketOf(experiment, t.number, brackets, eta) === mine);
    return successiveHalvingDecision(trial, step, peers, options.min_resource, {
      reduction_factor: eta,
      min_early_stopping_rate: mine,
      bootstrap_count: options.bootstrap_count,
    });
  },
};
