/**
 * Retrying UNAVAILABLE with exponential backoff and jitter. Only calls
 * that are safe to repeat go through here: reads, CreateExperiment (an
 * identical re-create returns the same experiment), Suggest and Report
 * (which carry a request_id the server de-duplicates), ReportIntermediate
 * (a repeated step keeps its first value) and Heartbeat. A sidecar server
 * restarting, or a connection being re-established, then costs a pause
 * instead of a failed training run.
 */
import { status } from "@grpc/grpc-js";
import { ParzenError } from "./errors.js";

export interface RetryPolicy {
  /** Attempts in all, including the first. Default 6. */
  maxAttempts: number;
  /** Upper bound of the first pause. Default 100 ms. */
  initialBackoffMs: number;
  /** Cap of any pause. Default 2 s. */
  maxBackoffMs: number;
  /** Growth of the pause bound per attempt. Default 2. */
  multiplier: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  initialBackoffMs: 100,
  maxBackoffMs: 2000,
  multiplier: 2,
};

/** Runs `attempt` until it succeeds, fails with something other than UNAVAILABLE, or the attempts run out. */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = delay,
): Promise<T> {
  let bound = policy.initialBackoffMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ParzenError) || err.code !== status.UNAVAILABLE || n >= policy.maxAttempts) throw err;
    }
    // Jitter (a pause in [bound/2, bound]): many workers that lost the same
    // server do not come back in lockstep, yet each waits a predictable minimum.
    await sleep(bound / 2 + (Math.random() * bound) / 2);
    bound = Math.min(bound * policy.multiplier, policy.maxBackoffMs);
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
