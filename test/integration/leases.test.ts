/**
 * Leases beyond the basics in lifecycle.test.ts: the retry_lost option (a
 * lapsed trial's configuration is re-enqueued once per loss, at most
 * MAX_ATTEMPTS times in all), late reports and heartbeats of LOST trials
 * whose retry is waiting or taken, and a worker that restarts with the same
 * worker id finding its RUNNING trials.
 */
import { status } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialSource, TrialState, type Trial } from "@parzen/client/gen/parzen/v1/trial";
import { uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const LEASE_MS = 60_000;

async function leasedServer(retryLost: boolean) {
  const clock = { now: 1_000_000 };
  const ts = await startTestServer({ now: () => clock.now });
  servers.push(ts);
  await ts.api.createExperiment({
    experiment: {
      name: "e",
      space: { parameters: [uniform("x", 0, 1), uniform("y", -5, 5)] },
      algorithm: { name: "random", options: {} },
      leaseDuration: { seconds: LEASE_MS / 1000, nanos: 0 },
      retryLost,
    },
  });
  /**
   * All trials, after lapsed leases were noticed and the queued work has run: the first read marks lapsed trials
   * LOST and queues their retries in the experiment's queue; the second read queues behind those retries.
   */
  const trials = async (): Promise<Trial[]> => {
    await ts.api.listTrials({ experiment: "e" });
    return (await ts.api.listTrials({ experiment: "e" })).trials;
  };
  return { ts, clock, trials };
}

describe("the lease deadline", () => {
  it("is the last moment a trial is RUNNING: it is LOST 1 ms later, with end_time at the deadline", async () => {
    const { ts, clock } = await leasedServer(false);
    const start = clock.now;
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    const deadline = start + LEASE_MS;
    expect(a!.leaseDeadline!.getTime()).toBe(deadline);
    const state = async () => (await ts.api.getTrial({ trialId: a!.id })).trial!;
    clock.now = deadline;
    // A Suggest checks leases first (every change does): at the deadline itself, nothing has lapsed.
    await ts.api.suggest({ experiment: "e" });
    expect((await state()).state).toBe(TrialState.TRIAL_STATE_RUNNING);
    clock.now = deadline + 1;
    await ts.api.suggest({ experiment: "e" });
    const lost = await state();
    expect(lost.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect(lost.endTime!.getTime()).toBe(deadline);
  });

  it("a heartbeat at the deadline renews the lease from that moment", async () => {
    const { ts, clock } = await leasedServer(false);
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    clock.now = a!.leaseDeadline!.getTime();
    const renewed = await ts.api.heartbeat({ trialId: a!.id });
    expect(renewed.leaseDeadline!.getTime()).toBe(clock.now + LEASE_MS);
    clock.now += LEASE_MS;
    await ts.api.suggest({ experiment: "e" });
    expect((await ts.api.getTrial({ trialId: a!.id })).trial!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });
});

describe("retry_lost", () => {
  it("is stored with the experiment and is not part of its identity", async () => {
    const { ts } = await leasedServer(true);
    const got = (await ts.api.getExperiment({ name: "e" })).experiment!;
    expect(got.retryLost).toBe(true);
    const again = await ts.api.createExperiment({
      experiment: { ...got, createTime: undefined, trialCounts: undefined, retryLost: false },
    });
    expect(again.experiment!.retryLost).toBe(true);
  });

  it("re-enqueues a lapsed trial's configuration as a new WAITING trial that the next Suggest serves first", async () => {
    const { ts, clock, trials } = await leasedServer(true);
    const [a] = (await ts.api.suggest({ experiment: "e", workerId: "w1" })).trials;
    clock.now += LEASE_MS + 1;
    const all = await trials();
    expect(all).toHaveLength(2);
    const [lost, retry] = all;
    expect(lost!.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect(lost!.userAttrs["parzen.retried_as"]).toBe(String(retry!.id));
    expect(retry!.state).toBe(TrialState.TRIAL_STATE_WAITING);
    expect(retry!.source).toBe(TrialSource.TRIAL_SOURCE_ENQUEUED);
    expect(retry!.params).toEqual(a!.params);
    expect(retry!.userAttrs).toEqual({ "parzen.retry_of": String(a!.id), "parzen.attempt": "2" });
    const next = (await ts.api.suggest({ experiment: "e", workerId: "w2" })).trials[0]!;
    expect(next.id).toBe(retry!.id);
    expect(next.state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });

  it("serves the retry of a trial that lapsed just before a Suggest in that same Suggest", async () => {
    const { ts, clock } = await leasedServer(true);
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    clock.now += LEASE_MS + 1;
    const next = (await ts.api.suggest({ experiment: "e" })).trials[0]!;
    expect(next.params).toEqual(a!.params);
    expect(next.userAttrs["parzen.retry_of"]).toBe(String(a!.id));
  });

  it("accepts a late report of a LOST trial whose retry another worker took, keeps both, and refuses its heartbeat", async () => {
    const { ts, clock, trials } = await leasedServer(true);
    const [a] = (await ts.api.suggest({ experiment: "e", workerId: "slow" })).trials;
    clock.now += LEASE_MS + 1;
    const [retry] = (await ts.api.suggest({ experiment: "e", workerId: "fast" })).trials;
    expect(retry!.userAttrs["parzen.retry_of"]).toBe(String(a!.id));
    const hb = await rejection(ts.api.heartbeat({ trialId: a!.id }));
    expect(hb.code).toBe(status.FAILED_PRECONDITION);
    expect(hb.details).toContain(`re-enqueued as trial ${retry!.id}`);
    const late = await ts.api.report({ trialId: a!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 });
    expect(late.trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    await ts.api.report({ trialId: retry!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 });
    const all = await trials();
    expect(all.map((t) => [t.state, t.loss])).toEqual([
      [TrialState.TRIAL_STATE_COMPLETE, 0.25],
      [TrialState.TRIAL_STATE_COMPLETE, 0.5],
    ]);
  });

  it("withdraws a still-WAITING retry when the LOST trial reports late or heartbeats", async () => {
    const { ts, clock, trials } = await leasedServer(true);
    const [a, b] = (await ts.api.suggest({ experiment: "e", count: 2 })).trials;
    clock.now += LEASE_MS + 1;
    expect((await trials()).map((t) => t.state)).toEqual([
      TrialState.TRIAL_STATE_LOST,
      TrialState.TRIAL_STATE_LOST,
      TrialState.TRIAL_STATE_WAITING,
      TrialState.TRIAL_STATE_WAITING,
    ]);
    await ts.api.report({ trialId: a!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    const hb = await ts.api.heartbeat({ trialId: b!.id });
    expect(hb.leaseDeadline!.getTime()).toBe(clock.now + LEASE_MS);
    const all = await trials();
    expect(all.map((t) => t.state)).toEqual([
      TrialState.TRIAL_STATE_COMPLETE,
      TrialState.TRIAL_STATE_RUNNING,
      TrialState.TRIAL_STATE_LOST,
      TrialState.TRIAL_STATE_LOST,
    ]);
    expect(all[2]!.userAttrs["parzen.withdrawn"]).toMatch(new RegExp(`^trial ${a!.id} reported`));
    expect(all[3]!.userAttrs["parzen.withdrawn"]).toMatch(new RegExp(`^trial ${b!.id} heartbeated`));
    // The revived trial is no longer linked to its withdrawn retry: a second lapse retries it again.
    expect(all[1]!.userAttrs["parzen.retried_as"]).toBeUndefined();
    // Withdrawn retries are never served.
    const next = (await ts.api.suggest({ experiment: "e" })).trials[0]!;
    expect(next.number).toBe(4);
    expect(next.source).toBe(TrialSource.TRIAL_SOURCE_ALGORITHM);
  });

  it("tries a configuration at most three times in all", async () => {
    const { ts, clock, trials } = await leasedServer(true);
    await ts.api.suggest({ experiment: "e" });
    for (let round = 0; round < 3; round++) {
      clock.now += LEASE_MS + 1;
      await trials();
      await ts.api.suggest({ experiment: "e" }); // takes the retry, if any, else a new trial
    }
    const all = await trials();
    const chain = all.filter((t) => t.number === 0 || t.userAttrs["parzen.retry_of"] !== undefined);
    expect(chain.map((t) => t.userAttrs["parzen.attempt"] ?? "1")).toEqual(["1", "2", "3"]);
    expect(chain.every((t) => t.state === TrialState.TRIAL_STATE_LOST)).toBe(true);
    expect(chain[2]!.userAttrs["parzen.retried_as"]).toBeUndefined();
  });

  it("without retry_lost, a lapsed trial only becomes LOST", async () => {
    const { ts, clock, trials } = await leasedServer(false);
    await ts.api.suggest({ experiment: "e" });
    clock.now += LEASE_MS + 1;
    expect((await trials()).map((t) => t.state)).toEqual([TrialState.TRIAL_STATE_LOST]);
  });

  it("re-enqueues trials whose lease lapsed while the server was down", async () => {
    const { ts, clock, trials } = await leasedServer(true);
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    await ts.server.stop();
    clock.now += LEASE_MS + 1;
    await ts.restart();
    const all = await trials();
    expect(all.map((t) => t.state)).toEqual([TrialState.TRIAL_STATE_LOST, TrialState.TRIAL_STATE_WAITING]);
    expect(all[1]!.userAttrs["parzen.retry_of"]).toBe(String(a!.id));
  });
});

describe("a worker that restarts", () => {
  it("finds its RUNNING trials by worker id, across a server restart, and finishes them", async () => {
    const ts = await startTestServer();
    servers.push(ts);
    await ts.api.createExperiment({
      experiment: {
        name: "w",
        space: { parameters: [uniform("x", 0, 1)] },
        algorithm: { name: "random", options: {} },
      },
    });
    const mine = (await ts.api.suggest({ experiment: "w", count: 3, workerId: "node-7" })).trials;
    await ts.api.suggest({ experiment: "w", count: 2, workerId: "node-8" });
    await ts.api.report({ trialId: mine[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    await ts.restart();
    const running = await ts.api.listTrials({
      experiment: "w",
      workerId: "node-7",
      states: [TrialState.TRIAL_STATE_RUNNING],
    });
    expect(running.trials.map((t) => t.id)).toEqual([mine[1]!.id, mine[2]!.id]);
    expect(running.trials.map((t) => t.params)).toEqual([mine[1]!.params, mine[2]!.params]);
    for (const t of running.trials)
      await ts.api.report({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: 2 });
    expect(
      (await ts.api.listTrials({ experiment: "w", workerId: "node-7", states: [TrialState.TRIAL_STATE_RUNNING] }))
        .trials,
    ).toEqual([]);
  });
});

describe("lease checks", () => {
  it("notice each lease as it lapses, however the leases were handed out (earliest first or not)", async () => {
    const { ts, clock, trials } = await leasedServer(false);
    const [late] = (await ts.api.suggest({ experiment: "e", workerId: "w1" })).trials;
    // The clock is set back: the next trial's lease ends before the first one's.
    clock.now -= 30_000;
    const [early] = (await ts.api.suggest({ experiment: "e", workerId: "w2" })).trials;
    clock.now += LEASE_MS + 1; // past the early lease only
    let all = await trials();
    expect(all.find((t) => t.id === early!.id)!.state).toBe(TrialState.TRIAL_STATE_LOST);
    expect(all.find((t) => t.id === late!.id)!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    // A heartbeat moves the late lease on; it lapses only at its new deadline.
    await ts.api.heartbeat({ trialId: late!.id });
    clock.now += LEASE_MS - 1;
    all = await trials();
    expect(all.find((t) => t.id === late!.id)!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    clock.now += 2;
    all = await trials();
    expect(all.find((t) => t.id === late!.id)!.state).toBe(TrialState.TRIAL_STATE_LOST);
  });
});

describe("leases after others lapsed, without any other change", () => {
  it("notice the next lapse from the leases still running, in whatever order they were handed out", async () => {
    const { ts, clock, trials } = await leasedServer(false);
    const start = clock.now;
    const [a, b, c] = (await ts.api.suggest({ experiment: "e", count: 3 })).trials;
    // b's lease ends before c's although b was handed out first: the earliest is not simply the last one.
    clock.now = start + 20;
    await ts.api.heartbeat({ trialId: c!.id });
    clock.now = start + 10;
    await ts.api.heartbeat({ trialId: b!.id });
    const stateOf = (all: Trial[], id: number) => all.find((t) => t.id === id)!.state;
    clock.now = start + LEASE_MS + 1; // a lapses; b and c do not
    let all = await trials();
    expect([a, b, c].map((t) => stateOf(all, t!.id))).toEqual([
      TrialState.TRIAL_STATE_LOST,
      TrialState.TRIAL_STATE_RUNNING,
      TrialState.TRIAL_STATE_RUNNING,
    ]);
    // Nothing else changes in between: only the leases left RUNNING tell when to look again.
    clock.now = start + 10 + LEASE_MS + 1;
    all = await trials();
    expect([b, c].map((t) => stateOf(all, t!.id))).toEqual([
      TrialState.TRIAL_STATE_LOST,
      TrialState.TRIAL_STATE_RUNNING,
    ]);
    clock.now = start + 20 + LEASE_MS + 1;
    all = await trials();
    expect(stateOf(all, c!.id)).toBe(TrialState.TRIAL_STATE_LOST);
  });

  it("the periodic sweep marks a lapsed trial LOST with no call on its experiment", async () => {
    const { ts, clock } = await leasedServer(false);
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    const stored = () => {
      const db = new Database(ts.dbPath, { readonly: true });
      try {
        return db.prepare("SELECT state, end_time FROM trials WHERE id = ?").get(a!.id);
      } finally {
        db.close();
      }
    };
    clock.now += LEASE_MS;
    await ts.server.optimizer.sweepLeases();
    expect(stored()).toEqual({ state: TrialState.TRIAL_STATE_RUNNING, end_time: null });
    clock.now += 1;
    await ts.server.optimizer.sweepLeases();
    expect(stored()).toEqual({ state: TrialState.TRIAL_STATE_LOST, end_time: clock.now - 1 });
  });
});

describe("heartbeats of trials that are not RUNNING", () => {
  it("are refused for finished trials, which stay as they are", async () => {
    const { ts } = await leasedServer(false);
    const [a, b, c] = (await ts.api.suggest({ experiment: "e", count: 3 })).trials;
    await ts.api.report({ trialId: a!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    await ts.api.report({ trialId: b!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "x" });
    await ts.api.report({ trialId: c!.id, status: ReportStatus.REPORT_STATUS_PRUNED });
    for (const [t, name, state] of [
      [a, "COMPLETE", TrialState.TRIAL_STATE_COMPLETE],
      [b, "FAIL", TrialState.TRIAL_STATE_FAIL],
      [c, "PRUNED", TrialState.TRIAL_STATE_PRUNED],
    ] as const) {
      const err = await rejection(ts.api.heartbeat({ trialId: t!.id }));
      expect([err.code, err.details]).toEqual([
        status.FAILED_PRECONDITION,
        `trial ${t!.id} is ${name}; only RUNNING trials have a lease`,
      ]);
      const after = (await ts.api.getTrial({ trialId: t!.id })).trial!;
      expect([after.state, after.leaseDeadline]).toEqual([state, undefined]);
    }
  });

  it("a LOST trial that reported late is COMPLETE for heartbeats, and its retry, taken meanwhile, keeps running", async () => {
    const { ts, clock, trials } = await leasedServer(true);
    const [a] = (await ts.api.suggest({ experiment: "e", workerId: "slow" })).trials;
    clock.now += LEASE_MS + 1;
    const [retry] = (await ts.api.suggest({ experiment: "e", workerId: "fast" })).trials;
    expect(retry!.userAttrs["parzen.retry_of"]).toBe(String(a!.id));
    await ts.api.report({ trialId: a!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.25 });
    const all = await trials();
    // A retry a worker already took is not withdrawn by the late report.
    expect(all.find((t) => t.id === retry!.id)!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    expect(all.find((t) => t.id === retry!.id)!.userAttrs["parzen.withdrawn"]).toBeUndefined();
    const renewed = await ts.api.heartbeat({ trialId: retry!.id });
    expect(renewed.leaseDeadline!.getTime()).toBe(clock.now + LEASE_MS);
    const err = await rejection(ts.api.heartbeat({ trialId: a!.id }));
    expect([err.code, err.details]).toEqual([
      status.FAILED_PRECONDITION,
      `trial ${a!.id} is COMPLETE; only RUNNING trials have a lease`,
    ]);
  });

  it("a LOST trial whose retry was taken and finished is refused with the whole story, not revived", async () => {
    const { ts, clock, trials } = await leasedServer(true);
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    clock.now += LEASE_MS + 1;
    const [retry] = (await ts.api.suggest({ experiment: "e" })).trials;
    await ts.api.report({ trialId: retry!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 });
    const err = await rejection(ts.api.heartbeat({ trialId: a!.id }));
    expect([err.code, err.details]).toEqual([
      status.FAILED_PRECONDITION,
      `trial ${a!.id} is LOST and its configuration was re-enqueued as trial ${retry!.id}, which a worker has ` +
        `already taken; its lease is not renewed, but a Report for trial ${a!.id} is still accepted`,
    ]);
    expect((await trials()).map((t) => t.state)).toEqual([
      TrialState.TRIAL_STATE_LOST,
      TrialState.TRIAL_STATE_COMPLETE,
    ]);
  });
});

describe("retry_lost when an experiment is loaded", () => {
  /** A server whose one trial was written LOST without its retry (as a crash between the two writes leaves it). */
  async function lostWithoutRetry(retryLost: boolean) {
    const { ts, trials } = await leasedServer(retryLost);
    const [a] = (await ts.api.suggest({ experiment: "e" })).trials;
    await ts.server.stop();
    const db = new Database(ts.dbPath);
    db.prepare("UPDATE trials SET state = ?, end_time = lease_deadline WHERE id = ?").run(
      TrialState.TRIAL_STATE_LOST,
      a!.id,
    );
    db.close();
    await ts.restart();
    return { a: a!, trials };
  }

  it("re-enqueues the LOST trials that have no retry yet", async () => {
    const { a, trials } = await lostWithoutRetry(true);
    const all = await trials();
    expect(all.map((t) => t.state)).toEqual([TrialState.TRIAL_STATE_LOST, TrialState.TRIAL_STATE_WAITING]);
    expect(all[1]!.userAttrs["parzen.retry_of"]).toBe(String(a.id));
    expect(all[1]!.params).toEqual(a.params);
    expect(all[0]!.userAttrs["parzen.retried_as"]).toBe(String(all[1]!.id));
  });

  it("leaves them alone without retry_lost", async () => {
    const { trials } = await lostWithoutRetry(false);
    expect((await trials()).map((t) => t.state)).toEqual([TrialState.TRIAL_STATE_LOST]);
  });
});
