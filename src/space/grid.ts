/**
 * Quantization grids. A quantized bounded domain is the grid
 * low, low+q, ..., low+K·q with K = floor((high − low)/q) (anchored at low,
 * both ends inclusive when high lies on the grid). Continuous draws are
 * mapped to the nearest grid point and clipped, and the prior draws from
 * [low − q/2, top + q/2] so every grid point gets a whole cell of mass.
 */

/** Relative tolerance for "on the grid" checks and floor() of ratios. */
const GRID_EPS = 1e-9;

/** Index of the top grid point for a grid anchored at `low`. */
export function gridTopIndex(low: number, high: number, step: number): number {
  return Math.floor((high - low) / step + GRID_EPS);
}

/** The k-th grid point, cleaned of binary noise (0.1·3 → 0.3, not 0.30000000000000004). */
export function gridPoint(low: number, step: number, k: number): number {
  return cleanFloat(low + k * step);
}

/** Rounds to 12 significant digits: grid values print the way users typed them. */
export function cleanFloat(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number.parseFloat(x.toPrecision(12));
}

/** Nearest grid point to `x`, clipped to the grid's ends. */
export function snapToGrid(low: number, step: number, topIndex: number, x: number): number {
  let k = Math.round((x - low) / step);
  if (k < 0) k = 0;
  if (k > topIndex) k = topIndex;
  return gridPoint(low, step, k);
}

/** Nearest multiple of `step` (for unbounded quantized normals, anchored at 0). */
export function snapToMultiple(step: number, x: number): number {
  return cleanFloat(Math.round(x / step) * step);
}

/** Whether `x` lies on the grid anchored at `anchor` with spacing `step`. */
export function onGrid(anchor: number, step: number, x: number): boolean {
  const r = (x - anchor) / step;
  return Math.abs(r - Math.round(r)) <= GRID_EPS * Math.max(1, Math.abs(r));
}
