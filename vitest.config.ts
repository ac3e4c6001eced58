import { defineConfig } from "vitest/config";

export default defineConfig({
  // @parzen/client (the workspace in clients/ts) resolves to its source through tsconfig.json "paths".
  resolve: { tsconfigPaths: true },
  test: {
    include: ["test/**/*.test.ts", "clients/ts/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
