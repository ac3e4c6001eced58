/**
 * Keeps a copy of an experiment's history on a worker thread in step with
 * the one the service holds, by sending only what changed since the last
 * send. Between two suggestions an ask-tell loop changes one or two trials,
 * so a suggestion costs a message of a few hundred bytes, not a copy of the
 * whole history; the first one (or one after the thread was replaced) sends
 * everything (packing 100,000 trials takes the event loop about 10 ms).
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
const STATE_CODE = new Map(STATES.map((s, i) => [s, i]));

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
}

/** The buffers of `d`, for postMessage's transfer list. */
export function deltaBuffers(d: HistoryDelta): ArrayBuffer[] {
  return [d.index, d.number, d.state, d.loss, d.hasLoss, d.lastStep, d.offsets, d.configs].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

/** The sender's side: what it has sent, to diff the next history against. */
export class HistorySender {
  private sent: Observation[] = [];

  /** Forget what was sent (the receiver lost its copy): the next deltas send everything. */
  reset(): void {
    this.sent = [];
  }

  /** The delta that brings the receiver from the last history sent to `history`; marks it sent. */
  delta(history: readonly Observation[]): HistoryDelta {
    const sent = this.sent;
    const changed: number[] = [];
    for (let i = 0; i < history.length; i++) if (sent[i] !== history[i]) changed.push(i);
    const d = pack(history, changed, history.length);
    for (const i of changed) sent[i] = history[i]!;
    sent.length = history.length;
    return d;
  }
}

function pack(history: readonly Observation[], indices: readonly number[], length: number): HistoryDelta {
  const k = indices.length;
  let values = 0;
  for (const i of indices) values += history[i]!.config.length;
  const d: HistoryDelta = {
    length,
    index: Int32Array.from(indices),
    number: new Int32Array(k),
    state: new Uint8Array(k),
    loss: new Float64Array(k),
    hasLoss: new Uint8Array(k),
    lastStep: new Float64Array(k),
    offsets: new Int32Array(k + 1),
    configs: new Float64Array(values),
  };
  let at = 0;
  for (let j = 0; j < k; j++) {
    const o = history[indices[j]!]!;
    d.number[j] = o.number;
    d.state[j] = STATE_CODE.get(o.state)!;
    d.loss[j] = o.loss ?? Number.NaN;
    d.hasLoss[j] = o.loss === undefined ? 0 : 1;
    d.lastStep[j] = o.lastStep ?? Number.NaN;
    d.offsets[j] = at;
    d.configs.set(o.config, at);
    at += o.config.length;
  }
  d.offsets[k] = at;
  return d;
}

/** The receiver's side: applies `d` to its copy `history` in place. */
export function applyDelta(history: Observation[], d: HistoryDelta): void {
  for (let j = 0; j < d.index.length; j++) {
    const lastStep = d.lastStep[j]!;
    history[d.index[j]!] = {
      number: d.number[j]!,
      config: d.configs.subarray(d.offsets[j]!, d.offsets[j + 1]!),
      state: STATES[d.state[j]!]!,
      loss: d.hasLoss[j] === 1 ? d.loss[j]! : undefined,
      lastStep: Number.isNaN(lastStep) ? undefined : lastStep,
    };
  }
  history.length = d.length;
}
