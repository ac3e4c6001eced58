/**
 * TPE options: names, validation and defaults. Defaults start from Watanabe
 * 2023 ("Tree-structured Parzen Estimator: Understanding Its Algorithm
 * Components"), which beat Optuna's defaults: multivariate kernels, EI
 * weights for the good set, prior weight 1, bandwidth floor 0.03·R with
 * magic-clip exponent 2, 24 candidates, 10 startup trials; plus constant
 * liar and per-branch groups for conditional spaces. Two choices differ,
 * measured with bench/tpe-quick.ts over 40 seeds: the linear split uses
 * β = 0.1 (not 0.15; with EI weights the smaller good set was better on 6
 * of 8 problems), int/quantized kernels are at least one grid cell wide,
 * and categorical kernels are smoothed three times as much as Optuna's.
 * Issue 21 (deceptive landscapes, bench/RESULTS.md): 20 startup trials, a
 * good set of at most 6 and a prior weight of 3, so a narrow basin far from
 * a broad plateau is still found; the protocol's ranking was kept. Those
 * made long runs stall (after ~100 trials suggestions drifted to the prior),
 * so past ~100 trials l/g far from every trial is bounded by 10
 * (definition version 5); it does not act before ~100 trials, so the
 * deceptive and 100-trial figures are unchanged. A good-set cap that grows
 * with N (gamma_cap_growth) helps long runs more but is off by default: it
 * costs the one-trip loop its suggestion computed ahead (bench/RESULTS.md).
 * A narrow optimum beside the good set's region (needle_cliff) was still
 * missed: l(x)'s outermost kernels now reach 1/d² of the way to the domain
 * edge (hyperopt's endpoint rule, scaled down with the group's size;
 * definition version 6), and since definition version 8 only in groups of
 * one or two parameters: in groups of three to five the partial reach cost
 * the final refinement more than it found (bench/RESULTS.md, tpe6).
 */
import { z } from "zod";
import type { Scalar } from "../../space/types.js";
import { parseOptionsWith } from "../options.js";

const schema = z
  .strictObject({
    /** Prior samples until this many trials are COMPLETE or PRUNED. */
    n_startup_trials: z.number().int().min(0).max(1_000_000).default(20),
    /** Candidates drawn from l(x) per suggestion; the one maximising l/g wins. */
    n_ei_candidates: z.number().int().min(1).max(10_000).default(24),
    /** Size of the good set: "linear" min(⌈β·N⌉, cap) or "sqrt" min(⌈β·√N⌉, cap). */
    gamma: z.enum(["linear", "sqrt"]).default("linear"),
    gamma_beta: z.number().gt(0).max(100).default(0.1),
    gamma_cap: z.number().int().min(1).max(1_000_000).default(6),
    /**
     * The cap rises to ⌈growth·N⌉ once that passes gamma_cap (linear γ only:
     * the cap never exceeds ⌈β·N⌉), so a long run's good set stays the best
     * fraction instead of the best 6 (0.05 improves long runs further, but a
     * large good set takes in most reported trials, so a lone one-trip
     * worker's suggestion computed ahead is rarely usable: off by default).
     */
    gamma_cap_growth: z.number().min(0).max(1).default(0),
    /** Weight of the prior kernel relative to one observation (EI: to the mean weight). */
    prior_weight: z.number().min(0).max(1e6).default(3),
    /**
     * Largest l(x)/g(x) far from every trial, where only the two prior
     * kernels are left (0: no bound). The prior's share of l(x) stays fixed
     * while its share of g(x) shrinks as the bad set grows, so without a
     * bound that ratio grows like (n_bad + w)/(n_good + w) and a long run
     * ends up drawing from the prior; g's prior weight is raised to keep it.
     */
    far_field_bound: z.number().min(0).max(1e6).default(10),
    /**
     * Smoothing of categorical kernels: each observed option's kernel spreads
     * weight·C/(n+1) pseudo-counts over all C options in proportion to the
     * choice weights (Optuna's adaptive rule, which uses 1). 3 keeps trying
     * other branches of a conditional space longer: the conditional
     * benchmark was solved in 27 of 40 seeds instead of 19 (8 gave 38 of 40
     * but flattens choices with many options too much).
     */
    categorical_prior_weight: z.number().min(0).max(1e6).default(3),
    /** Joint kernels over all parameters of a group (false: every parameter alone). */
    multivariate: z.boolean().default(true),
    /** Model every conditional branch as its own joint group (false: branch parameters univariate). */
    group: z.boolean().default(true),
    /** Rank a conditional branch's trials among themselves ("local") or against all trials ("global", Optuna/hyperopt). */
    branch_split: z.enum(["local", "global"]).default("local"),
    /** Count RUNNING trials in the bad set so parallel workers spread out. */
    constant_liar: z.boolean().default(true),
    /** Raise the bandwidth floor to R·(n+2)^(−exponent) for small n. */
    consider_magic_clip: z.boolean().default(true),
    magic_clip_exponent: z.number().gt(0).max(100).default(2),
    /** Lowest bandwidth as a fraction of the range R (for normal domains, of the prior σ). */
    bandwidth_floor: z.number().min(0).max(1).default(0.03),
    /**
     * Least bandwidth of an int or quantized parameter's kernel, in widths of
     * its own grid cell: narrower kernels put almost no mass on neighbouring
     * values, so the search could not step off a good grid point.
     */
    grid_bandwidth_floor: z.number().min(0).max(100).default(1),
    /** Let the outermost kernels use their gap to the domain edge too. */
    consider_endpoints: z.boolean().default(false),
    /**
     * l(x) only: its outermost kernels in each dimension reach this share of
     * the gap to the domain edge, divided by d² for a group of d parameters
     * (0: off; consider_endpoints: l and g, the full gap). Lets the good set's
     * spread extend past its outermost trials, so a narrow optimum beside
     * the region the good trials hold is still drawn (issue 21, needle_cliff).
     */
    good_endpoint_reach: z.number().min(0).max(1).default(1),
    /**
     * The reach acts only in groups of at most this many parameters (0: any
     * size). In groups of 3–5 its 1/9–1/25 of the gap took the final
     * refinement of smooth problems (mixed, deceptive3d) over 80 seeds
     * (bench/RESULTS.md, branch tpe6); from 6 on it is below the floor anyway.
     */
    good_endpoint_max_params: z.number().int().min(0).max(1_000_000).default(2),
    /** Good-set weights: expected improvement over the split threshold, uniform, or hyperopt's age decay. */
    weights: z.enum(["ei", "uniform", "old_decay"]).default("ei"),
    /** Bad-set weights. */
    weights_bad: z.enum(["uniform", "old_decay"]).default("uniform"),
    /**
     * Constraints: "density" multiplies the acquisition by a feasibility
     * density ratio per constraint (c-TPE, constraint-model.ts) on top of the
     * feasible-first split; "split" uses the split alone (Optuna's TPE).
     */
    constraint_model: z.enum(["density", "split"]).default("density"),
    /**
     * With constraints or several objectives, when fewer good-set places are
     * left than there are feasible PRUNED trials: "ranked" gives them to the
     * ones split.ts ranks first (further, then better); "by_number" to the
     * lowest-numbered of its top ones, as before definition version 9.
     */
    pruned_fill: z.enum(["ranked", "by_number"]).default("ranked"),
  })
  .superRefine((o, ctx) => {
    if (o.far_field_bound > 0 && o.far_field_bound < 1) {
      ctx.addIssue({
        code: "custom",
        path: ["far_field_bound"],
        message: `must be 0 (no bound) or >= 1, got ${o.far_field_bound}`,
      });
    }
    if (o.gamma === "linear" && o.gamma_beta > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["gamma_beta"],
        message: `must be <= 1 with gamma "linear", got ${o.gamma_beta}`,
      });
    }
  });

export type TpeOptions = z.infer<typeof schema>;

export function parseTpeOptions(raw: Readonly<Record<string, Scalar>>): TpeOptions {
  return parseOptionsWith("tpe", schema, raw);
}

/** All defaults, for callers (bench, tests) that build options in code. */
export const DEFAULT_TPE_OPTIONS: TpeOptions = parseTpeOptions({});
