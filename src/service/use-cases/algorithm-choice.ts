/**
 * Which algorithm proposes an experiment's next trial: its own, or for
 * `auto` the one the rule (algorithms/auto/rule.ts) picks from the space,
 * the settings and the history. Suggest runs the chosen one and stores its
 * name with the trial; GetExperiment shows the choice for the next trial.
 */
import { algorithmNamed } from "../../algorithms/registry.js";
import { type AutoOptions, autoChoice, historyFacts, spaceShape } from "../../algorithms/auto/rule.js";
import type { Observation } from "../../algorithms/types.js";
import type { ExperimentState } from "../state/experiment-state.js";
import type { DefinitionRules } from "./definition.js";

export interface AlgorithmChoice {
  readonly algorithm: string;
  /** Parsed options for `algorithm`. */
  readonly options: unknown;
  /** The rule's reason ("" when the experiment names its algorithm). */
  readonly reason: string;
}

/**
 * The composed algorithms' options: the defaults of the experiment's definition version (so an upgrade does not
 * change a phase of a search under way), parsed once per version and algorithm (parseOptions is pure).
 */
const phaseOptions = new Map<string, unknown>();

function optionsFor(rules: DefinitionRules, name: string): unknown {
  const key = `${rules.version}:${name}`;
  let o = phaseOptions.get(key);
  if (o === undefined) {
    o = algorithmNamed(name).parseOptions(rules.algorithmDefaults[name] ?? {});
    phaseOptions.set(key, o);
  }
  return o;
}

/** The choice for `exp`'s next trial given `history` (the history that trial is suggested from). */
export function choiceFor(exp: ExperimentState, history: readonly Observation[]): AlgorithmChoice {
  const def = exp.def;
  if (def.algorithm !== "auto") return { algorithm: def.algorithm, options: def.algorithmOptions, reason: "" };
  return resolved(exp, historyFacts(history));
}

/** The choice for `exp`'s next trial as it stands (GetExperiment): the same facts, read off its counts. */
export function currentChoice(exp: ExperimentState): AlgorithmChoice {
  const def = exp.def;
  if (def.algorithm !== "auto") return { algorithm: def.algorithm, options: def.algorithmOptions, reason: "" };
  return resolved(exp, {
    finished: exp.countOf("complete") + exp.countOf("pruned"),
    constrained: exp.constraintCount > 0,
  });
}

function resolved(exp: ExperimentState, facts: { finished: number; constrained: boolean }): AlgorithmChoice {
  const c = autoChoice(
    spaceShape(exp.space),
    { objectives: exp.def.objectives.length },
    facts,
    exp.def.algorithmOptions as AutoOptions,
  );
  return { algorithm: c.algorithm, options: optionsFor(exp.def.rules, c.algorithm), reason: c.reason };
}
