/**
 * Trials the user supplies rather than the algorithm: Enqueue adds
 * configurations to try next (WAITING trials that Suggest hands out first),
 * AddTrials imports finished trials from elsewhere to warm-start the
 * algorithm. Each call checks every item before anything is written, then
 * creates all of its trials in one transaction in the experiment's queue.
 */
import { invalidArgument } from "../errors.js";
import type { AddTrialsRequest, EnqueueRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState, type Trial } from "@parzen/client/gen/parzen/v1/trial";
import type { Config } from "../space/types.js";
import { configFromProto } from "../space/values.js";
import { StoredState, type TrialRow } from "../store/rows.js";
import type { Store } from "../store/store.js";
import type { ExperimentState } from "./experiment-state.js";
import type { ServiceLimits } from "./limits.js";
import { newTrialRow } from "./new-trial.js";
import { checkAttrs, checkMetrics } from "./request-checks.js";
import { trialView } from "./views.js";

export class UserTrials {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly limits: ServiceLimits,
  ) {}

  /** Validates everything before queueing, so a rejected call creates nothing. */
  enqueue(exp: ExperimentState, req: EnqueueRequest): Promise<Trial[]> {
    if (req.configurations.length === 0) throw invalidArgument("configurations: nothing to enqueue");
    if (req.configurations.length > this.limits.maxEnqueue)
      throw invalidArgument(`configurations: at most ${this.limits.maxEnqueue} per call`);
    const configs = req.configurations.map((c, i) => {
      checkAttrs(c.userAttrs, `configurations[${i}].user_attrs`, this.limits.maxAttrLength);
      return { config: configFromProto(exp.space, c.params, `configurations[${i}]`), userAttrs: c.userAttrs };
    });
    return exp.queue.run(() => {
      const now = this.now();
      const rows: TrialRow[] = [];
      const seen: Config[] = [];
      for (const { config, userAttrs } of configs) {
        if (req.skipIfExists && (exp.hasConfig(config) || seen.some((c) => sameConfig(c, config)))) continue;
        seen.push(config);
        rows.push(
          newTrialRow(exp, exp.nextNumber + rows.length, config, now, {
            state: StoredState.Waiting,
            source: TrialSource.TRIAL_SOURCE_ENQUEUED,
            userAttrs,
          }),
        );
      }
      this.store.transaction(() => {
        for (const t of rows) t.id = this.store.insertTrial(t, exp.storedParams(t.config));
      });
      for (const t of rows) exp.put(t);
      return rows.map((t) => trialView(exp, t));
    });
  }

  addTrials(exp: ExperimentState, req: AddTrialsRequest): Promise<Trial[]> {
    if (req.trials.length === 0) throw invalidArgument("trials: nothing to import");
    if (req.trials.length > this.limits.maxImport)
      throw invalidArgument(`trials: at most ${this.limits.maxImport} per call`);
    const now = this.now();
    const prepared = req.trials.map((imp, i) => {
      const where = `trials[${i}]`;
      const config = configFromProto(exp.space, imp.params, where);
      const state = imp.state === TrialState.TRIAL_STATE_UNSPECIFIED ? TrialState.TRIAL_STATE_COMPLETE : imp.state;
      if (
        state !== TrialState.TRIAL_STATE_COMPLETE &&
        state !== TrialState.TRIAL_STATE_PRUNED &&
        state !== TrialState.TRIAL_STATE_FAIL
      ) {
        throw invalidArgument(`${where}.state: imported trials must be COMPLETE, PRUNED or FAIL`);
      }
      if (imp.loss !== undefined && !Number.isFinite(imp.loss))
        throw invalidArgument(`${where}.loss: must be finite, got ${imp.loss}`);
      if (state === TrialState.TRIAL_STATE_COMPLETE && imp.loss === undefined)
        throw invalidArgument(`${where}.loss: a COMPLETE trial needs a finite loss`);
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
      checkAttrs(imp.userAttrs, `${where}.user_attrs`, this.limits.maxAttrLength);
      const metrics = checkMetrics(imp.metrics, `${where}.metrics`);
      let loss = imp.loss ?? null;
      const last = intermediate.at(-1)?.[1];
      if (state === TrialState.TRIAL_STATE_PRUNED && loss === null && last !== undefined && Number.isFinite(last))
        loss = last;
      return {
        config,
        state: state as number as StoredState,
        loss,
        metrics,
        intermediate,
        userAttrs: imp.userAttrs,
        failReason: imp.failReason,
      };
    });
    return exp.queue.run(() => {
      const rows = prepared.map((p, i) =>
        newTrialRow(exp, exp.nextNumber + i, p.config, now, {
          state: p.state,
          source: TrialSource.TRIAL_SOURCE_IMPORTED,
          loss: p.loss,
          metrics: p.metrics,
          intermediate: p.intermediate,
          userAttrs: p.userAttrs,
          failReason: p.state === StoredState.Fail ? p.failReason : "",
          endTime: now,
        }),
      );
      this.store.transaction(() => {
        for (const t of rows) {
          t.id = this.store.insertTrial(t, exp.storedParams(t.config));
          for (const [step, value] of t.intermediate) this.store.insertIntermediate(t.id, step, value);
        }
      });
      for (const t of rows) exp.put(t);
      return rows.map((t) => trialView(exp, t));
    });
  }
}

function sameConfig(a: Config, b: Config): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) return false;
  }
  return true;
}
