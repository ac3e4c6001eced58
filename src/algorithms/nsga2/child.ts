/**
 * One child from its parents' configurations, parameter by parameter in
 * pre-order (a choice before the parameters it conditions), so the child
 * only takes a parameter its own configuration activates:
 *
 * - mutation: with `mutationProb`, a fresh draw from the prior;
 * - no crossover (probability 1 − crossover_prob): the first parent's value;
 * - a choice: uniform crossover of the first two parents (the second's value
 *   with swapping_prob), from whichever parents have it when not both do;
 * - a numeric parameter every parent has: the operator's child coordinate
 *   (the operator runs once, jointly, over all such parameters);
 * - a numeric parameter only some parents have: one of theirs at random;
 * - a parameter no parent has: a draw from the prior.
 */
import type { Rng } from "../../math/rng.js";
import { samplePriorChoice } from "../../space/prior.js";
import { type NumericScale, samplePriorNumeric } from "../../space/scale.js";
import { conditionHolds, type Config, type Space } from "../../space/types.js";
import type { Coord } from "./coords.js";
import { type CrossoverParams, crossover } from "./crossover.js";

export interface ChildContext {
  readonly space: Space;
  readonly scales: readonly (NumericScale | undefined)[];
  readonly coords: readonly (Coord | undefined)[];
  readonly operator: CrossoverParams;
  readonly crossoverProb: number;
  readonly mutationProb: number;
}

/**
 * The child, or undefined when the operator's coordinates left the bounds
 * (unless `clip`, which keeps them in): the caller then picks parents again,
 * as Optuna does.
 */
export function makeChild(ctx: ChildContext, parents: readonly Config[], rng: Rng, clip: boolean): Config | undefined {
  const { space, coords } = ctx;
  const crossed = rng.uniform() < ctx.crossoverProb;
  // Numeric parameters every parent has: the operator's coordinates.
  const joint = new Map<number, number>();
  if (crossed) {
    const dims: number[] = [];
    for (const p of space.params) {
      if (coords[p.index] !== undefined && parents.every((c) => !Number.isNaN(c[p.index]!))) dims.push(p.index);
    }
    if (dims.length > 0) {
      const vecs = parents.map((c) => Float64Array.from(dims, (i) => coords[i]!.toUnit(c[i]!)));
      const lower = Float64Array.from(dims, (i) => coords[i]!.lower);
      const upper = Float64Array.from(dims, (i) => coords[i]!.upper);
      const y = crossover(vecs, lower, upper, ctx.operator, rng);
      for (let k = 0; k < dims.length; k++) {
        if (!(y[k]! >= lower[k]! && y[k]! <= upper[k]!) && !clip) return undefined;
        // A coordinate a parent has (uniform crossover) keeps that parent's value exactly, not a round trip of it.
        const same = vecs.findIndex((v) => v[k] === y[k]);
        joint.set(dims[k]!, same >= 0 ? parents[same]![dims[k]!]! : coords[dims[k]!]!.fromUnit(y[k]!));
      }
    }
  }
  const child = new Float64Array(space.params.length).fill(Number.NaN);
  for (const p of space.params) {
    if (!conditionHolds(p, child)) continue;
    const i = p.index;
    const d = p.domain;
    const prior = () => (d.type === "choice" ? samplePriorChoice(d, rng) : samplePriorNumeric(d, ctx.scales[i]!, rng));
    if (rng.uniform() < ctx.mutationProb) {
      child[i] = prior();
      continue;
    }
    const donors = (crossed ? parents : parents.slice(0, 1)).filter((c) => !Number.isNaN(c[i]!));
    if (donors.length === 0) {
      child[i] = prior();
    } else if (d.type === "choice" || !joint.has(i)) {
      child[i] = crossed
        ? pick(donors, parents, i, ctx.operator.swappingProb, d.type === "choice", rng)
        : donors[0]![i]!;
    } else {
      child[i] = joint.get(i)!;
    }
  }
  return child;
}

/**
 * A donor's value: for a choice, uniform crossover of the first two parents
 * when both have it; otherwise one of the donors at random.
 */
function pick(
  donors: readonly Config[],
  parents: readonly Config[],
  i: number,
  swap: number,
  choice: boolean,
  rng: Rng,
): number {
  const a = parents[0]![i]!;
  const b = parents[1]![i]!;
  if (choice && !Number.isNaN(a) && !Number.isNaN(b)) return rng.uniform() < swap ? b : a;
  return donors[rng.int(donors.length)]![i]!;
}
