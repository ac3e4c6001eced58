/**
 * Per-kernel bandwidths for one numeric dimension by the neighbour-gap rule:
 * σᵢ is the larger of the gaps from μᵢ to its sorted neighbours (the
 * outermost kernels use only their inner gap unless endpoints count), then
 * clipped to [R·max(floor, (n+2)^−α), R]. The floor keeps g(x) from
 * collapsing onto observed points, which matters most for discrete domains.
 */
import { SortScratch, sortedBy, type Sorted } from "./sorted-order.js";

export interface BandwidthRule {
  /** Domain edges in the coordinate (may be infinite for normal domains). */
  readonly lo: number;
  readonly hi: number;
  /** The scale R: range of a bounded domain, prior σ of an unbounded one. */
  readonly range: number;
  readonly considerEndpoints: boolean;
  /** With considerEndpoints: the share of the gap to the domain edge an outermost kernel reaches. */
  readonly endpointReach?: number;
  readonly floor: number;
  /** α of the magic clip, or undefined when the clip is off. */
  readonly clipExponent: number | undefined;
}

/** Lower and upper bandwidth limits for n observation kernels. */
export function bandwidthLimits(n: number, rule: BandwidthRule): [number, number] {
  let f = Math.max(rule.floor, 1e-12);
  if (rule.clipExponent !== undefined) f = Math.max(f, (n + 2) ** -rule.clipExponent);
  return [rule.range * Math.min(f, 1), rule.range];
}

/**
 * Fills out[i·stride + offset] with σ for the kernel at mu[i·stride + offset],
 * i < n (kernel-major layout shared with the Parzen estimator). Sorts with
 * scratch of its own: the estimator calls gapBandwidths with its kept order.
 */
export function neighbourGapBandwidths(
  mu: Float64Array,
  n: number,
  stride: number,
  offset: number,
  rule: BandwidthRule,
  out: Float64Array,
): void {
  gapBandwidths(mu, n, stride, offset, sortedBy(mu, n, stride, offset, new SortScratch()), rule, out);
}

/** The same, given the kernels' (value, index) order and sorted values in this dimension (see sorted-order.ts). */
export function gapBandwidths(
  mu: Float64Array,
  n: number,
  stride: number,
  offset: number,
  { order, values }: Sorted,
  rule: BandwidthRule,
  out: Float64Array,
): void {
  if (n === 0) return;
  const [sMin, sMax] = bandwidthLimits(n, rule);
  const clip = (s: number): number => (s < sMin ? sMin : s > sMax || Number.isNaN(s) ? sMax : s);
  if (n === 1) {
    const m = mu[offset]!;
    out[offset] = clip(Math.max(m - rule.lo, rule.hi - m));
    return;
  }
  for (let r = 0; r < n; r++) out[order[r]! * stride + offset] = gapBandwidthAt(values, r, n, rule, sMin, sMax);
}

/** σ of the kernel at rank r (n ≥ 2) of the sorted values, given bandwidthLimits' [sMin, sMax]. */
export function gapBandwidthAt(
  values: Float64Array,
  r: number,
  n: number,
  rule: BandwidthRule,
  sMin: number,
  sMax: number,
): number {
  const m = values[r]!;
  const left = r > 0 ? m - values[r - 1]! : rule.considerEndpoints ? edgeReach(m - rule.lo, rule) : 0;
  const right = r < n - 1 ? values[r + 1]! - m : rule.considerEndpoints ? edgeReach(rule.hi - m, rule) : 0;
  const s = left > right ? left : right;
  return s < sMin ? sMin : s > sMax || Number.isNaN(s) ? sMax : s;
}

/** The share of an edge gap an outermost kernel reaches; with a partial reach an unbounded domain's gap counts as R. */
function edgeReach(gap: number, rule: BandwidthRule): number {
  const reach = rule.endpointReach;
  return reach === undefined ? gap : Math.min(gap, rule.range) * reach;
}
