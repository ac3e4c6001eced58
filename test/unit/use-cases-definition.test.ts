/**
 * CreateExperiment's definition beyond the fields' own bounds (definition.ts): stricter names for new
 * experiments only, the algorithm's check of the space, options parsed with the defaults of the definition's
 * version, labels stripped at every depth when deciding identity, and the stored form's version.
 */
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CURRENT_DEFINITION_RULES,
  compileDefinition,
  compileStored,
  DEFINITION_VERSION_KEY,
  definitionJson,
} from "../../src/service/use-cases/definition.js";
import { choice, intRange, num, str, uniform } from "../integration/fixtures.js";
import { experiment, type Harness, harness, refusal } from "./use-cases-harness.js";

describe("CreateExperiment's definition, more", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  it("refuses a bidirectional control in a new experiment's name", async () => {
    const r = await refusal(() => h.optimizer.createExperiment(experiment("a\u202eb")));
    expect(r.code).toBe("INVALID_ARGUMENT");
    expect(r.message).toMatch(/^experiment\.name: experiment name "a\\u202[eE]b" contains the bidirectional control/);
  });

  it("lets the algorithm check the space: grid needs a finite grid", async () => {
    const r = await refusal(() =>
      h.optimizer.createExperiment(experiment("g", { algorithm: { name: "grid", options: {} } })),
    );
    expect(r.code).toBe("INVALID_ARGUMENT");
    const ok = await h.optimizer.createExperiment(
      experiment("g", { space: { parameters: [intRange("n", 1, 3)] }, algorithm: { name: "grid", options: {} } }),
    );
    expect(ok.created).toBe(true);
  });

  it("labels of nested choice options are not identity either", async () => {
    const space = (label: string) => ({
      parameters: [
        choice("outer", [
          { value: str("a"), children: [choice("inner", [{ value: num(1), label }, { value: num(2) }])] },
          { value: str("b") },
        ]),
      ],
    });
    expect((await h.optimizer.createExperiment(experiment("l", { space: space("one") }))).created).toBe(true);
    expect((await h.optimizer.createExperiment(experiment("l", { space: space("uno") }))).created).toBe(false);
  });

  it("stores today's version and the request's own options, and reads them back", () => {
    const def = compileDefinition(
      experiment("v", {
        algorithm: { name: "tpe", options: { gamma_cap: { kind: { $case: "intValue", value: 9 } } } },
      }),
    );
    const json = JSON.parse(definitionJson(def.proto)) as Record<string, unknown>;
    expect(json[DEFINITION_VERSION_KEY]).toBe(CURRENT_DEFINITION_RULES.version);
    const back = compileStored(definitionJson(def.proto));
    expect(back.rules.version).toBe(CURRENT_DEFINITION_RULES.version);
    expect(back.algorithmOptions).toEqual(def.algorithmOptions);
    expect(back.proto).toEqual(def.proto);
    expect(Experiment.toJSON(back.proto)).toEqual(Experiment.toJSON(def.proto));
    expect(back.leaseMs).toBe(def.leaseMs);
    expect(def.space.params.map((p) => p.name)).toEqual(["x"]);
    expect(
      compileDefinition(experiment("u", { space: { parameters: [uniform("y", 0, 2)] } })).space.params[0]!.name,
    ).toBe("y");
  });
});
