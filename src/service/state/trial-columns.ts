/**
 * The compact in-memory form of an experiment's trials: one typed-array
 * column per field, indexed by trial number, holding only what Suggest,
 * Report and GetBest need without the database (id, state, the loss as the
 * algorithms see it, the last step reported, the configuration). Everything
 * else about a finished trial (metrics, attributes, times, worker, curve)
 * stays in SQLite. About 25 + 8·d bytes per trial for d parameters, against
 * several hundred for an object per trial.
 *
 * Columns grow in fixed-size chunks rather than by doubling: a chunk never
 * moves, so configuration views (subarrays) handed to the algorithms stay
 * valid, and at most one partly filled chunk per experiment is wasted.
 */
import { TRIAL_STATES, type TrialState } from "../../domain/trial-state.js";
import { sameConfigAt } from "../../space/config.js";
import type { Config } from "../../space/types.js";

/**
 * Trials per chunk: small enough that the unused tail of the last chunk is
 * cheap, large enough that per-chunk objects are negligible.
 */
const CHUNK = 512;
const SHIFT = 9;
const MASK = CHUNK - 1;

interface Chunk {
  readonly ids: Float64Array;
  /** Position of the state in TRIAL_STATES. */
  readonly states: Uint8Array;
  /** Objective as the algorithms see it (minimised); NaN when undefined. */
  readonly losses: Float64Array;
  /** Last intermediate step; NaN when none. */
  readonly lastSteps: Float64Array;
  /** `dims` values per trial, NaN for inactive parameters. */
  readonly configs: Float64Array;
}

export class TrialColumns {
  private readonly chunks: Chunk[] = [];
  private n = 0;

  constructor(
    /** Parameters per configuration. */
    readonly dims: number,
  ) {}

  /** Trials held: numbers 0..count−1. */
  get count(): number {
    return this.n;
  }

  /** Appends trial number `count` (its configuration is copied in). */
  append(id: number, config: Config): void {
    if (config.length !== this.dims)
      throw new Error(`trial columns: configuration of ${config.length} values, expected ${this.dims}`);
    if ((this.n & MASK) === 0) this.chunks.push(this.newChunk());
    const c = this.chunks[this.n >> SHIFT]!;
    const i = this.n & MASK;
    c.ids[i] = id;
    c.configs.set(config, i * this.dims);
    this.n++;
  }

  /** Sets the mutable fields of trial `number` (the configuration never changes). */
  set(number: number, state: TrialState, loss: number | undefined, lastStep: number | undefined): void {
    const c = this.chunkOf(number);
    const i = number & MASK;
    c.states[i] = TRIAL_STATES.indexOf(state);
    c.losses[i] = loss ?? Number.NaN;
    c.lastSteps[i] = lastStep ?? Number.NaN;
  }

  id(number: number): number {
    return this.chunkOf(number).ids[number & MASK]!;
  }

  state(number: number): TrialState {
    return TRIAL_STATES[this.chunkOf(number).states[number & MASK]!]!;
  }

  loss(number: number): number | undefined {
    const v = this.chunkOf(number).losses[number & MASK]!;
    return Number.isNaN(v) ? undefined : v;
  }

  lastStep(number: number): number | undefined {
    const v = this.chunkOf(number).lastSteps[number & MASK]!;
    return Number.isNaN(v) ? undefined : v;
  }

  /** A view of the stored configuration (shares memory with the column: read only). */
  configView(number: number): Config {
    const start = (number & MASK) * this.dims;
    return this.chunkOf(number).configs.subarray(start, start + this.dims);
  }

  /** A copy of the stored configuration. */
  config(number: number): Config {
    return this.configView(number).slice();
  }

  /** Whether trial `number`'s configuration is `config` (see space/config.ts). */
  sameConfig(number: number, config: Config): boolean {
    return (
      config.length === this.dims && sameConfigAt(this.chunkOf(number).configs, (number & MASK) * this.dims, config)
    );
  }

  /**
   * The number of the trial with this id, by binary search: ids grow with
   * numbers within an experiment (both are assigned at insert, in order).
   */
  numberOf(id: number): number | undefined {
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.id(mid);
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  private chunkOf(number: number): Chunk {
    if (!(number >= 0 && number < this.n)) throw new RangeError(`trial columns: no trial number ${number}`);
    return this.chunks[number >> SHIFT]!;
  }

  private newChunk(): Chunk {
    return {
      ids: new Float64Array(CHUNK),
      states: new Uint8Array(CHUNK),
      losses: new Float64Array(CHUNK).fill(Number.NaN),
      lastSteps: new Float64Array(CHUNK).fill(Number.NaN),
      configs: new Float64Array(CHUNK * this.dims),
    };
  }
}
