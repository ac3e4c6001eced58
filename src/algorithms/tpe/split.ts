/**
 * The good/bad split of the history. COMPLETE trials rank first by loss
 * (ties to the older trial), then PRUNED trials by how far they got
 * (−last step, then last value; never-reported last); the best γ(N) form the
 * good set. The rest, plus every RUNNING trial when constant liar is on, form
 * the bad set: pending work pushes new suggestions away from itself. FAIL and
 * LOST trials are dropped. Both sets come back in trial-number order.
 */
import type { Observation } from "../types.js";
import type { TpeOptions } from "./options.js";

export interface Split {
  readonly good: Observation[];
  readonly bad: Observation[];
  /** COMPLETE + PRUNED trials: N for γ(N) and for the startup phase. */
  readonly finished: number;
}

/** Size of the good set for N finished trials (at least 1 once N ≥ 1): min(γ(N), max(cap, ⌈growth·N⌉), N). */
export function goodSetSize(
  n: number,
  options: Pick<TpeOptions, "gamma" | "gamma_beta" | "gamma_cap" | "gamma_cap_growth">,
): number {
  if (n <= 0) return 0;
  const raw =
    options.gamma === "sqrt" ? Math.ceil(options.gamma_beta * Math.sqrt(n)) : Math.ceil(options.gamma_beta * n);
  const cap = Math.max(options.gamma_cap, Math.ceil(options.gamma_cap_growth * n));
  return Math.max(1, Math.min(raw, cap, n));
}

function finiteOr(x: number | undefined, fallback: number): number {
  return x === undefined || Number.isNaN(x) ? fallback : x;
}

/** Ranking of two finished trials: negative when `a` is better. */
export function compareFinished(a: Observation, b: Observation): number {
  const ca = a.state === "complete";
  const cb = b.state === "complete";
  if (ca !== cb) return ca ? -1 : 1;
  if (!ca) {
    // PRUNED: further is better; never-reported is worst.
    const sa = a.lastStep ?? Number.NEGATIVE_INFINITY;
    const sb = b.lastStep ?? Number.NEGATIVE_INFINITY;
    if (sa !== sb) return sa > sb ? -1 : 1;
  }
  const va = finiteOr(a.loss, Infinity);
  const vb = finiteOr(b.loss, Infinity);
  if (va !== vb) return va < vb ? -1 : 1;
  return a.number - b.number;
}

/**
 * Selects the γ(N) best finished trials in one pass (a sorted buffer of
 * positions, binary-searched: O(N·log γ) comparisons) instead of
 * sorting the whole history: with thousands of trials this split runs on
 * every suggestion, so it also avoids per-trial allocations and hashing.
 */
export function splitHistory(history: readonly Observation[], options: TpeOptions): Split {
  let inOrder = true;
  let finished = 0;
  for (let i = 0; i < history.length; i++) {
    const o = history[i]!;
    if (i > 0 && o.number < history[i - 1]!.number) inOrder = false;
    if (o.state === "complete" || o.state === "pruned") finished++;
  }
  const ordered = inOrder ? history : [...history].sort((a, b) => a.number - b.number);
  const nGood = goodSetSize(finished, options);

  const top: number[] = [];
  for (let i = 0; i < ordered.length; i++) {
    const o = ordered[i]!;
    if (o.state !== "complete" && o.state !== "pruned") continue;
    if (top.length === nGood && !better(o, ordered[top[nGood - 1]!]!)) continue;
    // The first of the (strictly ordered) top that o beats, by binary search: the cap grows with N.
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (better(o, ordered[top[mid]!]!)) hi = mid;
      else lo = mid + 1;
    }
    top.splice(lo, 0, i);
    if (top.length > nGood) top.pop();
  }
  const chosen = new Uint8Array(ordered.length);
  for (const i of top) chosen[i] = 1;
  const good: Observation[] = [];
  const bad: Observation[] = [];
  const liar = options.constant_liar;
  for (let i = 0; i < ordered.length; i++) {
    const o = ordered[i]!;
    if (chosen[i] === 1) good.push(o);
    else if (o.state === "complete" || o.state === "pruned" || (o.state === "running" && liar)) bad.push(o);
  }
  return { good, bad, finished };
}

/** compareFinished(a, b) < 0, with the common case (both COMPLETE, finite losses) inline. */
function better(a: Observation, b: Observation): boolean {
  if (a.state === "complete" && b.state === "complete") {
    const va = a.loss;
    const vb = b.loss;
    if (va !== undefined && vb !== undefined && !Number.isNaN(va) && !Number.isNaN(vb) && va !== vb) return va < vb;
  }
  return compareFinished(a, b) < 0;
}
