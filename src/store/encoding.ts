/**
 * How both schemas store what is not a plain number or string: states and
 * sources as their parzen.v1 enum numbers, metrics and attributes as JSON
 * objects. Shared by the SQLite and PostgreSQL stores, so the two encode
 * alike and `parzen copy` between them stays a copy.
 */
import { ParzenError } from "../errors.js";
import type { TrialSource } from "../domain/trial-source.js";
import type { TrialState } from "../domain/trial-state.js";
import { NO_NUMBERS, NO_STRINGS, NO_VALUES } from "./rows.js";

/** States as stored: the parzen.v1.TrialState numbers. */
export const STATE_NUMBER: Readonly<Record<TrialState, number>> = {
  waiting: 1,
  running: 2,
  complete: 3,
  pruned: 4,
  fail: 5,
  lost: 6,
};
export const STATE_OF: readonly TrialState[] = ["waiting", "running", "complete", "pruned", "fail", "lost"];

/** Sources as stored: the parzen.v1.TrialSource numbers. */
export const SOURCE_NUMBER: Readonly<Record<TrialSource, number>> = { algorithm: 1, enqueued: 2, imported: 3 };
export const SOURCE_OF: readonly TrialSource[] = ["algorithm", "enqueued", "imported"];

export function decoded<T>(values: readonly T[], n: number, what: string): T {
  const v = values[n - 1];
  if (v === undefined) throw new ParzenError("INTERNAL", `trials: unknown stored ${what} ${n}`);
  return v;
}

export const parseNumbers = (json: string): Readonly<Record<string, number>> =>
  json === "{}" ? NO_NUMBERS : (JSON.parse(json) as Record<string, number>);
export const parseStrings = (json: string): Readonly<Record<string, string>> =>
  json === "{}" ? NO_STRINGS : (JSON.parse(json) as Record<string, string>);

/** Objective and constraint values: a JSON array of finite numbers, '[]' for none. */
export const encodeValues = (values: readonly number[] | undefined): string =>
  values === undefined || values.length === 0 ? "[]" : JSON.stringify(values);
export const parseValues = (json: string): readonly number[] =>
  json === "[]" ? NO_VALUES : (JSON.parse(json) as number[]);

/** A stored trial's objective values and constraints as TrialRow fields: present only when non-empty. */
export function outcomeOf(
  values: string,
  constraints: string,
): { values?: readonly number[]; constraints?: readonly number[] } {
  const out: { values?: readonly number[]; constraints?: readonly number[] } = {};
  if (values !== "[]") out.values = parseValues(values);
  if (constraints !== "[]") out.constraints = parseValues(constraints);
  return out;
}
