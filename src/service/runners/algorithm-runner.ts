/**
 * Where algorithms execute. The service only awaits `suggest`; WorkerRunner
 * (worker-runner.ts) runs fast algorithms in process, in the experiment's
 * own session, and offloaded ones on a worker thread, in a session opened
 * for the job (runSuggestJob).
 */
import { algorithmNamed } from "../../algorithms/registry.js";
import type { SharedMemos } from "../../algorithms/shared-memos.js";
import type { AlgorithmSession, Observation } from "../../algorithms/types.js";
import { createRng } from "../../math/rng.js";
import type { Config, Space } from "../../space/types.js";

/** One suggestion to compute; structured-cloned to a worker thread as it is. */
export interface SuggestJob {
  readonly algorithm: string;
  readonly options: unknown;
  readonly space: Space;
  readonly history: readonly Observation[];
  readonly seed: number;
  /** Number of the trial being created: with the seed it fixes the random stream. */
  readonly trialNumber: number;
}

/** Where an experiment's session is kept (its ExperimentState): opened by the runner on first use, dropped by the holder. */
export interface SessionHolder {
  algorithmSession: AlgorithmSession | undefined;
}

export interface AlgorithmRunner {
  /** The suggestion for `job`; `holder` keeps the experiment's session when its algorithm runs in process. */
  suggest(job: SuggestJob, holder: SessionHolder, signal?: AbortSignal): Promise<Config>;
  close(): Promise<void>;
}

/** Runs `job` in a session of its own, dropped with the job (a worker thread: each job brings its history). */
export function runSuggestJob(job: SuggestJob, memos: SharedMemos): Config {
  const session = algorithmNamed(job.algorithm).open(job.space, job.options, memos);
  return session.suggest(job.history, createRng(job.seed, job.trialNumber), {
    seed: job.seed,
    trialNumber: job.trialNumber,
  });
}
