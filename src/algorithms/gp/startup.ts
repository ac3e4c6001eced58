/**
 * Space-filling startup design for the GP: points of one scrambled Sobol'
 * sequence shared by the whole experiment, taken in history order.
 *
 * The algorithm interface sees a per-trial Rng, not the experiment seed, so
 * the sequence's scramble is derived from the first trial's configuration
 * (itself drawn from the scrambled sequence of that trial's Rng): it is then
 * the same for every later trial of the experiment and differs between
 * seeds. Trial k of the startup phase takes point k (k = the number of
 * trials already in the history, whatever their state), so parallel and
 * batch suggestions, which see each other as RUNNING, get distinct points.
 * Pure.
 */
import { createRng, type Rng } from "../../math/rng.js";
import { Sobol } from "../../math/sobol.js";
import type { Config } from "../../space/types.js";

/** Point `index` (0-based) of the design, in [0, 1)^dim. */
export function designPoint(dim: number, history: readonly { readonly config: Config }[], rng: Rng): Float64Array {
  const out = new Float64Array(dim);
  if (history.length === 0) {
    new Sobol(dim, rng).next(out);
    return out;
  }
  const seq = new Sobol(dim, createRng(...hashWords(history[0]!.config)));
  const skip = history.length;
  for (let i = 0; i <= skip; i++) seq.next(out);
  return out;
}

/** 32-bit words hashed from a configuration's bit pattern (NaN-safe, deterministic). */
function hashWords(config: Config): number[] {
  const bytes = new Uint32Array(config.buffer.slice(config.byteOffset, config.byteOffset + config.byteLength));
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (const w of bytes) {
    h1 = Math.imul(h1 ^ w, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ ((w >>> 7) | (w << 25)), 0x85ebca6b) >>> 0;
  }
  return [h1, h2, bytes.length];
}
