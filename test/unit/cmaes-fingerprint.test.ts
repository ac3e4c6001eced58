/**
 * CMA-ES's suggestions are pinned: an experiment keeps suggesting what it
 * did under its definition version, so a change to what CMA-ES suggests
 * must come with a new definition version and a deliberate regeneration
 * (`npx tsx test/fixtures/cmaes-fingerprint-workload.ts`). Every workload of
 * cmaes-fingerprint-workload.ts also checks that a fresh session replaying
 * the history suggests what the live one does.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fingerprints } from "../fixtures/cmaes-fingerprint-workload.js";

const expected = JSON.parse(
  readFileSync(new URL("../fixtures/cmaes-fingerprints.json", import.meta.url), "utf8"),
) as Record<string, string>;

describe("cmaes's suggestions", () => {
  it("are bit for bit those recorded at main 9ebf451", { timeout: 120_000 }, () => {
    const got = fingerprints();
    expect(Object.keys(got)).toEqual(Object.keys(expected));
    for (const name of Object.keys(expected)) expect(got[name], name).toBe(expected[name]);
  });
});
