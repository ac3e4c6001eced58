/**
 * How often a lone one-trip worker's next TPE suggestion, computed ahead
 * (the reported trial assumed to join the bad set, as use-cases/suggest.ts
 * does), is the one handed out: the share of TPE suggestions served from
 * the session's memo (sampler.ts), in process, on a problem of problems.ts.
 *
 *   npx tsx bench/tpe-memo-hits.ts [--problem hartmann6] [--trials 300] [--seeds 5] [--set key=value ...]
 */
import { TpeSession } from "../src/algorithms/tpe/sampler.js";
import { parseTpeOptions } from "../src/algorithms/tpe/options.js";
import type { Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { decode, parseScalar } from "./in-process.js";
import { PROBLEMS } from "./problems.js";

const argv = process.argv.slice(2);
let problem = "hartmann6";
let trials = 300;
let seeds = 5;
const set: Record<string, Scalar> = {};
for (let i = 0; i < argv.length; i++) {
  const next = (): string => argv[++i] ?? "";
  if (argv[i] === "--problem") problem = next();
  else if (argv[i] === "--trials") trials = Number(next());
  else if (argv[i] === "--seeds") seeds = Number(next());
  else if (argv[i] === "--set") {
    const [k, raw] = next().split("=") as [string, string];
    set[k] = parseScalar(raw);
  }
}
const p = PROBLEMS.find((q) => q.name === problem)!;
const space = compileSpace(p.space);
const options = parseTpeOptions(set);
let hits = 0;
let modelSuggestions = 0;
for (let seed = 0; seed < seeds; seed++) {
  const session = new TpeSession(space, options);
  const history: Observation[] = [];
  let next = session.suggest(history, createRng(seed, 0), { seed, trialNumber: 0 });
  for (let t = 0; t < trials; t++) {
    const config = next;
    // Ahead: trial t reported as the worst, the next suggestion computed before the real report arrives.
    const assumed = [
      ...history,
      { number: t, config, state: "complete" as const, loss: Infinity, lastStep: undefined },
    ];
    session.suggest(assumed, createRng(seed, t + 1), { seed, trialNumber: t + 1 });
    history.push({ number: t, config, state: "complete", loss: p.f(decode(space, config)), lastStep: undefined });
    const before = session.memoHits;
    next = session.suggest(history, createRng(seed, t + 1), { seed, trialNumber: t + 1 });
    if (t + 1 >= options.n_startup_trials) modelSuggestions++;
    hits += session.memoHits - before;
  }
}
console.log(
  `${problem}, ${trials} trials, ${seeds} seeds, options ${JSON.stringify(set)}: ` +
    `${hits} of ${modelSuggestions} model suggestions from the memo (${((100 * hits) / modelSuggestions).toFixed(1)} %)`,
);
