/** Candidate points for one group, drawn from l(x) and scored by l(x) and g(x). */
/** A batch of candidate points for one group, flat and candidate-major (i·d + j). */
export interface Candidates {
  n: number;
  /** Domain values (option index for categoricals). */
  readonly values: Float64Array;
  /** Continuous: the coordinate. Discrete: the lower cell edge. */
  readonly lo: Float64Array;
  /** Discrete: the upper cell edge. */
  readonly hi: Float64Array;
}

export function allocateCandidates(n: number, d: number): Candidates {
  return { n, values: new Float64Array(n * d), lo: new Float64Array(n * d), hi: new Float64Array(n * d) };
}
