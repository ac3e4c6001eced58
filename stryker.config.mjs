// StrykerJS over src/ (npm run mutation; scripts/mutation.sh picks the files). docs/testing.md records the scores.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  // related: each mutant runs only the test files that import its module, and perTest coverage only the tests
  // that reached it.
  vitest: { configFile: "stryker.vitest.config.ts", related: true },
  // The first full run of the chosen tests, on a busy 2-core machine.
  dryRunTimeoutMinutes: 30,
  coverageAnalysis: "perTest",
  mutate: ["src/**/*.ts", "!src/cli/**"],
  // The sandbox copies the project; the vitest suite needs none of these.
  ignorePatterns: [".venv", "clients/python", "clients/go", "examples/go", "examples/python", "bench", "docs", "dist"],
  // Mutants in module-level constants would need every test per mutant; they are left out (docs/testing.md).
  // PARZEN_MUTATION_STATIC=run tries them, and those also reached in a test, against every test (mutation.sh).
  ignoreStatic: process.env.PARZEN_MUTATION_STATIC !== "run",
  // Reruns test only changed code and tests; the state is local (gitignored), not shared through git.
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  // Two cores, shared: one test process per core at most.
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/stryker.html" },
  jsonReporter: { fileName: "reports/mutation/stryker.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
