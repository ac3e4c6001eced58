/** Random search: every configuration drawn from the space's prior. */
import { z } from "zod";
import { samplePrior } from "../space/prior.js";
import { parseOptionsWith } from "./options.js";
import type { Algorithm } from "./types.js";

const schema = z.strictObject({});

export const randomSearch: Algorithm<z.infer<typeof schema>> = {
  name: "random",
  parseOptions: (raw) => parseOptionsWith("random", schema, raw),
  suggest: ({ space, rng }) => samplePrior(space, rng),
};
