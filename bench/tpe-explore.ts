/**
 * How much TPE explores on bench/problems.ts's deceptive1d (issue 21): over
 * seeded runs, the share of model-phase suggestions far from the plateau
 * (|x − 0.3| > 0.25) while the basin was not yet found, and the trial at
 * which it was first found (best below the plateau's 0.1).
 *
 *   npx tsx bench/tpe-explore.ts [--seeds 20] [--set key=value ...]
 */
import { algorithmNamed } from "../src/algorithms/registry.js";
import type { Observation } from "../src/algorithms/types.js";
import { parseTpeOptions } from "../src/algorithms/tpe/options.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { parseScalar } from "./in-process.js";
import { DECEPTIVE } from "./problems.js";

const argv = process.argv.slice(2);
let seeds = 20;
const set: Record<string, Scalar> = {};
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--seeds") seeds = Number(argv[++i]);
  else if (argv[i] === "--set") {
    const [k, raw] = (argv[++i] ?? "").split("=") as [string, string];
    set[k] = parseScalar(raw);
  }
}
const p = DECEPTIVE.find((q) => q.name === "deceptive1d")!;
const space = compileSpace(p.space);
const algo = algorithmNamed("tpe");
const options = algo.parseOptions(set);
const startup = parseTpeOptions(set).n_startup_trials;
let model = 0;
let far = 0;
const found: number[] = [];
for (let seed = 0; seed < seeds; seed++) {
  const session = algo.open(space, options);
  const history: Observation[] = [];
  let first = -1;
  for (let t = 0; t < p.budget; t++) {
    const config = session.suggest(history, createRng(seed, t));
    const x = config[0]!;
    const loss = p.f({ x });
    if (t >= startup && first < 0) {
      model++;
      if (Math.abs(x - 0.3) > 0.25) far++;
    }
    if (first < 0 && loss < 0.1) first = t;
    history.push({ number: t, config, state: "complete", loss, lastStep: undefined });
  }
  found.push(first);
}
const pct = (a: number): string => `${((100 * a) / model).toFixed(1)} %`;
console.log(
  `options ${JSON.stringify(set)}; ${model} model-phase suggestions before the basin was found, ${seeds} seeds`,
);
console.log(`far from the plateau (|x-0.3| > 0.25): ${pct(far)}`);
console.log(`basin first found at trial (−1: never): ${found.join(" ")}`);
