/**
 * The server's Prometheus metrics (prom-client, on a registry of its own, so
 * two servers in one process never share counters). Every label is bounded:
 * `method` is one of the service's RPCs, `code` one of gRPC's 17 status
 * names, `algorithm` one of the registered algorithms, `state` one of the six
 * trial states. No label carries an experiment name, a trial or a worker
 * (README, "Metrics", says why).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { TrialState } from "../domain/trial-state.js";
import type { FeedStats } from "../service/state/feed-sync.js";

/** Latency buckets (seconds): sub-millisecond Suggest/Report up to multi-second GP fits. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export class Metrics {
  readonly registry = new Registry();
  private readonly rpcs: Counter<"method" | "code">;
  private readonly rpcSeconds: Histogram<"method" | "code">;
  private readonly suggestSeconds: Histogram<"algorithm">;
  private readonly trialsCreated: Counter<"state">;
  private readonly trialsFinished: Counter<"state">;
  private readonly leaseExpiries: Counter;
  private readonly retries: Counter;
  private readonly commitSeconds: Histogram;
  private readonly commitUnits: Histogram;

  constructor() {
    const registers = [this.registry];
    // Event-loop lag, heap, RSS, GC, handles: prom-client's process and Node.js collectors.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    this.rpcs = new Counter({
      name: "parzen_rpcs_total",
      help: "gRPC calls answered, by method and status code",
      labelNames: ["method", "code"],
      registers,
    });
    this.rpcSeconds = new Histogram({
      name: "parzen_rpc_duration_seconds",
      help: "gRPC call latency from request to status, by method and status code",
      labelNames: ["method", "code"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.suggestSeconds = new Histogram({
      name: "parzen_suggest_algorithm_duration_seconds",
      help: "Time an algorithm took to propose one configuration, by algorithm",
      labelNames: ["algorithm"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.trialsCreated = new Counter({
      name: "parzen_trials_created_total",
      help: "Trials created, by initial state (RUNNING: suggested; WAITING: enqueued or retry; else imported)",
      labelNames: ["state"],
      registers,
    });
    this.trialsFinished = new Counter({
      name: "parzen_trials_finished_total",
      help: "Trials that reached a final state (complete, pruned, fail, lost), by that state",
      labelNames: ["state"],
      registers,
    });
    this.leaseExpiries = new Counter({
      name: "parzen_lease_expiries_total",
      help: "RUNNING trials marked LOST because their lease lapsed",
      registers,
    });
    this.retries = new Counter({
      name: "parzen_lost_retries_total",
      help: "Configurations of LOST trials re-enqueued by retry_lost",
      registers,
    });
    this.commitSeconds = new Histogram({
      name: "parzen_commit_duration_seconds",
      help: "Time of one database commit (a group of units, see docs/reliability.md)",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.commitUnits = new Histogram({
      name: "parzen_commit_batch_units",
      help: "Units (one per mutating call) committed together in one commit",
      buckets: BATCH_BUCKETS,
      registers,
    });
  }

  /** Labelled children by label values: prom-client hashes the labels on every `labels()` call otherwise. */
  private readonly rpcChildren = new Map<string, { count: { inc(): void }; seconds: { observe(v: number): void } }>();
  private readonly suggestChildren = new Map<string, { observe(v: number): void }>();
  private readonly stateChildren = new Map<string, { created: { inc(): void }; finished: { inc(): void } }>();

  rpc(method: string, code: string, seconds: number): void {
    const key = `${method} ${code}`;
    let c = this.rpcChildren.get(key);
    if (c === undefined) {
      c = { count: this.rpcs.labels(method, code), seconds: this.rpcSeconds.labels(method, code) };
      this.rpcChildren.set(key, c);
    }
    c.count.inc();
    c.seconds.observe(seconds);
  }

  suggestion(algorithm: string, seconds: number): void {
    let c = this.suggestChildren.get(algorithm);
    if (c === undefined) {
      c = this.suggestSeconds.labels(algorithm);
      this.suggestChildren.set(algorithm, c);
    }
    c.observe(seconds);
  }

  private state(state: TrialState): { created: { inc(): void }; finished: { inc(): void } } {
    let c = this.stateChildren.get(state);
    if (c === undefined) {
      c = { created: this.trialsCreated.labels(state), finished: this.trialsFinished.labels(state) };
      this.stateChildren.set(state, c);
    }
    return c;
  }

  /** A trial written with `state`, previously in `from` (undefined: new); `retry` when it re-enqueues a LOST one. */
  trial(state: TrialState, from: TrialState | undefined, retry: boolean): void {
    if (from === undefined) {
      this.state(state).created.inc();
      if (retry) this.retries.inc();
    }
    if (from === state) return;
    if (state === "complete" || state === "pruned" || state === "fail" || state === "lost") {
      this.state(state).finished.inc();
      if (state === "lost") this.leaseExpiries.inc();
    }
  }

  commit(seconds: number, units: number): void {
    this.commitSeconds.observe(seconds);
    this.commitUnits.observe(units);
  }

  /**
   * Several servers on one database: the cost of keeping this server's images current (`stats`, read at each
   * scrape) and its round trips to the database by purpose (`roundTrips`). Labels: a fixed set of reasons and kinds.
   */
  feed(stats: () => FeedStats | undefined, roundTrips: () => Readonly<Record<string, number>> | undefined): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, value: (s: FeedStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const s = stats();
          if (s === undefined) return;
          this.reset();
          this.inc(value(s));
        },
      });
    counter("parzen_feed_lock_turns_total", "Turns this server took an experiment's lock for", (s) => s.turns);
    counter(
      "parzen_feed_turn_changes_total",
      "Changes (mutating calls) served under an experiment's lock",
      (s) => s.turnChanges,
    );
    counter(
      "parzen_feed_lock_wait_seconds_total",
      "Seconds spent waiting for experiments' locks",
      (s) => s.lockWaitSeconds,
    );
    counter("parzen_feed_lock_held_seconds_total", "Seconds experiments' locks were held", (s) => s.lockHeldSeconds);
    counter(
      "parzen_feed_pulls_with_changes_total",
      "Pulls that found other servers' writes",
      (s) => s.pullsWithChanges,
    );
    counter("parzen_feed_pulled_trials_total", "Trials pulled from other servers' writes", (s) => s.pulledTrials);
    counter(
      "parzen_feed_unlocked_changes_total",
      "Changes run without the lock (no other writer announced)",
      (s) => s.unlockedChanges,
    );
    counter(
      "parzen_feed_stale_writes_total",
      "Writes refused because another server wrote first (run again)",
      (s) => s.staleWrites,
    );
    new Counter({
      name: "parzen_feed_pulls_total",
      help: "Pulls of other servers' writes, by reason (turn: after taking a lock; refresh: on a notice; read)",
      labelNames: ["reason"],
      registers,
      collect() {
        const s = stats();
        if (s === undefined) return;
        this.reset();
        for (const [reason, n] of Object.entries(s.pulls)) this.labels(reason).inc(n);
      },
    });
    new Counter({
      name: "parzen_db_round_trips_total",
      help: "Round trips to the database by purpose (notices: notifications received)",
      labelNames: ["kind"],
      registers,
      collect() {
        const r = roundTrips();
        if (r === undefined) return;
        this.reset();
        for (const [kind, n] of Object.entries(r)) this.labels(kind).inc(n);
      },
    });
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
