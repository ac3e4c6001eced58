/**
 * Decomposes a (conditional) space into groups of parameters that are
 * always active together: the parameters hanging under the same choice
 * option (or at the root) share a condition, so every trial holds either
 * all or none of them. Each group gets its own joint l(x)/g(x), built from
 * the trials in which it is active (Optuna's `group=True`, derived from the
 * space's structure instead of from the history). Without `group` only the
 * root group is joint; without `multivariate` every parameter is alone. A
 * TPE session decomposes its space once.
 */
import type { Condition, Space } from "../../space/types.js";

export interface Group {
  /** Parameter indices, ascending. */
  readonly params: readonly number[];
  /** The shared activation condition (undefined at the root). */
  readonly condition: Condition | undefined;
}

export function groupsOf(space: Space, multivariate: boolean, group: boolean): Group[] {
  const byCondition = new Map<string, Group & { params: number[] }>();
  const out: (Group & { params: number[] })[] = [];
  for (const p of space.params) {
    const c = p.condition;
    const joint = multivariate && (c === undefined || group);
    const k = joint ? (c === undefined ? "root" : `${c.parent}:${c.option}`) : `solo:${p.index}`;
    let g = byCondition.get(k);
    if (g === undefined) {
      g = { params: [], condition: c };
      byCondition.set(k, g);
      out.push(g);
    }
    g.params.push(p.index);
  }
  // Parameters are in pre-order (parents first), and groups are created in
  // order of their first parameter, so a group's parent is always decided
  // by an earlier group.
  return out;
}
