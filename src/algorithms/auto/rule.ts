/**
 * `auto`'s rule: which algorithm proposes an experiment's next trial, as a
 * pure function of (space, the experiment's settings, its history, the
 * options). Nothing is stored or remembered, so every server, a restarted
 * one included, makes the same choice for the same trial.
 *
 * Like Optuna's AutoSampler (TPE for categorical or conditional spaces and
 * several objectives, GP while the completed trials are few, CMA-ES after
 * them) and Vizier's default designer (a GP bandit for flat spaces), with its own
 * thresholds, measured on the protocol (bench/RESULTS.md, issue 21 `auto`):
 *
 * | when                                                   | algorithm |
 * |--------------------------------------------------------|-----------|
 * | several objectives                                     | tpe       |
 * | a conditional parameter (inside a choice option)       | tpe       |
 * | a trial reported constraints, `gp_constraints` off     | tpe       |
 * | more than `gp_max_params` parameters                   | tpe       |
 * | fewer than `gp_trials` trials finished                 | gp        |
 * | after that, a trial reported constraints               | tpe       |
 * | after that, no choice parameter, `cmaes_after_gp` on   | cmaes     |
 * | after that                                             | tpe       |
 *
 * "Finished": COMPLETE or PRUNED, the trials a model learns from. The GP
 * phase ends on a count of the history, never on a clock or a server's
 * memory, so the switch happens at the same trial wherever it is computed.
 */
import type { Space } from "../../space/types.js";
import type { Observation } from "../types.js";

/** The algorithms `auto` composes. */
export type AutoAlgorithm = "gp" | "tpe" | "cmaes";

/** What the rule reads of the experiment's definition. */
export interface AutoSettings {
  /** The experiment's objectives (1 for a single-objective one). */
  readonly objectives: number;
}

export interface AutoOptions {
  /** Finished trials below which the GP proposes (0: never the GP). */
  readonly gp_trials: number;
  /** Spaces with more parameters never use the GP (its fit grows with them). */
  readonly gp_max_params: number;
  /** After the GP phase, a space without choice parameters goes to CMA-ES (warm-started from the GP's trials) rather than TPE. */
  readonly cmaes_after_gp: boolean;
  /**
   * Constrained experiments keep the GP phase (its logCEI models each constraint) rather than going straight to
   * c-TPE; CMA-ES ignores constraints, so after the GP they go to TPE.
   */
  readonly gp_constraints: boolean;
}

export interface AutoChoice {
  readonly algorithm: AutoAlgorithm;
  /** Why, in words a user reads in `parzen experiments describe`. */
  readonly reason: string;
}

/** The space's shape as the rule sees it; a function of the space alone, so callers may keep it. */
export interface SpaceShape {
  readonly params: number;
  readonly conditional: boolean;
  readonly choices: boolean;
}

export function spaceShape(space: Space): SpaceShape {
  return {
    params: space.params.length,
    conditional: space.params.some((p) => p.condition !== undefined),
    choices: space.params.some((p) => p.domain.type === "choice"),
  };
}

/** Finished (COMPLETE or PRUNED) trials, and whether any trial reported constraints. */
export function historyFacts(history: readonly Observation[]): { finished: number; constrained: boolean } {
  let finished = 0;
  let constrained = false;
  for (const o of history) {
    if (o.state === "complete" || o.state === "pruned") finished++;
    if (o.constraints !== undefined) constrained = true;
  }
  return { finished, constrained };
}

/** The rule of the module comment, row by row. */
export function autoChoice(
  shape: SpaceShape,
  settings: AutoSettings,
  facts: { finished: number; constrained: boolean },
  options: AutoOptions,
): AutoChoice {
  if (settings.objectives > 1) return { algorithm: "tpe", reason: `${settings.objectives} objectives: TPE` };
  if (shape.conditional) return { algorithm: "tpe", reason: "conditional parameters: TPE" };
  if (facts.constrained && !options.gp_constraints)
    return { algorithm: "tpe", reason: "trials report constraints: TPE" };
  if (shape.params > options.gp_max_params)
    return { algorithm: "tpe", reason: `${shape.params} parameters (GP up to ${options.gp_max_params}): TPE` };
  if (facts.finished < options.gp_trials) {
    const phase = `${facts.finished} of the GP phase's ${options.gp_trials} finished trials`;
    return {
      algorithm: "gp",
      reason: facts.constrained ? `${phase}, constraints reported: GP (logCEI)` : `${phase}: GP`,
    };
  }
  if (facts.constrained)
    return { algorithm: "tpe", reason: `${facts.finished} finished trials, constraints reported: TPE after the GP` };
  if (!shape.choices && options.cmaes_after_gp)
    return {
      algorithm: "cmaes",
      reason: `${facts.finished} finished trials, no choice parameter: CMA-ES after the GP`,
    };
  return { algorithm: "tpe", reason: `${facts.finished} finished trials: TPE after the GP` };
}
