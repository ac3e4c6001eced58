/**
 * A memo of the estimators l(x) and g(x) of each group: rebuilding g(x),
 * whose kernels are most of the history (coordinates, per-dimension sorts
 * for the neighbour-gap bandwidths, truncation normalisers), on every
 * suggestion dominated TPE's cost with thousands of trials, and l(x) mostly
 * stays the same from one suggestion to the next.
 *
 * The memo never changes a result. An entry is found by the experiment's
 * compiled space (one object per experiment, which the dims cache relies on
 * too), the role and the group; it is then checked against everything the
 * estimator depends on: the dims, options, weights, and the configuration
 * of every member (the same object, as the service's in-memory history
 * passes, or failing that equal values: observations rebuilt around copies
 * still match). If all match it is returned as is; otherwise kernels whose
 * configuration is unchanged are matched by trial number: when only a few
 * kernels come or go (a Report appends one, a
 * change of the good set moves one in or out), the estimator is edited in
 * place (ParzenEstimator.editInPlace); otherwise the unchanged kernels are
 * carried over into a new estimator that is identical to a fresh build (see
 * Reuse). Anything unexpected (numbers out of order) means no reuse.
 *
 * At most MAX_EXPERIMENTS experiments are remembered (least recently used
 * first out), each with its current estimator and the previous one (whose
 * arrays the next build overwrites), per group and role, which bounds the
 * memory to a few estimators: about 8 MB per 10,000-trial, 10-parameter group.
 */
import type { Config, Space } from "../../space/types.js";
import type { Observation } from "../types.js";
import type { Dim } from "./dims.js";
import type { Group } from "./groups.js";
import { ParzenEstimator, type BandwidthOptions } from "./parzen-estimator.js";
import type { TpeWorkspace } from "./workspace.js";

const MAX_EXPERIMENTS = 4;
/** Kernels added plus removed up to which an estimator is edited in place (or n/16 if larger). */
const MAX_EDITS = 16;

interface Entry {
  readonly dims: readonly Dim[];
  readonly members: readonly Observation[];
  readonly weights: Float64Array;
  readonly priorWeight: number;
  readonly categoricalPriorWeight: number;
  readonly bw: BandwidthOptions;
  readonly estimator: ParzenEstimator;
  /** The estimator before `estimator`, no longer handed out: its arrays are reused by the next build. */
  readonly spare: ParzenEstimator | undefined;
}

/** Which of a group's two estimators: l(x) over the good trials or g(x) over the bad ones. */
export type Role = "good" | "bad";

const memo = new Map<Space, Record<Role, Map<Group, Entry>>>();

/** Forgets every entry (tests). */
export function clearEstimatorCache(): void {
  memo.clear();
}

/**
 * The estimator over `members` (active in `group`, in trial-number order)
 * with raw `weights`, in the experiment with compiled space `space`.
 */
export function cachedEstimator(
  space: Space,
  role: Role,
  group: Group,
  dims: readonly Dim[],
  members: readonly Observation[],
  weights: Float64Array,
  priorWeight: number,
  categoricalPriorWeight: number,
  bw: BandwidthOptions,
  ws: TpeWorkspace,
): ParzenEstimator {
  let perRole = memo.get(space);
  if (perRole !== undefined)
    memo.delete(space); // re-inserted below as the most recent
  else perRole = { good: new Map(), bad: new Map() };
  memo.set(space, perRole);
  if (memo.size > MAX_EXPERIMENTS) memo.delete(memo.keys().next().value!);
  const perGroup = perRole[role];

  const old = perGroup.get(group);
  if (
    old !== undefined &&
    old.priorWeight === priorWeight &&
    compatible(old, dims, categoricalPriorWeight, bw) &&
    sameMembers(old, members, weights)
  ) {
    return old.estimator;
  }
  let estimator: ParzenEstimator;
  if (old !== undefined && compatible(old, dims, categoricalPriorWeight, bw)) {
    const oldOf = matchKernels(old.members, members, ws);
    // A few kernels in or out (a Report, a change of the good set): edit in place.
    if (
      oldOf !== undefined &&
      isSmallEdit(oldOf, old.members.length) &&
      old.estimator.editInPlace(members, oldOf, weights, priorWeight, ws)
    ) {
      perGroup.set(group, { ...old, members, weights, priorWeight });
      return old.estimator;
    }
    estimator = new ParzenEstimator(dims, configsOf(members), weights, priorWeight, categoricalPriorWeight, bw, ws, {
      prev: oldOf && old.estimator,
      oldOf,
      recycle: old.spare,
    });
  } else {
    estimator = new ParzenEstimator(dims, configsOf(members), weights, priorWeight, categoricalPriorWeight, bw, ws, {
      prev: undefined,
      oldOf: undefined,
      recycle: old?.spare,
    });
  }
  perGroup.set(group, {
    dims,
    members,
    weights,
    priorWeight,
    categoricalPriorWeight,
    bw,
    estimator,
    spare: old?.estimator,
  });
  return estimator;
}

function configsOf(members: readonly Observation[]): Config[] {
  return members.map((o) => o.config);
}

function compatible(e: Entry, dims: readonly Dim[], categoricalPriorWeight: number, bw: BandwidthOptions): boolean {
  return (
    e.dims.length === dims.length &&
    e.dims.every((d, j) => d === dims[j]) &&
    e.categoricalPriorWeight === categoricalPriorWeight &&
    e.bw.considerEndpoints === bw.considerEndpoints &&
    e.bw.floor === bw.floor &&
    e.bw.clipExponent === bw.clipExponent &&
    e.bw.gridFloor === bw.gridFloor
  );
}

/** The same configuration object, or equal values (NaN for inactive parameters equal too). */
function sameConfig(a: Config, b: Config): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) return false;
  return true;
}

function sameMembers(e: Entry, members: readonly Observation[], weights: Float64Array): boolean {
  const n = members.length;
  if (e.members.length !== n) return false;
  for (let i = 0; i < n; i++) {
    if (!sameConfig(e.members[i]!.config, members[i]!.config) || !Object.is(e.weights[i], weights[i])) return false;
  }
  return true;
}

/** Few enough kernels added or removed that editing in place beats a rebuild (each costs a sorted insert or removal per dimension). */
function isSmallEdit(oldOf: Int32Array, nPrev: number): boolean {
  let kept = 0;
  for (let i = 0; i < oldOf.length; i++) if (oldOf[i]! >= 0) kept++;
  const edits = oldOf.length - kept + (nPrev - kept);
  return edits <= Math.max(MAX_EDITS, nPrev >> 4);
}

/**
 * oldOf[i]: the previous kernel with member i's trial number and the same
 * configuration object, or −1. Undefined (no reuse) unless both lists are
 * in strictly increasing number order.
 */
function matchKernels(
  prev: readonly Observation[],
  next: readonly Observation[],
  ws: TpeWorkspace,
): Int32Array | undefined {
  // Only read while the next estimator is built or edited: one buffer serves every call.
  if (ws.match.length < next.length) ws.match = new Int32Array(2 * next.length);
  const oldOf = ws.match.subarray(0, next.length).fill(-1);
  let p = 0;
  let last = Number.NEGATIVE_INFINITY;
  let kept = 0;
  for (let i = 0; i < next.length; i++) {
    const o = next[i]!;
    if (!(o.number > last)) return undefined;
    last = o.number;
    while (p < prev.length && prev[p]!.number < o.number) {
      if (p > 0 && !(prev[p]!.number > prev[p - 1]!.number)) return undefined;
      p++;
    }
    if (p < prev.length && prev[p]!.number === o.number && sameConfig(prev[p]!.config, o.config)) {
      if (p + 1 < prev.length && prev[p + 1]!.number === o.number) return undefined;
      oldOf[i] = p;
      kept++;
    }
  }
  return kept > 0 ? oldOf : undefined;
}
