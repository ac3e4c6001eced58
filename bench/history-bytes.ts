/**
 * Bytes of V8 heap per trial of live history: builds an Optimizer on an
 * in-memory SQLite database, imports EXPERIMENTS x TRIALS completed trials
 * (6 floats, like bench/memory.py), then measures the heap held by the
 * history twice: as built by AddTrials, and as reloaded from SQLite by a fresh
 * Optimizer (the path a restarted server takes), and loaded without any
 * Suggest (no algorithm view of the history). Needs --expose-gc:
 *
 *   nice -n 19 node --expose-gc --import tsx bench/history-bytes.ts [EXPERIMENTS] [TRIALS]
 */
import { openSqliteStore } from "../src/store/sqlite/open.js";
import { Optimizer } from "../src/service/use-cases/optimizer.js";
import type { AlgorithmRunner } from "../src/service/runners/algorithm-runner.js";
import { runSuggestJob } from "../src/service/runners/algorithm-runner.js";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import {
  AddTrialsRequest,
  ReportRequest,
  ReportStatus,
  SuggestRequest,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { createSharedMemos } from "../src/algorithms/shared-memos.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");
const experiments = Number(process.argv[2] ?? 5);
const trials = Number(process.argv[3] ?? 10_000);

/** Heap in use. */
function heap(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

// A session per job, none kept: the heap holds the history alone (sessions are bounded separately).
const memos = createSharedMemos();
const runner: AlgorithmRunner = { suggest: async (job) => runSuggestJob(job, memos), close: async () => undefined };
const store = await openSqliteStore({ path: ":memory:" });
const limits = { cacheTrials: 10 * experiments * trials };
let seed = 1;
const rand = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};

const names = Array.from({ length: experiments }, (_, e) => `mem-${e}`);
async function fill(opt: Optimizer): Promise<void> {
  for (const name of names) {
    await opt.createExperiment(
      Experiment.fromPartial({
        name,
        space: {
          parameters: Array.from({ length: 6 }, (_, j) => ({
            name: `x${j}`,
            domain: { $case: "uniform", value: { low: 0, high: 1 } },
          })),
        },
        direction: Direction.DIRECTION_MINIMIZE,
        algorithm: { name: "tpe" },
        seed: 1,
      }),
    );
    for (let i = 0; i < trials; i += 2500) {
      const batch = Array.from({ length: Math.min(2500, trials - i) }, () => ({
        params: Object.fromEntries(
          Array.from({ length: 6 }, (_, j) => [`x${j}`, { kind: { $case: "doubleValue" as const, value: rand() } }]),
        ),
        state: TrialState.TRIAL_STATE_COMPLETE,
        loss: rand(),
      }));
      await opt.addTrials(AddTrialsRequest.fromPartial({ experiment: name, trials: batch }));
    }
  }
}

async function touch(opt: Optimizer): Promise<void> {
  for (const name of names) {
    const [t] = await opt.suggest(SuggestRequest.fromPartial({ experiment: name, workerId: "w" }));
    await opt.report(ReportRequest.fromPartial({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 }));
  }
}

const total = experiments * trials;
const base0 = heap();
let opt: Optimizer | undefined = new Optimizer({ store, runner, limits });
await fill(opt);
await touch(opt);
const built = heap() - base0;
console.log(
  `built by AddTrials + one Suggest/Report each: ${(built / total).toFixed(0)} B/trial (${(built / 1048576).toFixed(1)} MB for ${total} trials)`,
);
console.log(`cache stats: ${JSON.stringify(opt.diagnostics().cache)}`);
opt = undefined;
const base1 = heap();
opt = new Optimizer({ store, runner, limits });
await touch(opt);
const reloaded = heap() - base1;
console.log(
  `reloaded from SQLite + one Suggest/Report each: ${(reloaded / total).toFixed(0)} B/trial (${(reloaded / 1048576).toFixed(1)} MB)`,
);
console.log(`cache stats: ${JSON.stringify(opt.diagnostics().cache)}`);
opt = undefined;
const base2 = heap();
opt = new Optimizer({ store, runner, limits });
for (const name of names) await opt.getExperiment(name);
const loaded = heap() - base2;
console.log(
  `reloaded from SQLite, no Suggest: ${(loaded / total).toFixed(0)} B/trial (${(loaded / 1048576).toFixed(1)} MB)`,
);
console.log(`cache stats: ${JSON.stringify(opt.diagnostics().cache)}`);
