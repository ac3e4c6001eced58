import { describe, expect, it } from "vitest";
import { compileSpace } from "../../src/space/compile.js";
import { samplePrior } from "../../src/space/prior.js";
import { createRng } from "../../src/math/rng.js";

describe("space smoke", () => {
  it("samples a uniform inside its bounds", () => {
    const space = compileSpace({ parameters: [{ name: "x", domain: { $case: "uniform", value: { low: -1, high: 2 } } }] });
    const rng = createRng(1);
    for (let i = 0; i < 100; i++) {
      const x = samplePrior(space, rng)[0]!;
      expect(x).toBeGreaterThanOrEqual(-1);
      expect(x).toBeLessThanOrEqual(2);
    }
  });
});
