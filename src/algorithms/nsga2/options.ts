/**
 * NSGA-II options: names, validation and defaults, as Optuna's
 * NSGAIISampler spells them. Operator parameters (alpha, eta, epsilon,
 * sigma_xi, sigma_eta) are accepted only with the operator they belong to,
 * so a typo in `crossover` cannot silently leave them unused.
 */
import { z } from "zod";
import type { Scalar } from "../../space/types.js";
import { parseOptionsWith } from "../options.js";

/** Parents each crossover operator combines (Optuna's n_parents). */
export const PARENTS = { uniform: 2, blxalpha: 2, sbx: 2, spx: 3, undx: 3 } as const;

export type CrossoverName = keyof typeof PARENTS;

/** Which operator each operator-specific option belongs to. */
const OPERATOR_OF = {
  alpha: "blxalpha",
  eta: "sbx",
  epsilon: "spx",
  sigma_xi: "undx",
  sigma_eta: "undx",
} as const satisfies Record<string, CrossoverName>;

const schema = z
  .strictObject({
    /** Trials per generation; the first generation is drawn from the prior. */
    population_size: z.number().int().min(2).max(100_000).default(50),
    crossover: z.enum(["uniform", "blxalpha", "sbx", "spx", "undx"]).default("uniform"),
    /** Chance that a child is a crossover of its parents rather than a copy of the first. */
    crossover_prob: z.number().min(0).max(1).default(0.9),
    /** Chance, per parameter, that uniform crossover takes the second parent's value (also for choices under every operator). */
    swapping_prob: z.number().min(0).max(1).default(0.5),
    /** Chance, per parameter, of a fresh draw from the prior; absent: 1 / the number of parameters. */
    mutation_prob: z.number().min(0).max(1).optional(),
    /** blxalpha: how far beyond the parents' interval a child may land, as a fraction of it (default 0.5). */
    alpha: z.number().min(0).max(100).optional(),
    /** sbx: distribution index; larger keeps children nearer their parents (default 2, 20 with several objectives). */
    eta: z.number().gt(0).max(1000).optional(),
    /** spx: expansion rate of the parents' simplex (default √(n + 2) for n numeric parameters). */
    epsilon: z.number().gt(0).max(1000).optional(),
    /** undx: standard deviation along the line through the first two parents (default 0.5). */
    sigma_xi: z.number().gt(0).max(100).optional(),
    /** undx: standard deviation across that line (default 0.35 / √n for n numeric parameters). */
    sigma_eta: z.number().gt(0).max(100).optional(),
  })
  .superRefine((o, ctx) => {
    for (const [option, operator] of Object.entries(OPERATOR_OF)) {
      if (o[option as keyof typeof OPERATOR_OF] !== undefined && o.crossover !== operator) {
        ctx.addIssue({
          code: "custom",
          path: [option],
          message: `applies to crossover "${operator}" only, but crossover is "${o.crossover}"`,
        });
        return;
      }
    }
    const parents = PARENTS[o.crossover];
    if (o.population_size < parents) {
      ctx.addIssue({
        code: "custom",
        path: ["population_size"],
        message: `must be at least ${parents} (the parents crossover "${o.crossover}" combines), got ${o.population_size}`,
      });
    }
  });

export type Nsga2Options = z.infer<typeof schema>;

export function parseNsga2Options(raw: Readonly<Record<string, Scalar>>): Nsga2Options {
  return parseOptionsWith("nsga2", schema, raw);
}
