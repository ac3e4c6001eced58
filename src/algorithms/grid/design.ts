/**
 * The finite set of configurations a grid search walks: every combination of
 * each parameter's values, following the space's conditional tree (a choice
 * option's children exist only in the configurations that take it).
 *
 * Points are numbered without being listed: the top level is a product of
 * independent factors (mixed radix); a choice factor's points are the sum
 * over its options of the products of that option's children. `decode`
 * turns a number into a configuration and `encode` back, so a grid of a
 * million points costs nothing until it is walked.
 */
import { invalidArgument } from "../../errors.js";
import { gridPoint, gridTopIndex } from "../../space/grid.js";
import type { Config, ParamSpec, Scalar, Space } from "../../space/types.js";
import { internalValue } from "../../space/values.js";

/** The largest grid accepted: the walk keeps one shuffled index per point. */
export const MAX_GRID_POINTS = 1 << 20;

/** A parameter with its finite list of internal values, and for choices the sub-grid each option opens. */
interface Factor {
  readonly param: ParamSpec;
  readonly values: readonly number[];
  /** Per value (choices): the product of the factors its children form; undefined for numeric parameters. */
  readonly branches: readonly Product[] | undefined;
  /** Points per value, and their running sums (for choices); `size` in all. */
  readonly offsets: readonly number[];
  readonly size: number;
}

interface Product {
  readonly factors: readonly Factor[];
  readonly size: number;
}

export class GridDesign {
  private readonly root: Product;
  /** Per parameter: internal value → position in its value list. */
  private readonly positions: ReadonlyMap<number, number>[];

  constructor(
    private readonly space: Space,
    given: ReadonlyMap<string, readonly Scalar[]>,
  ) {
    for (const name of given.keys()) {
      if (!space.byName.has(name)) throw invalidArgument(`grid options: "values" names unknown parameter "${name}"`);
    }
    const valuesOf = space.params.map((p) => parameterValues(p, given.get(p.name)));
    this.positions = valuesOf.map((vs) => new Map(vs.map((v, i) => [v, i])));
    const children = (parent: number | undefined, option: number | undefined) =>
      space.params.filter((p) =>
        parent === undefined
          ? p.condition === undefined
          : p.condition?.parent === parent && p.condition.option === option,
      );
    const product = (params: readonly ParamSpec[]): Product => {
      const factors = params.map((p): Factor => {
        const values = valuesOf[p.index]!;
        const branches = p.domain.type === "choice" ? values.map((v) => product(children(p.index, v))) : undefined;
        const offsets: number[] = [];
        let size = 0;
        for (let i = 0; i < values.length; i++) {
          offsets.push(size);
          size += branches === undefined ? 1 : branches[i]!.size;
        }
        return { param: p, values, branches, offsets, size };
      });
      // Sizes multiply past any limit quickly: saturate, the limit check below only needs "too big".
      const size = factors.reduce((acc, f) => Math.min(acc * f.size, Number.MAX_SAFE_INTEGER), 1);
      return { factors, size };
    };
    this.root = product(children(undefined, undefined));
    if (this.root.size > MAX_GRID_POINTS) {
      throw invalidArgument(
        `grid: the space has ${this.root.size >= Number.MAX_SAFE_INTEGER ? "more than 2^53" : this.root.size} points, more than ${MAX_GRID_POINTS}; give fewer values (option "values") or coarser steps`,
      );
    }
  }

  get size(): number {
    return this.root.size;
  }

  /** Point `k` (0 ≤ k < size) as a configuration. */
  decode(k: number): Config {
    const config = new Float64Array(this.space.params.length).fill(Number.NaN);
    const walk = (prod: Product, rest: number): void => {
      for (const f of prod.factors) {
        const digit = rest % f.size;
        rest = (rest - digit) / f.size;
        if (f.branches === undefined) {
          config[f.param.index] = f.values[digit]!;
          continue;
        }
        let i = f.offsets.length - 1;
        while (f.offsets[i]! > digit) i--;
        config[f.param.index] = f.values[i]!;
        walk(f.branches[i]!, digit - f.offsets[i]!);
      }
    };
    walk(this.root, k);
    return config;
  }

  /** The point a configuration is, or undefined when it is off the grid (an enqueued trial, say). */
  encode(config: Config): number | undefined {
    const walk = (prod: Product): number | undefined => {
      let k = 0;
      let radix = 1;
      for (const f of prod.factors) {
        const i = this.positions[f.param.index]!.get(config[f.param.index]!);
        if (i === undefined) return undefined;
        let digit = i;
        if (f.branches !== undefined) {
          const sub = walk(f.branches[i]!);
          if (sub === undefined) return undefined;
          digit = f.offsets[i]! + sub;
        }
        k += digit * radix;
        radix *= f.size;
      }
      return k;
    };
    return walk(this.root);
  }
}

/** A parameter's grid values: the given ones, or its whole finite domain. */
function parameterValues(p: ParamSpec, given: readonly Scalar[] | undefined): number[] {
  const d = p.domain;
  if (given !== undefined) {
    if (given.length === 0) throw invalidArgument(`grid options: "values" for "${p.name}" is empty`);
    const out = [...new Set(given.map((s) => internalValue(p, s)))];
    if (d.type === "choice") {
      for (const v of out) {
        if (!(d.weights[v]! > 0))
          throw invalidArgument(`grid options: "values" for "${p.name}" names an option whose weight is 0`);
      }
    }
    return out;
  }
  switch (d.type) {
    case "choice":
      return d.options.map((_, i) => i).filter((i) => d.weights[i]! > 0);
    case "int":
      return rangeOf(p.name, d.low, d.high, d.log ? 1 : d.step);
    case "float":
      if (d.step !== undefined) {
        const top = gridTopIndex(d.low, d.high, d.step);
        if (top + 1 > MAX_GRID_POINTS) throw tooMany(p.name);
        return Array.from({ length: top + 1 }, (_, k) => gridPoint(d.low, d.step!, k));
      }
      throw invalidArgument(
        `grid: parameter "${p.name}" is continuous; give its values (option "values") or declare it with a step`,
      );
    case "normal":
      throw invalidArgument(
        `grid: parameter "${p.name}" has an unbounded (normal) domain; give its values (option "values")`,
      );
  }
}

function rangeOf(name: string, low: number, high: number, step: number): number[] {
  const n = Math.floor((high - low) / step) + 1;
  if (n > MAX_GRID_POINTS) throw tooMany(name);
  return Array.from({ length: n }, (_, k) => low + k * step);
}

function tooMany(name: string): Error {
  return invalidArgument(
    `grid: parameter "${name}" has more than ${MAX_GRID_POINTS} values; give its values (option "values")`,
  );
}
