/**
 * The cluster a PostgreSQL store test file runs on: its own throwaway one (../pg-cluster.ts `startCluster`), or,
 * in a mutation run, the one pg-global-setup.ts started for the whole run, so that each mutant's test run does
 * not start a cluster per file (seconds each, more than the tests themselves).
 */
import { inject } from "vitest";
import { attachCluster, type ClusterAddress, type PgCluster, startCluster } from "./pg-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    parzenPgCluster?: ClusterAddress;
  }
}

export function testCluster(): Promise<PgCluster> {
  const shared = inject("parzenPgCluster");
  return shared === undefined ? startCluster() : Promise.resolve(attachCluster(shared));
}
