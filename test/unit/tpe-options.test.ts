/**
 * TPE's options as the README's table documents them: the defaults, and the two rules that tie an option to
 * another value (`far_field_bound` is 0 or at least 1; `gamma_beta` is at most 1 with the linear split), refused
 * with a message naming the option.
 */
import { describe, expect, it } from "vitest";
import { tpe } from "../../src/algorithms/tpe/index.js";
import { DEFAULT_TPE_OPTIONS } from "../../src/algorithms/tpe/options.js";
import type { Scalar } from "../../src/space/types.js";

const dbl = (value: number): Scalar => ({ kind: "double", value });
const text = (value: string): Scalar => ({ kind: "string", value });

describe("TPE options", () => {
  it("defaults to the README's table", () => {
    const expected = {
      n_startup_trials: 20,
      n_ei_candidates: 24,
      gamma: "linear",
      gamma_beta: 0.1,
      gamma_cap: 6,
      gamma_cap_growth: 0,
      prior_weight: 3,
      far_field_bound: 10,
      categorical_prior_weight: 3,
      multivariate: true,
      group: true,
      branch_split: "local",
      constant_liar: true,
      consider_magic_clip: true,
      magic_clip_exponent: 2,
      bandwidth_floor: 0.03,
      grid_bandwidth_floor: 1,
      consider_endpoints: false,
      good_endpoint_reach: 1,
      good_endpoint_max_params: 2,
      weights: "ei",
      weights_bad: "uniform",
      constraint_model: "density",
    };
    expect(tpe.parseOptions({})).toEqual(expected);
    expect(DEFAULT_TPE_OPTIONS).toEqual(expected);
  });

  it("takes far_field_bound 0 (no bound) or at least 1, and refuses values between", () => {
    expect(tpe.parseOptions({ far_field_bound: dbl(0) }).far_field_bound).toBe(0);
    expect(tpe.parseOptions({ far_field_bound: dbl(1) }).far_field_bound).toBe(1);
    expect(tpe.parseOptions({ far_field_bound: dbl(250) }).far_field_bound).toBe(250);
    for (const v of [0.5, 1e-9, 0.999]) {
      expect(() => tpe.parseOptions({ far_field_bound: dbl(v) })).toThrow(
        `tpe options: "far_field_bound" must be 0 (no bound) or >= 1, got ${v}`,
      );
    }
  });

  it("takes gamma_beta above 1 only with the sqrt split", () => {
    expect(tpe.parseOptions({ gamma_beta: dbl(1) }).gamma_beta).toBe(1);
    expect(tpe.parseOptions({ gamma: text("sqrt"), gamma_beta: dbl(2) }).gamma_beta).toBe(2);
    expect(() => tpe.parseOptions({ gamma_beta: dbl(1.5) })).toThrow(
      'tpe options: "gamma_beta" must be <= 1 with gamma "linear", got 1.5',
    );
    expect(() => tpe.parseOptions({ gamma: text("linear"), gamma_beta: dbl(2) })).toThrow(
      'tpe options: "gamma_beta" must be <= 1 with gamma "linear", got 2',
    );
  });

  it("refuses values outside an option's documented domain, naming the option", () => {
    expect(() => tpe.parseOptions({ gamma: text("cubic") })).toThrow(/^tpe options: "gamma" /);
    expect(() => tpe.parseOptions({ gamma_beta: dbl(0) })).toThrow(/^tpe options: "gamma_beta" /);
    expect(() => tpe.parseOptions({ n_ei_candidates: dbl(0) })).toThrow(/^tpe options: "n_ei_candidates" /);
    expect(() => tpe.parseOptions({ bandwidth_floor: dbl(1.5) })).toThrow(/^tpe options: "bandwidth_floor" /);
    expect(() => tpe.parseOptions({ constraint_model: text("penalty") })).toThrow(/^tpe options: "constraint_model" /);
  });
});
