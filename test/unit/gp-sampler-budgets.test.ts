/**
 * The GP's search budgets as sampler.ts documents them: the candidates scored (n_candidates, at most 128 per
 * dimension and at least 512, shrinking like 1/n² beyond 100 observations but not below 256) and the local
 * refinements (n_local_starts, at most 3 beyond 300 observations), at their exact edges.
 */
import { describe, expect, it } from "vitest";
import { candidateCount, startCount } from "../../src/algorithms/gp/sampler.js";

describe("candidates scored", () => {
  it("are as requested up to max(512, 128 per dimension)", () => {
    for (const D of [1, 2, 4]) {
      expect(candidateCount(2048, 10, D)).toBe(512);
      expect(candidateCount(512, 10, D)).toBe(512);
      expect(candidateCount(511, 10, D)).toBe(511);
      expect(candidateCount(16, 10, D)).toBe(16);
    }
    expect(candidateCount(2048, 10, 5)).toBe(640);
    expect(candidateCount(639, 10, 5)).toBe(639);
    expect(candidateCount(65536, 10, 10)).toBe(1280);
    expect(candidateCount(65536, 10, 1000)).toBe(65536);
  });

  it("shrink with n² beyond 100 observations, not below 256 nor above the request", () => {
    expect(candidateCount(2048, 100, 2)).toBe(512);
    // 512·100²/101² = 501.9
    expect(candidateCount(2048, 101, 2)).toBe(502);
    // 1280·100²/200² = 320
    expect(candidateCount(2048, 200, 10)).toBe(320);
    // 512·100²/141² = 257.5, and /142² = 253.9: the floor.
    expect(candidateCount(2048, 141, 2)).toBe(258);
    expect(candidateCount(2048, 142, 2)).toBe(256);
    expect(candidateCount(2048, 100_000, 2)).toBe(256);
    // A request below the floor stays as it is.
    expect(candidateCount(200, 101, 2)).toBe(200);
    expect(candidateCount(200, 5000, 2)).toBe(200);
  });
});

describe("local refinements", () => {
  it("are as requested up to 300 observations, then at most 3", () => {
    expect(startCount(5, 300)).toBe(5);
    expect(startCount(64, 300)).toBe(64);
    expect(startCount(5, 301)).toBe(3);
    expect(startCount(64, 100_000)).toBe(3);
    expect(startCount(2, 301)).toBe(2);
    expect(startCount(1, 1000)).toBe(1);
  });
});
