/**
 * Bounds the data a GP is fitted and evaluated on. Its cost grows with the
 * cube (fit) and square (each acquisition evaluation) of the number of
 * observations, so past `cap` of them it keeps: the best half of the cap
 * (where the optimum is being refined), the most recent quarter (what the
 * search is doing now, and pending work's neighbourhood), and the last
 * quarter spread evenly over the rest (so the model still sees the whole
 * space). Deterministic, with no randomness: a suggestion stays a pure
 * function of the history. Below the cap every observation is kept, so runs
 * of up to `cap` trials are exactly what they were without it.
 */

/**
 * Indices (ascending) of the rows to keep, out of `losses.length` in history
 * order. `violations` (constrained experiments: 0 for a feasible row, its
 * total violation otherwise) ranks feasible rows before infeasible ones for
 * "the best", and the infeasible ones by how far they are from feasibility.
 */
export function boundedRows(losses: readonly number[], cap: number, violations?: readonly number[]): number[] {
  const n = losses.length;
  if (n <= cap) return Array.from({ length: n }, (_, i) => i);
  const keep = new Uint8Array(n);
  let kept = 0;
  const take = (i: number) => {
    if (keep[i] === 0 && kept < cap) {
      keep[i] = 1;
      kept++;
    }
  };
  const byLoss = Array.from({ length: n }, (_, i) => i).sort(
    violations === undefined
      ? (a, b) => losses[a]! - losses[b]! || a - b
      : (a, b) => compareViolations(violations[a]!, violations[b]!) || losses[a]! - losses[b]! || a - b,
  );
  const nBest = Math.floor(cap / 2);
  for (let k = 0; k < nBest; k++) take(byLoss[k]!);
  const nRecent = Math.floor(cap / 4);
  for (let i = n - 1, k = 0; i >= 0 && k < nRecent; i--) {
    if (keep[i] === 0) {
      take(i);
      k++;
    }
  }
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i] === 0) rest.push(i);
  const nSpread = cap - kept;
  for (let k = 0; k < nSpread; k++) take(rest[Math.floor(((k + 0.5) * rest.length) / nSpread)]!);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i] === 1) out.push(i);
  return out;
}

/** Ascending, with equal values (two infinite ones too) tied. */
function compareViolations(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
