import { defineConfig } from "vitest/config";

export default defineConfig({
  // @parzen/client (the workspace in clients/ts) resolves to its source through tsconfig.json "paths".
  resolve: { tsconfigPaths: true },
  test: {
    include: ["test/**/*.test.ts", "clients/ts/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Under PARZEN_REQUIRE_ALL=1 (CI) a skipped test fails the run (test/require-all-reporter.ts).
    reporters: process.env.PARZEN_REQUIRE_ALL === "1" ? ["default", "./test/require-all-reporter.ts"] : ["default"],
  },
});
