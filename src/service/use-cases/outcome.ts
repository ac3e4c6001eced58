/**
 * What a Report (or an imported trial) says about a trial's result, checked
 * against its experiment: the loss of a single-objective experiment (given as
 * `loss` or as one value), the values of a multi-objective one, and the
 * constraint values (feasible when every one is <= 0), whose count the
 * experiment's first constrained report fixes.
 */
import { invalidArgument } from "../../errors.js";
import type { TrialState } from "../../domain/trial-state.js";

export interface Outcome {
  readonly loss: number | null;
  /** Multi-objective experiments only; undefined when none was reported. */
  readonly values: readonly number[] | undefined;
  /** Undefined when none was reported. */
  readonly constraints: readonly number[] | undefined;
}

export interface OutcomeRequest {
  readonly loss?: number | undefined;
  readonly values: readonly number[];
  readonly constraints: readonly number[];
}

function checkFinite(xs: readonly number[], field: string): void {
  for (const [i, x] of xs.entries())
    if (!Number.isFinite(x)) throw invalidArgument(`${field}[${i}]: must be finite, got ${x}`);
}

/**
 * The outcome of a report with status `state` to an experiment of
 * `objectives` objectives whose trials carry `constraintCount` constraints
 * (0: none so far). `prefix` names the request's fields ("" or "trials[3].").
 */
export function checkOutcome(
  req: OutcomeRequest,
  state: TrialState,
  objectives: number,
  constraintCount: number,
  prefix = "",
): Outcome {
  const { loss, values, constraints } = req;
  if (loss !== undefined && !Number.isFinite(loss)) throw invalidArgument(`${prefix}loss: must be finite, got ${loss}`);
  checkFinite(values, `${prefix}values`);
  checkFinite(constraints, `${prefix}constraints`);
  if (constraintCount > 0 && constraints.length > 0 && constraints.length !== constraintCount) {
    throw invalidArgument(
      `${prefix}constraints: this experiment's trials carry ${constraintCount} constraint values, got ${constraints.length}`,
    );
  }
  if (constraintCount > 0 && constraints.length === 0 && state === "complete") {
    throw invalidArgument(
      `${prefix}constraints: this experiment's trials carry ${constraintCount} constraint values; ` +
        "a COMPLETE trial must report them too",
    );
  }
  const kept = constraints.length === 0 ? undefined : constraints;
  if (objectives > 1) {
    if (loss !== undefined) {
      throw invalidArgument(
        `${prefix}loss: this experiment has ${objectives} objectives; report them as values (one per objective)`,
      );
    }
    if (values.length > 0 && values.length !== objectives) {
      throw invalidArgument(
        `${prefix}values: this experiment has ${objectives} objectives, got ${values.length} values`,
      );
    }
    if (state === "complete" && values.length === 0)
      throw invalidArgument(`${prefix}values: a COMPLETE trial needs ${objectives} finite values, one per objective`);
    return { loss: null, values: values.length === 0 ? undefined : values, constraints: kept };
  }
  if (values.length > 1)
    throw invalidArgument(`${prefix}values: this experiment has one objective, got ${values.length} values`);
  if (values.length === 1 && loss !== undefined && values[0] !== loss)
    throw invalidArgument(`${prefix}values: values[0] (${values[0]}) differs from loss (${loss}); give one of them`);
  return { loss: loss ?? values[0] ?? null, values: undefined, constraints: kept };
}

/** Whether two optional value lists are the same (a repeated report is compared with what was stored). */
export function sameValues(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
