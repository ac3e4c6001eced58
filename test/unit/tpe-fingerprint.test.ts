/**
 * TPE's suggestions are pinned: speed changes in its sampling (densities,
 * kernel trees, estimator memos, candidate scoring) must suggest exactly
 * what TPE did before them, bit for bit, in every workload of
 * tpe-fingerprint-workload.ts. Regenerate only for a deliberate change of
 * what TPE suggests (a rule, with a new definition version):
 * `npx tsx test/fixtures/tpe-fingerprint-workload.ts`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fingerprints } from "../fixtures/tpe-fingerprint-workload.js";

const expected = JSON.parse(
  readFileSync(new URL("../fixtures/tpe-fingerprints.json", import.meta.url), "utf8"),
) as Record<string, string>;

describe("tpe's suggestions", () => {
  it("are bit for bit those recorded before the speed changes", { timeout: 120_000 }, () => {
    const got = fingerprints();
    expect(Object.keys(got)).toEqual(Object.keys(expected));
    for (const name of Object.keys(expected)) expect(got[name], name).toBe(expected[name]);
  });
});
