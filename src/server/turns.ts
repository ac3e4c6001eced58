/**
 * Fair turns on the event loop for long-running streams. Each waiter is let
 * go in its own turn of the loop (one per setImmediate), so between two
 * streams' slices of work the loop polls for I/O and a health check or a
 * Suggest gets in. Without it, 200 StreamTrials calls arriving together each
 * read their first chunk of history in the same microtask run: one stall of
 * seconds.
 */
export class Turns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves in a loop turn of its own. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()?.();
      // Queued from within an immediate, the next one runs in the loop's next turn, after I/O.
      if (this.waiting.length > 0) this.schedule();
    });
  }
}
