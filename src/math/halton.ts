/**
 * Halton points in [0, 1)^d: coordinate j is the radical inverse of the
 * index in the j-th prime base. Scrambled (when an Rng is given) by a random
 * permutation of the digits 0..b−1 for every digit position and dimension
 * (Braaten–Weller/Owen-style digit permutation, as scipy's scrambled
 * Halton), which breaks the correlation between high dimensions that plain
 * Halton shows and keeps each coordinate's stratification.
 *
 * Indexes up to 2^32 are supported; every position is computed directly, so
 * a caller can jump anywhere in the sequence.
 */
import type { Rng } from "./rng.js";

/** The first `n` primes. */
export function firstPrimes(n: number): number[] {
  const out: number[] = [];
  for (let c = 2; out.length < n; c++) {
    let prime = true;
    for (const p of out) {
      if (p * p > c) break;
      if (c % p === 0) {
        prime = false;
        break;
      }
    }
    if (prime) out.push(c);
  }
  return out;
}

export class Halton {
  readonly dim: number;
  private readonly bases: number[];
  /** Digits kept per base: enough to tell 2^32 indexes apart. */
  private readonly digits: number[];
  /** perms[d][k·b + digit]: the permuted digit at position k, or undefined (unscrambled). */
  private readonly perms: (Uint16Array | undefined)[];

  constructor(dim: number, rng?: Rng) {
    this.dim = dim;
    this.bases = firstPrimes(dim);
    this.digits = this.bases.map((b) => Math.ceil((32 * Math.LN2) / Math.log(b)));
    this.perms = this.bases.map((b, d) => {
      if (rng === undefined) return undefined;
      const K = this.digits[d]!;
      const table = new Uint16Array(K * b);
      for (let k = 0; k < K; k++) {
        const row = table.subarray(k * b, (k + 1) * b);
        for (let i = 0; i < b; i++) row[i] = i;
        for (let i = b - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          const t = row[i]!;
          row[i] = row[j]!;
          row[j] = t;
        }
      }
      return table;
    });
  }

  /** Writes point `index` (an integer in [0, 2^32)) into `out`. */
  at(index: number, out: Float64Array | number[]): void {
    if (!Number.isInteger(index) || index < 0 || index >= 4294967296)
      throw new RangeError(`Halton index must be an integer in [0, 2^32), got ${index}`);
    for (let d = 0; d < this.dim; d++) {
      const b = this.bases[d]!;
      const perm = this.perms[d];
      let n = index;
      let scale = 1 / b;
      let x = 0;
      // Leading zero digits are permuted too when scrambled: the scramble must act on every position.
      const K = perm === undefined ? Number.POSITIVE_INFINITY : this.digits[d]!;
      for (let k = 0; k < K && (perm !== undefined || n > 0); k++) {
        const digit = n % b;
        n = (n - digit) / b;
        x += (perm === undefined ? digit : perm[k * b + digit]!) * scale;
        scale /= b;
      }
      // Centre of the last digit's cell when scrambled, so no coordinate is exactly 0.
      out[d] = perm === undefined ? x : x + 0.5 * scale * b;
    }
  }
}
