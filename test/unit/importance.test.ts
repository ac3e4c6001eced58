/**
 * PED-ANOVA on problems whose important parameters are known: the loss
 * depends strongly on one parameter, weakly on a second and not at all on a
 * third; a choice that decides the loss; a conditional parameter judged only
 * where it is active.
 */
import { describe, expect, it } from "vitest";
import { pedAnova, type Scored } from "../../src/importance/ped-anova.js";
import { createRng } from "../../src/math/rng.js";
import { compileSpace } from "../../src/space/compile.js";
import { choice, logUniform, str, uniform } from "../integration/fixtures.js";

describe("PED-ANOVA importance", () => {
  it("ranks a strong, a weak and an irrelevant parameter in that order", () => {
    const space = compileSpace({
      parameters: [uniform("noise", 0, 1), logUniform("lr", 1e-5, 1), uniform("x", -1, 1)],
    });
    const rng = createRng(1, 0);
    const trials: Scored[] = Array.from({ length: 2000 }, () => {
      const config = Float64Array.from([rng.uniform(), 10 ** (-5 + 5 * rng.uniform()), -1 + 2 * rng.uniform()]);
      return { config, loss: 10 * config[2]! ** 2 + 0.5 * Math.abs(Math.log10(config[1]!) + 3) };
    });
    const [noise, lr, x] = pedAnova(space, trials);
    expect(x! + lr! + noise!).toBeCloseTo(1, 12);
    expect(x).toBeGreaterThan(lr!);
    expect(lr).toBeGreaterThan(noise!);
    expect(noise).toBeLessThan(0.05);
  });

  it("finds a choice that decides the loss, and judges a conditional parameter where it is active", () => {
    const space = compileSpace({
      parameters: [
        choice("opt", [{ value: str("sgd"), children: [uniform("momentum", 0, 1)] }, { value: str("adam") }]),
        uniform("y", 0, 1),
      ],
    });
    const rng = createRng(2, 0);
    const trials: Scored[] = Array.from({ length: 1000 }, () => {
      const opt = rng.uniform() < 0.5 ? 0 : 1;
      const momentum = opt === 0 ? rng.uniform() : Number.NaN;
      return {
        config: Float64Array.from([opt, momentum, rng.uniform()]),
        loss: opt === 1 ? 0 : 1 + 0.01 * rng.uniform(),
      };
    });
    const [opt, momentum, y] = pedAnova(space, trials);
    expect(opt).toBeGreaterThan(0.9);
    expect(momentum).toBeLessThan(0.05);
    expect(y).toBeLessThan(0.05);
  });

  it("gives zeros while there are too few trials to judge", () => {
    const space = compileSpace({ parameters: [uniform("x", 0, 1)] });
    expect(pedAnova(space, [{ config: Float64Array.from([0.5]), loss: 1 }])).toEqual([0]);
  });
});
