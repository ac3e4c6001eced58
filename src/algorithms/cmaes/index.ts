/**
 * `algorithm: cmaes`: CMA-ES with IPOP or BIPOP restarts over the flat continuous
 * part of the space (encode.ts), CMA-ES with Margin for its integer and
 * stepped axes, a warm start from the experiment's earlier trials, and an
 * independent fallback for the rest.
 *
 * State from the history, nothing stored. Member j of generation g of
 * restart r is a pure function of the distribution and a random stream
 * fixed by (seed, r, g, j). So the state is rebuilt by replaying the trials
 * in number order (replay.ts): a trial whose configuration is the next
 * member of the current generation is that member; one that is member 0 of
 * the next generation starts it; any other (enqueued, imported, a retry) is
 * not CMA-ES's. A restarted server, another server or a fresh session
 * rebuilds exactly the state a long-lived one holds, and suggests the same.
 *
 * Asynchronous workers. A generation's members go to whoever asks; pending
 * (RUNNING) members count. The generation is told once its first λ members
 * that ended COMPLETE (or PRUNED, with consider_pruned_trials) come before
 * any member still RUNNING; FAIL and LOST members are passed over. Until
 * then, askers get further members of the same generation, which stand in
 * for failed ones. That rule never changes its answer once true, which is
 * what lets a replay agree with what happened live.
 *
 * Fallback (as Optuna's CmaEsSampler with its independent sampler): choice
 * parameters and conditional parameters are drawn from their prior with the
 * trial's own random stream.
 */
import { z } from "zod";
import type { Rng } from "../../math/rng.js";
import { samplePriorChoice } from "../../space/prior.js";
import { samplePriorNumeric, spaceScales, type NumericScale } from "../../space/scale.js";
import { conditionHolds, type Config, type Space } from "../../space/types.js";
import { parseOptionsWith } from "../options.js";
import { type Algorithm, type AlgorithmSession, contextOf, type Observation, type SuggestContext } from "../types.js";
import { flatSpace, type FlatSpace } from "./encode.js";
import { Replay } from "./replay.js";

const schema = z.strictObject({
  /** λ of the first run; 0: 4 + ⌊3 ln n⌋. */
  popsize: z.number().int().min(0).max(100_000).default(0),
  /** Initial step size in the [0, 1] coordinates (Optuna: the smallest range over 6). */
  sigma0: z
    .number()
    .gt(0)
    .max(1)
    .default(1 / 6),
  /**
   * When a run stops, restart from a random mean. "ipop": λ × inc_popsize each time; "bipop": alternate
   * such large-population runs with small ones (random λ and a smaller σ), whichever spent less;
   * "none": never restart.
   */
  /**
   * Generations of each run (from the centre or a restart) with a diagonal covariance, sep-CMA-ES
   * (Ros & Hansen 2008), in units of n/√λ; then the full update goes on from there. 0: full from the
   * start, as the `cmaes` package's CMA. A warm start is always full.
   */
  diagonal_phase: z.number().min(0).max(1e6).default(100),
  /**
   * Each generation's draws orthogonal in blocks of n (Wang, Emmerich & Bäck 2014; orthogonal.ts): every
   * member is still a standard normal draw, but a generation's steps cover distinct directions.
   */
  orthogonal_sampling: z.boolean().default(true),
  /** A factor on the step size's damping dσ: below 1, σ adapts faster (1: the tutorial's dσ). */
  csa_damping: z.number().gt(0).max(10).default(1),
  restart_strategy: z.enum(["ipop", "bipop", "none"]).default("ipop"),
  inc_popsize: z.number().int().min(1).max(16).default(2),
  /** Integer and stepped axes by CMA-ES with Margin (false: continuous, rounded). */
  with_margin: z.boolean().default(true),
  /** Start from the best 10% of at least 10 earlier finished trials (cmaes' warm start) instead of the centre. */
  warm_start: z.boolean().default(true),
  /** Count PRUNED trials (their last intermediate value) as evaluated members. */
  consider_pruned_trials: z.boolean().default(false),
});

export type CmaesOptions = z.infer<typeof schema>;

export const cmaes: Algorithm<CmaesOptions> = {
  name: "cmaes",
  // A fresh session replays the whole history (replay.ts): on the session thread, off the event loop.
  threadSession: true,
  replaysHistory: true,
  parseOptions: (raw) => parseOptionsWith("cmaes", schema, raw),
  open: (space, options): CmaesSession => new CmaesSession(space, options),
};

export class CmaesSession implements AlgorithmSession {
  private readonly flat: FlatSpace;
  private readonly scales: readonly (NumericScale | undefined)[];
  private replay: Replay | undefined;

  /** The replay's position after the last suggestion (tests and diagnostics). */
  position(): ReturnType<Replay["position"]> {
    return this.replay?.position();
  }

  constructor(
    private readonly space: Space,
    private readonly options: CmaesOptions,
  ) {
    this.flat = flatSpace(space, options.with_margin);
    this.scales = spaceScales(space);
  }

  suggest(history: readonly Observation[], rng: Rng, context?: SuggestContext): Config {
    const { seed } = contextOf(history, context);
    const config = new Float64Array(this.space.params.length).fill(Number.NaN);
    for (const [i, v] of this.flat.fixed) config[i] = v;
    if (this.flat.axes.length > 0) {
      if (this.replay?.seed !== seed) this.replay = new Replay(this.flat, this.options, seed);
      const values = this.replay.next(history);
      this.flat.axes.forEach((a, k) => {
        config[a.param.index] = values[k]!;
      });
    }
    for (const p of this.space.params) {
      if (!Number.isNaN(config[p.index]!) || !conditionHolds(p, config)) continue;
      const d = p.domain;
      config[p.index] =
        d.type === "choice" ? samplePriorChoice(d, rng) : samplePriorNumeric(d, this.scales[p.index]!, rng);
    }
    return config;
  }
}
