/**
 * Normalises an experiment definition from a CreateExperiment request:
 * validates every part (name, space, direction, algorithm and its options,
 * pruner, lease, seed), fills defaults, and renders the canonical JSON that is
 * stored and compared to decide whether a re-create is identical.
 */
import { randomInt } from "node:crypto";
import { algorithmNamed, DEFAULT_ALGORITHM } from "../algorithms/registry.js";
import { invalidArgument } from "../errors.js";
import { Direction, Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import type { Value } from "@parzen/client/gen/parzen/v1/space";
import { compileSpace, type SpaceLimits } from "../space/compile.js";
import type { Scalar, Space } from "../space/types.js";
import { scalarFromValue } from "../space/values.js";
import { DEFAULT_PRUNER, prunerNamed } from "../pruners/registry.js";

export const DEFAULT_LEASE_MS = 30 * 60 * 1000;
const MAX_LEASE_MS = 7 * 24 * 3600 * 1000;
const MAX_NAME_LENGTH = 200;

export interface CompiledDefinition {
  /** The normalised definition (no output-only fields). */
  readonly proto: Experiment;
  readonly space: Space;
  readonly algorithm: string;
  readonly algorithmOptions: unknown;
  readonly pruner: string;
  readonly prunerOptions: unknown;
  readonly seed: number;
  readonly maximize: boolean;
  readonly leaseMs: number;
  /** Re-enqueue the configuration of a trial whose lease lapsed (see retry-lost.ts). */
  readonly retryLost: boolean;
}

export function checkExperimentName(name: string, field = "name"): string {
  if (name.length === 0) throw invalidArgument(`${field}: experiment name is empty`);
  if (name.length > MAX_NAME_LENGTH)
    throw invalidArgument(`${field}: experiment name is longer than ${MAX_NAME_LENGTH} characters`);
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
 * Validates and normalises a requested experiment. `seed` is drawn when the
 * request leaves it unset (so it is never absent once stored).
 */
export function compileDefinition(req: Experiment | undefined, limits?: SpaceLimits): CompiledDefinition {
  if (req === undefined) throw invalidArgument("experiment: missing");
  const name = checkExperimentName(req.name, "experiment.name");
  const space = compileSpace(req.space, limits);
  if (
    req.direction !== Direction.DIRECTION_UNSPECIFIED &&
    req.direction !== Direction.DIRECTION_MINIMIZE &&
    req.direction !== Direction.DIRECTION_MAXIMIZE
  ) {
    throw invalidArgument(`experiment.direction: unknown direction ${req.direction}`);
  }
  const maximize = req.direction === Direction.DIRECTION_MAXIMIZE;
  const algorithm = req.algorithm?.name || DEFAULT_ALGORITHM;
  const rawAlgorithmOptions = req.algorithm?.options ?? {};
  const algorithmOptions = algorithmNamed(algorithm).parseOptions(scalarsOf(rawAlgorithmOptions, algorithm));
  const pruner = req.pruner?.name || DEFAULT_PRUNER;
  const rawPrunerOptions = req.pruner?.options ?? {};
  const prunerOptions = prunerNamed(pruner).parseOptions(scalarsOf(rawPrunerOptions, `pruner ${pruner}`));
  const seed = req.seed ?? randomInt(0, 2 ** 31);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw invalidArgument("experiment.seed: must be a non-negative integer below 2^53");
  let leaseMs = DEFAULT_LEASE_MS;
  if (req.leaseDuration !== undefined) {
    leaseMs = req.leaseDuration.seconds * 1000 + Math.floor(req.leaseDuration.nanos / 1e6);
    if (!(leaseMs >= 1000 && leaseMs <= MAX_LEASE_MS))
      throw invalidArgument("experiment.lease_duration: must be between 1 second and 7 days");
  }
  const proto: Experiment = Experiment.fromPartial({
    name,
    space: req.space,
    direction: maximize ? Direction.DIRECTION_MAXIMIZE : Direction.DIRECTION_MINIMIZE,
    algorithm: { name: algorithm, options: rawAlgorithmOptions },
    pruner: { name: pruner, options: rawPrunerOptions },
    seed,
    leaseDuration: { seconds: Math.floor(leaseMs / 1000), nanos: (leaseMs % 1000) * 1e6 },
    userAttrs: req.userAttrs,
    retryLost: req.retryLost,
  });
  return {
    proto,
    space,
    algorithm,
    algorithmOptions,
    pruner,
    prunerOptions,
    seed,
    maximize,
    leaseMs,
    retryLost: req.retryLost,
  };
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

/** The stored form of a definition. */
export function definitionJson(def: Experiment): string {
  return canonicalJson(Experiment.toJSON(def));
}

/**
 * The part of a definition that decides identity on re-create: space,
 * direction, algorithm with options, pruner with options, and the seed when
 * the request gave one. Lease, retry_lost and user attributes are settings,
 * not identity.
 */
export function identityOf(def: CompiledDefinition, includeSeed: boolean): string {
  // Options compare as parsed (defaults filled, 25 equal to 25.0), so
  // spelling out a default is the same experiment as leaving it out.
  const proto = Experiment.toJSON({
    ...def.proto,
    algorithm: { name: def.algorithm, options: {} },
    pruner: { name: def.pruner, options: {} },
    leaseDuration: undefined,
    retryLost: false,
    userAttrs: {},
    seed: includeSeed ? def.proto.seed : undefined,
  }) as object;
  return canonicalJson({ proto, algorithmOptions: def.algorithmOptions, prunerOptions: def.prunerOptions });
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

/** Rebuilds the compiled definition of a stored experiment. */
export function compileStored(definition: string, limits?: SpaceLimits): CompiledDefinition {
  return compileDefinition(Experiment.fromJSON(JSON.parse(definition)), limits);
}
