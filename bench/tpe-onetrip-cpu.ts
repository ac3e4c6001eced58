/**
 * TPE's CPU per cycle of a lone one-trip worker, in process, the way the
 * service runs it (use-cases/suggest.ts and report-and-next): N COMPLETE
 * trials of Hartmann6 (random points, the one-trip bench's problem and
 * space), then per cycle the computation ahead (the handed trial reported
 * as the worst) and the Report's own suggestion over the real history (the
 * memo's hit, or a computation afresh), the next trial appended RUNNING.
 * Prints CPU per cycle, the memo's hits and a checksum of every suggestion
 * (equal checksums: the same suggestions).
 *
 *   npx tsx bench/tpe-onetrip-cpu.ts [--n 1000] [--cycles 300] [--reps 3] [--seed 1]
 *
 * `--ab DIR` also loads DIR's TPE (another worktree's src/algorithms/tpe)
 * and times both alternately, block by block (interleaved A/B), each on its
 * own copy of the same trial sequence.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Algorithm, AlgorithmSession, Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import { compileSpace } from "../src/space/compile.js";
import type { Config, Space } from "../src/space/types.js";
import { decode, priorHistory } from "./in-process.js";
import { PROBLEMS } from "./problems.js";

const argv = process.argv.slice(2);
let n = 1000;
let cycles = 300;
let reps = 3;
let seed = 1;
let abDir: string | undefined;
let block = 20;
for (let i = 0; i < argv.length; i++) {
  const next = (): string => argv[++i] ?? "";
  if (argv[i] === "--n") n = Number(next());
  else if (argv[i] === "--cycles") cycles = Number(next());
  else if (argv[i] === "--reps") reps = Number(next());
  else if (argv[i] === "--seed") seed = Number(next());
  else if (argv[i] === "--ab") abDir = next();
  else if (argv[i] === "--block") block = Number(next());
  else throw new Error(`unknown argument ${argv[i]}`);
}

const problem = PROBLEMS.find((p) => p.name === "hartmann6")!;
const space = compileSpace(problem.space);
const lossOf = (c: Config): number => problem.f(decode(space, c));

/** One worker's loop on one session: `step()` runs one cycle. */
class Loop {
  readonly history: Observation[] = [];
  private readonly session: AlgorithmSession;
  private handed: Config;
  checksum = 0;
  computed = 0;

  constructor(algorithm: Algorithm<unknown>, sp: Space, start: readonly Observation[]) {
    this.history.push(...start);
    this.session = algorithm.open(sp, algorithm.parseOptions({}));
    const t = this.history.length;
    this.handed = this.session.suggest(this.history, createRng(seed, t), { seed, trialNumber: t });
    this.history.push({ number: t, config: this.handed, state: "running", loss: undefined, lastStep: undefined });
  }

  step(): void {
    const h = this.history;
    const t = h.length - 1;
    const ctx = { seed, trialNumber: t + 1 };
    // Ahead: trial t reported as the worst (experiment-state.ts observationsAsWorst).
    const asWorst = h.slice();
    asWorst[t] = { ...h[t]!, state: "complete", loss: Number.POSITIVE_INFINITY, lastStep: undefined };
    this.session.suggest(asWorst, createRng(seed, t + 1), ctx);
    // The Report: the real loss, then its suggestion (the memo's, or afresh).
    h[t] = { number: t, config: this.handed, state: "complete", loss: lossOf(this.handed), lastStep: undefined };
    const next = this.session.suggest(h, createRng(seed, t + 1), ctx);
    for (let j = 0; j < next.length; j++) this.checksum += next[j]! * (j + 1);
    this.handed = next;
    h.push({ number: t + 1, config: next, state: "running", loss: undefined, lastStep: undefined });
  }
}

function cpuOf(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

async function main(): Promise<void> {
  const here = (await import("../src/algorithms/tpe/index.js")).tpe as Algorithm<unknown>;
  const variants: [string, Algorithm<unknown>, Space][] = [["this", here, space]];
  if (abDir !== undefined) {
    const root = resolve(abDir);
    const other = (await import(pathToFileURL(`${root}/src/algorithms/tpe/index.ts`).href)).tpe as Algorithm<unknown>;
    const otherSpace = (await import(pathToFileURL(`${root}/src/space/compile.ts`).href)).compileSpace(
      problem.space,
    ) as Space;
    variants.unshift(["other", other, otherSpace]);
  }
  const start = priorHistory(space, n, lossOf);
  for (let rep = 0; rep < reps; rep++) {
    const loops = variants.map(([, alg, sp]) => new Loop(alg, sp, start));
    // Warm-up (JIT) outside the timing.
    for (let i = 0; i < 20; i++) for (const l of loops) l.step();
    const cpu = loops.map(() => 0);
    for (let done = 0; done < cycles; done += block) {
      const b = Math.min(block, cycles - done);
      loops.forEach((l, v) => {
        cpu[v]! += cpuOf(() => {
          for (let i = 0; i < b; i++) l.step();
        });
      });
    }
    const line = variants.map(
      ([name], v) => `${name} ${(cpu[v]! / cycles).toFixed(0)} µs/cycle checksum ${loops[v]!.checksum.toPrecision(15)}`,
    );
    const ratio = abDir !== undefined ? `\tother/this ${(cpu[0]! / cpu[1]!).toFixed(2)}×` : "";
    console.log(`rep ${rep} N=${n}→${n + 20 + cycles}\t${line.join("\t")}${ratio}`);
  }
}

await main();
