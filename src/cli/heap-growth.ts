/**
 * How far V8 lets the JavaScript heap grow past its live data before the
 * next full collection. V8's own choice (a factor between about 1.1 and 4,
 * larger the faster a program allocates) is tuned for throughput: with 100
 * experiments × 10,000 trials imported and touched, the server peaked at
 * 341 MB (VmHWM) with it and at 257 MB with 20 %, and a sidecar's memory
 * limit counts the peak. The steady Suggest/Report garbage dies young, in
 * the generation this does not govern: throughput under load did not
 * change (three interleaved 10 s runs each, within the machine's noise).
 * It is set from inside the process, not as a node flag, so that it holds
 * however the server is started (npm start, the parzen bin, node in a
 * container); NODE_OPTIONS does not accept this V8 flag. The test shows the
 * flag takes effect when set this late.
 */
import { setFlagsFromString } from "node:v8";

export const DEFAULT_HEAP_GROWTH_PERCENT = 20;

/** Caps heap growth at `percent` % over the live data; 0 leaves V8's own heuristic. */
export function applyHeapGrowth(percent: number): void {
  if (!Number.isSafeInteger(percent) || percent < 0)
    throw new RangeError(`heap growth must be a non-negative integer percentage, got ${percent}`);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
