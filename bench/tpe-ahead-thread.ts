/**
 * Where a lone one-trip worker's TPE work should run: in process (today: the
 * computation ahead and the Report's suggestion in the experiment's session
 * on the main thread) or on the session thread (session-thread.ts: the
 * computation ahead posted without waiting, the Report's suggestion awaited
 * there, where the memo would then live). Replays the loop of
 * bench/tpe-onetrip-cpu.ts (Hartmann6, N COMPLETE trials, the next trial
 * RUNNING) both ways, alternately, and prints per cycle the main thread's
 * CPU (schedstat), the whole process's CPU and the wall time of the
 * Report's suggestion (the part a worker waits for).
 *
 *   npx tsx bench/tpe-ahead-thread.ts [--n 1000] [--cycles 200] [--reps 3]
 */
import { readFileSync } from "node:fs";
import { tpe } from "../src/algorithms/tpe/index.js";
import type { AlgorithmSession, Observation } from "../src/algorithms/types.js";
import { createRng } from "../src/math/rng.js";
import type { SessionHolder, SuggestJob } from "../src/service/runners/algorithm-runner.js";
import { SessionThread } from "../src/service/runners/session-thread.js";
import { compileSpace } from "../src/space/compile.js";
import type { Config } from "../src/space/types.js";
import { decode, priorHistory } from "./in-process.js";
import { PROBLEMS } from "./problems.js";

const argv = process.argv.slice(2);
let n = 1000;
let cycles = 200;
let reps = 3;
for (let i = 0; i < argv.length; i++) {
  const next = (): number => Number(argv[++i]);
  if (argv[i] === "--n") n = next();
  else if (argv[i] === "--cycles") cycles = next();
  else if (argv[i] === "--reps") reps = next();
  else throw new Error(`unknown argument ${argv[i]}`);
}
const problem = PROBLEMS.find((p) => p.name === "hartmann6")!;
const space = compileSpace(problem.space);
const options = tpe.parseOptions({});
const seed = 1;
const lossOf = (c: Config): number => problem.f(decode(space, c));

/** The main thread's CPU time so far, ns. */
function mainCpuNs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]);
}

type Suggest = (history: readonly Observation[], trialNumber: number, ahead: boolean) => Promise<Config>;

async function loop(name: string, suggest: Suggest): Promise<void> {
  const h = priorHistory(space, n, lossOf);
  let handed = await suggest(h, n, false);
  h.push({ number: n, config: handed, state: "running", loss: undefined, lastStep: undefined });
  const step = async (): Promise<number> => {
    const t = h.length - 1;
    const asWorst = h.slice();
    asWorst[t] = { ...h[t]!, state: "complete", loss: Number.POSITIVE_INFINITY, lastStep: undefined };
    void suggest(asWorst, t + 1, true);
    h[t] = { number: t, config: handed, state: "complete", loss: lossOf(handed), lastStep: undefined };
    const t0 = performance.now();
    handed = await suggest(h.slice(), t + 1, false);
    const wall = performance.now() - t0;
    h.push({ number: t + 1, config: handed, state: "running", loss: undefined, lastStep: undefined });
    return wall;
  };
  for (let i = 0; i < 20; i++) await step();
  const m0 = mainCpuNs();
  const c0 = process.cpuUsage();
  const walls: number[] = [];
  for (let i = 0; i < cycles; i++) walls.push(await step());
  const c = process.cpuUsage(c0);
  const main = (mainCpuNs() - m0) / 1e3 / cycles;
  walls.sort((a, b) => a - b);
  console.log(
    `${name}\tmain thread CPU ${main.toFixed(0)} µs/cycle\tprocess CPU ${((c.user + c.system) / cycles).toFixed(0)} µs/cycle` +
      `\tReport's suggestion wall p50 ${(walls[cycles >> 1]! * 1000).toFixed(0)} µs`,
  );
}

const thread = new SessionThread();
// The thread is unref'd: keep the process alive while its answers are awaited.
const keepAlive = setInterval(() => undefined, 1000);
for (let rep = 0; rep < reps; rep++) {
  const session: AlgorithmSession = tpe.open(space, options);
  await loop("in process", (history, trialNumber) =>
    Promise.resolve(session.suggest(history, createRng(seed, trialNumber), { seed, trialNumber })),
  );
  const holder: SessionHolder = { algorithmSession: undefined, threadSession: undefined };
  const job = (history: readonly Observation[], trialNumber: number): SuggestJob => ({
    algorithm: "tpe",
    options,
    space,
    history,
    seed,
    trialNumber,
    batch: 1,
  });
  await loop("session thread", (history, trialNumber) => thread.suggest(job(history, trialNumber), holder));
}
await thread.close();
clearInterval(keepAlive);
