/**
 * A bound on concurrent StreamTrials calls, server-wide. Backpressure keeps
 * each paused stream small (one chunk of rows and HTTP/2's window), but
 * every open stream still holds that much; the bound caps the sum, and a
 * caller over it gets RESOURCE_EXHAUSTED at once rather than a server that
 * slowly fills its memory.
 */
import { ParzenError } from "../errors.js";

export const DEFAULT_MAX_STREAMS = 256;

export class StreamGate {
  private open = 0;
  private readonly waiters: { atMost: number; resolve(): void }[] = [];

  constructor(readonly max: number = DEFAULT_MAX_STREAMS) {}

  get count(): number {
    return this.open;
  }

  /** Takes a slot, or throws RESOURCE_EXHAUSTED when all `max` are taken; call the returned function once done. */
  enter(): () => void {
    if (this.open >= this.max) {
      throw new ParzenError(
        "RESOURCE_EXHAUSTED",
        `too many concurrent StreamTrials calls: this server allows ${this.max} (--max-streams); ` +
          "retry once one finishes, or page through ListTrials",
      );
    }
    this.open++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.open--;
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (this.open <= w.atMost) {
          this.waiters.splice(i, 1);
          w.resolve();
        }
      }
    };
  }

  /** Resolves once at most `atMost` streams are open (tests and shutdown wait on it). */
  idle(atMost = 0): Promise<void> {
    if (this.open <= atMost) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ atMost, resolve }));
  }
}
