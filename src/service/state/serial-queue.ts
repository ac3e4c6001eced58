/**
 * Runs async tasks one at a time, in arrival order. Used per experiment so
 * that its changes never interleave (experiments.ts): a Suggest whose algorithm
 * runs asynchronously cannot see a stale history or race another call.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** True when no task is queued or running. */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** Tasks queued or running. */
  get queued(): number {
    return this.pending;
  }

  /** Resolves once no task is queued or running (tasks queued meanwhile included). */
  async drained(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }

  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const result = this.tail.then(task, task);
    // The tail settles to undefined, not to the task's result: an idle
    // experiment's queue would otherwise keep its last answer alive (after
    // a bulk import, thousands of trials per experiment).
    const settled = (): void => {
      this.pending--;
    };
    this.tail = result.then(settled, settled);
    return result;
  }
}
