/**
 * Box-constrained quasi-Newton minimisation: a projected L-BFGS.
 *
 * The direction is the L-BFGS two-loop product on the variables that are
 * free (not held at a bound by a gradient pushing outward); the step is a
 * backtracking Armijo search along the projected path P(x + t·d). This is
 * simpler than full L-BFGS-B (no generalised Cauchy point) and is enough for
 * the GP's smooth, low-dimensional problems: the hyperparameter MAP fit and
 * the acquisition's continuous refinement. Pure and deterministic.
 */

/** Value and gradient at x; write the gradient into `grad` and return the value. */
export type ValueAndGradient = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  /** Stop when the projected gradient's max-norm falls below this. */
  readonly gtol?: number;
  /** Stop when an iteration reduces f by less than ftol·max(1, |f|). */
  readonly ftol?: number;
  /** Stop when f fell by less than this (absolute) over the last `stallWindow` iterations. */
  readonly stallTol?: number;
  readonly stallWindow?: number;
  readonly maxIter?: number;
  /** Hard cap on function evaluations. */
  readonly maxEval?: number;
  /** Number of correction pairs kept. */
  readonly memory?: number;
  /** Largest first-iteration step in any coordinate (the gradient scale is unknown then). */
  readonly initialStep?: number;
  /** Largest trial step in any coordinate on every iteration (guards against wild quasi-Newton steps). */
  readonly maxStep?: number;
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** True when the gradient or decrease criterion was met (not just a budget or a failed search). */
  readonly converged: boolean;
}

/**
 * Minimises f over the box [lo, hi] (use ±Infinity for unbounded
 * coordinates) from x0 (projected into the box first). f may return NaN or
 * +Infinity where it is undefined: the line search then backtracks.
 */
export function minimizeBox(
  f: ValueAndGradient,
  x0: ArrayLike<number>,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  opts: MinimizeOptions = {},
): MinimizeResult {
  const gtol = opts.gtol ?? 1e-5;
  const ftol = opts.ftol ?? 1e-12;
  const maxIter = opts.maxIter ?? 200;
  const maxEval = opts.maxEval ?? 1000;
  const mem = opts.memory ?? 10;
  const n = x0.length;

  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = clamp(x0[i]!, lo[i]!, hi[i]!);
  const g = new Float64Array(n);
  let fx = f(x, g);
  let evals = 1;
  if (!Number.isFinite(fx)) return { x, f: fx, iterations: 0, evaluations: evals, converged: false };

  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const free = new Uint8Array(n);
  const alpha = new Float64Array(mem);
  let converged = false;
  let iter = 0;
  const stallTol = opts.stallTol ?? 0;
  const stallWindow = opts.stallWindow ?? 3;
  const recent: number[] = [fx];

  for (; iter < maxIter && evals < maxEval; iter++) {
    // Free variables and the projected gradient's size.
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const atLo = x[i]! <= lo[i]! && g[i]! > 0;
      const atHi = x[i]! >= hi[i]! && g[i]! < 0;
      free[i] = atLo || atHi ? 0 : 1;
      if (free[i]) pgMax = Math.max(pgMax, Math.abs(g[i]!));
    }
    if (pgMax <= gtol) {
      converged = true;
      break;
    }
    direction(d, g, free, S, Y, rho, alpha);
    let slope = dotMasked(g, d, free);
    if (!(slope < 0)) {
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = free[i] ? -g[i]! : 0;
      slope = dotMasked(g, d, free);
    }
    let dMax = 0;
    for (let i = 0; i < n; i++) dMax = Math.max(dMax, Math.abs(d[i]!));
    let t = Math.min(1, (opts.maxStep ?? Number.POSITIVE_INFINITY) / dMax);
    if (S.length === 0) t = Math.min(t, (opts.initialStep ?? 1) / dMax);
    // Backtracking along the projected path.
    let accepted = false;
    let fNew = Number.NaN;
    for (let ls = 0; ls < 30 && evals < maxEval; ls++) {
      let dec = 0;
      for (let i = 0; i < n; i++) {
        xNew[i] = clamp(x[i]! + t * d[i]!, lo[i]!, hi[i]!);
        dec += g[i]! * (xNew[i]! - x[i]!);
      }
      fNew = f(xNew, gNew);
      evals++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * Math.min(dec, 0)) {
        accepted = true;
        break;
      }
      t *= Number.isFinite(fNew) ? 0.5 : 0.1;
    }
    if (!accepted) {
      if (S.length > 0) {
        // The curvature model misled us: retry once from steepest descent.
        S.length = Y.length = rho.length = 0;
        continue;
      }
      break;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
      sy += s[i]! * y[i]!;
      yy += y[i]! * y[i]!;
    }
    const decrease = fx - fNew;
    x.set(xNew);
    g.set(gNew);
    fx = fNew;
    if (sy > 1e-10 * yy && sy > 0) {
      if (S.length === mem) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    recent.push(fx);
    if (recent.length > stallWindow + 1) recent.shift();
    const stalled = recent.length === stallWindow + 1 && recent[0]! - fx < stallTol;
    if (decrease <= ftol * Math.max(1, Math.abs(fx)) || stalled) {
      converged = true;
      iter++;
      break;
    }
  }
  return { x, f: fx, iterations: iter, evaluations: evals, converged };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function dotMasked(a: Float64Array, b: Float64Array, mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (mask[i]) s += a[i]! * b[i]!;
  return s;
}

/** d = −H·g on the free variables (two-loop recursion), 0 on the fixed ones. */
function direction(
  d: Float64Array,
  g: Float64Array,
  free: Uint8Array,
  S: Float64Array[],
  Y: Float64Array[],
  rho: number[],
  alpha: Float64Array,
): void {
  const n = g.length;
  for (let i = 0; i < n; i++) d[i] = free[i] ? -g[i]! : 0;
  const m = S.length;
  for (let k = m - 1; k >= 0; k--) {
    const a = rho[k]! * dotMasked(S[k]!, d, free);
    alpha[k] = a;
    const y = Y[k]!;
    for (let i = 0; i < n; i++) if (free[i]) d[i]! -= a * y[i]!;
  }
  if (m > 0) {
    const y = Y[m - 1]!;
    const s = S[m - 1]!;
    const yy = dotMasked(y, y, free);
    const gamma = yy > 0 ? dotMasked(s, y, free) / yy : 1;
    const scale = gamma > 0 && Number.isFinite(gamma) ? gamma : 1;
    for (let i = 0; i < n; i++) d[i]! *= scale;
  }
  for (let k = 0; k < m; k++) {
    const b = rho[k]! * dotMasked(Y[k]!, d, free);
    const s = S[k]!;
    const a = alpha[k]!;
    for (let i = 0; i < n; i++) if (free[i]) d[i]! += (a - b) * s[i]!;
  }
}
