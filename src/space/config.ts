/**
 * Equality of configurations (Float64Arrays indexed like `Space.params`).
 * The one definition used by the service (enqueue's skip_if_exists) and by
 * the algorithms' memos: two configurations are the same when every value is
 * the same number by Object.is, so NaN (an inactive parameter) equals NaN,
 * and 0 and −0 differ (they can differ in arithmetic, which memos must
 * respect). Pure; nothing here allocates.
 */
import type { Config } from "./types.js";

export function sameConfig(a: Config, b: Config): boolean {
  return a === b || (a.length === b.length && sameConfigAt(a, 0, b));
}

/** Whether the `b.length` values of `column` from `offset` are `b` (a configuration stored inside a larger array). */
export function sameConfigAt(column: Float64Array, offset: number, b: Config): boolean {
  for (let j = 0; j < b.length; j++) if (!Object.is(column[offset + j], b[j])) return false;
  return true;
}
