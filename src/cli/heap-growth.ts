/**
 * How far V8 lets the JavaScript heap grow past its live data before the
 * next full collection. V8's own choice (a factor between about 1.1 and 4,
 * larger the faster a program allocates) is tuned for throughput: after a
 * bulk import of 100 experiments × 10,000 trials the server peaked at 1.1 GB
 * for about 250 MB of live histories, and gave the difference back only
 * after half a minute idle. A sidecar's memory limit counts that peak, so the
 * server caps the growth instead. The steady Suggest/Report garbage dies
 * young, in the generation this does not govern: throughput under load did
 * not change (bench/RESULTS.md).
 */
import { setFlagsFromString } from "node:v8";

export const DEFAULT_HEAP_GROWTH_PERCENT = 20;

/** Caps heap growth at `percent` % over the live data; 0 leaves V8's own heuristic. */
export function applyHeapGrowth(percent: number): void {
  if (!Number.isSafeInteger(percent) || percent < 0) throw new RangeError(`heap growth must be a non-negative integer percentage, got ${percent}`);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
