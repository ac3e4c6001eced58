/**
 * `algorithm: qmc`: quasi-random search. Trial n takes point n of one
 * low-discrepancy sequence per experiment (scrambled Sobol' or Halton,
 * option `qmc_type`), so the first N trials cover the space more evenly than
 * N random draws.
 *
 * - The scramble is drawn from the experiment's seed: every trial of an
 *   experiment reads the same sequence, different seeds read different ones.
 * - The position is the trial's number, which the service hands out once
 *   per experiment: parallel workers, batch members, a restarted server or
 *   another server on the same store all continue the one sequence without
 *   repeating a point. Enqueued and imported trials use up their numbers'
 *   points (the sequence skips them), which keeps this a pure function of
 *   the seed and the trial number.
 * - Each unconditional parameter is one coordinate u of the point, mapped by
 *   its prior's inverse distribution: bounded domains uniformly in their
 *   (log) coordinate, then rounded onto their grid (int, step, q); normal
 *   domains through the normal quantile; choices by their cumulative
 *   weights.
 * - Fallback: conditional parameters (inside a choice branch) are drawn from
 *   their prior with the trial's random stream, as Optuna's QMCSampler hands
 *   parameters outside its fixed space to its independent sampler. A
 *   branch's points would otherwise be a sparse, irregular subsequence.
 */
import { z } from "zod";
import { createRng, type Rng } from "../../math/rng.js";
import { Halton } from "../../math/halton.js";
import { SOBOL_MAX_DIM, Sobol } from "../../math/sobol.js";
import { invalidArgument } from "../../errors.js";
import { ndtri } from "../../math/special.js";
import { categoricalAt, samplePriorChoice } from "../../space/prior.js";
import { samplePriorNumeric, spaceScales, type NumericScale } from "../../space/scale.js";
import { conditionHolds, type Config, type ParamSpec, type Space } from "../../space/types.js";
import { parseOptionsWith } from "../options.js";
import { type Algorithm, type AlgorithmSession, contextOf, type Observation, type SuggestContext } from "../types.js";

const schema = z.strictObject({
  /** The sequence: scrambled Sobol' (Joe–Kuo directions) or Halton (prime bases). */
  qmc_type: z.enum(["sobol", "halton"]).default("sobol"),
  /** Scramble the sequence with the experiment's seed (false: the plain sequence, the same for every seed). */
  scramble: z.boolean().default(true),
});

export type QmcOptions = z.infer<typeof schema>;

/** Words appended to the seed for the sequence's scramble: a stream no trial's rng (seed, number) can equal. */
const SCRAMBLE_STREAM = [0x71c0, 0x5eed];

/** Trial numbers past this wrap around the sequence (2^32 points). */
const PERIOD = 4294967296;

interface Sequence {
  at(index: number, out: Float64Array): void;
}

export const qmc: Algorithm<QmcOptions> = {
  name: "qmc",
  parseOptions: (raw) => parseOptionsWith("qmc", schema, raw),
  open: (space, options) => new QmcSession(space, options),
  checkSpace: (space, options) => {
    const n = space.params.filter((p) => p.condition === undefined).length;
    if (options.qmc_type === "sobol" && n > SOBOL_MAX_DIM) {
      throw invalidArgument(
        `qmc options: "qmc_type" sobol supports at most ${SOBOL_MAX_DIM} unconditional parameters, the space has ${n}; use "halton"`,
      );
    }
  },
};

class QmcSession implements AlgorithmSession {
  private readonly scales: readonly (NumericScale | undefined)[];
  /** The unconditional parameters, one coordinate each, in space order. */
  private readonly coords: readonly ParamSpec[];
  private sequence: { seed: number; seq: Sequence } | undefined;

  constructor(
    private readonly space: Space,
    private readonly options: QmcOptions,
  ) {
    this.scales = spaceScales(space);
    this.coords = space.params.filter((p) => p.condition === undefined);
  }

  suggest(history: readonly Observation[], rng: Rng, context?: SuggestContext): Config {
    const { seed, trialNumber } = contextOf(history, context);
    const u = new Float64Array(this.coords.length);
    if (u.length > 0) this.sequenceFor(seed).at(trialNumber % PERIOD, u);
    const config = new Float64Array(this.space.params.length).fill(Number.NaN);
    this.coords.forEach((p, j) => {
      config[p.index] = this.fromUnit(p, u[j]!);
    });
    for (const p of this.space.params) {
      if (p.condition === undefined || !conditionHolds(p, config)) continue;
      const d = p.domain;
      config[p.index] =
        d.type === "choice" ? samplePriorChoice(d, rng) : samplePriorNumeric(d, this.scales[p.index]!, rng);
    }
    return config;
  }

  /** The one sequence of the experiment with this seed (a session serves one experiment, so one seed). */
  private sequenceFor(seed: number): Sequence {
    if (this.sequence?.seed !== seed) {
      const dim = this.coords.length;
      const scramble = this.options.scramble ? createRng(seed, ...SCRAMBLE_STREAM) : undefined;
      const seq = this.options.qmc_type === "sobol" ? new Sobol(dim, scramble) : new Halton(dim, scramble);
      this.sequence = { seed, seq };
    }
    return this.sequence.seq;
  }

  /** A coordinate in [0, 1) as the parameter's value, by the inverse of its prior. */
  private fromUnit(p: ParamSpec, u: number): number {
    const d = p.domain;
    if (d.type === "choice") return categoricalAt(d.weights, u);
    const s = this.scales[p.index]!;
    if (d.type === "normal") return s.fromCoord(d.mu + d.sigma * ndtri(Math.min(Math.max(u, 1e-12), 1 - 1e-12)));
    return s.fromCoord(s.lo + (s.hi - s.lo) * u);
  }
}
