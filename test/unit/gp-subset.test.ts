import { describe, expect, it } from "vitest";
import { encodeSpace } from "../../src/algorithms/gp/encode.js";
import { gpAlgorithm, observations } from "../../src/algorithms/gp/sampler.js";
import { boundedRows } from "../../src/algorithms/gp/subset.js";
import type { Observation } from "../../src/algorithms/types.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import { param } from "./tpe-helpers.js";

describe("GP data bound", () => {
  it("keeps everything up to the cap, then the best half, the latest quarter and a spread", () => {
    const rng = createRng(1);
    const losses = Array.from({ length: 1000 }, () => rng.uniform());
    expect(boundedRows(losses.slice(0, 40), 40)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const kept = boundedRows(losses, 100);
    expect(kept).toHaveLength(100);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    const best = Array.from({ length: 1000 }, (_, i) => i)
      .sort((a, b) => losses[a]! - losses[b]!)
      .slice(0, 50);
    for (const i of best) expect(kept).toContain(i);
    for (let i = 975; i < 1000; i++) expect(kept).toContain(i);
    // The spread reaches the early part of the history too.
    expect(kept.filter((i) => i < 300).length).toBeGreaterThan(5);
  });

  it("leaves a GP run below the cap as it was: the same data, the same suggestion", () => {
    const space = compileSpace({
      parameters: [0, 1, 2].map((i) => param(`x${i}`, { $case: "uniform", value: { low: 0, high: 1 } })),
    });
    const rng = createRng(4);
    const history: Observation[] = [];
    for (let t = 0; t < 60; t++) {
      const config = samplePrior(space, rng);
      history.push({ number: t, config, state: "complete", loss: (config[0]! - 0.3) ** 2, lastStep: undefined });
    }
    const enc = encodeSpace(space);
    expect(observations(enc, history, true, 60)).toEqual(observations(enc, history, true));
    expect(observations(enc, history, true, 50).y).toHaveLength(50);
    const at = (max: number) =>
      gpAlgorithm
        .open(
          space,
          gpAlgorithm.parseOptions({
            max_observations: { kind: "int", value: max },
            n_candidates: { kind: "int", value: 256 },
          }),
        )
        .suggest(history, createRng(9, 60));
    expect(at(60)).toEqual(at(400));
    expect(at(50)).not.toEqual(at(400));
  });
});
