/**
 * Trials the user supplies rather than the algorithm: Enqueue adds
 * configurations to try next (WAITING trials that Suggest hands out first),
 * AddTrials imports finished trials from elsewhere to warm-start the
 * algorithm. Each call checks every item before anything is written, then
 * creates all of its trials in one unit, through the one mutation path
 * (state/experiments.ts).
 */
import { invalidArgument } from "../../errors.js";
import type { AddTrialsRequest, EnqueueRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState, type Trial } from "@parzen/client/gen/parzen/v1/trial";
import { sameConfig } from "../../space/config.js";
import type { Config } from "../../space/types.js";
import { configFromProto } from "../../space/values.js";
import { isFinished } from "../../domain/trial-state.js";
import type { TrialRow } from "../../store/rows.js";
import { type Changes, type ExperimentCache, experimentNamed } from "../state/experiments.js";
import type { ExperimentState } from "../state/experiment-state.js";
import type { ServiceLimits } from "./limits.js";
import { checkCreatedAnswer } from "./answer-size.js";
import { newTrialRow } from "./new-trial.js";
import { checkOutcome } from "./outcome.js";
import { checkAttrs, checkMetrics } from "./request-checks.js";
import { fromProtoState, trialView } from "./views.js";

export class UserTrials {
  constructor(
    private readonly changes: Changes,
    private readonly cache: ExperimentCache,
    private readonly now: () => number,
    private readonly limits: ServiceLimits,
    /** The answer of an earlier call logged under (method, request id), if any. */
    private readonly replay: (
      exp: ExperimentState,
      method: "AddTrials",
      requestId: string,
    ) => Promise<Trial[] | undefined>,
  ) {}

  /** Validates everything before writing, so a rejected call creates nothing. */
  enqueue(req: EnqueueRequest): Promise<Trial[]> {
    return this.changes.find(
      () => experimentNamed(this.cache, req.experiment),
      async (change) => {
        const exp = change.exp;
        if (req.configurations.length === 0) throw invalidArgument("configurations: nothing to enqueue");
        if (req.configurations.length > this.limits.maxEnqueue)
          throw invalidArgument(`configurations: at most ${this.limits.maxEnqueue} per call`);
        const configs = req.configurations.map((c, i) => {
          checkAttrs(c.userAttrs, `configurations[${i}].user_attrs`, this.limits);
          return { config: configFromProto(exp.space, c.params, `configurations[${i}]`), userAttrs: c.userAttrs };
        });
        const now = this.now();
        const rows: TrialRow[] = [];
        const seen: Config[] = [];
        for (const { config, userAttrs } of configs) {
          if (req.skipIfExists && (exp.hasConfig(config) || seen.some((c) => sameConfig(c, config)))) continue;
          seen.push(config);
          rows.push(
            newTrialRow(exp, exp.nextNumber + rows.length, config, now, {
              state: "waiting",
              source: "enqueued",
              userAttrs,
            }),
          );
        }
        checkCreatedAnswer(exp, rows, this.limits.maxAnswerBytes, "configurations");
        if (rows.length > 0) await change.write({ insert: rows });
        return rows.map((t) => trialView(exp, t));
      },
    );
  }

  addTrials(req: AddTrialsRequest): Promise<Trial[]> {
    return this.changes.find(
      () => experimentNamed(this.cache, req.experiment),
      async (change) => {
        const exp = change.exp;
        // A retried import returns what the first one imported, and imports nothing again.
        if (req.requestId !== "") {
          const replay = await this.replay(exp, "AddTrials", req.requestId);
          if (replay !== undefined) return replay;
        }
        if (req.trials.length === 0) throw invalidArgument("trials: nothing to import");
        if (req.trials.length > this.limits.maxImport)
          throw invalidArgument(`trials: at most ${this.limits.maxImport} per call`);
        const now = this.now();
        // The first import with constraints fixes their count for the rest, as a first Report would.
        let constraintCount = exp.constraintCount;
        const objectives = exp.def.objectives.length;
        const prepared = req.trials.map((imp, i) => {
          const where = `trials[${i}]`;
          const config = configFromProto(exp.space, imp.params, where);
          const state = imp.state === TrialState.TRIAL_STATE_UNSPECIFIED ? "complete" : fromProtoState(imp.state);
          if (state === undefined || !isFinished(state)) {
            throw invalidArgument(`${where}.state: imported trials must be COMPLETE, PRUNED or FAIL`);
          }
          if (imp.loss !== undefined && !Number.isFinite(imp.loss))
            throw invalidArgument(`${where}.loss: must be finite, got ${imp.loss}`);
          if (state === "complete" && imp.loss === undefined && objectives === 1 && imp.values.length === 0)
            throw invalidArgument(`${where}.loss: a COMPLETE trial needs a finite loss`);
          const outcome = checkOutcome(imp, state, objectives, constraintCount, `${where}.`);
          if (constraintCount === 0 && outcome.constraints !== undefined) constraintCount = outcome.constraints.length;
          const steps = new Set<number>();
          const intermediate = imp.intermediateValues
            .map(({ step, value }) => {
              if (!Number.isSafeInteger(step) || step < 0)
                throw invalidArgument(`${where}.intermediate_values: step must be a non-negative integer, got ${step}`);
              if (steps.has(step)) throw invalidArgument(`${where}.intermediate_values: step ${step} appears twice`);
              steps.add(step);
              return [step, value] as [number, number];
            })
            .sort((a, b) => a[0] - b[0]);
          checkAttrs(imp.userAttrs, `${where}.user_attrs`, this.limits);
          const metrics = checkMetrics(imp.metrics, `${where}.metrics`);
          let loss = outcome.loss;
          const last = intermediate.at(-1)?.[1];
          if (state === "pruned" && objectives === 1 && loss === null && last !== undefined && Number.isFinite(last))
            loss = last;
          return {
            config,
            state,
            loss,
            outcome,
            metrics,
            intermediate,
            userAttrs: imp.userAttrs,
            failReason: imp.failReason,
          };
        });
        const rows = prepared.map((p, i) =>
          newTrialRow(exp, exp.nextNumber + i, p.config, now, {
            state: p.state,
            source: "imported",
            loss: p.loss,
            ...(p.outcome.values === undefined ? {} : { values: p.outcome.values }),
            ...(p.outcome.constraints === undefined ? {} : { constraints: p.outcome.constraints }),
            metrics: p.metrics,
            intermediate: p.intermediate,
            userAttrs: p.userAttrs,
            failReason: p.state === "fail" ? p.failReason : "",
            endTime: now,
          }),
        );
        checkCreatedAnswer(exp, rows, this.limits.maxAnswerBytes, "trials");
        await change.write({
          insert: rows,
          request: req.requestId === "" ? undefined : { method: "AddTrials", requestId: req.requestId, trialIds: [] },
        });
        return rows.map((t) => trialView(exp, t));
      },
    );
  }
}
