import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The vitest config StrykerJS runs (stryker.config.mjs). PARZEN_MUTATION_TESTS (comma-separated globs, set by
 * scripts/mutation.sh per module) narrows the suite to the tests written for the mutated module: the integration
 * tests import the whole server, so vitest's "related" selection alone would run nearly everything for every file.
 */
const only = process.env.PARZEN_MUTATION_TESTS?.split(",").filter((g) => g !== "");

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    ...(only === undefined || only.length === 0 ? {} : { include: only }),
    // Stryker reports on its own; no PARZEN_REQUIRE_ALL reporter.
    reporters: ["default"],
    // One PostgreSQL cluster for the whole run when the PostgreSQL store's tests are selected (test/pg-shared.ts).
    globalSetup: ["test/pg-global-setup.ts"],
  },
});
