/**
 * Diagnosis aid for issue 21 item 1 (TPE on deceptive landscapes): a 1-D
 * problem with a broad bowl (minimum 0.05 at 0.3) and a narrow basin (width
 * 0.02, value 0) at 0.9. Counts, over 40 seeds, the runs whose 100 trials
 * hit the basin and the trial that first did, for TPE option variants.
 *
 *   npx tsx bench/tpe-deceptive.ts
 */
import { tpe } from "../src/algorithms/tpe/index.js";
import type { Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import { parseScalar } from "./in-process.js";
const space = compileSpace({ parameters: [{ name: "x", domain: { $case: "uniform", value: { low: 0, high: 1 } } }] });
// Broad bowl at 0.3 (min 0.05); narrow basin (width 0.02) at 0.9 with value 0.
const f = (x: number) => (Math.abs(x - 0.9) < 0.01 ? 0 : 0.05 + (x - 0.3) ** 2);
const variants: Record<string, string[]> = {
  default: [],
  prior3: ["prior_weight=3"],
  sqrt: ["gamma=sqrt", "gamma_beta=1"],
  startup20: ["n_startup_trials=20"],
  univariate: ["multivariate=false"],
  bwfloor01: ["bandwidth_floor=0.1"],
  cand100: ["n_ei_candidates=100"],
  endpoints: ["consider_endpoints=true"],
  uniformw: ["weights=uniform"],
};
for (const [name, sets] of Object.entries(variants)) {
  const opts = tpe.parseOptions(
    Object.fromEntries(
      sets.map((s) => {
        const [k, v] = s.split("=");
        return [k!, parseScalar(v!)];
      }),
    ),
  );
  let found = 0;
  const firsts: number[] = [];
  for (let seed = 0; seed < 40; seed++) {
    const s = tpe.open(space, opts);
    const h: Observation[] = [];
    let hit = -1;
    for (let t = 0; t < 100; t++) {
      const c = s.suggest(h, createRng(seed, t), { seed, trialNumber: t });
      const y = f(c[0]!);
      if (y === 0 && hit < 0) hit = t;
      h.push({ number: t, config: c, state: "complete", loss: y, lastStep: undefined });
    }
    if (hit >= 0) {
      found++;
      firsts.push(hit);
    }
  }
  console.log(name.padEnd(12), `${found}/40`, "first hits:", firsts.join(","));
}
