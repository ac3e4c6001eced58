/**
 * `algorithm: grid`: every combination of the parameters' values, each
 * handed out once. A parameter's values are those given in option `values`
 * (a JSON object: parameter name → list of values), else its whole finite
 * domain (choice options of positive weight, every integer of an int range
 * on its step, every grid point of a q/step domain); a continuous or normal
 * parameter without given values is refused when the experiment is created.
 * Conditional parameters are combined only under the option that opens them.
 *
 * - Order: the points are walked in a permutation drawn from the experiment's
 *   seed (option `order` "shuffled", the default, so a grid stopped early is
 *   an unbiased sample) or in declaration order ("sequential").
 * - Once: a suggestion is the first point in that order that no trial of
 *   the history took, whatever its state (RUNNING included, so parallel
 *   workers and batch members get distinct points; FAIL and LOST too: a
 *   failed point is retried by retry_lost, not by the grid).
 * - Exhaustion: `exhaustible` counts the distinct points taken by the
 *   experiment's trials; the service completes the experiment with
 *   SPACE_EXHAUSTED once none is left and none is running or waiting. Only a
 *   caller that asks past that gets a point again (the one at the trial
 *   number's position).
 */
import { z } from "zod";
import { invalidArgument } from "../../errors.js";
import { createRng, type Rng } from "../../math/rng.js";
import type { Config, Scalar, Space } from "../../space/types.js";
import { parseOptionsWith } from "../options.js";
import {
  type Algorithm,
  type AlgorithmSession,
  contextOf,
  type Exhaustible,
  type Observation,
  type SuggestContext,
} from "../types.js";
import { GridDesign } from "./design.js";

const schema = z.strictObject({
  /** JSON object: parameter name → array of values (numbers, strings, booleans). Empty: every value of every parameter. */
  values: z.string().max(1_000_000).default(""),
  order: z.enum(["shuffled", "sequential"]).default("shuffled"),
});

export interface GridOptions {
  readonly values: Readonly<Record<string, readonly Scalar[]>>;
  readonly order: "shuffled" | "sequential";
}

/** Words appended to the seed for the walk's permutation: a stream no trial's rng can equal. */
const ORDER_STREAM = [0x641d, 0x0de5];

export const grid: Algorithm<GridOptions> = {
  name: "grid",
  parseOptions: (raw) => {
    const o = parseOptionsWith("grid", schema, raw);
    return { values: parseValues(o.values), order: o.order };
  },
  open: (space, options) => new GridSession(space, options),
  checkSpace: (space, options) => {
    designOf(space, options);
  },
  exhaustible: (space, options) => new GridTally(designOf(space, options)),
};

function designOf(space: Space, options: GridOptions): GridDesign {
  return new GridDesign(space, new Map(Object.entries(options.values)));
}

function parseValues(text: string): Record<string, Scalar[]> {
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`grid options: "values" is not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument(`grid options: "values" must be a JSON object of parameter name → array of values`);
  }
  const out: Record<string, Scalar[]> = {};
  for (const [name, list] of Object.entries(parsed)) {
    if (!Array.isArray(list)) throw invalidArgument(`grid options: "values" for "${name}" must be an array`);
    out[name] = list.map((v: unknown): Scalar => {
      if (typeof v === "number") return { kind: Number.isInteger(v) ? "int" : "double", value: v };
      if (typeof v === "string") return { kind: "string", value: v };
      if (typeof v === "boolean") return { kind: "bool", value: v };
      throw invalidArgument(
        `grid options: "values" for "${name}" holds ${JSON.stringify(v)}, not a number, string or boolean`,
      );
    });
  }
  return out;
}

class GridTally implements Exhaustible {
  private readonly taken = new Set<number>();

  constructor(private readonly design: GridDesign) {}

  add(config: Config): void {
    const k = this.design.encode(config);
    if (k !== undefined) this.taken.add(k);
  }

  remaining(): number {
    return this.design.size - this.taken.size;
  }
}

class GridSession implements AlgorithmSession {
  private readonly design: GridDesign;
  private walk: { seed: number; order: Int32Array } | undefined;

  constructor(
    space: Space,
    private readonly options: GridOptions,
  ) {
    this.design = designOf(space, options);
  }

  suggest(history: readonly Observation[], _rng: Rng, context?: SuggestContext): Config {
    const { seed, trialNumber } = contextOf(history, context);
    const order = this.orderFor(seed);
    const taken = new Set<number>();
    for (const o of history) {
      const k = this.design.encode(o.config);
      if (k !== undefined) taken.add(k);
    }
    for (const k of order) if (!taken.has(k)) return this.design.decode(k);
    return this.design.decode(order[trialNumber % order.length]!);
  }

  /** The experiment's walk: a Fisher–Yates shuffle of the points drawn from its seed (or their own order). */
  private orderFor(seed: number): Int32Array {
    if (this.walk?.seed !== seed) {
      const n = this.design.size;
      const order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      if (this.options.order === "shuffled") {
        const rng = createRng(seed, ...ORDER_STREAM);
        for (let i = n - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          const t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
        }
      }
      this.walk = { seed, order };
    }
    return this.walk.order;
  }
}
