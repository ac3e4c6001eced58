/**
 * `algorithm: nsga2`: NSGA-II (Deb et al. 2002) as Optuna's NSGAIISampler
 * runs it, for one objective or several, with Deb's constrained domination
 * when trials report constraints.
 *
 * A suggestion for trial k of generation g = ⌊k / population_size⌋ ≥ 1 is
 * a child of parents drawn by crowded binary tournament from P(g), the
 * elitist population population.ts derives from the history; generation 0,
 * and any generation whose P(g) is still smaller than the operator's parent
 * count (nothing finished yet), is drawn from the prior. The child is built
 * by child.ts; one whose crossover coordinates leave the bounds, or that
 * repeats a configuration some trial already has, is drawn again with new
 * parents (at most MAX_ATTEMPTS times, then the last one, clipped, is kept).
 * A pure function of the space, the history and the trial's random stream:
 * the session only memoises populations.
 */
import type { Rng } from "../../math/rng.js";
import { samplePrior } from "../../space/prior.js";
import { type NumericScale, spaceScales } from "../../space/scale.js";
import type { Config, Space } from "../../space/types.js";
import { type Algorithm, type AlgorithmSession, contextOf, type Observation, type SuggestContext } from "../types.js";
import { type ChildContext, makeChild } from "./child.js";
import { type Coord, spaceCoords } from "./coords.js";
import { type Nsga2Options, PARENTS, parseNsga2Options } from "./options.js";
import { Populations, readingOf } from "./population.js";
import { rankAndCrowd, tournament } from "./selection.js";

const MAX_ATTEMPTS = 100;

export const nsga2: Algorithm<Nsga2Options> = {
  name: "nsga2",
  multiObjective: true,
  parseOptions: parseNsga2Options,
  open: (space, options): Nsga2Session => new Nsga2Session(space, options),
};

export class Nsga2Session implements AlgorithmSession {
  private readonly scales: readonly (NumericScale | undefined)[];
  private readonly coords: readonly (Coord | undefined)[];
  private readonly populations: Populations;

  constructor(
    private readonly space: Space,
    private readonly options: Nsga2Options,
  ) {
    this.scales = spaceScales(space);
    this.coords = spaceCoords(space);
    this.populations = new Populations(options.population_size);
  }

  /** The generation trial `trialNumber` belongs to. */
  generationOf(trialNumber: number): number {
    return this.populations.generationOf(trialNumber);
  }

  /** The trial numbers of generation g's parent population as the history stands (tests, diagnostics). */
  parentNumbers(g: number, history: readonly Observation[]): number[] {
    return this.populations.parentsOf(g, history).map((m) => m.obs.number);
  }

  suggest(history: readonly Observation[], rng: Rng, context?: SuggestContext): Config {
    const { trialNumber } = contextOf(history, context);
    const g = this.populations.generationOf(trialNumber);
    const nParents = PARENTS[this.options.crossover];
    const population = g === 0 ? [] : this.populations.parentsOf(g, history);
    if (population.length < nParents) return samplePrior(this.space, rng, this.scales);

    const ctx = this.childContext(readingOf(history).multi);
    const ranked = rankAndCrowd(population);
    let child: Config | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const taken = new Set<number>();
      const parents: Config[] = [];
      for (let j = 0; j < nParents; j++) {
        const i = tournament(ranked, taken, rng);
        taken.add(i);
        parents.push(population[i]!.obs.config);
      }
      const next = makeChild(ctx, parents, rng, attempt === MAX_ATTEMPTS);
      if (next === undefined) continue;
      child = next;
      if (!history.some((o) => sameConfig(o.config, next))) break;
    }
    return child!;
  }

  private childContext(multi: boolean): ChildContext {
    const o = this.options;
    return {
      space: this.space,
      scales: this.scales,
      coords: this.coords,
      crossoverProb: o.crossover_prob,
      mutationProb: o.mutation_prob ?? 1 / this.space.params.length,
      operator: {
        name: o.crossover,
        swappingProb: o.swapping_prob,
        alpha: o.alpha ?? 0.5,
        // Optuna's defaults: a wider spread for one objective, a narrower one for several.
        eta: o.eta ?? (multi ? 20 : 2),
        epsilon: o.epsilon,
        sigmaXi: o.sigma_xi ?? 0.5,
        sigmaEta: o.sigma_eta,
      },
    };
  }
}

/** Whether two configurations are equal (inactive parameters, NaN, equal to each other). */
function sameConfig(a: Config, b: Config): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}
