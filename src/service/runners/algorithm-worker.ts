/**
 * Worker-thread entry: runs suggest jobs posted by WorkerRunner. Each job
 * brings its whole history (structured-cloned), so it runs in a session of
 * its own, opened and dropped with the job: nothing on the worker is keyed by
 * experiment, and a replaced worker loses nothing. What does carry over is
 * this thread's content-keyed memos (the GP's fits), owned here for the
 * thread's lifetime.
 */
import { parentPort } from "node:worker_threads";
import { createSharedMemos } from "../../algorithms/shared-memos.js";
import { ParzenError } from "../../errors.js";
import { runSuggestJob, type SuggestJob } from "./algorithm-runner.js";

const memos = createSharedMemos();

parentPort!.on("message", (msg: { id: number; job: SuggestJob }) => {
  try {
    const config = runSuggestJob(msg.job, memos);
    parentPort!.postMessage({ id: msg.id, config });
  } catch (err) {
    const code = err instanceof ParzenError ? err.code : "INTERNAL";
    parentPort!.postMessage({ id: msg.id, error: { code, message: (err as Error).message } });
  }
});
