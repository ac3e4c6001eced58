/**
 * Final regret per seed of Parzen's TPE (in process, seed-exact) on protocol
 * and deceptive problems, for comparing a candidate rule against main on
 * held-out seed blocks: a 20-seed median or success count moves by chance
 * (bench/RESULTS.md, tpe5), so every block is printed, and the raw regrets
 * are written as JSON for pairing seeds between variants.
 *
 *   npx tsx bench/tpe-seed-regrets.ts [--seeds 80] [--first-seed 0] [--block 20]
 *     [--problems mixed,branin,needle_cliff] [--json out.json] [--set key=value ...]
 */
import { writeFileSync } from "node:fs";
import { algorithmNamed } from "../src/algorithms/registry.js";
import { compileSpace } from "../src/space/compile.js";
import type { Scalar } from "../src/space/types.js";
import { median, parseScalar, regretTrace } from "./in-process.js";
import { DECEPTIVE, PROBLEMS, type Problem } from "./problems.js";

const argv = process.argv.slice(2);
let seeds = 80;
let firstSeed = 0;
let block = 20;
let problems = ["mixed", "branin", "needle_cliff", "deceptive1d", "deceptive3d"];
let json: string | undefined;
const set: Record<string, Scalar> = {};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  const next = (): string => argv[++i] ?? "";
  if (a === "--seeds") seeds = Number(next());
  else if (a === "--first-seed") firstSeed = Number(next());
  else if (a === "--block") block = Number(next());
  else if (a === "--problems") problems = next().split(",");
  else if (a === "--json") json = next();
  else if (a === "--set") {
    const [k, raw] = next().split("=") as [string, string];
    set[k] = parseScalar(raw);
  }
}

const all: readonly (Problem & { success?: number })[] = [...PROBLEMS, ...DECEPTIVE];
const fmt = (x: number): string => (x === 0 ? "0" : x.toPrecision(3));
const algorithm = algorithmNamed("tpe");
const out: Record<string, number[]> = {};
console.log(`seeds ${firstSeed}..${firstSeed + seeds - 1}; options ${JSON.stringify(set)}`);
for (const name of problems) {
  const p = all.find((q) => q.name === name);
  if (p === undefined) throw new Error(`no problem ${name}`);
  const space = compileSpace(p.space);
  const finals = Array.from({ length: seeds }, (_, s) => {
    const session = algorithm.open(space, algorithm.parseOptions(set));
    return regretTrace(session, space, p, firstSeed + s, p.budget)[p.budget - 1]!;
  });
  out[name] = finals;
  // Successes for the deceptive problems, medians for the protocol's.
  const stat = (xs: number[]): string =>
    p.success !== undefined ? String(xs.filter((r) => r < p.success!).length) : fmt(median(xs));
  const blocks: string[] = [];
  for (let b = 0; b < seeds; b += block) blocks.push(stat(finals.slice(b, b + block)));
  console.log(`${name}\t${blocks.join(" / ")}\tall ${stat(finals)}`);
}
if (json !== undefined) writeFileSync(json, JSON.stringify({ firstSeed, options: set, regrets: out }));
