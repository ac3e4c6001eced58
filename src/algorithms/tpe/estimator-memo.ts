/**
 * The memo of one group's l(x) or g(x) in one TPE session: rebuilding g(x),
 * whose kernels are most of the history (coordinates, per-dimension sorts
 * for the neighbour-gap bandwidths, truncation normalisers), on every
 * suggestion dominated TPE's cost with thousands of trials, and l(x) mostly
 * stays the same from one suggestion to the next.
 *
 * The memo never changes a result. Its dims, bandwidth options and
 * categorical prior weight are the session's, fixed when it is made; each
 * call's members, weights and prior weight are checked against those of the
 * current estimator, a member's configuration by identity (the service's
 * in-memory history passes the same objects) or failing that by value
 * (observations rebuilt around copies still match). If all match the
 * estimator is returned as is; otherwise kernels whose configuration is
 * unchanged are matched by trial number: when only a few kernels come or go
 * (a Report appends one, a change of the good set moves one in or out), the
 * estimator is edited in place (ParzenEstimator.editInPlace); otherwise the
 * unchanged kernels are carried over into a new estimator that is identical
 * to a fresh build (see Reuse). Anything unexpected (numbers out of order)
 * means no reuse.
 *
 * It holds the current estimator and the previous one (whose arrays the next
 * build overwrites): about 8 MB per 10,000-trial, 10-parameter group, freed
 * with the session.
 */
import type { Config } from "../../space/types.js";
import type { Observation } from "../types.js";
import type { Dim } from "./dims.js";
import { ParzenEstimator, type BandwidthOptions } from "./parzen-estimator.js";
import type { TpeWorkspace } from "./workspace.js";

/** Kernels added plus removed up to which an estimator is edited in place (or n/16 if larger). */
const MAX_EDITS = 16;

/** The current estimator and what it was built from. */
interface Entry {
  readonly members: readonly Observation[];
  readonly weights: Float64Array;
  readonly priorWeight: number;
  readonly estimator: ParzenEstimator;
}

export class EstimatorMemo {
  private current: Entry | undefined;
  /** The estimator before the current one, no longer handed out: its arrays are reused by the next build. */
  private spare: ParzenEstimator | undefined;

  constructor(
    /** The group's dims, in its parameter order. */
    private readonly dims: readonly Dim[],
    private readonly categoricalPriorWeight: number,
    private readonly bw: BandwidthOptions,
  ) {}

  /** The estimator over `members` (active in the group, in trial-number order) with raw `weights`. */
  estimator(
    members: readonly Observation[],
    weights: Float64Array,
    priorWeight: number,
    ws: TpeWorkspace,
  ): ParzenEstimator {
    const old = this.current;
    if (old !== undefined && old.priorWeight === priorWeight && sameMembers(old, members, weights)) {
      return old.estimator;
    }
    const oldOf = old && matchKernels(old.members, members, ws);
    // A few kernels in or out (a Report, a change of the good set): edit in place.
    if (
      old !== undefined &&
      oldOf !== undefined &&
      isSmallEdit(oldOf, old.members.length) &&
      old.estimator.editInPlace(members, oldOf, weights, priorWeight, ws)
    ) {
      this.current = { members, weights, priorWeight, estimator: old.estimator };
      return old.estimator;
    }
    // Otherwise a new estimator, carrying over the kernels that stayed (and the spare's memory).
    const configs = configsOf(members);
    const reuse = { prev: oldOf && old?.estimator, oldOf, recycle: this.spare };
    const estimator = new ParzenEstimator(
      this.dims,
      configs,
      weights,
      priorWeight,
      this.categoricalPriorWeight,
      this.bw,
      ws,
      reuse,
    );
    this.spare = old?.estimator;
    this.current = { members, weights, priorWeight, estimator };
    return estimator;
  }
}

function configsOf(members: readonly Observation[]): Config[] {
  return members.map((o) => o.config);
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
