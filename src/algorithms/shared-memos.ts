/**
 * Memos that outlive any one session: keyed by the content they were
 * computed from, so a hit returns exactly what a fresh computation would and
 * one memo can serve every experiment. Today that is the GP's
 * hyperparameter fits (gp/fit-schedule.ts), which a GP session opened per
 * job on a worker thread could not otherwise reuse.
 *
 * Not module state: whoever runs algorithms creates one per thread (the
 * service's runner for its own thread, each algorithm worker thread for
 * itself) and passes it to Algorithm.open; it lives as long as its owner.
 */
import { FitMemo } from "./gp/fit-schedule.js";

export interface SharedMemos {
  /** GP hyperparameter fits by a hash of the fitted data (bounded LRU). */
  readonly gpFits: FitMemo;
}

export function createSharedMemos(): SharedMemos {
  return { gpFits: new FitMemo() };
}
