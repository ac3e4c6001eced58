/**
 * The weights of a Parzen mixture's kernels, the prior kernel last: kept
 * as logs for the densities and as running sums for drawing a kernel.
 */

/**
 * Fills logW and cumW (n + 1 each) from the observations' raw weights and
 * the prior's, normalised; an empty or all-zero set falls back to the prior
 * alone. Returns the largest log weight of an observation kernel.
 */
export function fillMixtureWeights(
  n: number,
  rawWeights: Float64Array,
  priorRawWeight: number,
  logW: Float64Array,
  cumW: Float64Array,
): number {
  const nk = n + 1;
  let total = priorRawWeight;
  for (let i = 0; i < n; i++) total += rawWeights[i]!;
  let acc = 0;
  let wMax = Number.NEGATIVE_INFINITY;
  let lastW = Number.NaN;
  let lastLog = Number.NaN;
  for (let k = 0; k < nk; k++) {
    const w = total > 0 ? (k < n ? rawWeights[k]! : priorRawWeight) / total : k === n ? 1 : 0;
    // Uniform weights (the bad set's default) need one log, not n.
    if (w !== lastW) {
      lastW = w;
      lastLog = Math.log(w);
    }
    logW[k] = lastLog;
    if (k < n && lastLog > wMax) wMax = lastLog;
    acc += w;
    cumW[k] = acc;
  }
  return wMax;
}

/** The kernel, of nk, that a uniform draw u ∈ [0, 1) picks with probability its weight. */
export function pickKernel(cumW: Float64Array, logW: Float64Array, nk: number, u: number): number {
  const target = u * cumW[nk - 1]!;
  let a = 0;
  let b = nk - 1;
  while (a < b) {
    const h = (a + b) >>> 1;
    if (cumW[h]! <= target) a = h + 1;
    else b = h;
  }
  // Skip zero-weight kernels that share a cumulative value.
  while (a < nk - 1 && logW[a] === Number.NEGATIVE_INFINITY) a++;
  return a;
}
