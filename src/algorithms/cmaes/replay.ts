/**
 * CMA-ES's state rebuilt from an experiment's history (see index.ts for the
 * rules). A Replay walks the trials in number order once, remembering where
 * it stopped: the next call goes on from there as long as the history it
 * saw is unchanged (a trial inserted before that point, e.g. a WAITING trial
 * that started, makes it start over, with the same result as a fresh one).
 */
import { createRng } from "../../math/rng.js";
import { symmetricEigen } from "../../math/eigen.js";
import type { Observation } from "../types.js";
import { CmaState, cmaParams } from "./cma.js";
import type { FlatSpace } from "./encode.js";
import type { CmaesOptions } from "./index.js";

/** Words after the seed: the member streams, and the restart means; no trial's rng (seed, number) can equal them. */
const MEMBER_STREAM = [0xc3a, 0x35];
const RESTART_STREAM = [0xc3a, 0x7e5];

interface Sample {
  /** The raw point CMA-ES tells (discrete coordinates before the margin's encoding). */
  readonly raw: Float64Array;
  /** The domain values of the axes. */
  readonly values: Float64Array;
}

/** One generation of one run and the history positions of its members so far. */
class Generation {
  readonly members: number[] = [];
  private readonly samples: Sample[] = [];
  /** The next generation (or the next run's first), once this one could be told. */
  next: Generation | undefined;

  constructor(
    readonly run: number,
    readonly state: CmaState,
    /** The run's initial σ (termination tests are relative to it). */
    readonly sigma0: number,
  ) {}

  sample(j: number, flat: FlatSpace, seed: number): Sample {
    let s = this.samples[j];
    if (s === undefined) {
      s = drawMember(this, j, flat, seed);
      this.samples[j] = s;
    }
    return s;
  }
}

function drawMember(gen: Generation, j: number, flat: FlatSpace, seed: number): Sample {
  const n = flat.axes.length;
  const rng = createRng(seed, ...MEMBER_STREAM, gen.run, gen.state.g, j);
  const z = new Float64Array(n);
  let x: Float64Array = new Float64Array(n);
  // Resample until the continuous coordinates are inside [0, 1], at most 10·n times (as Optuna sets the
  // package's limit), then clip.
  for (let t = 0; t <= 10 * n; t++) {
    for (let k = 0; k < n; k++) z[k] = rng.normal();
    x = gen.state.sample(z);
    if (flat.axes.every((a, k) => a.discrete !== undefined || (x[k]! >= 0 && x[k]! <= 1))) break;
  }
  flat.axes.forEach((a, k) => {
    if (a.discrete === undefined) x[k] = Math.min(Math.max(x[k]!, 0), 1);
  });
  const encoded = gen.state.encodeDiscrete(x);
  const values = Float64Array.from(flat.axes, (a, k) => a.fromUnit(encoded[k]!));
  return { raw: x, values };
}

export class Replay {
  /** History positions processed, and the number of the last one (to notice a changed history). */
  private cursor = 0;
  private lastNumber = -1;
  private current: Generation | undefined;
  /** The default first generation, kept: it is tried against every trial until CMA-ES starts. */
  private start: Generation | undefined;

  constructor(
    private readonly flat: FlatSpace,
    private readonly options: CmaesOptions,
    readonly seed: number,
  ) {}

  /** Where the replay stands (diagnostics and tests): the run, its generation and λ, and the members so far. */
  position(): { run: number; generation: number; popsize: number; members: number } | undefined {
    const c = this.current;
    return c === undefined
      ? undefined
      : { run: c.run, generation: c.state.g, popsize: c.state.p.popsize, members: c.members.length };
  }

  /** The axes' values for the next trial, after catching up with `history`. */
  next(history: readonly Observation[]): Float64Array {
    this.catchUp(history);
    const cur = this.current;
    if (cur === undefined) return this.firstGeneration(history, history.length).sample(0, this.flat, this.seed).values;
    const next = this.advance(cur, history);
    if (next !== undefined) return next.sample(0, this.flat, this.seed).values;
    return cur.sample(cur.members.length, this.flat, this.seed).values;
  }

  private catchUp(history: readonly Observation[]): void {
    if (this.cursor > history.length || (this.cursor > 0 && history[this.cursor - 1]!.number !== this.lastNumber)) {
      this.cursor = 0;
      this.current = undefined;
    }
    for (; this.cursor < history.length; this.cursor++) this.place(history, this.cursor);
    this.lastNumber = this.cursor > 0 ? history[this.cursor - 1]!.number : -1;
  }

  /** Assigns history[i] to the generation it was drawn from, if any. */
  private place(history: readonly Observation[], i: number): void {
    const o = history[i]!;
    const cur = this.current;
    if (cur === undefined) {
      const candidates = [this.defaultStart()];
      const warm = this.warmStart(history, i);
      if (warm !== undefined) candidates.push(warm);
      for (const c of candidates) {
        if (this.matches(o, c, 0)) {
          c.members.push(i);
          this.current = c;
          return;
        }
      }
      return;
    }
    const next = this.advance(cur, history);
    if (next !== undefined && this.matches(o, next, 0)) {
      next.members.push(i);
      this.current = next;
      return;
    }
    if (this.matches(o, cur, cur.members.length)) cur.members.push(i);
  }

  private matches(o: Observation, gen: Generation, j: number): boolean {
    const values = gen.sample(j, this.flat, this.seed).values;
    return this.flat.axes.every((a, k) => o.config[a.param.index] === values[k]);
  }

  /** The generation the first member of CMA-ES would come from with `history[0, end)` before it. */
  private firstGeneration(history: readonly Observation[], end: number): Generation {
    return this.warmStart(history, end) ?? this.defaultStart();
  }

  private defaultStart(): Generation {
    if (this.start !== undefined && this.start.members.length === 0) return this.start;
    const n = this.flat.axes.length;
    const p = cmaParams(n, this.options.popsize || undefined);
    const mean = new Float64Array(n).fill(0.5);
    const state = CmaState.initial(p, mean, this.options.sigma0, undefined, this.flat.discreteAxes);
    this.start = new Generation(0, state, this.options.sigma0);
    return this.start;
  }

  /**
   * cmaes' warm start (Nomura et al. 2021) from the trials before position
   * `end`, when every one of them has finished and at least 10 are COMPLETE:
   * the mean and covariance of the best 10% plus 0.1²·I, split into σ and C.
   */
  private warmStart(history: readonly Observation[], end: number): Generation | undefined {
    if (!this.options.warm_start) return undefined;
    const done: { u: Float64Array; loss: number }[] = [];
    for (let i = 0; i < end; i++) {
      const o = history[i]!;
      if (o.state === "running") return undefined;
      if (o.state !== "complete" || o.loss === undefined || Number.isNaN(o.loss)) continue;
      if (this.flat.axes.some((a) => Number.isNaN(o.config[a.param.index]!))) continue;
      done.push({ u: Float64Array.from(this.flat.axes, (a) => a.toUnit(o.config[a.param.index]!)), loss: o.loss });
    }
    const top = Math.floor(0.1 * done.length);
    if (top < 1) return undefined;
    done.sort((a, b) => a.loss - b.loss);
    const n = this.flat.axes.length;
    const mean = new Float64Array(n);
    for (let t = 0; t < top; t++) for (let k = 0; k < n; k++) mean[k] = mean[k]! + done[t]!.u[k]! / top;
    const S = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let s = 0;
        for (let t = 0; t < top; t++) s += done[t]!.u[a]! * done[t]!.u[b]!;
        S[a * n + b] = s / top - mean[a]! * mean[b]! + (a === b ? 0.01 : 0);
      }
    }
    let logDet = 0;
    for (const v of symmetricEigen(S, n).values) logDet += Math.log(v);
    const sigma = Math.exp(logDet / (2 * n));
    const C = S.map((v) => v / (sigma * sigma));
    const p = cmaParams(n, this.options.popsize || undefined);
    return new Generation(0, CmaState.initial(p, mean, sigma, C, this.flat.discreteAxes), sigma);
  }

  /** The generation after `cur` if `cur` can be told now (tell, then an IPOP restart if the run stopped). */
  private advance(cur: Generation, history: readonly Observation[]): Generation | undefined {
    if (cur.next !== undefined) return cur.next;
    const lambda = cur.state.p.popsize;
    const told: { x: Float64Array; loss: number }[] = [];
    for (let j = 0; j < cur.members.length && told.length < lambda; j++) {
      const o = history[cur.members[j]!]!;
      if (o.state === "running") return undefined;
      const evaluated =
        o.loss !== undefined &&
        !Number.isNaN(o.loss) &&
        (o.state === "complete" || (o.state === "pruned" && this.options.consider_pruned_trials));
      if (evaluated) told.push({ x: cur.sample(j, this.flat, this.seed).raw, loss: o.loss! });
    }
    if (told.length < lambda) return undefined;
    const state = cur.state.tell(told);
    if (this.options.restart_strategy === "ipop" && state.shouldStop(cur.sigma0)) {
      const run = cur.run + 1;
      const n = this.flat.axes.length;
      const rng = createRng(this.seed, ...RESTART_STREAM, run);
      const mean = Float64Array.from({ length: n }, () => rng.uniform());
      const p = cmaParams(n, lambda * this.options.inc_popsize);
      const sigma0 = this.options.sigma0;
      cur.next = new Generation(run, CmaState.initial(p, mean, sigma0, undefined, this.flat.discreteAxes), sigma0);
    } else {
      cur.next = new Generation(cur.run, state, cur.sigma0);
    }
    return cur.next;
  }
}
