/**
 * Leases and the retry_lost option. Suggest gives a trial a lease; Heartbeat
 * (or an intermediate value) renews it; a trial whose lease lapsed is LOST,
 * and with retry_lost its configuration is re-enqueued as a WAITING retry,
 * withdrawn again if the LOST trial comes back while the retry still waits.
 * Leases are checked by every change to an experiment and by the server's
 * periodic sweep, not by timers. Every write goes through the one mutation
 * path (state/experiments.ts); the retry rules themselves are in retry-lost.ts, and
 * docs/reliability.md ("Leases and retry_lost") describes the behaviour.
 */
import { failedPrecondition } from "../../errors.js";
import type { TrialRow } from "../../store/rows.js";
import {
  type Change,
  type Changes,
  type ExperimentCache,
  isStale,
  ownerOfTrial,
  trialOf,
} from "../state/experiments.js";
import type { ExperimentState } from "../state/experiment-state.js";
import { newTrialRow } from "./new-trial.js";
import { needsRetry, retriedAs, retryAttrs, RETRIED_AS, unlinkRetry, WITHDRAWN } from "./retry-lost.js";

const LOST_ONLY: ReadonlySet<"lost"> = new Set(["lost"]);

export class Leases {
  constructor(
    private readonly changes: Changes,
    /** Where Heartbeat finds its trial, and the experiments the sweep visits. */
    private readonly cache: ExperimentCache,
    private readonly now: () => number,
  ) {}

  /** Inside a change: marks LOST the RUNNING trials whose lease lapsed (every change checks first). */
  async expire(change: Change): Promise<void> {
    const exp = change.exp;
    if (!exp.mayHaveLapsed(this.now())) return;
    const now = this.now();
    const lapsed: TrialRow[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    for (const id of exp.running) {
      const t = exp.liveTrialById(id)!;
      if (t.leaseDeadline === null) continue;
      if (t.leaseDeadline < now) lapsed.push({ ...t, state: "lost", endTime: t.leaseDeadline });
      else if (t.leaseDeadline < earliest) earliest = t.leaseDeadline;
    }
    if (lapsed.length > 0) await change.write({ update: lapsed });
    // Only once the lapsed ones are written: if that throws, the next call finds them again.
    exp.earliestLease = earliest;
    if (lapsed.length > 0 && exp.def.retryLost)
      this.scheduleRetries(
        exp,
        lapsed.map((t) => t.id),
      );
  }

  /** Outside any change (reads, the sweep): marks lapsed leases of `exp` LOST through the mutation path. */
  async expireNow(exp: ExperimentState): Promise<void> {
    if (!exp.mayHaveLapsed(this.now())) return;
    await this.changes
      .on(exp, (change) => this.expire(change))
      .catch((err: unknown) => {
        // Dropped from memory meanwhile: its next load and call check again.
        if (!isStale(err)) throw err;
      });
  }

  /** Marks LOST every RUNNING trial of every loaded experiment whose lease lapsed. */
  async expireAll(): Promise<void> {
    await Promise.all([...this.cache.loaded()].map((exp) => this.expireNow(exp)));
  }

  /**
   * Extends a RUNNING trial's lease, or revives a LOST one. A LOST trial
   * whose configuration retry_lost re-enqueued is revived only while that
   * retry is still WAITING (the retry is then withdrawn); being decided in
   * the experiment's queue, this cannot race a Suggest serving the retry.
   */
  heartbeat(trialId: number): Promise<Date> {
    return this.changes.find(
      () => ownerOfTrial(this.cache, trialId),
      async (change) => {
        await this.expire(change);
        const trial = await trialOf(change.exp, trialId);
        if (trial.state === "lost" && retriedAs(trial) !== undefined) return this.reviveRetried(change, trial);
        if (trial.state !== "running" && trial.state !== "lost")
          throw failedPrecondition(
            `trial ${trialId} is ${trial.state.toUpperCase()}; only RUNNING trials have a lease`,
          );
        // A LOST trial whose worker still heartbeats is revived: nothing else has taken its place.
        const updated: TrialRow = {
          ...trial,
          state: "running",
          endTime: null,
          leaseDeadline: this.now() + change.exp.def.leaseMs,
        };
        await change.write({ update: [updated] });
        return new Date(updated.leaseDeadline!);
      },
    );
  }

  // ---- retry_lost ----------------------------------------------------------------

  /**
   * For an experiment just loaded: retries of trials lost while the server
   * was down, queued before any call can queue behind them.
   */
  retryLostOnLoad(exp: ExperimentState): void {
    if (!exp.def.retryLost || exp.countOf("lost") === 0) return;
    this.changes
      .on(exp, async (change) => {
        const lost = await exp.rows(exp.numbersWhere(LOST_ONLY, 0, Number.MAX_SAFE_INTEGER));
        for (const t of lost) if (needsRetry(t)) exp.retriesPending.add(t.id);
        await this.enqueueRetries(change);
      })
      // A failure leaves them pending: the next lapse, Suggest or restart retries again.
      .catch(() => undefined);
  }

  /** Re-enqueues the configurations of `ids` soon, in the experiment's queue (retries need trial numbers). */
  private scheduleRetries(exp: ExperimentState, ids: readonly number[]): void {
    if (ids.length === 0) return;
    for (const id of ids) exp.retriesPending.add(id);
    // A failure leaves them pending: the next lapse, Suggest or restart retries again.
    this.changes.on(exp, (change) => this.enqueueRetries(change)).catch(() => undefined);
  }

  /** Inside a change: one WAITING retry per pending LOST trial, linked both ways, in one unit. */
  async enqueueRetries(change: Change): Promise<void> {
    const exp = change.exp;
    const pending = exp.retriesPending;
    if (pending.size === 0) return;
    const ids = [...pending];
    const lost = (await Promise.all(ids.map((id) => exp.trialById(id)))).filter(
      (t): t is TrialRow => t !== undefined && needsRetry(t),
    );
    const now = this.now();
    const retries = lost.map((t, i) =>
      newTrialRow(exp, exp.nextNumber + i, t.config, now, {
        state: "waiting",
        source: "enqueued",
        userAttrs: retryAttrs(t),
      }),
    );
    if (retries.length > 0) {
      await change.write({
        insert: retries,
        link: (retryIds) =>
          lost.map((t, i) => ({ ...t, userAttrs: { ...t.userAttrs, [RETRIED_AS]: String(retryIds[i]) } })),
      });
    }
    for (const id of ids) pending.delete(id);
  }

  /** After a LOST trial came back by Report: withdraw its retry if no worker has taken it yet. */
  withdrawRetryLater(exp: ExperimentState, back: TrialRow, reason: string): void {
    const retryId = retriedAs(back);
    if (retryId === undefined) return;
    this.changes
      .on(exp, async (change) => {
        const retry = exp.liveTrialById(retryId);
        if (retry?.state !== "waiting") return;
        const withdrawn: TrialRow = {
          ...retry,
          state: "lost",
          endTime: this.now(),
          userAttrs: { ...retry.userAttrs, [WITHDRAWN]: reason },
        };
        await change.write({ update: [withdrawn] });
      })
      // Best effort: a retry left WAITING is merely evaluated twice.
      .catch(() => undefined);
  }

  /** Inside a change: Heartbeat of a LOST trial whose configuration was re-enqueued. */
  private async reviveRetried(change: Change, trial: TrialRow): Promise<Date> {
    const exp = change.exp;
    const retryId = retriedAs(trial)!;
    const retry = exp.liveTrialById(retryId);
    if (retry?.state !== "waiting") {
      throw failedPrecondition(
        `trial ${trial.id} is LOST and its configuration was re-enqueued as trial ${retryId}, which a worker has ` +
          `already taken; its lease is not renewed, but a Report for trial ${trial.id} is still accepted`,
      );
    }
    const now = this.now();
    const revived: TrialRow = {
      ...trial,
      state: "running",
      endTime: null,
      leaseDeadline: now + exp.def.leaseMs,
      userAttrs: unlinkRetry(trial),
    };
    const withdrawn: TrialRow = {
      ...retry,
      state: "lost",
      endTime: now,
      userAttrs: { ...retry.userAttrs, [WITHDRAWN]: `trial ${trial.id} heartbeated after its lease lapsed` },
    };
    await change.write({ update: [revived, withdrawn] });
    return new Date(revived.leaseDeadline!);
  }
}
