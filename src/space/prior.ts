/**
 * Sampling whole configurations from the space's prior: each active
 * parameter from its declared distribution, conditional parameters only when
 * their branch is chosen. Pure: all randomness comes from the given Rng.
 */
import type { Rng } from "../math/rng.js";
import { samplePriorNumeric, spaceScales, type NumericScale } from "./scale.js";
import { conditionHolds, type ChoiceDomain, type Config, type Space } from "./types.js";

export function sampleCategorical(weights: Float64Array, rng: Rng): number {
  return categoricalAt(weights, rng.uniform());
}

/** The option whose cumulative-weight interval holds `u` in [0, 1): the inverse of the categorical distribution. */
export function categoricalAt(weights: Float64Array, u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i]!;
    if (u < acc) return i;
  }
  // Rounding can leave acc a hair below 1: fall back to the last positive weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return weights.length - 1;
}

export function samplePriorChoice(domain: ChoiceDomain, rng: Rng): number {
  return sampleCategorical(domain.weights, rng);
}

/**
 * A configuration drawn from the prior. Parameters are visited parents-first.
 * `scales`: spaceScales(space), which callers that sample often compute once.
 */
export function samplePrior(
  space: Space,
  rng: Rng,
  scales: readonly (NumericScale | undefined)[] = spaceScales(space),
): Config {
  const config = new Float64Array(space.params.length).fill(Number.NaN);
  for (const p of space.params) {
    if (!conditionHolds(p, config)) continue;
    const d = p.domain;
    config[p.index] = d.type === "choice" ? samplePriorChoice(d, rng) : samplePriorNumeric(d, scales[p.index]!, rng);
  }
  return config;
}
