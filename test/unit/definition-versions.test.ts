/**
 * Versioned stored definitions (service/definition.ts): every definition is
 * stored with the version of the rules it passed; release 0.1.0's, which
 * carry none, are version 1; loading checks a definition with its own
 * version's rules and no space limits, so a stricter later release (here a
 * simulated version 2) or lower limits never lock out a stored experiment,
 * while a new experiment must pass today's rules; a definition from a newer
 * Parzen is refused with a message that says so.
 */
import Database from "better-sqlite3";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { DEFAULT_SPACE_LIMITS } from "../../src/space/compile.js";
import {
  compileCreate,
  compileDefinition,
  compileStored,
  CURRENT_DEFINITION_RULES,
  DEFINITION_VERSION_KEY,
  DEFINITION_VERSIONS,
  definitionJson,
  type DefinitionRules,
} from "../../src/service/use-cases/definition.js";
import { uniform } from "../integration/fixtures.js";

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures");
const DAY = 86_400_000;

function request(fields: Partial<Experiment> = {}): Experiment {
  return Experiment.fromPartial({
    name: "e",
    space: { parameters: [uniform("x", 0, 1), uniform("y", 0, 1)] },
    seed: 7,
    ...fields,
  });
}

/** The error `f` throws, which must be a ParzenError. */
function errorOf(f: () => unknown): ParzenError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    return err as ParzenError;
  }
  throw new Error("expected an error");
}

/** `json` without its version, as release 0.1.0 stored definitions. */
function unversioned(json: string): string {
  const { [DEFINITION_VERSION_KEY]: _, ...rest } = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify(rest);
}

describe("stored definition versions", () => {
  it("stores today's version with a definition and reads back the same definition under the same rules", () => {
    const def = compileDefinition(request({ leaseDuration: { seconds: 90, nanos: 0 } }));
    const json = definitionJson(def.proto);
    expect(JSON.parse(json)[DEFINITION_VERSION_KEY]).toBe(CURRENT_DEFINITION_RULES.version);
    expect(CURRENT_DEFINITION_RULES).toBe(DEFINITION_VERSIONS.at(-1));
    const back = compileStored(json);
    expect(back.rules).toBe(CURRENT_DEFINITION_RULES);
    expect(back.proto).toEqual(def.proto);
    expect(back.leaseMs).toBe(90_000);
    expect(definitionJson(back.proto)).toBe(json);
  });

  it("stores stop conditions as version 2, which release 0.1.0's rules (version 1) refuse rather than ignore", () => {
    const stop = { maxTrials: 40, maxFailedTrials: 3, goal: 0.25 };
    const def = compileDefinition(request(stop));
    expect(def.rules.version).toBeGreaterThanOrEqual(2);
    const back = compileStored(definitionJson(def.proto));
    expect(back.stop).toEqual(stop);
    expect(back.proto).toMatchObject(stop);
    // An experiment stored as version 1, re-created with a budget: refused, not silently unbounded.
    const v1 = compileStored(unversioned(definitionJson(compileDefinition(request()).proto)));
    expect(v1.rules.version).toBe(1);
    expect(v1.stop).toEqual({ maxTrials: undefined, maxFailedTrials: undefined, goal: undefined });
    const err = errorOf(() => compileCreate(request({ maxTrials: 40 }), undefined, v1));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toContain("created before stop conditions existed (definition version 1)");
    expect(compileCreate(request(), undefined, v1).rules.version).toBe(1);
  });

  it("stores objectives under today's version (3 or later), which version 2's rules refuse rather than load as one objective", () => {
    const objectives = [
      { name: "err", direction: Direction.DIRECTION_MINIMIZE },
      { name: "speed", direction: Direction.DIRECTION_MAXIMIZE },
    ];
    const def = compileDefinition(request({ objectives, algorithm: { name: "random", options: {} } }));
    expect(def.rules.version).toBe(CURRENT_DEFINITION_RULES.version);
    expect(def.rules.objectives).toBe(true);
    expect(def.objectives).toEqual([
      { name: "err", maximize: false },
      { name: "speed", maximize: true },
    ]);
    const json = definitionJson(def.proto);
    expect(compileStored(json).objectives).toEqual(def.objectives);
    const v2 = compileStored(definitionJson(compileDefinition(request()).proto, 2));
    expect(v2.rules.version).toBe(2);
    expect(v2.objectives).toEqual([{ name: "loss", maximize: false }]);
    const err = errorOf(() => compileCreate(request({ objectives }), undefined, v2));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toContain("created before objectives existed (definition version 2)");
    // A single-objective definition stores no objectives: what every release before stored.
    expect(JSON.parse(definitionJson(compileDefinition(request()).proto))).not.toHaveProperty("objectives");
  });

  it("reads the definitions of release 0.1.0, which carry no version, as version 1", () => {
    const fixture = readdirSync(FIXTURES).find((f) => f.startsWith("release-0.1.0-") && f.endsWith(".db"));
    expect(fixture).toBeDefined();
    // Read a copy: even a read-only connection leaves -wal and -shm files beside a WAL database.
    const dir = mkdtempSync(join(tmpdir(), "parzen-definitions-"));
    let rows: { name: string; definition: string }[];
    try {
      copyFileSync(join(FIXTURES, fixture!), join(dir, "copy.db"));
      const db = new Database(join(dir, "copy.db"), { readonly: true, fileMustExist: true });
      rows = db.prepare("SELECT name, definition FROM experiments ORDER BY id").all() as typeof rows;
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(rows.length).toBeGreaterThan(0);
    for (const { name, definition } of rows) {
      expect(JSON.parse(definition), name).not.toHaveProperty([DEFINITION_VERSION_KEY]);
      const def = compileStored(definition);
      expect(def.rules.version, name).toBe(1);
      expect(def.proto.name).toBe(name);
    }
  });

  describe("in a release that validates more strictly (a simulated version 2)", () => {
    const v2: DefinitionRules = {
      version: 2,
      maxNameLength: 20,
      minLeaseMs: 60_000,
      maxLeaseMs: DAY,
      stopConditions: true,
      objectives: false,
      algorithmDefaults: {},
    };
    const versions = [DEFINITION_VERSIONS[0]!, v2];
    // Accepted by version 1, rejected by version 2 twice over: a long name and a 3-day lease.
    const old = request({
      name: "a name of more than twenty characters",
      leaseDuration: { seconds: 3 * 86_400, nanos: 0 },
    });

    it("loads a version-1 definition (with or without its version) with version 1's rules", () => {
      const stored = definitionJson(compileDefinition(old, undefined, DEFINITION_VERSIONS[0]).proto, 1);
      for (const json of [stored, unversioned(stored)]) {
        const def = compileStored(json, undefined, versions);
        expect(def.rules).toBe(DEFINITION_VERSIONS[0]);
        expect(def.proto.name).toBe(old.name);
        expect(def.leaseMs).toBe(3 * DAY);
      }
    });

    it("rejects the same definition as a new experiment under version 2", () => {
      const err = errorOf(() => compileDefinition(old, undefined, v2));
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toBe("experiment.name: experiment name is longer than 20 characters");
      const lease = errorOf(() => compileDefinition({ ...old, name: "short" }, undefined, v2));
      expect(lease.message).toBe("experiment.lease_duration: must be between 1 minute and 1 day");
    });

    it("holds a version-2 definition to version 2's rules when it loads", () => {
      const json = definitionJson(old, 2);
      const err = errorOf(() => compileStored(json, undefined, versions));
      expect(err.code).toBe("FAILED_PRECONDITION");
      expect(err.message).toBe(
        `experiment "${old.name}": stored definition (version 2) no longer loads: ` +
          "experiment.name: experiment name is longer than 20 characters",
      );
    });
  });

  it("keeps the TPE defaults of its day for an experiment stored before they changed; a user's options still win", () => {
    const tpeOptions = (rules: DefinitionRules, options: Experiment["algorithm"] = { name: "tpe", options: {} }) =>
      compileStored(
        definitionJson(compileDefinition(request({ algorithm: options }), undefined, rules).proto, rules.version),
      ).algorithmOptions as Record<string, unknown>;
    const fixedCap = { gamma_cap_growth: 0, far_field_bound: 0, good_endpoint_reach: 0, good_endpoint_max_params: 0 };
    for (const rules of DEFINITION_VERSIONS.slice(0, 3))
      expect(tpeOptions(rules)).toMatchObject({ n_startup_trials: 10, gamma_cap: 25, prior_weight: 1, ...fixedCap });
    expect(tpeOptions(DEFINITION_VERSIONS[3]!)).toMatchObject({
      n_startup_trials: 20,
      gamma_cap: 6,
      prior_weight: 3,
      ...fixedCap,
    });
    expect(tpeOptions(DEFINITION_VERSIONS[4]!)).toMatchObject({ far_field_bound: 10, good_endpoint_reach: 0 });
    // Versions 6 and 7: the reach in groups of any size.
    for (const rules of DEFINITION_VERSIONS.filter((r) => r.version === 6 || r.version === 7))
      expect(tpeOptions(rules)).toMatchObject({ good_endpoint_reach: 1, good_endpoint_max_params: 0 });
    // Before version 9: the good set's last places to feasible PRUNED trials by trial number.
    for (const rules of DEFINITION_VERSIONS.filter((r) => r.version < 9))
      expect(tpeOptions(rules)).toMatchObject({ pruned_fill: "by_number" });
    expect(tpeOptions(DEFINITION_VERSIONS[7]!)).toMatchObject({ good_endpoint_max_params: 2 });
    expect(tpeOptions(CURRENT_DEFINITION_RULES)).toMatchObject({
      n_startup_trials: 20,
      gamma_cap: 6,
      prior_weight: 3,
      gamma_cap_growth: 0,
      far_field_bound: 10,
      good_endpoint_reach: 1,
      good_endpoint_max_params: 2,
      pruned_fill: "ranked",
    });
    const own = { name: "tpe", options: { n_startup_trials: { kind: { $case: "intValue" as const, value: 5 } } } };
    expect(tpeOptions(DEFINITION_VERSIONS[0]!, own)).toMatchObject({ n_startup_trials: 5, gamma_cap: 25 });
    const growth = {
      name: "tpe",
      options: { gamma_cap_growth: { kind: { $case: "doubleValue" as const, value: 0.1 } } },
    };
    expect(tpeOptions(DEFINITION_VERSIONS[3]!, growth)).toMatchObject({ gamma_cap_growth: 0.1, far_field_bound: 0 });
    const anySize = {
      name: "tpe",
      options: { good_endpoint_max_params: { kind: { $case: "intValue" as const, value: 3 } } },
    };
    expect(tpeOptions(DEFINITION_VERSIONS[6]!, anySize)).toMatchObject({ good_endpoint_max_params: 3 });
  });

  it("keeps cmaes' independent draws for an experiment stored before version 6; new ones sample orthogonally", () => {
    const cmaesOptions = (rules: DefinitionRules, options: NonNullable<Experiment["algorithm"]>["options"] = {}) =>
      compileStored(
        definitionJson(
          compileDefinition(request({ algorithm: { name: "cmaes", options } }), undefined, rules).proto,
          rules.version,
        ),
      ).algorithmOptions as Record<string, unknown>;
    for (const rules of DEFINITION_VERSIONS.filter((r) => r.version < 6))
      expect(cmaesOptions(rules)).toMatchObject({ orthogonal_sampling: false, diagonal_phase: 100 });
    expect(cmaesOptions(CURRENT_DEFINITION_RULES)).toMatchObject({ orthogonal_sampling: true });
    const own = { orthogonal_sampling: { kind: { $case: "boolValue" as const, value: true } } };
    expect(cmaesOptions(DEFINITION_VERSIONS[4]!, own)).toMatchObject({ orthogonal_sampling: true });
  });

  it("keeps auto's constraints-to-TPE rule for an experiment stored before version 7; new ones keep the GP phase", () => {
    const autoOptions = (rules: DefinitionRules, options: NonNullable<Experiment["algorithm"]>["options"] = {}) =>
      compileStored(
        definitionJson(
          compileDefinition(request({ algorithm: { name: "auto", options } }), undefined, rules).proto,
          rules.version,
        ),
      ).algorithmOptions as Record<string, unknown>;
    for (const rules of DEFINITION_VERSIONS.filter((r) => r.version < 7))
      expect(autoOptions(rules)).toMatchObject({ gp_constraints: false, gp_trials: 250 });
    expect(autoOptions(CURRENT_DEFINITION_RULES)).toMatchObject({ gp_constraints: true });
    const own = { gp_constraints: { kind: { $case: "boolValue" as const, value: true } } };
    expect(autoOptions(DEFINITION_VERSIONS[5]!, own)).toMatchObject({ gp_constraints: true });
  });

  it("refuses a definition stored by a newer Parzen (version = latest + 1), naming the experiment", () => {
    const latest = DEFINITION_VERSIONS.at(-1)!.version;
    const def = compileDefinition(request());
    expect(compileStored(definitionJson(def.proto, latest)).rules.version).toBe(latest);
    const err = errorOf(() => compileStored(definitionJson(def.proto, latest + 1)));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toBe(
      `experiment "e" was stored by a newer Parzen (definition version ${latest + 1}; ` +
        `this Parzen reads versions up to ${latest}): upgrade Parzen`,
    );
    for (const bad of [0, "1", 1.5, null]) {
      const odd = JSON.stringify({ ...JSON.parse(definitionJson(def.proto)), [DEFINITION_VERSION_KEY]: bad });
      const e = errorOf(() => compileStored(odd));
      expect(e.code).toBe("FAILED_PRECONDITION");
      expect(e.message).toBe(`experiment "e": stored definition has an unknown version ${JSON.stringify(bad)}`);
    }
  });

  it("loads a space stored under looser limits; create rejects it as new, and accepts it as a re-create", () => {
    const lower = { ...DEFAULT_SPACE_LIMITS, maxParameters: 1 };
    const stored = compileStored(definitionJson(compileDefinition(request()).proto));
    expect(stored.space.params).toHaveLength(2);
    // Only because loading applies no space limits: with today's, it would not load.
    expect(errorOf(() => compileStored(definitionJson(stored.proto), lower)).message).toMatch(
      /no longer loads: space: more than 1 parameters$/,
    );
    const created = errorOf(() => compileCreate(request(), lower, undefined));
    expect(created.code).toBe("INVALID_ARGUMENT");
    expect(created.message).toBe("space: more than 1 parameters");
    expect(compileCreate(request(), lower, stored).proto).toEqual(stored.proto);
  });
});
