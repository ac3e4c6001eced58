/**
 * Crossover operators on numeric coordinates (each parameter's coordinate
 * scaled to [0, 1] over its range, or standardised for unbounded normal
 * priors; coords.ts). Each takes its parents' vectors and returns one child
 * vector, which may leave the bounds (the caller then draws again). After
 * Optuna's operators and the papers they cite; none reads the objectives.
 */
import type { Rng } from "../../math/rng.js";
import type { CrossoverName } from "./options.js";

type Vec = Float64Array;

export interface CrossoverParams {
  readonly name: CrossoverName;
  readonly swappingProb: number;
  readonly alpha: number;
  readonly eta: number;
  /** undefined: √(n + 2). */
  readonly epsilon: number | undefined;
  readonly sigmaXi: number;
  /** undefined: 0.35 / √n. */
  readonly sigmaEta: number | undefined;
}

export function crossover(parents: readonly Vec[], lower: Vec, upper: Vec, p: CrossoverParams, rng: Rng): Vec {
  switch (p.name) {
    case "uniform":
      return uniform(parents[0]!, parents[1]!, p.swappingProb, rng);
    case "blxalpha":
      return blxAlpha(parents[0]!, parents[1]!, p.alpha, rng);
    case "sbx":
      return sbx(parents[0]!, parents[1]!, lower, upper, p.eta, rng);
    case "spx":
      return spx(parents, p.epsilon ?? Math.sqrt(parents[0]!.length + 2), rng);
    case "undx":
      return undx(parents[0]!, parents[1]!, parents[2]!, p.sigmaXi, p.sigmaEta, rng);
  }
}

/** Each coordinate from the first parent, or with `swap` probability from the second. */
export function uniform(a: Vec, b: Vec, swap: number, rng: Rng): Vec {
  return a.map((x, i) => (rng.uniform() < swap ? b[i]! : x));
}

/** BLX-α (Eshelman and Schaffer 1993): uniform on the parents' interval widened by α of its length each side. */
export function blxAlpha(a: Vec, b: Vec, alpha: number, rng: Rng): Vec {
  return a.map((x, i) => {
    const lo = Math.min(x, b[i]!);
    const hi = Math.max(x, b[i]!);
    const w = alpha * (hi - lo);
    return lo - w + (hi - lo + 2 * w) * rng.uniform();
  });
}

/**
 * Simulated binary crossover with bounds (Deb and Agrawal 1995; Deb and
 * Goyal 1996's bounded spread): per coordinate, one of the two children the
 * spread factor gives, each with probability ½, never outside the bounds.
 */
export function sbx(a: Vec, b: Vec, lower: Vec, upper: Vec, eta: number, rng: Rng): Vec {
  return a.map((x, i) => {
    const lo = Math.min(x, b[i]!);
    const hi = Math.max(x, b[i]!);
    const diff = Math.max(hi - lo, 1e-10);
    const u = rng.uniform();
    const spread = (beta: number): number => {
      const alpha = 2 - beta ** -(eta + 1);
      return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
    };
    const child =
      rng.uniform() < 0.5
        ? 0.5 * (lo + hi - spread(1 + (2 * (lo - lower[i]!)) / diff) * diff)
        : 0.5 * (lo + hi + spread(1 + (2 * (upper[i]! - hi)) / diff) * diff);
    return Math.min(Math.max(child, lower[i]!), upper[i]!);
  });
}

/**
 * Simplex crossover (Tsutsui, Yamamura and Higuchi 1999): a uniform point of
 * the parents' simplex expanded by ε about its centroid.
 */
export function spx(parents: readonly Vec[], epsilon: number, rng: Rng): Vec {
  const m = parents.length;
  const n = parents[0]!.length;
  const g = new Float64Array(n);
  for (const p of parents) for (let i = 0; i < n; i++) g[i]! += p[i]! / m;
  const x = parents.map((p) => p.map((v, i) => g[i]! + epsilon * (v - g[i]!)));
  let c = new Float64Array(n);
  for (let k = 1; k < m; k++) {
    const r = rng.uniform() ** (1 / k);
    c = c.map((ci, i) => r * (x[k - 1]![i]! - x[k]![i]! + ci));
  }
  return x[m - 1]!.map((v, i) => v + c[i]!);
}

/**
 * Unimodal normal distribution crossover (Ono and Kobayashi 1997; Kita,
 * Ono and Kobayashi 1999): about the midpoint of the first two parents, a
 * normal step along the line through them (σξ × their difference) plus
 * normal steps across it scaled by the third parent's distance from that
 * line (ση each, in an orthonormal basis of the line's complement).
 */
export function undx(a: Vec, b: Vec, c: Vec, sigmaXi: number, sigmaEta: number | undefined, rng: Rng): Vec {
  const n = a.length;
  const mid = a.map((x, i) => (x + b[i]!) / 2);
  const d = a.map((x, i) => x - b[i]!);
  // One ξ for the whole step, so that it lies on the line (a draw per coordinate would leave it).
  const xi = sigmaXi * rng.normal();
  const child = mid.map((m, i) => m + xi * d[i]!);
  if (n === 1) return child;
  const basis = complementBasis(d);
  // Distance of the third parent from the line through the first two.
  const dd = dot(d, d);
  const t =
    dd > 0
      ? dot(
          c.map((x, i) => x - a[i]!),
          d,
        ) / dd
      : 0;
  let dist2 = 0;
  for (let i = 0; i < n; i++) dist2 += (c[i]! - a[i]! - t * d[i]!) ** 2;
  const scale = Math.sqrt(dist2) * (sigmaEta ?? 0.35 / Math.sqrt(n));
  for (const e of basis) {
    const eta = rng.normal() * scale;
    for (let i = 0; i < n; i++) child[i]! += eta * e[i]!;
  }
  return child;
}

function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** An orthonormal basis of the n − 1 dimensions orthogonal to `d` (of all n when d = 0, less one), by Gram–Schmidt. */
function complementBasis(d: Vec): Vec[] {
  const n = d.length;
  const norm = Math.sqrt(dot(d, d));
  const found: Vec[] = norm > 0 ? [d.map((x) => x / norm)] : [];
  const out: Vec[] = [];
  for (let j = 0; j < n && out.length < n - 1; j++) {
    const v = new Float64Array(n);
    v[j] = 1;
    for (const e of found) {
      const p = dot(v, e);
      for (let i = 0; i < n; i++) v[i]! -= p * e[i]!;
    }
    const len = Math.sqrt(dot(v, v));
    if (len < 1e-9) continue;
    const e = v.map((x) => x / len);
    found.push(e);
    out.push(e);
  }
  return out;
}
