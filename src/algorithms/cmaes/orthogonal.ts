/**
 * Orthogonal sampling (Wang, Emmerich & Bäck 2014): a generation's first
 * draws, taken in blocks of n members, are made mutually orthogonal
 * (Gram–Schmidt), each keeping its own length. Each member is still a
 * standard normal vector on its own (its direction is uniform on the sphere,
 * its length χ_n and independent of it), so CMA-ES's updates stay unbiased;
 * but a block spreads its λ steps over λ distinct directions instead of
 * random, partly redundant ones, which makes the selected mean shift and the
 * rank-μ estimate less noisy.
 *
 * Member j's vector depends only on the raw draws of members
 * ⌊j/n⌋·n … j (a pure function of the generation's streams), so any member
 * can be rebuilt alone, in any order, as the replay needs.
 */
export class OrthogonalBlock {
  /** The orthogonalised vectors of the members drawn so far, by member index. */
  private readonly vectors: Float64Array[] = [];

  constructor(
    private readonly n: number,
    /** Member j's raw first draw (n standard normals from its own stream). */
    private readonly raw: (j: number) => Float64Array,
  ) {}

  /** Member j's orthogonalised draw. */
  vector(j: number): Float64Array {
    const cached = this.vectors[j];
    if (cached !== undefined) return cached;
    const n = this.n;
    const z = Float64Array.from(this.raw(j));
    const length = norm(z);
    for (let k = j - (j % n); k < j; k++) {
      const u = this.vector(k);
      const uu = dot(u, u);
      if (uu === 0) continue;
      const c = dot(u, z) / uu;
      for (let i = 0; i < n; i++) z[i] = z[i]! - c * u[i]!;
    }
    const left = norm(z);
    // A draw (numerically) inside the span of the block's earlier ones keeps its raw direction.
    const out = left > 1e-12 * length ? z.map((t) => (t / left) * length) : Float64Array.from(this.raw(j));
    this.vectors[j] = out;
    return out;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}
