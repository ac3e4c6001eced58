/**
 * Worker-thread entry: runs suggest jobs posted by WorkerRunner. Algorithms
 * are pure, so the worker needs nothing but the job itself.
 */
import { parentPort } from "node:worker_threads";
import { ParzenError } from "../errors.js";
import { runSuggestJob, type SuggestJob } from "./algorithm-runner.js";

parentPort!.on("message", (msg: { id: number; job: SuggestJob }) => {
  try {
    const config = runSuggestJob(msg.job);
    parentPort!.postMessage({ id: msg.id, config });
  } catch (err) {
    const code = err instanceof ParzenError ? err.code : "INTERNAL";
    parentPort!.postMessage({ id: msg.id, error: { code, message: (err as Error).message } });
  }
});
