/**
 * One sequential CMA-ES run (the CmaState of src/algorithms/cmaes, no replay, clipped draws) on a
 * continuous problem of bench/continuous.ts, printing every k-th generation: σ, the mean of C's
 * diagonal, f at the mean, the best so far and the trial that found it. A diagnostic for where a
 * run's time goes (e.g. how fast σ falls), not Parzen's exact suggestions.
 *   npx tsx bench/cmaes-trace.ts PROBLEM SEED [EVERY] [--full] [--damping F]
 */
import { CmaState, cmaParams } from "../src/algorithms/cmaes/cma.js";
import { createRng } from "../src/math/rng.js";
import { continuousProblem } from "./continuous.js";
import type { Values } from "./problems.js";

const [name, seedText, everyText, ...rest] = process.argv.slice(2);
if (name === undefined || seedText === undefined) {
  console.error("usage: cmaes-trace.ts PROBLEM SEED [EVERY] [--full] [--damping F]");
  process.exit(2);
}
const full = rest.includes("--full");
const di = rest.indexOf("--damping");
const damping = di >= 0 ? Number(rest[di + 1]) : 1;
const every = Number(everyText ?? 5);
const p = continuousProblem(name, 1000);
const d = p.space.parameters.length;
const domain = p.space.parameters[0]!.domain;
if (domain?.$case !== "uniform") throw new Error("expected a uniform box");
const { low, high } = domain.value;
const at = (u: Float64Array): Values => Object.fromEntries(Array.from(u, (t, i) => [`x${i}`, low + t * (high - low)]));
const rng = createRng(Number(seedText), 1);
let state = CmaState.initial(cmaParams(d, undefined, !full, damping), new Float64Array(d).fill(0.5), 1 / 6);
let best = Number.POSITIVE_INFINITY;
let found = 0;
for (let t = 0; t < p.budget; ) {
  const told: { x: Float64Array; loss: number }[] = [];
  for (let j = 0; j < state.p.popsize; j++, t++) {
    const x = state
      .sample(Float64Array.from({ length: d }, () => rng.normal()))
      .map((u) => Math.min(Math.max(u, 0), 1));
    const loss = p.f(at(x));
    if (loss < best) [best, found] = [loss, t];
    told.push({ x, loss });
  }
  state = state.tell(told);
  if (state.g % every === 0) {
    let diag = 0;
    for (let i = 0; i < d; i++) diag += state.C[i * d + i]! / d;
    const line = [`gen ${state.g}`, `trials ${t}`, `sigma ${state.sigma.toFixed(4)}`, `mean C_ii ${diag.toFixed(3)}`];
    console.log(
      [...line, `f(mean) ${p.f(at(state.mean)).toPrecision(4)}`, `best ${best.toPrecision(4)} (trial ${found})`].join(
        "  ",
      ),
    );
  }
}
