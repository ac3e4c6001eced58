/**
 * Normalises an experiment definition from a CreateExperiment request:
 * validates every part (name, space, direction, algorithm and its options,
 * pruner, lease, seed), fills defaults, and renders the canonical JSON that is
 * stored and compared to decide whether a re-create is identical.
 *
 * Stored definitions carry the version of the rules they passed
 * (DEFINITION_VERSIONS), so that stricter validation in a later release never
 * locks out an experiment stored before it: CreateExperiment checks a new
 * definition with today's rules and limits, while loading a stored one checks
 * it with the rules of its own version and no space limits.
 */
import { randomInt } from "node:crypto";
import { algorithmNamed, algorithmNames, DEFAULT_ALGORITHM } from "../../algorithms/registry.js";
import { failedPrecondition, invalidArgument, ParzenError } from "../../errors.js";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import type { Parameter, SearchSpace, Value } from "@parzen/client/gen/parzen/v1/space";
import { compileSpace, DEFAULT_SPACE_LIMITS, type SpaceLimits } from "../../space/compile.js";
import { checkName } from "../../space/names.js";
import type { Scalar, Space } from "../../space/types.js";
import { scalarFromValue } from "../../space/values.js";
import { DEFAULT_PRUNER, prunerNamed } from "../../pruners/registry.js";

export const DEFAULT_LEASE_MS = 30 * 60 * 1000;

/**
 * The fixed rules (beyond the operator's space limits) that a definition of
 * one version passed when it was stored. The space's own rules
 * (space/compile.ts) and the algorithms' and pruners' option schemas are
 * shared by every version: they may be loosened, never tightened, unless the
 * stricter check is made a rule here.
 */
export interface DefinitionRules {
  /** Stored with every definition checked by these rules. */
  readonly version: number;
  readonly maxNameLength: number;
  readonly minLeaseMs: number;
  readonly maxLeaseMs: number;
  /**
   * Whether the definition may carry stop conditions (max_trials,
   * max_failed_trials, goal). Not in version 1: a Parzen that predates them
   * would load such a definition and silently ignore its budget, so a
   * definition that can carry them is stored as version 2, which that Parzen
   * refuses to load.
   */
  readonly stopConditions: boolean;
  /**
   * Whether the definition may declare objectives (issue 20). Not before
   * version 3: an older Parzen would load a multi-objective definition as a
   * single-objective one.
   */
  readonly objectives: boolean;
  /**
   * Algorithm options an experiment stored under these rules gets where its
   * own leave them out: the defaults of its day, so a release that changes an
   * algorithm's defaults does not change the search of experiments already
   * under way (empty: today's defaults).
   */
  readonly algorithmDefaults: Readonly<Record<string, Readonly<Record<string, Scalar>>>>;
}

/** TPE's defaults before version 9 (issue 22, branch mutalg7): the good set's last places to PRUNED trials by number. */
const TPE_DEFAULTS_BEFORE_V9: Readonly<Record<string, Scalar>> = {
  pruned_fill: { kind: "string", value: "by_number" },
};

/** TPE's defaults before version 8 (issue 21, mixed, bench/RESULTS.md): l(x)'s reach in groups of any size. */
const TPE_DEFAULTS_BEFORE_V8: Readonly<Record<string, Scalar>> = {
  ...TPE_DEFAULTS_BEFORE_V9,
  good_endpoint_max_params: { kind: "int", value: 0 },
};

/** TPE's defaults before version 6 (issue 21, needle_cliff, bench/RESULTS.md): l(x)'s outermost kernels stop at the good set. */
const TPE_DEFAULTS_BEFORE_V6: Readonly<Record<string, Scalar>> = {
  ...TPE_DEFAULTS_BEFORE_V8,
  good_endpoint_reach: { kind: "double", value: 0 },
};

/** TPE's defaults before version 5's long-run fix (issue 21, bench/RESULTS.md): a fixed cap, no far-field bound. */
const TPE_DEFAULTS_BEFORE_V5: Readonly<Record<string, Scalar>> = {
  ...TPE_DEFAULTS_BEFORE_V6,
  gamma_cap_growth: { kind: "double", value: 0 },
  far_field_bound: { kind: "double", value: 0 },
};

/** TPE's defaults before issue 21's exploration fix (bench/RESULTS.md), kept by experiments created before it. */
const TPE_DEFAULTS_BEFORE_V4: Readonly<Record<string, Scalar>> = {
  ...TPE_DEFAULTS_BEFORE_V5,
  n_startup_trials: { kind: "int", value: 10 },
  gamma_cap: { kind: "int", value: 25 },
  prior_weight: { kind: "double", value: 1 },
};

/** cmaes' defaults before version 6 (issue 21, bench/RESULTS.md): independent draws within a generation. */
const CMAES_DEFAULTS_BEFORE_V6: Readonly<Record<string, Scalar>> = {
  orthogonal_sampling: { kind: "bool", value: false },
};

/** auto's defaults before version 7 (issue 20/21, bench/RESULTS.md): constraints sent every trial to TPE. */
const AUTO_DEFAULTS_BEFORE_V7: Readonly<Record<string, Scalar>> = {
  gp_constraints: { kind: "bool", value: false },
};

/**
 * Every definition version, oldest first; the last is today's, which
 * CreateExperiment applies to new experiments. An entry never changes once
 * released: a release that validates more strictly appends a version with
 * the stricter rules, and definitions stored under the older ones keep
 * loading with theirs. Version 1 is release 0.1.0's format, whose stored
 * definitions have no version (see definitionJson).
 */
export const DEFINITION_VERSIONS: readonly DefinitionRules[] = [
  {
    version: 1,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: false,
    objectives: false,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V4, cmaes: CMAES_DEFAULTS_BEFORE_V6, auto: AUTO_DEFAULTS_BEFORE_V7 },
  },
  {
    version: 2,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: false,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V4, cmaes: CMAES_DEFAULTS_BEFORE_V6, auto: AUTO_DEFAULTS_BEFORE_V7 },
  },
  {
    version: 3,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: true,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V4, cmaes: CMAES_DEFAULTS_BEFORE_V6, auto: AUTO_DEFAULTS_BEFORE_V7 },
  },
  {
    // TPE's defaults explore more (issue 21): 20 startup trials, a good set of at most 6, prior weight 3.
    version: 4,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: true,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V5, cmaes: CMAES_DEFAULTS_BEFORE_V6, auto: AUTO_DEFAULTS_BEFORE_V7 },
  },
  {
    // TPE keeps improving on long runs (issue 21): l/g far from trials <= 10 (a growing good-set cap is an option).
    version: 5,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: true,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V6, cmaes: CMAES_DEFAULTS_BEFORE_V6, auto: AUTO_DEFAULTS_BEFORE_V7 },
  },
  {
    // cmaes draws each generation's members orthogonal in blocks of n; TPE's l(x) reaches past the good set's
    // outermost trials, 1/d² of the way to the edge (issue 21, bench/RESULTS.md).
    version: 6,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: true,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V8, auto: AUTO_DEFAULTS_BEFORE_V7 },
  },
  {
    // auto keeps the GP phase for constrained experiments (the GP's logCEI), TPE after it (issue 21).
    version: 7,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: true,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V8 },
  },
  {
    // TPE's l(x) reaches past the good set only in groups of one or two parameters (issue 21, bench/RESULTS.md).
    version: 8,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: true,
    algorithmDefaults: { tpe: TPE_DEFAULTS_BEFORE_V9 },
  },
  {
    // With constraints or several objectives, TPE's good set takes the feasible PRUNED trials split.ts ranks
    // first, not the lowest-numbered of them (issue 22, found by mutation testing).
    version: 9,
    maxNameLength: 200,
    minLeaseMs: 1000,
    maxLeaseMs: 7 * 24 * 3600 * 1000,
    stopConditions: true,
    objectives: true,
    algorithmDefaults: {},
  },
];

/** The rules CreateExperiment applies to a new experiment. */
export const CURRENT_DEFINITION_RULES: DefinitionRules = DEFINITION_VERSIONS[DEFINITION_VERSIONS.length - 1]!;

/** The key of the stored JSON that holds the version: "$" is never in a proto JSON field name. */
export const DEFINITION_VERSION_KEY = "$version";

/** The longest name any version accepts: what a lookup by name allows, so no stored experiment becomes unreachable. */
const LOOKUP_NAME_LENGTH = Math.max(...DEFINITION_VERSIONS.map((r) => r.maxNameLength));

export interface CompiledDefinition {
  /** The normalised definition (no output-only fields). */
  readonly proto: Experiment;
  readonly space: Space;
  readonly algorithm: string;
  readonly algorithmOptions: unknown;
  readonly pruner: string;
  readonly prunerOptions: unknown;
  readonly seed: number;
  /** Single-objective experiments: whether the loss is maximised (false for a multi-objective one). */
  readonly maximize: boolean;
  /** The objectives, in order: one for a single-objective experiment (named "loss" unless named). */
  readonly objectives: readonly ObjectiveDef[];
  readonly leaseMs: number;
  /** Re-enqueue the configuration of a trial whose lease lapsed (see retry-lost.ts). */
  readonly retryLost: boolean;
  /** When the experiment is COMPLETED (see stopConditionsOf); every field undefined when there is no limit. */
  readonly stop: StopConditions;
  /** The rules it passed, whose version is stored with it. */
  readonly rules: DefinitionRules;
}

export interface ObjectiveDef {
  readonly name: string;
  readonly maximize: boolean;
}

export interface StopConditions {
  /** COMPLETE + PRUNED trials that complete the experiment. */
  readonly maxTrials: number | undefined;
  /** FAIL trials that complete the experiment. */
  readonly maxFailedTrials: number | undefined;
  /** A COMPLETE loss at or past this (in the experiment's direction) completes the experiment. */
  readonly goal: number | undefined;
  /** Milliseconds since the epoch: from this instant on the experiment is COMPLETED (DEADLINE). */
  readonly deadline: number | undefined;
}

/** The request's stop conditions, checked; refused under rules that predate them (DefinitionRules.stopConditions). */
function stopConditionsOf(req: Experiment, rules: DefinitionRules): StopConditions {
  const { maxTrials, maxFailedTrials, goal } = req;
  const given =
    maxTrials !== undefined || maxFailedTrials !== undefined || goal !== undefined || req.deadline !== undefined;
  if (given && !rules.stopConditions) {
    throw failedPrecondition(
      `experiment "${req.name}" was created before stop conditions existed (definition version ${rules.version}): ` +
        "max_trials, max_failed_trials, goal and deadline need a new experiment (or UpdateExperiment)",
    );
  }
  checkStopConditions({ maxTrials, maxFailedTrials, goal }, "experiment.");
  // Stored in definitions of version 2 without a version of its own: the schema
  // migration that came with it (0003) keeps an older Parzen from opening the database.
  const deadline = req.deadline === undefined ? undefined : timestampMs(req.deadline, "experiment.deadline");
  return { maxTrials, maxFailedTrials, goal, deadline };
}

/** Checks the numeric stop conditions given (CreateExperiment's, UpdateExperiment's), naming fields after `prefix`. */
export function checkStopConditions(
  s: { maxTrials?: number; maxFailedTrials?: number; goal?: number },
  prefix: string,
): void {
  for (const [field, n] of [
    ["max_trials", s.maxTrials],
    ["max_failed_trials", s.maxFailedTrials],
  ] as const) {
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 1))
      throw invalidArgument(`${prefix}${field}: must be a positive integer when set, got ${n}`);
  }
  if (s.goal !== undefined && !Number.isFinite(s.goal))
    throw invalidArgument(`${prefix}goal: must be finite when set, got ${s.goal}`);
}

/** A Timestamp (decoded as a Date) in milliseconds since the epoch; INVALID_ARGUMENT naming `field` if it is none. */
export function timestampMs(d: Date, field: string): number {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw invalidArgument(`${field}: not a valid timestamp`);
  return ms;
}

/** Names of the algorithms that optimise several objectives, for messages. */
function multiObjectiveAlgorithms(): string {
  const names = algorithmNames().filter((n) => algorithmNamed(n).multiObjective === true);
  const quoted = names.map((n) => `"${n}"`);
  return quoted.length <= 1 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
}

function checkDirection(d: Direction, field: string): boolean {
  if (d !== Direction.DIRECTION_UNSPECIFIED && d !== Direction.DIRECTION_MINIMIZE && d !== Direction.DIRECTION_MAXIMIZE)
    throw invalidArgument(`${field}: unknown direction ${d}`);
  return d === Direction.DIRECTION_MAXIMIZE;
}

/**
 * The experiment's objectives: `direction` alone (the single-objective form
 * every client before issue 20 sends), or the declared list, whose one-entry
 * form is the same single objective with a name.
 */
function objectivesOf(req: Experiment, rules: DefinitionRules): ObjectiveDef[] {
  const declared = req.objectives;
  if (declared.length === 0) return [{ name: "loss", maximize: checkDirection(req.direction, "experiment.direction") }];
  if (!rules.objectives) {
    throw failedPrecondition(
      `experiment "${req.name}" was created before objectives existed (definition version ${rules.version}): ` +
        "objectives need a new experiment",
    );
  }
  const out: ObjectiveDef[] = [];
  const seen = new Set<string>();
  for (const [i, o] of declared.entries()) {
    const field = `experiment.objectives[${i}]`;
    const name = o.name === "" ? `objective_${i}` : o.name;
    if (name.length > 200 || name.trim() !== name || /\p{Cc}/u.test(name))
      throw invalidArgument(`${field}.name: must be at most 200 characters, without control or edge spaces`);
    if (seen.has(name)) throw invalidArgument(`${field}.name: "${name}" is used by another objective`);
    seen.add(name);
    out.push({ name, maximize: checkDirection(o.direction, `${field}.direction`) });
  }
  if (out.length === 1) {
    const d = req.direction;
    if (d !== Direction.DIRECTION_UNSPECIFIED && (d === Direction.DIRECTION_MAXIMIZE) !== out[0]!.maximize)
      throw invalidArgument("experiment.direction: contradicts experiment.objectives[0].direction; set only one");
  } else if (req.direction !== Direction.DIRECTION_UNSPECIFIED) {
    throw invalidArgument(
      `experiment.direction: an experiment with ${out.length} objectives takes a direction per objective ` +
        "(experiment.objectives[i].direction); leave experiment.direction unset",
    );
  }
  return out;
}

/** Checks an experiment name: as any version allowed it (a lookup) unless `maxLength` says otherwise. */
export function checkExperimentName(name: string, field = "name", maxLength = LOOKUP_NAME_LENGTH): string {
  if (name.length === 0) throw invalidArgument(`${field}: experiment name is empty`);
  if (name.length > maxLength)
    throw invalidArgument(`${field}: experiment name is longer than ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw invalidArgument(`${field}: experiment name contains control characters`);
  if (name.trim() !== name) throw invalidArgument(`${field}: experiment name has leading or trailing spaces`);
  return name;
}

export function scalarsOf(options: Record<string, Value>, owner: string): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(options)) {
    const s = scalarFromValue(v);
    if (s === undefined) throw invalidArgument(`${owner} options: "${k}" has no value`);
    if (s.kind === "double" && !Number.isFinite(s.value))
      throw invalidArgument(`${owner} options: "${k}" must be finite`);
    out[k] = s;
  }
  return out;
}

/**
 * Validates and normalises a requested experiment under `rules` (today's
 * unless given). `seed` is drawn when the request leaves it unset (so it is
 * never absent once stored).
 */
export function compileDefinition(
  req: Experiment | undefined,
  limits?: SpaceLimits,
  rules: DefinitionRules = CURRENT_DEFINITION_RULES,
): CompiledDefinition {
  if (req === undefined) throw invalidArgument("experiment: missing");
  const name = checkExperimentName(req.name, "experiment.name", rules.maxNameLength);
  // Stricter characters for new experiments only (limits absent = today's defaults; stored ones load without).
  if ((limits ?? DEFAULT_SPACE_LIMITS).strictNames === true) checkName(name, "experiment.name", "experiment name");
  const space = compileSpace(req.space, limits);
  const objectives = objectivesOf(req, rules);
  const multi = objectives.length > 1;
  const maximize = !multi && objectives[0]!.maximize;
  const algorithm = req.algorithm?.name || DEFAULT_ALGORITHM;
  const rawAlgorithmOptions = req.algorithm?.options ?? {};
  const algo = algorithmNamed(algorithm);
  const algorithmOptions = algo.parseOptions({
    ...rules.algorithmDefaults[algorithm],
    ...scalarsOf(rawAlgorithmOptions, algorithm),
  });
  algo.checkSpace?.(space, algorithmOptions);
  if (multi && algo.multiObjective !== true) {
    throw invalidArgument(
      `experiment.algorithm: "${algorithm}" optimises one objective; an experiment with ${objectives.length} ` +
        `objectives needs ${multiObjectiveAlgorithms()}`,
    );
  }
  const pruner = req.pruner?.name || DEFAULT_PRUNER;
  if (multi && pruner !== "none") {
    throw invalidArgument(
      `experiment.pruner: "${pruner}" compares single losses and cannot prune a multi-objective experiment ` +
        "(as in Optuna); leave the pruner unset",
    );
  }
  const rawPrunerOptions = req.pruner?.options ?? {};
  const prunerOptions = prunerNamed(pruner).parseOptions(scalarsOf(rawPrunerOptions, `pruner ${pruner}`));
  const seed = req.seed ?? randomInt(0, 2 ** 31);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw invalidArgument("experiment.seed: must be a non-negative integer below 2^53");
  let leaseMs = DEFAULT_LEASE_MS;
  if (req.leaseDuration !== undefined) {
    leaseMs = req.leaseDuration.seconds * 1000 + Math.floor(req.leaseDuration.nanos / 1e6);
    if (!(leaseMs >= rules.minLeaseMs && leaseMs <= rules.maxLeaseMs))
      throw invalidArgument(
        `experiment.lease_duration: must be between ${duration(rules.minLeaseMs)} and ${duration(rules.maxLeaseMs)}`,
      );
  }
  const stop = stopConditionsOf(req, rules);
  if (multi && stop.goal !== undefined)
    throw invalidArgument("experiment.goal: a goal is one loss to reach; a multi-objective experiment has none");
  const proto: Experiment = Experiment.fromPartial({
    name,
    space: req.space,
    direction: multi
      ? Direction.DIRECTION_UNSPECIFIED
      : maximize
        ? Direction.DIRECTION_MAXIMIZE
        : Direction.DIRECTION_MINIMIZE,
    // Kept as given (names filled in), so a single-objective experiment without them stores what it always did.
    objectives:
      req.objectives.length === 0
        ? []
        : objectives.map((o) => ({
            name: o.name,
            direction: o.maximize ? Direction.DIRECTION_MAXIMIZE : Direction.DIRECTION_MINIMIZE,
          })),
    algorithm: { name: algorithm, options: rawAlgorithmOptions },
    pruner: { name: pruner, options: rawPrunerOptions },
    seed,
    leaseDuration: { seconds: Math.floor(leaseMs / 1000), nanos: (leaseMs % 1000) * 1e6 },
    userAttrs: req.userAttrs,
    retryLost: req.retryLost,
    maxTrials: stop.maxTrials,
    maxFailedTrials: stop.maxFailedTrials,
    goal: stop.goal,
    deadline: stop.deadline === undefined ? undefined : new Date(stop.deadline),
  });
  return {
    stop,
    proto,
    space,
    algorithm,
    algorithmOptions,
    pruner,
    prunerOptions,
    seed,
    maximize,
    objectives,
    leaseMs,
    retryLost: req.retryLost,
    rules,
  };
}

/** "1 second", "7 days", "90 minutes": a whole number of the largest unit that divides `ms`. */
function duration(ms: number): string {
  const units: [string, number][] = [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
    ["second", 1000],
  ];
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ["millisecond", 1];
  const n = ms / size;
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/**
 * CreateExperiment's definition. A new experiment must pass today's rules
 * and the operator's space limits. A request naming an experiment that exists
 * is checked with the rules that experiment was stored under and no space
 * limits, so a client that re-creates its experiment at every start (the
 * clients' get-or-create) is not locked out by a stricter release or lower
 * limits; it then matches the stored definition or fails as a different one.
 */
export function compileCreate(
  req: Experiment | undefined,
  limits: SpaceLimits | undefined,
  existing: CompiledDefinition | undefined,
): CompiledDefinition {
  if (existing === undefined) return compileDefinition(req, limits);
  return compileDefinition(req, STORED_SPACE_LIMITS, existing.rules);
}

/** Stable JSON with sorted keys, so equal definitions give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * The stored form of a definition: canonical proto3 JSON of the Experiment
 * plus its version under DEFINITION_VERSION_KEY. Release 0.1.0 stored no
 * version: a definition without one is version 1.
 */
export function definitionJson(def: Experiment, version: number = CURRENT_DEFINITION_RULES.version): string {
  return canonicalJson({ ...(Experiment.toJSON(def) as object), [DEFINITION_VERSION_KEY]: version });
}

/**
 * The part of a definition that decides identity on re-create: space,
 * direction, algorithm with options, pruner with options, stop conditions
 * (a worker asking for another budget must not silently get the stored one),
 * and the seed when the request gave one. Lease, retry_lost and user attributes are settings,
 * not identity.
 */
export function identityOf(def: CompiledDefinition, includeSeed: boolean): string {
  // Options compare as parsed (defaults filled, 25 equal to 25.0), so
  // spelling out a default is the same experiment as leaving it out.
  const proto = Experiment.toJSON({
    ...def.proto,
    space: withoutLabels(def.proto.space),
    algorithm: { name: def.algorithm, options: {} },
    pruner: { name: def.pruner, options: {} },
    leaseDuration: undefined,
    retryLost: false,
    userAttrs: {},
    seed: includeSeed ? def.proto.seed : undefined,
  }) as object;
  return canonicalJson({ proto, algorithmOptions: def.algorithmOptions, prunerOptions: def.prunerOptions });
}

/** The space with its choice options' labels removed: labels name options, they do not change the experiment. */
function withoutLabels(space: SearchSpace | undefined): SearchSpace | undefined {
  if (space === undefined) return undefined;
  const strip = (params: readonly Parameter[]): Parameter[] =>
    params.map((p) =>
      p.domain?.$case === "choice"
        ? {
            ...p,
            domain: {
              $case: "choice",
              value: {
                ...p.domain.value,
                options: p.domain.value.options.map((o) => ({ value: o.value, children: strip(o.children) })),
              },
            },
          }
        : p,
    );
  return { parameters: strip(space.parameters) };
}

/**
 * Stored definitions were validated against the limits in force when they
 * were created; a server restarted with lower limits must still load them.
 */
export const STORED_SPACE_LIMITS: SpaceLimits = {
  maxParameters: Number.POSITIVE_INFINITY,
  maxDepth: Number.POSITIVE_INFINITY,
  maxChoiceOptions: Number.POSITIVE_INFINITY,
  maxNameLength: Number.POSITIVE_INFINITY,
  maxStringLength: Number.POSITIVE_INFINITY,
};

/**
 * Rebuilds the compiled definition of a stored experiment with the rules of
 * the version it was stored under (`versions` is DEFINITION_VERSIONS but in
 * tests). A definition that does not load is FAILED_PRECONDITION, naming the
 * experiment: the request was fine, the stored data is not usable by this
 * Parzen (written by a newer one, or damaged).
 */
export function compileStored(
  definition: string,
  limits: SpaceLimits = STORED_SPACE_LIMITS,
  versions: readonly DefinitionRules[] = DEFINITION_VERSIONS,
): CompiledDefinition {
  const { [DEFINITION_VERSION_KEY]: version = 1, ...proto } = JSON.parse(definition) as Record<string, unknown>;
  const experiment = Experiment.fromJSON(proto);
  const latest = versions[versions.length - 1]!.version;
  const rules = versions.find((r) => r.version === version);
  if (rules === undefined) {
    const newer = typeof version === "number" && Number.isInteger(version) && version > latest;
    throw failedPrecondition(
      newer
        ? `experiment "${experiment.name}" was stored by a newer Parzen (definition version ${version}; ` +
            `this Parzen reads versions up to ${latest}): upgrade Parzen`
        : `experiment "${experiment.name}": stored definition has an unknown version ${JSON.stringify(version)}`,
    );
  }
  try {
    return compileDefinition(experiment, limits, rules);
  } catch (err) {
    if (!(err instanceof ParzenError)) throw err;
    throw failedPrecondition(
      `experiment "${experiment.name}": stored definition (version ${rules.version}) no longer loads: ${err.message}`,
    );
  }
}
