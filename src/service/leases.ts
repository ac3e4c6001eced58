/**
 * Leases and the retry_lost option. Suggest gives a trial a lease; Heartbeat
 * (or an intermediate value) renews it; a trial whose lease lapsed is LOST,
 * and with retry_lost its configuration is re-enqueued as a WAITING retry,
 * withdrawn again if the LOST trial comes back while the retry still waits.
 * Leases are checked by every call on an experiment and by the server's
 * periodic sweep, not by timers. The retry rules themselves are in
 * retry-lost.ts; docs/reliability.md ("Leases and retry_lost") describes
 * the behaviour.
 */
import { failedPrecondition, notFound } from "../errors.js";
import { TrialSource, TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { StoredState, type TrialRow } from "../store/rows.js";
import type { Store } from "../store/store.js";
import type { ExperimentCache } from "./experiment-cache.js";
import type { ExperimentState } from "./experiment-state.js";
import { trialWithId } from "./lookup.js";
import { newTrialRow } from "./new-trial.js";
import { needsRetry, retriedAs, retryAttrs, RETRIED_AS, unlinkRetry, WITHDRAWN } from "./retry-lost.js";

export class Leases {
  /** retry_lost: ids of LOST trials whose configuration is still to be re-enqueued, by experiment id. */
  private readonly retryPending = new Map<number, Set<number>>();

  constructor(
    private readonly store: Store,
    /** Where Heartbeat finds its trial, and whether an experiment is still the cached one. */
    private readonly cache: ExperimentCache,
    private readonly now: () => number,
  ) {}

  /** Marks LOST the RUNNING trials of `exp` whose lease lapsed (every call on an experiment checks first). */
  expire(exp: ExperimentState): void {
    if (exp.running.size === 0) return;
    const now = this.now();
    if (now <= exp.earliestLease) return;
    const lapsed: TrialRow[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    for (const id of exp.running) {
      const t = exp.trialById(id)!;
      if (t.leaseDeadline === null) continue;
      if (t.leaseDeadline < now) lapsed.push({ ...t, state: StoredState.Lost, endTime: t.leaseDeadline });
      else if (t.leaseDeadline < earliest) earliest = t.leaseDeadline;
    }
    if (lapsed.length > 0) {
      this.store.transaction(() => {
        for (const t of lapsed) this.store.updateTrial(t);
      });
    }
    // Only once the lapsed ones are written: if that throws, the next call finds them again.
    exp.earliestLease = earliest;
    if (lapsed.length === 0) return;
    for (const t of lapsed) exp.put(t);
    if (exp.def.retryLost)
      this.scheduleRetries(
        exp,
        lapsed.map((t) => t.id),
      );
  }

  /** Marks LOST every RUNNING trial of every loaded experiment whose lease lapsed. */
  expireAll(): void {
    for (const exp of this.cache.loaded()) this.expire(exp);
  }

  /**
   * Extends a RUNNING trial's lease, or revives a LOST one. A LOST trial
   * whose configuration retry_lost re-enqueued is revived only while that
   * retry is still WAITING (the retry is then withdrawn); this is decided in
   * the experiment's queue, so it cannot race a Suggest serving the retry.
   */
  heartbeat(trialId: number): Date | Promise<Date> {
    const { exp, trial } = trialWithId(this.cache, trialId);
    this.expire(exp);
    const current = exp.trialById(trialId)!;
    if (current.state === StoredState.Lost && retriedAs(current) !== undefined)
      return exp.queue.run(() => this.reviveRetried(exp, trialId));
    if (trial.state !== StoredState.Running && trial.state !== StoredState.Lost) {
      throw failedPrecondition(
        `trial ${trialId} is ${TrialState[trial.state as number]}; only RUNNING trials have a lease`,
      );
    }
    // A LOST trial whose worker still heartbeats is revived: nothing else has taken its place.
    const updated: TrialRow = {
      ...trial,
      state: StoredState.Running,
      endTime: null,
      leaseDeadline: this.now() + exp.def.leaseMs,
    };
    this.store.transaction(() => this.store.updateTrial(updated));
    exp.put(updated);
    return new Date(updated.leaseDeadline!);
  }

  // ---- retry_lost ----------------------------------------------------------------

  /** For an experiment just loaded: retries of trials lost while the server was down. */
  retryLostOnLoad(exp: ExperimentState): void {
    if (!exp.def.retryLost || exp.countOf(StoredState.Lost) === 0) return;
    const lost = exp.rows(exp.numbersWhere(new Set([StoredState.Lost]), 0, Number.MAX_SAFE_INTEGER));
    this.scheduleRetries(
      exp,
      lost.filter(needsRetry).map((t) => t.id),
    );
  }

  /** Re-enqueues the configurations of `ids` soon, in the experiment's queue (retries need trial numbers). */
  private scheduleRetries(exp: ExperimentState, ids: readonly number[]): void {
    if (ids.length === 0) return;
    let pending = this.retryPending.get(exp.row.id);
    if (pending === undefined) {
      pending = new Set();
      this.retryPending.set(exp.row.id, pending);
    }
    for (const id of ids) pending.add(id);
    // A failure leaves them pending: the next lapse, Suggest or restart retries again.
    exp.queue.run(() => this.enqueueRetries(exp)).catch(() => undefined);
  }

  /** Inside exp.queue: one WAITING retry per pending LOST trial, linked both ways, in one transaction. */
  enqueueRetries(exp: ExperimentState): void {
    const pending = this.retryPending.get(exp.row.id);
    if (pending === undefined || pending.size === 0 || !this.cache.holds(exp)) return;
    const lost = [...pending]
      .map((id) => exp.trialById(id))
      .filter((t): t is TrialRow => t !== undefined && needsRetry(t));
    const now = this.now();
    const retries = lost.map((t, i) =>
      newTrialRow(exp, exp.nextNumber + i, t.config, now, {
        state: StoredState.Waiting,
        source: TrialSource.TRIAL_SOURCE_ENQUEUED,
        userAttrs: retryAttrs(t),
      }),
    );
    const linked: TrialRow[] = [];
    this.store.transaction(() => {
      retries.forEach((r, i) => {
        r.id = this.store.insertTrial(r, exp.storedParams(r.config));
        linked.push({ ...lost[i]!, userAttrs: { ...lost[i]!.userAttrs, [RETRIED_AS]: String(r.id) } });
        this.store.updateTrial(linked[i]!);
      });
    });
    pending.clear();
    for (const t of [...retries, ...linked]) exp.put(t);
  }

  /** After a LOST trial came back by Report: withdraw its retry if no worker has taken it yet. */
  withdrawRetryLater(exp: ExperimentState, back: TrialRow, reason: string): void {
    const retryId = retriedAs(back);
    if (retryId === undefined) return;
    exp.queue
      .run(() => {
        const retry = exp.trialById(retryId);
        if (retry?.state !== StoredState.Waiting) return;
        const withdrawn: TrialRow = {
          ...retry,
          state: StoredState.Lost,
          endTime: this.now(),
          userAttrs: { ...retry.userAttrs, [WITHDRAWN]: reason },
        };
        this.store.transaction(() => this.store.updateTrial(withdrawn));
        exp.put(withdrawn);
      })
      // Best effort: a retry left WAITING is merely evaluated twice.
      .catch(() => undefined);
  }

  /** Inside exp.queue: Heartbeat of a LOST trial whose configuration was re-enqueued. */
  private reviveRetried(exp: ExperimentState, trialId: number): Date | Promise<Date> {
    const trial = exp.trialById(trialId);
    if (trial === undefined) throw notFound(`trial ${trialId} does not exist`);
    const retryId = retriedAs(trial);
    if (trial.state !== StoredState.Lost || retryId === undefined) return this.heartbeat(trialId);
    const retry = exp.trialById(retryId);
    if (retry?.state !== StoredState.Waiting) {
      throw failedPrecondition(
        `trial ${trialId} is LOST and its configuration was re-enqueued as trial ${retryId}, which a worker has already taken; its lease is not renewed, but a Report for trial ${trialId} is still accepted`,
      );
    }
    const now = this.now();
    const revived: TrialRow = {
      ...trial,
      state: StoredState.Running,
      endTime: null,
      leaseDeadline: now + exp.def.leaseMs,
      userAttrs: unlinkRetry(trial),
    };
    const withdrawn: TrialRow = {
      ...retry,
      state: StoredState.Lost,
      endTime: now,
      userAttrs: { ...retry.userAttrs, [WITHDRAWN]: `trial ${trialId} heartbeated after its lease lapsed` },
    };
    this.store.transaction(() => {
      this.store.updateTrial(revived);
      this.store.updateTrial(withdrawn);
    });
    exp.put(revived);
    exp.put(withdrawn);
    return new Date(revived.leaseDeadline!);
  }
}
