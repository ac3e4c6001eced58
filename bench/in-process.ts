/**
 * What the in-process quality benches (tpe-quick.ts, gp-quick.ts) share: one
 * run of an algorithm session on a problem of problems.ts, scored as
 * bench/quality.py scores runs through the server, and the command-line bits.
 */
import type { AlgorithmSession, Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { samplePrior } from "../src/space/prior.js";
import type { Config, Scalar, Space } from "../src/space/types.js";
import type { Problem, Values } from "./problems.js";

/** A configuration as the problem's named values (inactive parameters left out). */
export function decode(space: Space, config: Config): Values {
  const out: Values = {};
  for (const p of space.params) {
    const x = config[p.index]!;
    if (Number.isNaN(x)) continue;
    out[p.name] = p.domain.type === "choice" ? p.domain.options[x]!.value : x;
  }
  return out;
}

/**
 * Simple regret after each of `budget` trials of one sequential run (seeded
 * as the server seeds an experiment's trials). Noisy problems score the true
 * value of the best-observed trial.
 */
export function regretTrace(
  session: AlgorithmSession,
  space: Space,
  p: Problem,
  seed: number,
  budget: number,
): number[] {
  const history: Observation[] = [];
  const noise = createRng(seed, 0xbeef);
  const trace: number[] = [];
  let bestObserved = Infinity;
  let bestTrue = Infinity;
  for (let t = 0; t < budget; t++) {
    const config = session.suggest(history, createRng(seed, t), { seed, trialNumber: t });
    const v = decode(space, config);
    const truth = p.f(v);
    const observed = p.observe ? p.observe(v, noise.normal()) : truth;
    history.push({ number: t, config, state: "complete", loss: observed, lastStep: undefined });
    if (observed < bestObserved) {
      bestObserved = observed;
      bestTrue = truth;
    }
    trace.push(bestTrue - p.optimum);
  }
  return trace;
}

/** Linear-interpolated quantile (numpy's default), as in bench/report.py. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
}

export const median = (xs: number[]): number => quantile(xs, 0.5);

/** An option value given as `--set key=VALUE`: true/false, an integer, a number with a point, or a string. */
export function parseScalar(raw: string): Scalar {
  if (raw === "true" || raw === "false") return { kind: "bool", value: raw === "true" };
  const n = Number(raw);
  if (Number.isFinite(n)) return { kind: Number.isInteger(n) && !raw.includes(".") ? "int" : "double", value: n };
  return { kind: "string", value: raw };
}

/** n COMPLETE trials drawn from the space's prior (seed 12345), each with its loss: a history to time from. */
export function priorHistory(space: Space, n: number, lossOf: (c: Config) => number): Observation[] {
  const rng = createRng(12345);
  const out: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const config = samplePrior(space, rng);
    out.push({ number: t, config, state: "complete", loss: lossOf(config), lastStep: undefined });
  }
  return out;
}
