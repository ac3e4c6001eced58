/**
 * In-process suggest() latency of the pure TPE with N finished trials of
 * history (random points with a Styblinski–Tang-like loss) in a 6-D
 * continuous space (Hartmann6's [0,1]^6), a 10-D continuous space
 * (Styblinski–Tang's [−5,5]^10) and a 10-D mixed space (4 ints, 2
 * quantized, 2 choices, 2 log-uniform). Sampler overhead only: no gRPC, no SQLite.
 * "static" repeats suggest on one history; "cycle" runs Suggest+Report the
 * way the service does: the suggestion is appended as RUNNING, then
 * replaced in place by its COMPLETE observation, so the history grows.
 *
 *   npx tsx bench/tpe-speed.ts [--only continuous-6d,continuous-10d] [--modes cycle] [--landscape interior|hartmann6] [--cycles 100]
 *                              [--set key=value ...] [N ...]
 */
import { tpe } from "../src/algorithms/tpe/index.js";
import type { Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import { samplePrior } from "../src/space/prior.js";
import type { SearchSpace } from "@parzen/client/gen/parzen/v1/space";
import type { Scalar } from "../src/space/types.js";
import { parseScalar } from "./in-process.js";
import { PROBLEMS } from "./problems.js";
import { box, choice, ints, logUniform, quantized } from "./spaces.js";

const continuous6 = box(6, 0, 1);
const continuous = box(10, -5, 5);
const mixed: SearchSpace = {
  parameters: [
    ...ints(4),
    ...quantized(2),
    logUniform("l0"),
    logUniform("l1"),
    choice("c0", ["a", "b", "c", "d"]),
    choice("c1", ["a", "b", "c", "d"]),
  ],
};

/**
 * "corner": the optimum on the box's corner; "interior": inside it, like
 * Hartmann6's and Styblinski–Tang's; "hartmann6": Hartmann6 itself (6-D
 * only), the latency bench's 6-D problem.
 */
let landscape: "corner" | "interior" | "hartmann6" = "corner";
/** Suggestions timed per case ("cycle": the history grows by as many). */
let cycles = 100;

/** The bench's own Hartmann6 (problems.ts), over a configuration x0..x5. */
const hartmann6Problem = PROBLEMS.find((p) => p.name === "hartmann6")!;
function hartmann6(x: Float64Array): number {
  const values: Record<string, number> = {};
  for (let j = 0; j < x.length; j++) values[`x${j}`] = x[j]!;
  return hartmann6Problem.f(values);
}

function lossAt(config: Float64Array, low: number, high: number): number {
  if (landscape === "hartmann6") {
    if (config.length !== 6) throw new Error("--landscape hartmann6 needs --only continuous-6d");
    return hartmann6(config);
  }
  let loss = 0;
  for (let i = 0; i < config.length; i++) {
    const x = config[i]!;
    // Interior: a bowl centred 30% of the way into the box (near −2 in [−5, 5]: Styblinski–Tang's optimum is at −2.9).
    loss += landscape === "corner" ? Math.sin(3 * x) + 0.01 * x * x : ((x - low) / (high - low) - 0.3) ** 2;
  }
  return loss;
}

function measure(name: string, proto: SearchSpace, n: number, mode: "static" | "cycle", report = true): void {
  const space = compileSpace(proto);
  const [low, high] = name === "continuous-10d" ? [-5, 5] : [0, 1];
  const lossOf = (config: Float64Array) => lossAt(config, low, high);
  const rng = createRng(1);
  const history: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const config = samplePrior(space, rng);
    history.push({ number: t, config, state: "complete", loss: lossOf(config), lastStep: undefined });
  }
  const session = tpe.open(space, tpe.parseOptions(set));
  const step = (seed: number, i: number): void => {
    const config = session.suggest(history, createRng(seed, i));
    if (mode === "static") return;
    const number = history.length;
    history.push({ number, config, state: "running", loss: undefined, lastStep: undefined });
    history[number] = { number, config, state: "complete", loss: lossOf(config), lastStep: undefined };
  };
  for (let i = 0; i < 20; i++) step(2, i); // warm up the JIT
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < cycles; i++) {
    const t0 = process.hrtime.bigint();
    step(3, i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  // CPU time is the robust figure on a shared machine: wall time includes waiting for a core.
  const cpuMs = (cpu.user + cpu.system) / 1000 / cycles;
  const at = (q: number) => times[Math.min(cycles - 1, Math.floor(q * cycles))]!.toFixed(2);
  if (report)
    console.log(
      `${name}\t${mode}\tN=${n}\tcpu/suggest ${cpuMs.toFixed(2)} ms\twall p50 ${at(0.5)} ms\tp95 ${at(0.95)} ms`,
    );
}

const SPACES: [string, SearchSpace][] = [
  ["continuous-6d", continuous6],
  ["continuous-10d", continuous],
  ["mixed-10d", mixed],
];
const args = process.argv.slice(2);
let only: string[] | undefined;
let modes: ("static" | "cycle")[] = ["static", "cycle"];
const ns: number[] = [];
const set: Record<string, Scalar> = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--only") only = args[++i]!.split(",");
  else if (args[i] === "--landscape") landscape = args[++i] as typeof landscape;
  else if (args[i] === "--cycles") {
    cycles = Number(args[++i]);
    if (!Number.isInteger(cycles) || cycles < 1) throw new Error("--cycles: a positive integer");
  } else if (args[i] === "--modes") modes = args[++i]!.split(",") as ("static" | "cycle")[];
  else if (args[i] === "--set") {
    const [k, raw] = args[++i]!.split("=") as [string, string];
    set[k] = parseScalar(raw);
  } else ns.push(Number(args[i]));
}
// A silent round first, so the first reported case does not pay for compiling the code paths that
// only a growing history reaches (tree builds, in-place edits).
for (const [name, proto] of SPACES)
  if (only === undefined || only.includes(name)) measure(name, proto, 300, "cycle", false);
for (const n of ns.length > 0 ? ns : [100, 1000, 5000]) {
  for (const mode of modes) {
    for (const [name, proto] of SPACES) if (only === undefined || only.includes(name)) measure(name, proto, n, mode);
  }
}
