/**
 * Mutation runs only (stryker.vitest.config.ts): one throwaway PostgreSQL cluster for the whole run, which the
 * PostgreSQL store's test files attach to (pg-shared.ts) instead of starting one per file and mutant. Started
 * only when the selected tests (PARZEN_MUTATION_TESTS) include such a file; stopped when the run ends.
 */
import type { TestProject } from "vitest/node";
import { findPostgresBin, startCluster } from "./pg-cluster.js";

/** The test files that run on `testCluster()`. */
const SHARING = /test\/store\/(postgres|pg-store-edges|pg-store-failures)\.test\.ts/;

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!SHARING.test(process.env.PARZEN_MUTATION_TESTS ?? "") || findPostgresBin() === undefined) return undefined;
  const cluster = await startCluster();
  project.provide("parzenPgCluster", cluster.address);
  return () => cluster.stop();
}
