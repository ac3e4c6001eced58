/** A misspelt algorithm or pruner option is refused with the name it was probably meant to be. */
import { describe, expect, it } from "vitest";
import { algorithmNamed } from "../../src/algorithms/registry.js";
import { suggestion } from "../../src/algorithms/options.js";
import { prunerNamed } from "../../src/pruners/registry.js";

const int = (value: number) => ({ kind: "int" as const, value });

describe("did you mean", () => {
  it("names the closest known option of an algorithm or a pruner", () => {
    expect(() => algorithmNamed("tpe").parseOptions({ n_startup_trial: int(5) })).toThrow(
      'tpe options: unknown option "n_startup_trial" (did you mean "n_startup_trials"?)',
    );
    expect(() => prunerNamed("median").parseOptions({ n_warmup_step: int(5) })).toThrow(
      'median options: unknown option "n_warmup_step" (did you mean "n_warmup_steps"?)',
    );
  });

  it("lists the known options when none is close", () => {
    expect(suggestion("colour", ["gamma", "seed"])).toBe(" (known: gamma, seed)");
    expect(suggestion("x", [])).toBe("");
  });
});
