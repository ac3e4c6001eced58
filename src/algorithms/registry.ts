/** Algorithms by name, as experiments refer to them. */
import { invalidArgument } from "../errors.js";
import { auto } from "./auto/index.js";
import { cmaes } from "./cmaes/index.js";
import { gpAlgorithm } from "./gp/sampler.js";
import { grid } from "./grid/index.js";
import { nsga2 } from "./nsga2/index.js";
import { qmc } from "./qmc/index.js";
import { randomSearch } from "./random.js";
import { tpe } from "./tpe/index.js";
import type { Algorithm } from "./types.js";

// biome-ignore lint/suspicious/noExplicitAny: each algorithm has its own options type; callers pass what its parseOptions returned
const algorithms: ReadonlyMap<string, Algorithm<any>> = new Map<string, Algorithm<any>>([
  [randomSearch.name, randomSearch],
  [tpe.name, tpe],
  [gpAlgorithm.name, gpAlgorithm],
  [qmc.name, qmc],
  [grid.name, grid],
  [cmaes.name, cmaes],
  [nsga2.name, nsga2],
  [auto.name, auto],
]);

export const DEFAULT_ALGORITHM = "tpe";

export function algorithmNamed(name: string): Algorithm<unknown> {
  const a = algorithms.get(name === "" ? DEFAULT_ALGORITHM : name);
  if (a === undefined) {
    throw invalidArgument(
      `algorithm: unknown algorithm "${name}" (known: ${[...algorithms.keys()].sort().join(", ")})`,
    );
  }
  return a;
}

/** Every algorithm's name, sorted. */
export function algorithmNames(): string[] {
  return [...algorithms.keys()].sort();
}
