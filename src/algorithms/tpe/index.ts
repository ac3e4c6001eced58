/** The Tree-structured Parzen Estimator as an Algorithm (see sampler.ts); a session per experiment. */
import type { Algorithm } from "../types.js";
import { parseTpeOptions, type TpeOptions } from "./options.js";
import { TpeSession } from "./sampler.js";

export type { TpeOptions } from "./options.js";

export const tpe: Algorithm<TpeOptions> = {
  name: "tpe",
  threadSession: true,
  // The session's last-suggestion memo (sampler.ts).
  suggestsAhead: true,
  // Several objectives: MOTPE's split and hypervolume weights (outcome-split.ts).
  multiObjective: true,
  parseOptions: parseTpeOptions,
  open: (space, options) => new TpeSession(space, options),
};
