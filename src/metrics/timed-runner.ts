/**
 * An AlgorithmRunner that times each suggestion by algorithm for the
 * metrics, and otherwise passes everything through unchanged.
 */
import type { AlgorithmRunner, SessionHolder, SuggestJob } from "../service/runners/algorithm-runner.js";
import type { Config } from "../space/types.js";
import type { Metrics } from "./metrics.js";

export class TimedRunner implements AlgorithmRunner {
  constructor(
    private readonly inner: AlgorithmRunner,
    private readonly metrics: Metrics,
  ) {}

  async suggest(job: SuggestJob, holder: SessionHolder, signal?: AbortSignal): Promise<Config> {
    const started = performance.now();
    const config = await this.inner.suggest(job, holder, signal);
    this.metrics.suggestion(job.algorithm, (performance.now() - started) / 1000);
    return config;
  }

  /** Not timed: no caller waits for it (a suggestion computed ahead, runners/algorithm-runner.ts). */
  suggestAhead(job: SuggestJob, holder: SessionHolder): void {
    this.inner.suggestAhead?.(job, holder);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
