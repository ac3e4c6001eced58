/**
 * Records TPE's suggestions on fixed seeds, to check that a speed change
 * did not change what the algorithm suggests: sequential runs in which TPE
 * builds its own (clustered) history, and single suggestions over large
 * random histories, in continuous, mixed and conditional spaces. Writes
 * every suggested value to a JSON file; with --compare, reports how many
 * suggestions differ from an earlier file (and by how much).
 *
 *   npx tsx bench/tpe-fingerprint.ts out.json [--compare before.json]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tpe } from "../src/algorithms/tpe/index.js";
import type { Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import { samplePrior } from "../src/space/prior.js";
import type { Config, Space } from "../src/space/types.js";
import type { SearchSpace } from "@parzen/client/gen/parzen/v1/space";
import { PROBLEMS } from "./problems.js";
import { box, choice, ints, logUniform, quantized } from "./spaces.js";

const mixed: SearchSpace = {
  parameters: [...ints(3), ...quantized(2), logUniform("l"), choice("c", ["a", "b", "c"])],
};

/** A smooth multimodal loss over any config (NaN for inactive parameters is skipped). */
function lossOf(c: Config): number {
  let s = 0;
  for (let i = 0; i < c.length; i++)
    if (!Number.isNaN(c[i]!)) s += Math.sin(3 * c[i]!) + 0.01 * c[i]! * c[i]! + 0.1 * i * c[i]!;
  return s;
}

const out: Record<string, number[]> = {};
const options = tpe.parseOptions({});

function sequential(name: string, space: Space, steps: number, seeds: number): void {
  for (let seed = 0; seed < seeds; seed++) {
    const history: Observation[] = [];
    const values: number[] = [];
    const session = tpe.open(space, options);
    for (let t = 0; t < steps; t++) {
      const config = session.suggest(history, createRng(seed, t));
      values.push(...config);
      history.push({ number: t, config, state: "complete", loss: lossOf(config), lastStep: undefined });
    }
    out[`seq/${name}/${seed}`] = values;
  }
}

function largeRandom(name: string, space: Space, n: number, seeds: number): void {
  const rng = createRng(99);
  const history: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const config = samplePrior(space, rng);
    history.push({ number: t, config, state: "complete", loss: lossOf(config), lastStep: undefined });
  }
  const values: number[] = [];
  const session = tpe.open(space, options);
  for (let seed = 0; seed < seeds; seed++) values.push(...session.suggest(history, createRng(seed, 7)));
  out[`random/${name}/${n}`] = values;
}

const spaces: [string, Space][] = [
  ["box6", compileSpace(box(6, 0, 1))],
  ["box10", compileSpace(box(10, -5, 5))],
  ["mixed", compileSpace(mixed)],
  ...PROBLEMS.filter((p) => p.name === "conditional").map((p): [string, Space] => [p.name, compileSpace(p.space)]),
];
for (const [name, space] of spaces) {
  sequential(name, space, 300, 3);
  for (const n of [1000, 3000]) largeRandom(name, space, n, 30);
}

const [file, flag, before] = process.argv.slice(2);
writeFileSync(file!, JSON.stringify(out));
if (flag === "--compare") {
  const old = JSON.parse(readFileSync(before!, "utf8")) as Record<string, (number | null)[]>;
  let same = 0;
  let total = 0;
  // NaN (inactive parameters) is stored as null: compare what was stored.
  const now = JSON.parse(JSON.stringify(out)) as Record<string, (number | null)[]>;
  for (const [key, values] of Object.entries(now)) {
    const prev = old[key] as (number | null)[];
    let firstDiff = -1;
    let maxDiff = 0;
    for (let i = 0; i < values.length; i++) {
      const a = values[i]!;
      const b = prev[i]!;
      if (Object.is(a, b)) continue;
      if (firstDiff < 0) firstDiff = i;
      maxDiff = Math.max(maxDiff, a === null || b === null ? Number.POSITIVE_INFINITY : Math.abs(a - b));
    }
    total++;
    if (firstDiff < 0) same++;
    else console.log(`${key}: differs from value ${firstDiff} of ${values.length} (max |Δ| ${maxDiff})`);
  }
  console.log(`${same} of ${total} series identical`);
}
