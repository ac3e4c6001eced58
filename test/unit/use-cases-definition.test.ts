/**
 * CreateExperiment's definition beyond the fields' own bounds (definition.ts): stricter names for new
 * experiments only, the algorithm's check of the space, options parsed with the defaults of the definition's
 * version, labels stripped at every depth when deciding identity, and the stored form's version.
 */
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import {
  CURRENT_DEFINITION_RULES,
  canonicalJson,
  compileCreate,
  compileDefinition,
  compileStored,
  DEFINITION_VERSION_KEY,
  DEFINITION_VERSIONS,
  definitionJson,
  STORED_SPACE_LIMITS,
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

/** The ParzenError `f` throws (failing the test if it returns). */
function errorOf(f: () => unknown): ParzenError {
  try {
    f();
  } catch (err) {
    if (err instanceof ParzenError) return err;
    throw err;
  }
  throw new Error("expected a ParzenError");
}

describe("CreateExperiment's definition at its edges", () => {
  const v1 = DEFINITION_VERSIONS[0]!;
  const v2 = DEFINITION_VERSIONS[1]!;

  it("tells a re-create that adds stop conditions or objectives to an older experiment exactly what to do", () => {
    const stored = compileDefinition(experiment("old"), undefined, v1);
    const stop = errorOf(() => compileCreate(experiment("old", { maxTrials: 5 }), undefined, stored));
    expect(stop.code).toBe("FAILED_PRECONDITION");
    expect(stop.message).toBe(
      'experiment "old" was created before stop conditions existed (definition version 1): ' +
        "max_trials, max_failed_trials, goal and deadline need a new experiment (or UpdateExperiment)",
    );
    // Each stop condition alone is refused the same way.
    for (const extra of [{ maxFailedTrials: 3 }, { goal: 0.5 }, { deadline: new Date(Date.UTC(2030, 0, 1)) }]) {
      const one = errorOf(() => compileCreate(experiment("old", extra), undefined, stored));
      expect([one.code, one.message]).toEqual(["FAILED_PRECONDITION", stop.message]);
    }
    const storedV2 = compileDefinition(experiment("old2"), undefined, v2);
    const objectives = [{ name: "err", direction: Direction.DIRECTION_MINIMIZE }];
    const obj = errorOf(() => compileCreate(experiment("old2", { objectives }), undefined, storedV2));
    expect(obj.code).toBe("FAILED_PRECONDITION");
    expect(obj.message).toBe(
      'experiment "old2" was created before objectives existed (definition version 2): objectives need a new experiment',
    );
  });

  it("checks an experiment name's characters strictly for new experiments only", () => {
    const odd = "a\u202Eb";
    expect(errorOf(() => compileDefinition(experiment(odd))).message).toBe(
      'experiment.name: experiment name "a\\u202Eb" contains the bidirectional control U+202E, which makes a name display as something it is not',
    );
    // Stored before names were checked, it still loads, and can be created again as it was.
    const stored = compileDefinition(experiment(odd), STORED_SPACE_LIMITS);
    expect(stored.proto.name).toBe(odd);
    expect(compileCreate(experiment(odd), undefined, stored).proto.name).toBe(odd);
  });

  it("takes objective names of up to 200 characters", () => {
    const named = (name: string) =>
      experiment("n", {
        algorithm: { name: "random", options: {} },
        objectives: [
          { name, direction: Direction.DIRECTION_MINIMIZE },
          { name: "b", direction: Direction.DIRECTION_MAXIMIZE },
        ],
      });
    expect(compileDefinition(named("a".repeat(200))).objectives[0]!.name).toBe("a".repeat(200));
    const err = errorOf(() => compileDefinition(named("a".repeat(201))));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toBe(
      "experiment.objectives[0].name: must be at most 200 characters, without control or edge spaces",
    );
  });

  it("takes one declared objective's direction when experiment.direction is left unset", () => {
    for (const direction of [Direction.DIRECTION_MAXIMIZE, Direction.DIRECTION_MINIMIZE]) {
      const def = compileDefinition(experiment("one", { objectives: [{ name: "acc", direction }] }));
      expect(def.maximize).toBe(direction === Direction.DIRECTION_MAXIMIZE);
      expect(def.objectives).toEqual([{ name: "acc", maximize: direction === Direction.DIRECTION_MAXIMIZE }]);
      expect(def.proto.direction).toBe(direction);
    }
  });

  it("says a stored version is unknown, not newer, unless it is an integer past the latest", () => {
    const latest = DEFINITION_VERSIONS.at(-1)!.version;
    const json = JSON.parse(definitionJson(compileDefinition(experiment("v")).proto)) as Record<string, unknown>;
    for (const bad of [String(latest + 1), latest + 0.5, latest + 1.5]) {
      const err = errorOf(() => compileStored(JSON.stringify({ ...json, [DEFINITION_VERSION_KEY]: bad })));
      expect(err.code).toBe("FAILED_PRECONDITION");
      expect(err.message).toBe(`experiment "v": stored definition has an unknown version ${JSON.stringify(bad)}`);
    }
  });

  it("renders canonical JSON with keys sorted at every depth, nulls and arrays kept in place", () => {
    expect(canonicalJson({ b: null, a: [null, { d: 1, c: [2, { f: null, e: "x" }] }] })).toBe(
      '{"a":[null,{"c":[2,{"e":"x","f":null}],"d":1}],"b":null}',
    );
    expect(canonicalJson(null)).toBe("null");
  });
});
