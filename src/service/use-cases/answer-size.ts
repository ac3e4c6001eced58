/**
 * Keeps every answer within what a client accepts. gRPC clients refuse
 * messages over 4 MiB by default (all three of ours do), and an answer that
 * fails to arrive after its trials were committed leaves them RUNNING with
 * nobody to run them. So a Suggest is sized before anything is computed or
 * stored (an upper bound from the space, exact for enqueued trials), and
 * list pages stop early at a byte budget.
 */
import { invalidArgument } from "../../errors.js";
import { Trial } from "@parzen/client/gen/parzen/v1/trial";
import type { ParamSpec } from "../../space/types.js";
import type { TrialRow } from "../../store/rows.js";
import type { ExperimentState } from "../state/experiment-state.js";
import { newTrialRow } from "./new-trial.js";
import { trialView } from "./views.js";

/** A repeated message field's tag and length prefix (up to 3 bytes for lengths under 2 MiB, 5 beyond). */
const FRAMING = 6;

/** Bytes of `trial` as a member of an answer's repeated field. */
export function trialBytes(trial: Trial): number {
  return Trial.encode(trial).finish().length + FRAMING;
}

/**
 * Refuses a Suggest whose answer could exceed `maxBytes`: `started` are the
 * enqueued trials it hands out first (sized exactly), the rest of `count`
 * come from the algorithm (sized by the space's bound). The message names
 * the largest count that fits.
 */
export function checkSuggestAnswer(
  exp: ExperimentState,
  workerId: string,
  started: readonly TrialRow[],
  count: number,
  maxBytes: number,
): void {
  const perTrial = algorithmTrialBound(exp, workerId);
  let total = 0;
  let fit = 0;
  for (let i = 0; i < count; i++) {
    total += i < started.length ? trialBytes(trialView(exp, started[i]!)) : perTrial;
    if (total <= maxBytes) fit = i + 1;
  }
  if (total <= maxBytes) return;
  if (fit === 0)
    throw invalidArgument(
      `count: one trial of experiment "${exp.row.name}" can take ${total} bytes, more than the ${maxBytes}-byte answer limit`,
    );
  throw invalidArgument(
    `count: ${count} trials of experiment "${exp.row.name}" can take up to ${total} bytes, more than the ` +
      `${maxBytes}-byte answer limit; ask for at most ${fit} per call`,
  );
}

/**
 * Each experiment's last bound, with what it depends on beyond the space: a worker asks again and again, and
 * encoding a trial to size every Suggest (or Report with suggest_next) cost about as much as the answer's own.
 */
const bounds = new WeakMap<ExperimentState, { name: string; workerId: string; leaseMs: number; bytes: number }>();

/**
 * The times a bound is computed with: 2099-12-31T23:59:59.999Z, whose seconds and nanos take the most bytes of
 * any time until then, so the bound holds whenever it is used.
 */
const BOUND_TIME = Date.UTC(2099, 11, 31, 23, 59, 59, 999);

/** The most bytes an algorithm-made trial of `exp` can take in a Suggest answer (every parameter active). */
function algorithmTrialBound(exp: ExperimentState, workerId: string): number {
  const known = bounds.get(exp);
  const { name } = exp.row;
  const { leaseMs } = exp.def;
  if (known !== undefined && known.workerId === workerId && known.name === name && known.leaseMs === leaseMs)
    return known.bytes;
  const now = BOUND_TIME;
  const empty = newTrialRow(exp, 2 ** 31 - 1, new Float64Array(exp.space.params.length).fill(Number.NaN), now, {
    id: Number.MAX_SAFE_INTEGER,
    state: "running",
    source: "algorithm",
    workerId,
    startTime: now,
    leaseDeadline: now + exp.def.leaseMs,
  });
  let bytes = trialBytes(trialView(exp, empty));
  for (const p of exp.space.params) bytes += paramEntryBound(p);
  bounds.set(exp, { name, workerId, leaseMs, bytes });
  return bytes;
}

/** A params map entry: tag and length (4), key field (3 + name), value field (3 + the Value message). */
function paramEntryBound(p: ParamSpec): number {
  return 10 + Buffer.byteLength(p.name) + valueBound(p);
}

/** The largest Value message a parameter can take: a double 9 bytes, an int64 up to 11. */
function valueBound(p: ParamSpec): number {
  const d = p.domain;
  if (d.type === "int") return 11;
  if (d.type !== "choice") return 9;
  let max = 0;
  for (const o of d.options) {
    const b =
      o.kind === "string" ? 4 + Buffer.byteLength(o.value) : o.kind === "double" ? 9 : o.kind === "int" ? 11 : 2;
    if (b > max) max = b;
  }
  return max;
}

/** A list page's byte budget: items are taken while they fit; the first always is, so a page is never empty. */
export class PageBudget {
  private used = 0;
  private items = 0;

  constructor(private readonly maxBytes: number) {}

  /** Whether an item of `bytes` still fits; counts it if so. */
  take(bytes: number): boolean {
    if (this.items > 0 && this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    this.items++;
    return true;
  }
}

/**
 * Refuses an Enqueue or AddTrials whose answer (the created trials) would
 * exceed `maxBytes`, before they are stored. Ids are not assigned yet: each
 * is counted at its largest.
 */
export function checkCreatedAnswer(
  exp: ExperimentState,
  rows: readonly TrialRow[],
  maxBytes: number,
  field: string,
): void {
  let total = 0;
  let fit = 0;
  for (const row of rows) {
    total += trialBytes(trialView(exp, { ...row, id: Number.MAX_SAFE_INTEGER }));
    if (total <= maxBytes) fit++;
  }
  if (total > maxBytes)
    throw invalidArgument(
      `${field}: the answer listing ${rows.length} new trials would take ${total} bytes, more than the ` +
        `${maxBytes}-byte answer limit; send at most ${fit} per call`,
    );
}
