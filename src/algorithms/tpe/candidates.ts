/** Candidate points for one group, drawn from l(x) and scored by l(x) and g(x). */
/** A batch of candidate points for one group, flat and candidate-major (i·d + j). */
export interface Candidates {
  n: number;
  /** Domain values (option index for categoricals). */
  readonly values: Float64Array;
  /** Continuous: the coordinate. Discrete: the lower cell edge. */
  readonly lo: Float64Array;
  /** Discrete: the upper cell edge. */
  readonly hi: Float64Array;
}

export function allocateCandidates(n: number, d: number): Candidates {
  return { n, values: new Float64Array(n * d), lo: new Float64Array(n * d), hi: new Float64Array(n * d) };
}

/** A density scored in two steps (ParzenEstimator): a lower bound at every candidate, then the exact values asked for. */
export interface BoundedDensity {
  beginDensity(c: Candidates, lower: Float64Array, ws: PickWorkspace): void;
  densityAt(c: Candidates, which: Uint32Array, count: number, out: Float64Array, ws: PickWorkspace): void;
  /** densityAt at candidate i, or false (out[i] not set) once the density is shown to be above `above`. */
  densityUnless(c: Candidates, i: number, above: number, out: Float64Array, ws: PickWorkspace): boolean;
}

/** What bestCandidate reuses from call to call (a session's workspace). */
export interface PickWorkspace {
  readonly pick: PickScratch;
}

export class PickScratch {
  lower = new Float64Array(64);
  upper = new Float64Array(64);
  order = new Uint32Array(64);
  scored = new Uint8Array(64);

  reserve(nc: number): void {
    if (this.order.length >= nc) return;
    this.lower = new Float64Array(2 * nc);
    this.upper = new Float64Array(2 * nc);
    this.order = new Uint32Array(2 * nc);
    this.scored = new Uint8Array(2 * nc);
  }
}

/**
 * The candidate maximising ll[i] − lg[i], lg being g's log density: the
 * first of those with the largest score, NaN never winning (0 when none
 * scores above −∞), exactly as scoring every candidate would pick. g's
 * density, most of a suggestion's cost, is computed only where it can
 * matter: g's prior kernel term bounds lg from below, so ll − that term
 * bounds a score from above (rounding is monotone), and a candidate whose
 * bound is below a score already found can neither win nor tie.
 * Candidates are finished in decreasing order of that bound, and a
 * density is abandoned as soon as it is shown to be above ll − the best
 * score found (densityUnless). lg[i] is left unset for the others.
 */
export function bestCandidate(
  g: BoundedDensity,
  c: Candidates,
  ll: Float64Array,
  lg: Float64Array,
  ws: PickWorkspace,
): number {
  const nc = c.n;
  const sc = ws.pick;
  sc.reserve(nc);
  const { lower, upper, order, scored } = sc;
  g.beginDensity(c, lower, ws);
  for (let i = 0; i < nc; i++) {
    upper[i] = boundOf(ll[i]!, lower[i]!);
    scored[i] = 0;
  }
  byDecreasing(upper, order, nc);
  let found = Number.NEGATIVE_INFINITY;
  for (let q = 0; q < nc; q++) {
    const i = order[q]!;
    if (upper[i]! < found) break;
    // Above ll − found, the score is below found: no need to finish.
    if (!g.densityUnless(c, i, ll[i]! - found, lg, ws)) continue;
    scored[i] = 1;
    const s = ll[i]! - lg[i]!;
    if (s > found) found = s;
  }
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < nc; i++) {
    if (scored[i] === 0) continue;
    const s = ll[i]! - lg[i]!;
    // NaN (−∞ − −∞) never wins; ties keep the earlier draw.
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}

/** An upper bound of ll − lg given lg ≥ lower; none (NaN: −∞ − −∞) counts as +∞, so that candidate is finished. */
function boundOf(ll: number, lower: number): number {
  const u = ll - lower;
  return Number.isNaN(u) ? Number.POSITIVE_INFINITY : u;
}

/** order[0, n) = 0 .. n−1 by decreasing key, ties in increasing index (n is small: insertion sort). */
function byDecreasing(key: Float64Array, order: Uint32Array, n: number): void {
  for (let r = 0; r < n; r++) order[r] = r;
  byDecreasingIn(key, order, n);
}

/** Sorts the indices order[0, n) by decreasing key, ties in increasing index, stably (insertion sort). */
function byDecreasingIn(key: Float64Array, order: Uint32Array, n: number): void {
  for (let r = 1; r < n; r++) {
    const v = order[r]!;
    const k = key[v]!;
    let q = r;
    while (q > 0 && (key[order[q - 1]!]! < k || (key[order[q - 1]!] === k && order[q - 1]! > v))) {
      order[q] = order[q - 1]!;
      q--;
    }
    order[q] = v;
  }
}
