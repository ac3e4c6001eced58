/**
 * Runs async tasks one at a time, in arrival order. Used per experiment so
 * that a Suggest whose algorithm runs asynchronously cannot interleave with
 * another trial-creating call and see a stale history.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** True when no task is queued or running. */
  get idle(): boolean {
    return this.pending === 0;
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
