/**
 * When and on what the hyperparameters are fitted, and a memo (FitMemo) that
 * makes refitting rare without giving up purity.
 *
 * Below REFIT_FROM observations every suggestion fits on all of them. From
 * then on the fit uses the first m observations (history order) with m
 * rounded down to a multiple of k = min(⌊n/20⌋, 10): the fit changes only
 * every k trials, and above FIT_SUBSET_ABOVE a subset of FIT_SUBSET rows
 * chosen by a generator seeded from those rows' contents. The fit is thus a
 * function of the fitted data alone, so a memo keyed by a hash of that data
 * returns exactly what a fresh fit would: suggestions stay a pure function
 * of (space, history, rng, options), whichever worker thread computes them.
 * The posterior itself always conditions on every observation. The memo is
 * not module state: its owner (shared-memos.ts) passes it in.
 */
import { createRng } from "../../math/rng.js";
import { fitHyperparameters, type FitResult } from "./fit.js";
import { warpOutputs } from "./warp.js";

const REFIT_FROM = 40;
const FIT_SUBSET_ABOVE = 200;
const FIT_SUBSET = 160;
const MEMO_SIZE = 32;

/** Fits by a key naming everything they depend on; the least recently used go first beyond MEMO_SIZE. */
export class FitMemo {
  private readonly fits = new Map<string, FitResult>();

  get(key: string): FitResult | undefined {
    const hit = this.fits.get(key);
    if (hit === undefined) return undefined;
    this.fits.delete(key);
    this.fits.set(key, hit);
    return hit;
  }

  set(key: string, fit: FitResult): void {
    this.fits.set(key, fit);
    if (this.fits.size > MEMO_SIZE) this.fits.delete(this.fits.keys().next().value!);
  }
}

/**
 * Hyperparameters for observations X (n×D) with raw targets `target`
 * (negated losses, to be maximised); the fitted rows are warped (if asked)
 * and standardised on their own. Looked up in, and added to, `memo`.
 */
export function scheduledFit(
  memo: FitMemo,
  X: Float64Array,
  target: Float64Array,
  D: number,
  cat: Uint8Array,
  deterministic: boolean,
  warp: boolean,
): FitResult {
  const n = target.length;
  const k = n < REFIT_FROM ? 1 : Math.min(Math.floor(n / 20), 10);
  const m = n - (n % k);
  let rows = Array.from({ length: m }, (_, i) => i);
  const words = hashRows(X, target, D, rows);
  if (m > FIT_SUBSET_ABOVE) {
    const rng = createRng(...words);
    for (let i = 0; i < FIT_SUBSET; i++) {
      const j = i + rng.int(m - i);
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    rows = rows.slice(0, FIT_SUBSET).sort((a, b) => a - b);
  }
  const key = `${D}:${deterministic ? 1 : 0}:${warp ? 1 : 0}:${Array.from(cat).join("")}:${m}:${words.join(":")}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const fx = new Float64Array(rows.length * D);
  let fy: Float64Array = new Float64Array(rows.length);
  rows.forEach((i, r) => {
    fx.set(X.subarray(i * D, (i + 1) * D), r * D);
    fy[r] = target[i]!;
  });
  if (warp) fy = warpOutputs(fy);
  standardiseInPlace(fy);
  const fit = fitHyperparameters(fx, fy, D, cat, { deterministic });
  memo.set(key, fit);
  return fit;
}

export function standardiseInPlace(y: Float64Array): void {
  const n = y.length;
  let mean = 0;
  for (const v of y) mean += v / n;
  let s2 = 0;
  for (const v of y) s2 += (v - mean) ** 2 / n;
  const std = Math.max(Math.sqrt(s2), 1e-10);
  for (let i = 0; i < n; i++) y[i] = (y[i]! - mean) / std;
}

/** Two 32-bit FNV-style hashes over the bit patterns of the given rows. */
function hashRows(X: Float64Array, target: Float64Array, D: number, rows: readonly number[]): number[] {
  const xb = new Uint32Array(X.buffer, X.byteOffset, X.length * 2);
  const yb = new Uint32Array(target.buffer, target.byteOffset, target.length * 2);
  let h1 = 0x811c9dc5;
  let h2 = 0x01234567;
  const mix = (w: number) => {
    h1 = Math.imul(h1 ^ w, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ ((w << 13) | (w >>> 19)), 0x5bd1e995) >>> 0;
    h2 = (h2 ^ (h2 >>> 15)) >>> 0;
  };
  for (const i of rows) {
    for (let w = 2 * i * D; w < 2 * (i + 1) * D; w++) mix(xb[w]!);
    mix(yb[2 * i]!);
    mix(yb[2 * i + 1]!);
  }
  return [h1, h2];
}
