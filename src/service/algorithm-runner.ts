/**
 * Where algorithms execute. The service only awaits `suggest`; WorkerRunner
 * (worker-runner.ts) calls `runSuggestJob` in process for fast algorithms
 * and on a worker thread for offloaded ones.
 */
import { algorithmNamed } from "../algorithms/registry.js";
import type { SharedMemos } from "../algorithms/shared-memos.js";
import type { Observation } from "../algorithms/types.js";
import { createRng } from "../math/rng.js";
import type { Config, Space } from "../space/types.js";

export interface SuggestJob {
  readonly algorithm: string;
  readonly options: unknown;
  readonly space: Space;
  readonly history: readonly Observation[];
  readonly seed: number;
  /** Number of the trial being created: with the seed it fixes the random stream. */
  readonly trialNumber: number;
}

export interface AlgorithmRunner {
  suggest(job: SuggestJob, signal?: AbortSignal): Promise<Config>;
  close(): Promise<void>;
}

/** Runs `job` in a session of its own; `memos`: the calling thread's (shared-memos.ts). */
export function runSuggestJob(job: SuggestJob, memos: SharedMemos): Config {
  const session = algorithmNamed(job.algorithm).open(job.space, job.options, memos);
  return session.suggest(job.history, createRng(job.seed, job.trialNumber));
}
