/**
 * Per-kernel bandwidths for one numeric dimension by the neighbour-gap rule:
 * σᵢ is the larger of the gaps from μᵢ to its sorted neighbours (the
 * outermost kernels use only their inner gap unless endpoints count), then
 * clipped to [R·max(floor, (n+2)^−α), R]. The floor keeps g(x) from
 * collapsing onto observed points, which matters most for discrete domains.
 */

export interface BandwidthRule {
  /** Domain edges in the coordinate (may be infinite for normal domains). */
  readonly lo: number;
  readonly hi: number;
  /** The scale R: range of a bounded domain, prior σ of an unbounded one. */
  readonly range: number;
  readonly considerEndpoints: boolean;
  readonly floor: number;
  /** α of the magic clip, or undefined when the clip is off. */
  readonly clipExponent: number | undefined;
}

let orderScratch = new Uint32Array(64);
let startScratch = new Uint32Array(130);

/** Lower and upper bandwidth limits for n observation kernels. */
export function bandwidthLimits(n: number, rule: BandwidthRule): [number, number] {
  let f = Math.max(rule.floor, 1e-12);
  if (rule.clipExponent !== undefined) f = Math.max(f, Math.pow(n + 2, -rule.clipExponent));
  return [rule.range * Math.min(f, 1), rule.range];
}

/**
 * Fills out[i·stride + offset] with σ for the kernel at mu[i·stride + offset],
 * i < n (kernel-major layout shared with the Parzen estimator).
 */
export function neighbourGapBandwidths(
  mu: Float64Array,
  n: number,
  stride: number,
  offset: number,
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
  const order = sortedOrder(mu, n, stride, offset);
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    const m = mu[i * stride + offset]!;
    const left = r > 0 ? m - mu[order[r - 1]! * stride + offset]! : rule.considerEndpoints ? m - rule.lo : 0;
    const right = r < n - 1 ? mu[order[r + 1]! * stride + offset]! - m : rule.considerEndpoints ? rule.hi - m : 0;
    out[i * stride + offset] = clip(Math.max(left, right));
  }
}

/**
 * Indices 0..n−1 ordered by mu[i·stride + offset], in expected O(n): a
 * bucket pass over [min, max] with n buckets, then insertion sort inside
 * each bucket (a native sort for the rare crowded bucket). Reuses scratch
 * memory; the result is valid until the next call.
 */
function sortedOrder(mu: Float64Array, n: number, stride: number, offset: number): Uint32Array {
  if (orderScratch.length < n) orderScratch = new Uint32Array(2 * n);
  if (startScratch.length < 2 * n + 2) startScratch = new Uint32Array(4 * n + 2);
  const order = orderScratch;
  const start = startScratch;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const m = mu[i * stride + offset]!;
    if (m < min) min = m;
    if (m > max) max = m;
  }
  const scale = max > min ? (n - 1) / (max - min) : 0;
  start.fill(0, 0, n + 1);
  for (let i = 0; i < n; i++) {
    const b = Math.floor((mu[i * stride + offset]! - min) * scale) + 1;
    start[b] = start[b]! + 1;
  }
  for (let b = 1; b <= n; b++) start[b] = start[b]! + start[b - 1]!;
  // start[b] is now where bucket b begins; fill, advancing a cursor per bucket.
  const cursor = startScratch.subarray(n + 1, 2 * n + 2);
  cursor.set(start.subarray(0, n + 1));
  for (let i = 0; i < n; i++) {
    const b = Math.floor((mu[i * stride + offset]! - min) * scale);
    order[cursor[b]!] = i;
    cursor[b] = cursor[b]! + 1;
  }
  for (let b = 0; b < n; b++) {
    const lo = start[b]!;
    const hi = b + 1 < n ? start[b + 1]! : n;
    if (hi - lo < 2) continue;
    if (hi - lo > 32) {
      order.subarray(lo, hi).sort((x, y) => mu[x * stride + offset]! - mu[y * stride + offset]!);
      continue;
    }
    for (let r = lo + 1; r < hi; r++) {
      const idx = order[r]!;
      const v = mu[idx * stride + offset]!;
      let q = r;
      while (q > lo && mu[order[q - 1]! * stride + offset]! > v) {
        order[q] = order[q - 1]!;
        q--;
      }
      order[q] = idx;
    }
  }
  return order;
}
