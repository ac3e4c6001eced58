/**
 * Keeping an experiment's in-memory image current when other servers write
 * the same database (a store with a change feed: PostgreSQL). SQLite has no
 * feed and none of this runs there.
 *
 * Each image remembers the experiment version it mirrors, and every unit
 * a server writes carries it (`expectVersion`): if another server wrote
 * since, the store refuses with ABORTED and writes nothing. So nothing is
 * ever committed, or handed out, that was computed from a stale history.
 * A change first runs as is while no other server has announced a write
 * nor written the experiment lately (one server pays nothing); otherwise, or
 * when its write is refused, it runs holding the experiment's lock on the
 * database (`lock`: servers take turns on a contended experiment), which
 * pulls what the others wrote since in the same round trip (only the trials
 * written since). The lock is kept while more changes of the experiment wait
 * in this server's queue (up to a turn of 32), and they need no pull: no one
 * else writes meanwhile. The store commits a turn's changes together when
 * the lock is released (one flush per turn).
 *
 * LISTEN/NOTIFY says when to pull, and keeps idle images fresh: a notice that an experiment moved
 * past what this server holds schedules a pull (without the lock), so
 * reads and the prefetch see other servers' trials soon; the prefetch's
 * suggestion is dropped by it, as by any change to the image.
 */
import { notFound } from "../../errors.js";
import type { StoredParams } from "../../store/rows.js";
import type { ChangeFeed, Changes } from "../../store/store.js";
import type { ExperimentState } from "./experiment-state.js";
import { parseLifecycle } from "./lifecycle.js";

/** Changes one server makes in a row under an experiment's lock while others may be waiting for it. */
const TURN = 32;

/** Trial ids reserved for a turn beyond one per change waiting when it starts (`ChangeFeed.lock`'s `reserve`). */
const RESERVE_MARGIN = 8;

/** How long after another server's write an experiment counts as shared (`contended`). */
const CONTENDED_MS = 5000;

/** Reads a head version without trials: no trial is written after this version. */
const HEAD_ONLY = Number.MAX_SAFE_INTEGER;

/**
 * What keeping images current cost this server, since it started (for metrics: the several-servers bench reads
 * them to see where a shared experiment's time goes). Plain counters: cheap enough to keep always.
 */
export interface FeedStats {
  /** Turns under an experiment's lock, the changes they served, and seconds spent waiting for and holding it. */
  turns: number;
  turnChanges: number;
  lockWaitSeconds: number;
  lockHeldSeconds: number;
  /** Pulls by why they ran (turn: after taking the lock; refresh: a notice, in the background; read: an answer no write checks). */
  pulls: { turn: number; refresh: number; read: number };
  /** Pulls that found something new, and the trials they brought in. */
  pullsWithChanges: number;
  pulledTrials: number;
  /** Changes that ran without the lock (no other server had announced a write) and those refused as stale. */
  unlockedChanges: number;
  staleWrites: number;
}

export type PullReason = keyof FeedStats["pulls"];

export class FeedSync {
  /** The store version each image mirrors (a new experiment's image: 0). */
  private readonly known = new WeakMap<ExperimentState, number>();
  /** The highest version announced per experiment id, while the notices arrive. */
  private readonly announced = new Map<number, number>();
  /** When another server last announced a write, per experiment id (performance.now()). */
  private readonly othersWrote = new Map<number, number>();
  private listening: Promise<void> | undefined;
  private live = false;
  private notify: ((experimentId: number) => void) | undefined;
  /** Experiments whose lock this server holds, with how many changes it made in this turn. */
  private readonly holding = new Map<
    ExperimentState,
    { release: () => void; changes: number; idleWatch: boolean; since: number }
  >();
  readonly stats: FeedStats = {
    turns: 0,
    turnChanges: 0,
    lockWaitSeconds: 0,
    lockHeldSeconds: 0,
    pulls: { turn: 0, refresh: 0, read: 0 },
    pullsWithChanges: 0,
    pulledTrials: 0,
    unlockedChanges: 0,
    staleWrites: 0,
  };

  constructor(private readonly feed: ChangeFeed) {}

  /** Subscribes to other servers' notices; `onNotice` runs when an experiment moved past what this server knows. */
  listen(onNotice: (experimentId: number) => void): void {
    this.notify = onNotice;
    this.subscribe();
  }

  versionOf(exp: ExperimentState): number {
    return this.known.get(exp) ?? 0;
  }

  /** After this server's own unit at `version` (written with expectVersion, so nothing came in between). */
  wrote(exp: ExperimentState, version: number | undefined): void {
    if (version !== undefined) this.known.set(exp, version);
  }

  /** The experiment's head version, for an image about to be loaded; undefined if it no longer exists. */
  async head(experimentId: number): Promise<number | undefined> {
    return (await this.feed.changesSince(experimentId, HEAD_ONLY, () => new Float64Array(0)))?.version;
  }

  /** Marks a freshly loaded image as mirroring `version` (read before its trials, so a pull may repeat some). */
  loaded(exp: ExperimentState, version: number): void {
    this.known.set(exp, version);
  }

  /**
   * Takes `exp`'s lock on the database and, in the same round trip, pulls what others wrote before it got it.
   * Throws as `pull` does; the lock is then released.
   */
  async lock(exp: ExperimentState): Promise<void> {
    const asked = performance.now();
    const from = this.versionOf(exp);
    const { release, changes } = await this.feed.lock(exp.row.id, {
      version: from,
      toConfig: (p: StoredParams) => exp.configFromStored(p),
      // Most changes insert one trial or none; calls that arrive during the turn join it.
      reserve: Math.min(TURN, exp.queue.queued + RESERVE_MARGIN),
    });
    const since = performance.now();
    this.stats.turns++;
    this.stats.lockWaitSeconds += (since - asked) / 1000;
    this.holding.set(exp, { release, changes: 0, idleWatch: false, since });
    this.stats.pulls.turn++;
    try {
      this.apply(exp, from, changes);
    } catch (err) {
      this.unlock(exp);
      throw err;
    }
  }

  /** Whether this server holds `exp`'s lock: then no other server writes it, and the image is current. */
  holds(exp: ExperimentState): boolean {
    return this.holding.has(exp);
  }

  /**
   * After a change under the lock: keeps it while more of the experiment's queue waits here (those changes need
   * no pull), up to a turn, then lets other servers have one. It is released once the queue is idle at the latest.
   */
  afterChange(exp: ExperimentState): void {
    const held = this.holding.get(exp);
    if (held === undefined) return;
    this.stats.turnChanges++;
    if (exp.queue.queued <= 1 || ++held.changes >= TURN) {
      this.unlock(exp);
      return;
    }
    if (held.idleWatch) return;
    held.idleWatch = true;
    // Whatever runs next in the queue (a change, or a background pull that releases nothing): idle means done.
    void exp.queue.drained().then(() => {
      if (this.holding.get(exp) === held) this.unlock(exp);
    });
  }

  unlock(exp: ExperimentState): void {
    const held = this.holding.get(exp);
    if (held === undefined) return;
    this.stats.lockHeldSeconds += (performance.now() - held.since) / 1000;
    held.release();
    this.holding.delete(exp);
  }

  /** Whether another server announced a version past the image's. */
  announcedPast(exp: ExperimentState): boolean {
    return (this.announced.get(exp.row.id) ?? -1) > this.versionOf(exp);
  }

  /**
   * Whether another server wrote `exp` lately: then a change that runs without the lock would most likely be
   * refused (its computation wasted), so it takes the lock at once.
   */
  contended(exp: ExperimentState): boolean {
    const at = this.othersWrote.get(exp.row.id);
    return at !== undefined && performance.now() - at < CONTENDED_MS;
  }

  /** Whether the image may be behind: another server announced more, or notices are not arriving. */
  behind(exp: ExperimentState): boolean {
    return !this.live || this.announcedPast(exp);
  }

  /**
   * Puts into the image every trial other servers wrote since its version.
   * NOT_FOUND if the experiment was deleted (the image is marked so); throws
   * `OutOfStep` if the image cannot take them (the caller reloads it).
   */
  async pull(exp: ExperimentState, reason: PullReason = "read"): Promise<void> {
    this.stats.pulls[reason]++;
    const from = this.versionOf(exp);
    const changes = await this.feed.changesSince(exp.row.id, from, (p: StoredParams) => exp.configFromStored(p));
    this.apply(exp, from, changes);
  }

  /** Puts pulled `changes` (read since version `from`) into the image. */
  private apply(exp: ExperimentState, from: number, changes: Changes | undefined): void {
    if (changes === undefined) {
      exp.deleted = true;
      throw notFound(`experiment "${exp.row.name}" does not exist`);
    }
    if (changes.version === from) return;
    this.stats.pullsWithChanges++;
    this.stats.pulledTrials += changes.trials.length;
    // Another server's UpdateExperiment (pause, stop, new limits) travels in the same snapshot as its trials.
    exp.lifecycle = parseLifecycle(changes.lifecycle, exp.def.stop, exp.row.name);
    try {
      for (const t of changes.trials) {
        exp.put(t);
        // A LOST trial that no retry was enqueued for yet (its server may be gone): the next change here or there
        // enqueues it, and expectVersion lets only one of them do so.
        if (t.state === "lost" && exp.def.retryLost) exp.retriesPending.add(t.id);
      }
    } catch (err) {
      throw new OutOfStep(`experiment ${exp.row.name}: ${(err as Error).message}`);
    }
    this.known.set(exp, changes.version);
  }

  private subscribe(): void {
    if (this.listening !== undefined) return;
    this.listening = this.feed
      .onChange(
        (id, version, mine) => {
          if (!mine) this.othersWrote.set(id, performance.now());
          if (version <= (this.announced.get(id) ?? -1)) return;
          this.announced.set(id, version);
          this.notify?.(id);
        },
        () => {
          // Notices stopped (the listening connection broke): pull before every change until they are back.
          this.live = false;
          this.listening = undefined;
          this.announced.clear();
        },
      )
      .then(
        () => {
          this.live = true;
        },
        () => {
          this.listening = undefined;
        },
      );
  }

  /** Subscribes again if notices stopped (called before each change: cheap when they flow). */
  resubscribe(): void {
    if (!this.live && this.listening === undefined && this.notify !== undefined) this.subscribe();
  }
}

/** The image no longer lines up with the store's history: it is dropped and reloaded. */
export class OutOfStep extends Error {}
