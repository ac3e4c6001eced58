import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { applyHeapGrowth } from "../../src/cli/heap-growth.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** Peak heap (MB) of the bulk-import-like workload in a fresh process with the given growth cap. */
function peakHeapMb(percent: number): number {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "test/fixtures/heap-growth-workload.ts", String(percent)],
    { cwd: ROOT, encoding: "utf8" },
  );
  expect(run.status, run.stderr).toBe(0);
  return Number(run.stdout.trim());
}

describe("heap growth cap", () => {
  it("keeps the peak heap of promoted, then dropped, garbage well below V8's default", () => {
    const v8Default = peakHeapMb(0);
    const capped = peakHeapMb(20);
    // Measured here: about 176 MB against 100 MB.
    expect(capped).toBeGreaterThan(0);
    expect(capped).toBeLessThan(0.8 * v8Default);
  }, 60_000);

  it("rejects a negative or fractional percentage", () => {
    expect(() => applyHeapGrowth(-1)).toThrow(/non-negative integer/);
    expect(() => applyHeapGrowth(2.5)).toThrow(/non-negative integer/);
  });
});
