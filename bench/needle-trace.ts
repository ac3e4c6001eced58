/**
 * Where TPE's suggestions go on bench/problems.ts's needle_cliff (issue 21):
 * per seed, the trial at which the needle (a value below 0) is first found,
 * the closest any suggestion came to its centre (0.68, 0.15), and for the
 * model phase the share of suggestions beyond the cliff (x > 0.7), on the
 * ledge before it (0.6 < x ≤ 0.7) and, of those, how many lie in the
 * needle's band of y (|y − 0.15| < 0.1).
 *
 *   npx tsx bench/needle-trace.ts [--seeds 20] [--set key=value ...]
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
const p = DECEPTIVE.find((q) => q.name === "needle_cliff")!;
const space = compileSpace(p.space);
const algo = algorithmNamed("tpe");
const startup = parseTpeOptions(set).n_startup_trials;
let beyond = 0;
let ledge = 0;
let band = 0;
let model = 0;
const rows: string[] = [];
for (let seed = 0; seed < seeds; seed++) {
  const session = algo.open(space, algo.parseOptions(set));
  const history: Observation[] = [];
  let found = -1;
  let closest = Infinity;
  const ys: number[] = [];
  for (let t = 0; t < p.budget; t++) {
    const config = session.suggest(history, createRng(seed, t), { seed, trialNumber: t });
    const [x, y] = [config[0]!, config[1]!];
    const loss = p.f({ x, y });
    history.push({ number: t, config, state: "complete", loss, lastStep: undefined });
    if (loss < 0 && found < 0) found = t;
    closest = Math.min(closest, Math.hypot(x - 0.68, y - 0.15));
    if (t >= startup) {
      model++;
      if (x > 0.7) beyond++;
      else if (x > 0.6) {
        ledge++;
        ys.push(y);
        if (Math.abs(y - 0.15) < 0.1) band++;
      }
    }
  }
  ys.sort((a, b) => a - b);
  const q = (f: number): string => (ys.length ? ys[Math.floor(f * (ys.length - 1))]!.toFixed(2) : "-");
  rows.push(`${seed}\t${found}\t${closest.toFixed(3)}\t${ys.length}\t${q(0.05)} ${q(0.5)} ${q(0.95)}`);
}
console.log(`options ${JSON.stringify(set)}`);
console.log("seed\tfound at\tclosest\tledge n\tledge y 5%/50%/95%");
for (const r of rows) console.log(r);
const pct = (n: number): string => `${((100 * n) / model).toFixed(1)} %`;
console.log(
  `model phase: beyond the cliff ${pct(beyond)}, on the ledge ${pct(ledge)}, in the needle's band ${pct(band)}`,
);
