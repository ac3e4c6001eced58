/**
 * `algorithm: auto`: another algorithm proposes each trial, chosen by the
 * rule of rule.ts from the space, the experiment's settings and its
 * history. The service resolves the choice before each suggestion (so the
 * GP still runs on a worker thread) and stores it with the trial
 * (Trial.proposed_by); `open` gives an in-process session that does the
 * same, for the benches and library use.
 */
import { z } from "zod";
import { parseOptionsWith } from "../options.js";
import type { Algorithm } from "../types.js";
import type { AutoOptions } from "./rule.js";
import { AutoSession } from "./session.js";

const schema = z.strictObject({
  gp_trials: z.number().int().min(0).max(100_000).default(250),
  gp_max_params: z.number().int().min(1).max(1000).default(20),
  cmaes_after_gp: z.boolean().default(false),
  gp_constraints: z.boolean().default(true),
});

export const auto: Algorithm<AutoOptions> = {
  name: "auto",
  // Several objectives go to TPE (rule.ts).
  multiObjective: true,
  parseOptions: (raw) => parseOptionsWith("auto", schema, raw) satisfies AutoOptions,
  // Without the experiment's settings: one objective.
  open: (space, options, memos) => new AutoSession(space, { objectives: 1 }, options, memos),
};
