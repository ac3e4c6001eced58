/**
 * Reusing Float64Array memory across estimator builds and edits: a
 * Suggest over a long history would otherwise allocate (and the GC reclaim)
 * megabytes of kernel arrays each time. Both helpers leave headroom when
 * they do allocate, so the next few appended kernels fit without another.
 */

/** `a` as a view of `size` elements, over a larger buffer (contents kept) when it has no room. */
export function grow(a: Float64Array, size: number): Float64Array {
  if (a.buffer.byteLength >= 8 * size) return new Float64Array(a.buffer, a.byteOffset, size);
  const b = new Float64Array(new ArrayBuffer(8 * (size + (size >> 2))), 0, size);
  b.set(a);
  return b;
}

/** A zeroed array of `size`, in `spare`'s memory when it is large enough (with headroom for growth otherwise). */
export function take(spare: Float64Array | undefined, size: number): Float64Array {
  if (spare !== undefined && spare.buffer.byteLength >= 8 * size)
    return new Float64Array(spare.buffer, 0, size).fill(0);
  return new Float64Array(new ArrayBuffer(8 * (size + (size >> 3))), 0, size);
}
