/** Random search: every configuration drawn from the space's prior. Its session keeps only the space's scales. */
import { z } from "zod";
import { samplePrior } from "../space/prior.js";
import { spaceScales } from "../space/scale.js";
import { parseOptionsWith } from "./options.js";
import type { Algorithm } from "./types.js";

const schema = z.strictObject({});

export const randomSearch: Algorithm<z.infer<typeof schema>> = {
  name: "random",
  // Draws from the prior whatever the objectives: it reads no results.
  multiObjective: true,
  ignoresHistory: true,
  parseOptions: (raw) => parseOptionsWith("random", schema, raw),
  open: (space) => {
    const scales = spaceScales(space);
    return { suggest: (_history, rng) => samplePrior(space, rng, scales) };
  },
};
