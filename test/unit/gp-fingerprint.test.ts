/**
 * The GP's suggestions on unconstrained experiments are pinned: the
 * fixture was written before constraint handling was added, so that
 * change (and any later one meant to leave unconstrained search alone)
 * must reproduce them exactly. Regenerate only for a deliberate change of
 * the unconstrained GP: `npx tsx test/fixtures/gp-fingerprint-workload.ts`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fingerprintWorkloads } from "../fixtures/gp-fingerprint-workload.js";

const expected = JSON.parse(
  readFileSync(new URL("../fixtures/gp-unconstrained-fingerprint.json", import.meta.url), "utf8"),
) as Record<string, (number | null)[][]>;

describe("gp on unconstrained experiments", () => {
  it("suggests exactly what it did before constraints were handled", { timeout: 120_000 }, () => {
    const got = fingerprintWorkloads();
    expect(Object.keys(got)).toEqual(Object.keys(expected));
    for (const name of Object.keys(expected)) expect(got[name], name).toEqual(expected[name]);
  });
});
