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
import { type CmaParams, CmaState, cmaParams } from "./cma.js";
import type { FlatSpace } from "./encode.js";
import type { CmaesOptions } from "./index.js";
import { OrthogonalBlock } from "./orthogonal.js";

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
  /** The members' orthogonalised first draws (orthogonal_sampling), built on first use. */
  private block: OrthogonalBlock | undefined;
  /** The next generation (or the next run's first), once this one could be told. */
  next: Generation | undefined;

  constructor(
    readonly run: number,
    readonly state: CmaState,
    /** The run's initial σ (termination tests are relative to it). */
    readonly sigma0: number,
    /** What the restarts so far spent, for the next restart's choice (BIPOP). */
    readonly budget: RestartBudget = firstRun(state.p.popsize),
  ) {}

  sample(j: number, flat: FlatSpace, seed: number, orthogonal: boolean): Sample {
    let s = this.samples[j];
    if (s === undefined) {
      s = drawMember(this, j, flat, seed, orthogonal);
      this.samples[j] = s;
    }
    return s;
  }

  /** Member j's first draw made orthogonal to its block's earlier members' (orthogonal.ts). */
  orthogonalDraw(j: number, n: number, seed: number): Float64Array {
    this.block ??= new OrthogonalBlock(n, (k) => {
      const rng = memberRng(this, k, seed);
      return Float64Array.from({ length: n }, () => rng.normal());
    });
    return this.block.vector(j);
  }
}

function memberRng(gen: Generation, j: number, seed: number) {
  return createRng(seed, ...MEMBER_STREAM, gen.run, gen.state.g, j);
}

function drawMember(gen: Generation, j: number, flat: FlatSpace, seed: number, orthogonal: boolean): Sample {
  const n = flat.axes.length;
  const rng = memberRng(gen, j, seed);
  const z = new Float64Array(n);
  let x: Float64Array = new Float64Array(n);
  // Resample until the continuous coordinates are inside [0, 1], at most 10·n times (as Optuna sets the
  // package's limit), then clip. With orthogonal sampling the first try is the orthogonalised draw (the
  // stream still spends its n normals on it) and the retries are plain draws.
  for (let t = 0; t <= 10 * n; t++) {
    for (let k = 0; k < n; k++) z[k] = rng.normal();
    if (t === 0 && orthogonal && n > 1) z.set(gen.orthogonalDraw(j, n, seed));
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

  /** Where the replay stands (diagnostics and tests): the run, its generation and λ, the members so far, C diagonal. */
  position(): { run: number; generation: number; popsize: number; members: number; diagonal: boolean } | undefined {
    const c = this.current;
    return c === undefined
      ? undefined
      : {
          run: c.run,
          generation: c.state.g,
          popsize: c.state.p.popsize,
          members: c.members.length,
          diagonal: c.state.p.diagonal,
        };
  }

  /** The axes' values for the next trial, after catching up with `history`. */
  next(history: readonly Observation[]): Float64Array {
    const prefix = this.catchUp(history);
    const cur = this.current;
    if (cur === undefined) {
      const first = (prefix ?? this.warmPrefix(history, history.length)).generation() ?? this.defaultStart();
      return first.sample(0, this.flat, this.seed, this.options.orthogonal_sampling).values;
    }
    const next = this.advance(cur, history);
    if (next !== undefined) return next.sample(0, this.flat, this.seed, this.options.orthogonal_sampling).values;
    return cur.sample(cur.members.length, this.flat, this.seed, this.options.orthogonal_sampling).values;
  }

  /**
   * Places the trials not seen yet. While CMA-ES has not started, returns the
   * warm-start prefix of the whole history (built along the way, so a long
   * history before CMA-ES's first trial costs one pass, not one per trial).
   */
  private catchUp(history: readonly Observation[]): WarmPrefix | undefined {
    if (this.cursor > history.length || (this.cursor > 0 && history[this.cursor - 1]!.number !== this.lastNumber)) {
      this.cursor = 0;
      this.current = undefined;
    }
    // Trials' states change between calls (RUNNING ones end): the prefix is rebuilt on each call that needs it.
    let prefix = this.current === undefined ? this.warmPrefix(history, this.cursor) : undefined;
    for (; this.cursor < history.length; this.cursor++) {
      this.place(history, this.cursor, prefix);
      if (this.current !== undefined) prefix = undefined;
      prefix?.add(history[this.cursor]!);
    }
    this.lastNumber = this.cursor > 0 ? history[this.cursor - 1]!.number : -1;
    return prefix;
  }

  /** Assigns history[i] to the generation it was drawn from, if any; `prefix`: history[0, i) while CMA-ES has not started. */
  private place(history: readonly Observation[], i: number, prefix: WarmPrefix | undefined): void {
    const o = history[i]!;
    const cur = this.current;
    if (cur === undefined) {
      const candidates = [this.defaultStart()];
      const warm = prefix?.generation();
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
    const values = gen.sample(j, this.flat, this.seed, this.options.orthogonal_sampling).values;
    return this.flat.axes.every((a, k) => o.config[a.param.index] === values[k]);
  }

  /** The warm-start prefix of history[0, end). */
  private warmPrefix(history: readonly Observation[], end: number): WarmPrefix {
    const prefix = new WarmPrefix(this.flat, this.options);
    for (let i = 0; i < end; i++) prefix.add(history[i]!);
    return prefix;
  }

  private defaultStart(): Generation {
    if (this.start !== undefined && this.start.members.length === 0) return this.start;
    const n = this.flat.axes.length;
    const p = this.runParams(n, this.options.popsize || undefined);
    const mean = new Float64Array(n).fill(0.5);
    const state = CmaState.initial(p, mean, this.options.sigma0, undefined, this.flat.discreteAxes);
    this.start = new Generation(0, state, this.options.sigma0);
    return this.start;
  }

  /** A new run's constants from the centre or a random mean: diagonal first, unless the phase is off. */
  private runParams(n: number, popsize: number | undefined): CmaParams {
    const p = cmaParams(n, popsize, false, this.options.csa_damping);
    return this.options.diagonal_phase > 0 && n > 1 ? cmaParams(n, p.popsize, true, this.options.csa_damping) : p;
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
      if (evaluated)
        told.push({ x: cur.sample(j, this.flat, this.seed, this.options.orthogonal_sampling).raw, loss: o.loss! });
    }
    if (told.length < lambda) return undefined;
    let state = cur.state.tell(told);
    if (state.p.diagonal && state.g >= diagonalGenerations(this.options.diagonal_phase, state.p)) {
      state = state.withParams(cmaParams(state.p.n, state.p.popsize, false, this.options.csa_damping));
    }
    if (this.options.restart_strategy !== "none" && state.shouldStop(cur.sigma0)) {
      cur.next = this.restart(cur, state.g);
    } else {
      cur.next = new Generation(cur.run, state, cur.sigma0, cur.budget);
    }
    return cur.next;
  }

  /**
   * The first generation of the run after `cur`'s, which stopped after
   * `generations`: from a uniformly random mean (its own stream per run).
   * IPOP: λ times inc_popsize, σ0. BIPOP (Hansen 2009): the regime that has
   * spent fewer evaluations so far goes next; the large one multiplies the
   * first λ by inc_popsize once more, the small one draws
   * λ = ⌊λ0·(inc_popsize^large runs)^(U²)⌋ and σ = σ0·10^(−2U′).
   */
  private restart(cur: Generation, generations: number): Generation {
    const run = cur.run + 1;
    const n = this.flat.axes.length;
    const rng = createRng(this.seed, ...RESTART_STREAM, run);
    const mean = Float64Array.from({ length: n }, () => rng.uniform());
    let popsize = cur.state.p.popsize * this.options.inc_popsize;
    let sigma0 = this.options.sigma0;
    let budget = cur.budget;
    if (this.options.restart_strategy === "bipop") {
      const spent = cur.state.p.popsize * generations;
      const b = cur.budget;
      const small = b.regime === "small" ? b.smallEvals + spent : b.smallEvals;
      const large = b.regime === "large" ? b.largeEvals + spent : b.largeEvals;
      if (small < large) {
        const u = rng.uniform();
        const v = rng.uniform();
        popsize = Math.max(2, Math.floor(b.lambda0 * (this.options.inc_popsize ** b.largeRuns) ** (u * u)));
        sigma0 = this.options.sigma0 * 10 ** (-2 * v);
        budget = { ...b, regime: "small", smallEvals: small, largeEvals: large };
      } else {
        popsize = b.lambda0 * this.options.inc_popsize ** (b.largeRuns + 1);
        budget = { ...b, regime: "large", largeRuns: b.largeRuns + 1, smallEvals: small, largeEvals: large };
      }
    }
    const p = this.runParams(n, Math.min(popsize, MAX_POPSIZE));
    return new Generation(run, CmaState.initial(p, mean, sigma0, undefined, this.flat.discreteAxes), sigma0, budget);
  }
}

/**
 * How many generations a run keeps a diagonal C: diagonal_phase·n/√λ (pycma's
 * suggestion for its CMA_diagonal option is 100·n/√λ). Long enough for
 * sep-CMA-ES's faster learning to pay off, short enough that a long run still
 * learns correlations.
 */
function diagonalGenerations(phase: number, p: CmaParams): number {
  return Math.ceil((phase * p.n) / Math.sqrt(p.popsize));
}

/** λ never grows beyond this (the largest popsize option): restarts of a long flat run would overflow. */
const MAX_POPSIZE = 100_000;

/** BIPOP's bookkeeping: evaluations spent in each regime, large-population restarts, the first run's λ. */
interface RestartBudget {
  readonly lambda0: number;
  readonly regime: "small" | "large";
  readonly largeRuns: number;
  readonly smallEvals: number;
  readonly largeEvals: number;
}

/** The first run counts as a small-population one (so the first restart is a large one, as in Hansen 2009). */
function firstRun(lambda0: number): RestartBudget {
  return { lambda0, regime: "small", largeRuns: 0, smallEvals: 0, largeEvals: 0 };
}

/**
 * cmaes' warm start (Nomura et al. 2021) from a prefix of the history, fed
 * one trial at a time: when every trial of the prefix has finished and at
 * least 10 are COMPLETE, the first generation has the mean and covariance of
 * the best 10% plus 0.1²·I, split into σ and C. The finished trials are kept
 * sorted (ties in number order), and the generation is rebuilt only when its
 * best 10% changed.
 */
class WarmPrefix {
  private running = 0;
  private readonly done: { readonly u: Float64Array; readonly loss: number }[] = [];
  private cached: Generation | undefined;
  private stale = true;

  constructor(
    private readonly flat: FlatSpace,
    private readonly options: CmaesOptions,
  ) {}

  add(o: Observation): void {
    if (!this.options.warm_start) return;
    if (o.state === "running") this.running++;
    if (o.state !== "complete" || o.loss === undefined || Number.isNaN(o.loss)) return;
    if (this.flat.axes.some((a) => Number.isNaN(o.config[a.param.index]!))) return;
    const loss = o.loss;
    // After the last one with a loss not above it: the order a stable sort by loss gives.
    let lo = 0;
    let hi = this.done.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.done[mid]!.loss > loss) hi = mid;
      else lo = mid + 1;
    }
    const top = Math.floor(0.1 * this.done.length);
    this.done.splice(lo, 0, { u: Float64Array.from(this.flat.axes, (a) => a.toUnit(o.config[a.param.index]!)), loss });
    if (lo < top || Math.floor(0.1 * this.done.length) !== top) this.stale = true;
  }

  /** The warm-started first generation, or undefined (warm start off, a trial running, under 10 COMPLETE). */
  generation(): Generation | undefined {
    if (this.running > 0) return undefined;
    const top = Math.floor(0.1 * this.done.length);
    if (top < 1) return undefined;
    if (!this.stale) return this.cached;
    const done = this.done;
    const n = this.flat.axes.length;
    const mean = new Float64Array(n);
    for (let t = 0; t < top; t++) for (let k = 0; k < n; k++) mean[k] = mean[k]! + done[t]!.u[k]! / top;
    const S = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = a; b < n; b++) {
        let s = 0;
        for (let t = 0; t < top; t++) s += done[t]!.u[a]! * done[t]!.u[b]!;
        S[a * n + b] = s / top - mean[a]! * mean[b]! + (a === b ? 0.01 : 0);
        S[b * n + a] = S[a * n + b]!;
      }
    }
    let logDet = 0;
    for (const v of symmetricEigen(S, n).values) logDet += Math.log(v);
    const sigma = Math.exp(logDet / (2 * n));
    const C = S.map((v) => v / (sigma * sigma));
    const p = cmaParams(n, this.options.popsize || undefined, false, this.options.csa_damping);
    this.cached = new Generation(0, CmaState.initial(p, mean, sigma, C, this.flat.discreteAxes), sigma);
    this.stale = false;
    return this.cached;
  }
}
