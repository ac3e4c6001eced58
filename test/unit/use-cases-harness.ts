/**
 * The Optimizer on a real in-memory SQLite store and the in-process algorithm runner, with a clock the test
 * moves: the use-case tests (use-cases-*.test.ts) call it as the gRPC handlers would, without the transport.
 */
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import {
  AddTrialsRequest,
  EnqueueRequest,
  ReleaseTrialRequest,
  ReportRequest,
  ReportStatus,
  SuggestRequest,
  UpdateExperimentRequest,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { createSharedMemos } from "../../src/algorithms/shared-memos.js";
import { ParzenError } from "../../src/errors.js";
import { type AlgorithmRunner, runSuggestJob } from "../../src/service/runners/algorithm-runner.js";
import type { ServiceLimits } from "../../src/service/use-cases/limits.js";
import { Optimizer } from "../../src/service/use-cases/optimizer.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { uniform } from "../integration/fixtures.js";

const memos = createSharedMemos();

export const START = Date.UTC(2026, 0, 1);

export interface Harness {
  readonly optimizer: Optimizer;
  readonly store: SqliteStore;
  /** The service's clock (ms since the epoch); tests move it. */
  clock: number;
  /** Jobs the runner was given, in order (algorithm, trial number, history length). */
  readonly jobs: { algorithm: string; trialNumber: number; history: number; batch: number }[];
  /** The parsed algorithm options of each job, in the same order. */
  readonly options: unknown[];
  close(): Promise<void>;
}

export async function harness(
  opts: { limits?: Partial<ServiceLimits>; prefetch?: boolean; runner?: AlgorithmRunner } = {},
): Promise<Harness> {
  const store = await openSqliteStore({ path: ":memory:" });
  const jobs: Harness["jobs"] = [];
  const options: unknown[] = [];
  const runner: AlgorithmRunner = opts.runner ?? {
    suggest: async (job) => {
      jobs.push({
        algorithm: job.algorithm,
        trialNumber: job.trialNumber,
        history: job.history.length,
        batch: job.batch ?? 1,
      });
      options.push(job.options);
      return runSuggestJob(job, memos);
    },
    close: async () => undefined,
  };
  const h: Harness = {
    store,
    clock: START,
    jobs,
    options,
    optimizer: undefined as unknown as Optimizer,
    async close() {
      await h.optimizer.close();
      await store.close();
    },
  };
  (h as { optimizer: Optimizer }).optimizer = new Optimizer({
    store,
    runner,
    now: () => h.clock,
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
    ...(opts.prefetch === undefined ? {} : { prefetch: opts.prefetch }),
  });
  return h;
}

/** A one-parameter experiment on random search, seeded; `extra` overrides any field. */
export function experiment(name: string, extra: Partial<Experiment> = {}): Experiment {
  return Experiment.fromPartial({
    name,
    space: { parameters: [uniform("x", 0, 1)] },
    algorithm: { name: "random" },
    seed: 7,
    ...extra,
  });
}

export const suggestReq = (experiment: string, count = 1, extra: Partial<SuggestRequest> = {}) =>
  SuggestRequest.fromPartial({ experiment, workerId: "w", count, ...extra });

export const ok = (trialId: number, loss: number, extra: Partial<ReportRequest> = {}) =>
  ReportRequest.fromPartial({ trialId, status: ReportStatus.REPORT_STATUS_OK, loss, ...extra });
export const fail = (trialId: number, extra: Partial<ReportRequest> = {}) =>
  ReportRequest.fromPartial({ trialId, status: ReportStatus.REPORT_STATUS_FAIL, ...extra });
export const pruned = (trialId: number, extra: Partial<ReportRequest> = {}) =>
  ReportRequest.fromPartial({ trialId, status: ReportStatus.REPORT_STATUS_PRUNED, ...extra });

export const update = (name: string, extra: Partial<UpdateExperimentRequest>) =>
  UpdateExperimentRequest.fromPartial({ name, ...extra });
export const enqueueReq = (experiment: string, xs: number[], extra: Partial<EnqueueRequest> = {}) =>
  EnqueueRequest.fromPartial({
    experiment,
    configurations: xs.map((x) => ({ params: { x: { kind: { $case: "doubleValue", value: x } } } })),
    ...extra,
  });
export const addReq = (experiment: string, trials: AddTrialsRequest["trials"], requestId = "") =>
  AddTrialsRequest.fromPartial({ experiment, trials, requestId });
export const releaseReq = (trialId: number, extra: Partial<ReleaseTrialRequest> = {}) =>
  ReleaseTrialRequest.fromPartial({ trialId, ...extra });

/** The x of a trial's configuration. */
export const xOf = (t: { params: Record<string, { kind?: { value: unknown } | undefined }> }) =>
  t.params.x?.kind?.value as number;

/** The ParzenError a call rejects with (its code and message), failing the test if it resolves. */
export async function refusal(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    if (err instanceof ParzenError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a refusal, the call succeeded");
}
