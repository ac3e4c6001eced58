/** What one call may ask for, and how much history the server keeps in memory. */
import type { SpaceLimits } from "../../space/compile.js";

export interface ServiceLimits {
  maxSuggestCount: number;
  maxEnqueue: number;
  maxImport: number;
  maxPageSize: number;
  maxWorkerIdLength: number;
  maxAttrLength: number;
  /** Total UTF-8 bytes of one call's user_attrs map (keys and values). */
  maxAttrsBytes: number;
  /**
   * The largest answer the server sends (Suggest answers and list pages):
   * under the 4 MiB that gRPC clients accept by default (answer-size.ts).
   */
  maxAnswerBytes: number;
  /**
   * Trials kept in memory across all experiments before idle ones are
   * dropped (see ExperimentCache.evictIdle). A trial costs about 25 + 8·d bytes for d
   * parameters (trial-columns.ts), so the default holds two million trials
   * of a 6-parameter space in about 160 MB.
   */
  cacheTrials: number;
  space: SpaceLimits | undefined;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxSuggestCount: 1000,
  maxEnqueue: 10_000,
  maxImport: 100_000,
  maxPageSize: 10_000,
  maxWorkerIdLength: 200,
  maxAttrLength: 65_536,
  maxAttrsBytes: 262_144,
  maxAnswerBytes: 4_000_000,
  cacheTrials: 2_000_000,
  space: undefined,
};
