/**
 * Keeps a copy of an experiment's history on a worker thread in step with
 * the one the service holds, by sending only what changed since the last
 * send. Between two suggestions an ask-tell loop changes one or two trials,
 * so a suggestion costs a message of a few hundred bytes, not a copy of the
 * whole history; the first one (or one after the thread was replaced) sends
 * everything, in pieces packed in turns of the event loop of their own.
 *
 * Observations are compared by identity: the service never mutates one, it
 * replaces it (algorithms/types.ts), so an entry that is the same object as
 * the one sent is the same observation. Configurations are views into large
 * shared buffers (state/trial-columns.ts), which structured cloning would
 * copy whole, so a delta packs them, with everything else, into typed arrays
 * that are transferred, not copied.
 */
import type { Observation, ObservationState } from "../../algorithms/types.js";

const STATES: readonly ObservationState[] = ["running", "complete", "pruned", "fail", "lost"];
const STATE_CODE: Readonly<Record<ObservationState, number>> = { running: 0, complete: 1, pruned: 2, fail: 3, lost: 4 };

/** Changed entries of a history, packed: entry `k` is `index[k]` of the history. */
export interface HistoryDelta {
  /** The history's length after the delta (shorter: dropped from the end). */
  readonly length: number;
  readonly index: Int32Array;
  readonly number: Int32Array;
  readonly state: Uint8Array;
  /** NaN where undefined: `hasLoss` tells a NaN loss from none. */
  readonly loss: Float64Array;
  readonly hasLoss: Uint8Array;
  /** NaN where undefined (steps are integers). */
  readonly lastStep: Float64Array;
  /** Configuration `k` is `configs[offsets[k] .. offsets[k + 1]]`. */
  readonly offsets: Int32Array;
  readonly configs: Float64Array;
  /** Objective values (several objectives) and constraint values, laid out as the configurations; empty: none. */
  readonly valueOffsets: Int32Array;
  readonly values: Float64Array;
  readonly constraintOffsets: Int32Array;
  readonly constraints: Float64Array;
}

/** The buffers of `d`, for postMessage's transfer list. */
export function deltaBuffers(d: HistoryDelta): ArrayBuffer[] {
  return [
    d.index,
    d.number,
    d.state,
    d.loss,
    d.hasLoss,
    d.lastStep,
    d.offsets,
    d.configs,
    d.valueOffsets,
    d.values,
    d.constraintOffsets,
    d.constraints,
  ].map((a) => a.buffer as ArrayBuffer);
}

/** What changed in a history since the last send: the entries `index[k]`, which are now `items[k]`. */
export interface HistoryChanges {
  /** The receiver's length before (its copy is whole up to there) and after. */
  readonly before: number;
  readonly length: number;
  readonly index: Int32Array;
  readonly items: readonly Observation[];
}

/** The sender's side: what it has sent, to diff the next history against. */
export class HistorySender {
  private sent: Observation[] = [];

  /**
   * What changed in `history` since the last call, marked sent: the caller
   * must send all of it (as deltas, `piece`), in order, before anything later.
   * Observations are immutable, so the changes stay valid however long the
   * sending takes, even if the caller's live array changes meanwhile.
   */
  changes(history: readonly Observation[]): HistoryChanges {
    const sent = this.sent;
    const before = sent.length;
    let index = new Int32Array(16);
    const items: Observation[] = [];
    for (let i = 0; i < history.length; i++) {
      const o = history[i]!;
      if (sent[i] === o) continue;
      if (items.length === index.length) {
        const grown = new Int32Array(Math.min(history.length, 2 * items.length));
        grown.set(index);
        index = grown;
      }
      index[items.length] = i;
      items.push(o);
      sent[i] = o;
    }
    sent.length = history.length;
    return { before, length: history.length, index: index.subarray(0, items.length), items };
  }
}

/** Entries `from` to `to` of `c` as one delta; the last piece (`to` = the end) also sets the final length. */
export function piece(c: HistoryChanges, from: number, to: number): HistoryDelta {
  const k = to - from;
  // Until the last piece, the receiver keeps whatever length covers its copy and the entries sent so far.
  const length = to >= c.items.length ? c.length : Math.max(c.before, c.index[to - 1]! + 1);
  let values = 0;
  let objectives = 0;
  let constraints = 0;
  for (let j = from; j < to; j++) {
    const o = c.items[j]!;
    values += o.config.length;
    objectives += o.values?.length ?? 0;
    constraints += o.constraints?.length ?? 0;
  }
  const d: HistoryDelta = {
    length,
    index: c.index.slice(from, to),
    number: new Int32Array(k),
    state: new Uint8Array(k),
    loss: new Float64Array(k),
    hasLoss: new Uint8Array(k),
    lastStep: new Float64Array(k),
    offsets: new Int32Array(k + 1),
    configs: new Float64Array(values),
    valueOffsets: new Int32Array(k + 1),
    values: new Float64Array(objectives),
    constraintOffsets: new Int32Array(k + 1),
    constraints: new Float64Array(constraints),
  };
  let at = 0;
  let atValue = 0;
  let atConstraint = 0;
  for (let j = 0; j < k; j++) {
    const o = c.items[from + j]!;
    d.number[j] = o.number;
    d.state[j] = STATE_CODE[o.state];
    d.loss[j] = o.loss ?? Number.NaN;
    d.hasLoss[j] = o.loss === undefined ? 0 : 1;
    d.lastStep[j] = o.lastStep ?? Number.NaN;
    d.offsets[j] = at;
    // An element loop: TypedArray.set costs more than the copy for a handful of values.
    const config = o.config;
    for (let v = 0; v < config.length; v++) d.configs[at + v] = config[v]!;
    at += config.length;
    d.valueOffsets[j] = atValue;
    if (o.values !== undefined) {
      d.values.set(o.values, atValue);
      atValue += o.values.length;
    }
    d.constraintOffsets[j] = atConstraint;
    if (o.constraints !== undefined) {
      d.constraints.set(o.constraints, atConstraint);
      atConstraint += o.constraints.length;
    }
  }
  d.offsets[k] = at;
  d.valueOffsets[k] = atValue;
  d.constraintOffsets[k] = atConstraint;
  return d;
}

/** The receiver's side: applies `d` to its copy `history` in place. */
export function applyDelta(history: Observation[], d: HistoryDelta): void {
  for (let j = 0; j < d.index.length; j++) {
    const lastStep = d.lastStep[j]!;
    const o: {
      -readonly [K in keyof Observation]: Observation[K];
    } = {
      number: d.number[j]!,
      config: d.configs.subarray(d.offsets[j]!, d.offsets[j + 1]!),
      state: STATES[d.state[j]!]!,
      loss: d.hasLoss[j] === 1 ? d.loss[j]! : undefined,
      lastStep: Number.isNaN(lastStep) ? undefined : lastStep,
    };
    // Present only where the sender's observation had them, as the service builds observations.
    if (d.valueOffsets[j + 1]! > d.valueOffsets[j]!)
      o.values = d.values.subarray(d.valueOffsets[j]!, d.valueOffsets[j + 1]!);
    if (d.constraintOffsets[j + 1]! > d.constraintOffsets[j]!)
      o.constraints = d.constraints.subarray(d.constraintOffsets[j]!, d.constraintOffsets[j + 1]!);
    history[d.index[j]!] = o;
  }
  history.length = d.length;
}
