/**
 * Other Parzen servers on the database, for unit tests of what runs only with a change feed (PostgreSQL's side,
 * which test/store checks for real): a scripted ChangeFeed, and a real SQLite store that has it and versions
 * its units, refusing those it is told to as stale, as PostgreSQL refuses a unit whose expectVersion another
 * server moved past.
 */
import { ABORTED_STALE, ParzenError } from "../../src/errors.js";
import type { StoredParams, TrialRow } from "../../src/store/rows.js";
import type { ChangeFeed, Changes as FeedChanges, HeldLock, PullFrom, Store, Unit } from "../../src/store/store.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

/** Other servers, as the feed shows them: the experiment's version, the trials they wrote, whether it is gone. */
export class OtherServers implements ChangeFeed {
  version = 3;
  /** Trials written elsewhere, returned by pulls from a version below `version`. */
  trials: TrialRow[] = [];
  deleted = false;
  /** Every pull fails with this while set (the database unreachable). */
  pullError: Error | undefined;
  /** The lifecycle (stored JSON) pulls return with changes; null: the definition's. */
  lifecycle: string | null = null;
  /** What pulls asked for (experiment id, since), lock pulls included. */
  readonly asked: [number, number][] = [];
  locks = 0;
  released = 0;
  /** The next lock fails with this. */
  lockError: Error | undefined;
  /** The next subscription fails (notices are then not arriving). */
  failSubscription = false;
  listener: ((experimentId: number, version: number, mine: boolean) => void) | undefined;
  /** Resolves a pull that `hold` holds back. */
  private held: (() => void) | undefined;
  hold = false;

  async changesSince(
    experimentId: number,
    since: number,
    toConfig: (params: StoredParams) => Float64Array,
  ): Promise<FeedChanges | undefined> {
    this.asked.push([experimentId, since]);
    if (this.pullError !== undefined) throw this.pullError;
    toConfig({ x: 0.5 });
    // Read now (one snapshot), answered when released.
    const answer = this.deleted
      ? undefined
      : { version: this.version, trials: since < this.version ? this.trials : [], lifecycle: this.lifecycle };
    if (this.hold) await new Promise<void>((resolve) => (this.held = resolve));
    return answer;
  }

  release(): void {
    this.hold = false;
    this.held?.();
  }

  async lock(experimentId: number, since?: PullFrom): Promise<HeldLock> {
    this.locks++;
    const err = this.lockError;
    this.lockError = undefined;
    if (err !== undefined) throw err;
    const changes = since && (await this.changesSince(experimentId, since.version, since.toConfig));
    return { release: () => this.released++, changes };
  }

  async onChange(listener: (id: number, version: number, mine: boolean) => void) {
    if (this.failSubscription) {
      this.failSubscription = false;
      throw new Error("cannot listen");
    }
    this.listener = listener;
    return async () => undefined;
  }
}

/** `sqlite` as a store with `feed`: every unit it writes is recorded and bumps the feed's version. */
export function withOtherServers(
  sqlite: SqliteStore,
  feed: OtherServers,
): { store: Store; units: Unit[]; refuse(n: number): void } {
  const units: Unit[] = [];
  let refusing = 0;
  const store = new Proxy(sqlite, {
    get(target, key) {
      if (key === "feed") return feed;
      if (key === "write") {
        return async (experimentId: number, unit: Unit) => {
          units.push(unit);
          if (refusing > 0) {
            refusing--;
            throw new ParzenError("ABORTED", `${ABORTED_STALE} (version ${feed.version}); retry`);
          }
          const written = await target.write(experimentId, unit);
          feed.version++;
          return { ...written, version: feed.version };
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as unknown as Store;
  return {
    store,
    units,
    refuse(n: number) {
      refusing = n;
    },
  };
}
