/**
 * Keeps in-process algorithm work from holding the event loop. One TPE
 * suggestion costs a millisecond or two, but a Suggest(count = 1000) over a
 * long history chains a thousand of them, which used to run in one turn of
 * the loop for seconds while no other call (health checks included) was
 * answered. Work that has run for more than `sliceMs` in the current turn
 * waits for the next turn first, so I/O is served in between; a lone short
 * suggestion never waits.
 */
export class EventLoopSlices {
  /** When the current turn's algorithm work began; cleared once the loop has turned. */
  private busySince: number | undefined;

  constructor(private readonly sliceMs: number) {}

  /** undefined: run now. A promise: run when it resolves, once other I/O had its turn. */
  turn(): Promise<void> | undefined {
    const now = performance.now();
    if (this.busySince === undefined) {
      this.busySince = now;
      setImmediate(() => {
        this.busySince = undefined;
      });
      return undefined;
    }
    if (now - this.busySince < this.sliceMs) return undefined;
    return nextPoll().then(() => {
      this.turn();
    });
  }
}

/**
 * Resolves after the loop's next poll phase (where sockets are read): a
 * single setImmediate queued from an I/O callback runs before the next poll,
 * so it takes two.
 */
function nextPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
