/**
 * Where algorithms execute. The service only awaits `suggest`; WorkerRunner
 * (worker-runner.ts) runs TPE in the experiment's session kept on a thread
 * of its own (session-thread.ts), cheap ones (random) in process, and
 * offloaded ones (GP) on a worker pool, in a session opened for the job
 * (runSuggestJob).
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
  /** Suggestions the call this job belongs to asks the algorithm for (a batch); 1 if absent. */
  readonly batch?: number;
}

/** A handle on a session kept off the event loop (session-thread.ts); releasing it frees the session. */
export interface RemoteSession {
  readonly remote: true;
  release(): void;
}

/**
 * Where an experiment's sessions are kept (its ExperimentState): opened by
 * the runner on first use, dropped by the holder. An algorithm may have one
 * in process and one on the session thread (worker-runner.ts says which
 * suggestion runs where): both suggest the same, being only optimisations.
 */
export interface SessionHolder {
  algorithmSession: AlgorithmSession | undefined;
  threadSession: RemoteSession | undefined;
  /**
   * The algorithm its sessions are for: an `auto` experiment's changes with
   * its phase, and a session is dropped when another algorithm's job comes.
   */
  sessionAlgorithm?: string;
}

/** Drops `holder`'s sessions if they belong to another algorithm than `algorithm`'s, and marks them as its. */
export function claimSessions(holder: SessionHolder, algorithm: string): void {
  if (holder.sessionAlgorithm === algorithm) return;
  dropSession(holder);
  holder.sessionAlgorithm = algorithm;
}

/** Drops what `holder` keeps of its sessions, freeing them wherever they live. */
export function dropSession(holder: SessionHolder): void {
  const remote = holder.threadSession;
  holder.algorithmSession = undefined;
  holder.threadSession = undefined;
  remote?.release();
}

export interface AlgorithmRunner {
  /** The suggestion for `job`; `holder` keeps the experiment's session when its algorithm runs in process. */
  suggest(job: SuggestJob, holder: SessionHolder, signal?: AbortSignal): Promise<Config>;
  /**
   * Computes `job` ahead in `holder`'s session, for its memo (Algorithm.suggestsAhead),
   * when the real suggestion would run in that same session; the result is dropped.
   */
  suggestAhead?(job: SuggestJob, holder: SessionHolder): void;
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
