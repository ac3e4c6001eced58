/** The Tree-structured Parzen Estimator as an Algorithm (see sampler.ts). */
import type { Algorithm } from "../types.js";
import { parseTpeOptions, type TpeOptions } from "./options.js";
import { suggestTpe } from "./sampler.js";

export type { TpeOptions } from "./options.js";

export const tpe: Algorithm<TpeOptions> = {
  name: "tpe",
  parseOptions: parseTpeOptions,
  suggest: suggestTpe,
};
