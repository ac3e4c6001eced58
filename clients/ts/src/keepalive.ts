/**
 * Background heartbeats for a long evaluation, so the server does not mark
 * the trial LOST (and hand its configuration to someone else) while it is
 * still being worked on. Transient failures are retried by the heartbeat
 * call itself and then at the next tick; a refusal (the trial is finished,
 * LOST for good or deleted) stops the loop and is passed to `onError`, so
 * the trainer can give up early. Timers are unref'd: a forgotten keep-alive
 * never keeps Node running.
 */
import { ParzenError } from "./errors.js";

export interface KeepAliveOptions {
  /** Pause between heartbeats. Default: a third of the trial's lease. */
  intervalMs?: number;
  /** Called once when the server refuses a heartbeat (the loop has stopped). */
  onError?: (err: ParzenError) => void;
}

/** Stops the heartbeats; calling it again does nothing. */
export type StopKeepAlive = () => void;

export function startKeepAlive(
  beat: () => Promise<unknown>,
  intervalMs: number,
  onError: ((err: ParzenError) => void) | undefined,
): StopKeepAlive {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  const tick = async () => {
    try {
      await beat();
    } catch (err) {
      if (stopped) return;
      const e = ParzenError.fromGrpc(err, "Heartbeat");
      if (e.is("NOT_FOUND") || e.is("FAILED_PRECONDITION") || e.is("PERMISSION_DENIED") || e.is("UNAUTHENTICATED")) {
        stopped = true;
        onError?.(e);
        return;
      }
    }
    if (!stopped) schedule();
  };
  schedule();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
