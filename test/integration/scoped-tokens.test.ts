/**
 * Scoped tokens: a token in the tokens file may carry a role (admin, worker,
 * reader) and experiment-name patterns. A worker suggests, reports and
 * heartbeats on matching experiments only, and can report a trial only when
 * its experiment matches; a reader only reads; a token without a scope is an
 * admin, as every token was before. Over real gRPC with the real tokens file
 * parser.
 */
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ExperimentAction, OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTokens } from "../../src/server/auth.js";
import { num, uniform } from "./fixtures.js";
import { type Api, promisify, rejection, startTestServer, type TestServer } from "./harness.js";

const ADMIN = "admin-token-0123456789abcdef";
const WORKER_A = "worker-token-team-a-0123456789";
const READER = "reader-token-everything-012345";
const READER_B = "reader-token-team-b-0123456789";
const ADMIN_B = "admin-token-team-b-0123456789ab";
const WORKER_UN = "worker-token-un-star-0123456789";
const dir = mkdtempSync(join(tmpdir(), "parzen-scoped-"));
const tokensFile = join(dir, "tokens");
writeFileSync(
  tokensFile,
  [
    "# today's format: a bare token may do everything",
    ADMIN,
    `${WORKER_A} role=worker experiments=team-a-*`,
    `${READER}  role=reader   # dashboards`,
    `${READER_B} role=reader experiments=team-b-*,shared`,
    `${ADMIN_B} experiments=team-b-?`,
    `${WORKER_UN} role=worker experiments=un*`,
    "",
  ].join("\n"),
);

let ts: TestServer;
const clients: OptimizerServiceClient[] = [];
function as(token: string): Api {
  const client = new OptimizerServiceClient(ts.server.address, credentials.createInsecure());
  clients.push(client);
  return promisify(client, token);
}
const space = { parameters: [uniform("x", 0, 1)] };
const create = (api: Api, name: string) =>
  api.createExperiment({ experiment: { name, space, algorithm: { name: "random" } } });

let admin: Api;
let worker: Api;
let reader: Api;
let readerB: Api;
let adminB: Api;
beforeAll(async () => {
  ts = await startTestServer({ tokens: loadTokens(tokensFile, undefined) });
  admin = as(ADMIN);
  worker = as(WORKER_A);
  reader = as(READER);
  readerB = as(READER_B);
  adminB = as(ADMIN_B);
  for (const name of ["team-a-1", "team-b-1", "shared"]) await create(admin, name);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await ts.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("scoped tokens", () => {
  it("lets a worker get-or-create, suggest, heartbeat and report on its experiments", async () => {
    await create(worker, "team-a-1");
    await create(worker, "team-a-2");
    const [t] = (await worker.suggest({ experiment: "team-a-1", workerId: "w" })).trials;
    await worker.heartbeat({ trialId: t!.id });
    await worker.reportIntermediate({ trialId: t!.id, step: 1, value: 0.5 });
    const done = await worker.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 });
    expect(done.trial?.state).toBe(TrialState.TRIAL_STATE_COMPLETE);
    expect((await worker.getExperiment({ name: "team-a-1" })).experiment?.name).toBe("team-a-1");
  });

  it("refuses a worker anything on another experiment, including reporting its trials", async () => {
    const denied = await rejection(worker.suggest({ experiment: "team-b-1", workerId: "w" }));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toMatch(/experiment "team-b-1".*team-a-\*/);
    expect((await rejection(create(worker, "team-b-2"))).code).toBe(status.PERMISSION_DENIED);

    const [foreign] = (await admin.suggest({ experiment: "team-b-1", workerId: "admin" })).trials;
    const report = await rejection(
      worker.report({ trialId: foreign!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0 }),
    );
    expect(report.code).toBe(status.PERMISSION_DENIED);
    expect(report.details).toMatch(/trial .* of experiment "team-b-1"/);
    expect((await rejection(worker.heartbeat({ trialId: foreign!.id }))).code).toBe(status.PERMISSION_DENIED);
    expect((await admin.getTrial({ trialId: foreign!.id })).trial?.state).toBe(TrialState.TRIAL_STATE_RUNNING);
    // An unknown trial id tells a scoped token nothing either.
    expect((await rejection(worker.heartbeat({ trialId: 987654 }))).code).toBe(status.PERMISSION_DENIED);
  });

  it("keeps experiment-wide writes for admins", async () => {
    for (const call of [
      worker.deleteExperiment({ name: "team-a-2" }),
      worker.addTrials({ experiment: "team-a-1", trials: [] }),
      worker.enqueue({ experiment: "team-a-1", configurations: [] }),
    ]) {
      const err = await rejection(call);
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(err.details).toMatch(/worker token/);
    }
    await admin.deleteExperiment({ name: "team-a-2" });
  });

  it("keeps UpdateExperiment (pause, stop, budgets) for admins, within their patterns", async () => {
    const pause = (api: Api, name: string) =>
      api.updateExperiment({ name, action: ExperimentAction.EXPERIMENT_ACTION_PAUSE });
    const byWorker = await rejection(pause(worker, "team-a-1"));
    expect(byWorker.code).toBe(status.PERMISSION_DENIED);
    expect(byWorker.details).toBe("UpdateExperiment: a worker token may not call it (admin tokens may)");
    expect((await rejection(reader.updateExperiment({ name: "team-a-1", maxTrials: 5 }))).details).toBe(
      "UpdateExperiment: a reader token is read-only",
    );
    expect((await rejection(pause(adminB, "team-a-1"))).details).toBe(
      'UpdateExperiment: experiment "team-a-1" is not one this token may use (allowed: team-b-?)',
    );
    expect((await pause(adminB, "team-b-1")).experiment?.state).toBe(ExperimentState.EXPERIMENT_STATE_PAUSED);
    const resumed = await admin.updateExperiment({
      name: "team-b-1",
      action: ExperimentAction.EXPERIMENT_ACTION_RESUME,
    });
    expect(resumed.experiment?.state).toBe(ExperimentState.EXPERIMENT_STATE_ACTIVE);
  });

  it("lets a reader read and nothing else", async () => {
    expect((await reader.getExperiment({ name: "team-b-1" })).experiment?.name).toBe("team-b-1");
    await reader.listTrials({ experiment: "team-a-1", pageSize: 10 });
    const names = (await reader.listExperiments({ pageSize: 100 })).experiments.map((e) => e.name);
    expect(names).toEqual(["shared", "team-a-1", "team-b-1"]);
    const err = await rejection(reader.suggest({ experiment: "team-b-1", workerId: "r" }));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.details).toMatch(/reader token.*read-only/);
    expect((await rejection(create(reader, "team-b-9"))).code).toBe(status.PERMISSION_DENIED);
  });

  it("limits a scoped reader to its patterns, in lookups and in lists", async () => {
    await readerB.getExperiment({ name: "shared" });
    expect((await rejection(readerB.getExperiment({ name: "team-a-1" }))).code).toBe(status.PERMISSION_DENIED);
    const names = (await readerB.listExperiments({ pageSize: 100 })).experiments.map((e) => e.name);
    expect(names).toEqual(["shared", "team-b-1"]);
  });

  it("does not take a token that differs only in its last character", async () => {
    const near = `${WORKER_A.slice(0, -1)}${WORKER_A.endsWith("9") ? "8" : "9"}`;
    const err = await rejection(as(near).getExperiment({ name: "team-a-1" }));
    expect(err.code).toBe(status.UNAUTHENTICATED);
  });

  it("gives each role exactly the methods of the documented table, on the trials of its experiments", async () => {
    const [mine] = (await worker.suggest({ experiment: "team-a-1", workerId: "w" })).trials;
    const [theirs] = (await admin.suggest({ experiment: "team-b-1", workerId: "admin" })).trials;
    // A worker reads too, its own experiments' trials included.
    expect((await worker.getTrial({ trialId: mine!.id })).trial?.id).toBe(mine!.id);
    await worker.listTrials({ experiment: "team-a-1", pageSize: 5 });
    await worker.getBest({ experiment: "team-a-1" }).catch((err: { code: number }) => {
      expect(err.code).toBe(status.NOT_FOUND);
    });
    const other = await rejection(worker.getTrial({ trialId: theirs!.id }));
    expect(other.code).toBe(status.PERMISSION_DENIED);
    expect(other.details).toBe(
      `GetTrial: trial ${theirs!.id} is not of an experiment this token may use ` +
        `(trial ${theirs!.id} of experiment "team-b-1"; allowed: team-a-*)`,
    );
    const unknown = await rejection(worker.reportIntermediate({ trialId: 987654, step: 1, value: 1 }));
    expect(unknown.details).toBe("ReportIntermediate: trial 987654 is not a trial this token may use");
    expect((await rejection(worker.listTrials({ experiment: "team-b-1", pageSize: 5 }))).details).toBe(
      'ListTrials: experiment "team-b-1" is not one this token may use (allowed: team-a-*)',
    );

    // A reader reads the trials it may see, and nothing that writes, trial calls included.
    const r = await readerB.getTrial({ trialId: theirs!.id });
    expect(r.trial?.id).toBe(theirs!.id);
    expect((await rejection(readerB.getTrial({ trialId: mine!.id }))).code).toBe(status.PERMISSION_DENIED);
    for (const call of [
      readerB.heartbeat({ trialId: theirs!.id }),
      readerB.report({ trialId: theirs!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 }),
      readerB.deleteExperiment({ name: "shared" }),
    ]) {
      const err = await rejection(call);
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(err.details).toMatch(/^\w+: a reader token is read-only$/);
    }

    // An admin limited to patterns does everything, on its experiments only.
    const queued = await adminB.enqueue({ experiment: "team-b-1", configurations: [{ params: { x: num(0.5) } }] });
    expect(queued.trials).toHaveLength(1);
    const wide = await rejection(adminB.deleteExperiment({ name: "team-b-12" }));
    expect(wide.details).toBe(
      'DeleteExperiment: experiment "team-b-12" is not one this token may use (allowed: team-b-?)',
    );
    expect((await rejection(adminB.enqueue({ experiment: "shared", configurations: [] }))).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await adminB.listExperiments({ pageSize: 100 })).experiments.map((e) => e.name)).toEqual(["team-b-1"]);
    await worker.report({ trialId: mine!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    await admin.report({ trialId: theirs!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
  });

  it("lets a reader stream trials and read a Pareto front, and a worker release its trials", async () => {
    const streamed = (token: string, experiment: string) =>
      new Promise<{ trials: number; code?: number; details?: string }>((ok) => {
        const client = new OptimizerServiceClient(ts.server.address, credentials.createInsecure());
        clients.push(client);
        const md = new Metadata();
        md.set("authorization", `Bearer ${token}`);
        let trials = 0;
        const call = client.streamTrials({ experiment, states: [] }, md);
        call.on("data", () => trials++);
        call.on("error", (err: ServiceError) => ok({ trials, code: err.code, details: err.details }));
        call.on("end", () => ok({ trials }));
      });
    await admin.enqueue({ experiment: "shared", configurations: [{ params: { x: num(0.25) } }] });
    expect(await streamed(READER_B, "shared")).toEqual({ trials: 1 });
    expect(await streamed(READER_B, "team-a-1")).toEqual({
      trials: 0,
      code: status.PERMISSION_DENIED,
      details: 'StreamTrials: experiment "team-a-1" is not one this token may use (allowed: team-b-*, shared)',
    });
    expect((await reader.getParetoFront({ experiment: "shared" })).trials).toEqual([]);
    expect((await rejection(readerB.getParetoFront({ experiment: "team-a-1" }))).details).toBe(
      'GetParetoFront: experiment "team-a-1" is not one this token may use (allowed: team-b-*, shared)',
    );

    const [t] = (await worker.suggest({ experiment: "team-a-1", workerId: "w" })).trials;
    const released = await worker.releaseTrial({ trialId: t!.id });
    expect(released.trial?.state).toBe(TrialState.TRIAL_STATE_WAITING);
    const [theirs] = (await admin.suggest({ experiment: "team-b-1", workerId: "admin" })).trials;
    expect((await rejection(worker.releaseTrial({ trialId: theirs!.id }))).details).toBe(
      `ReleaseTrial: trial ${theirs!.id} is not of an experiment this token may use ` +
        `(trial ${theirs!.id} of experiment "team-b-1"; allowed: team-a-*)`,
    );
    await admin.releaseTrial({ trialId: theirs!.id });
  });

  it("leaves an unrestricted token's calls to the service's own answers: an unknown trial, no experiment", async () => {
    // No lookup for a token that may use every experiment: an unknown trial is the service's NOT_FOUND, not a
    // refusal (a scoped token gets PERMISSION_DENIED for it, telling nothing).
    expect((await rejection(admin.heartbeat({ trialId: 987654 }))).code).toBe(status.NOT_FOUND);
    expect((await rejection(reader.getTrial({ trialId: 987654 }))).code).toBe(status.NOT_FOUND);
    expect((await rejection(worker.getTrial({ trialId: 987654 }))).code).toBe(status.PERMISSION_DENIED);
    // A CreateExperiment naming no experiment: refused as a scoped worker's like any other name it may not use.
    expect((await rejection(worker.createExperiment({}))).details).toBe(
      'CreateExperiment: experiment "" is not one this token may use (allowed: team-a-*)',
    );
    expect((await rejection(admin.createExperiment({}))).code).toBe(status.INVALID_ARGUMENT);
    // Nothing named is no name at all, even for patterns the word "undefined" would match.
    const un = as(WORKER_UN);
    expect((await rejection(un.createExperiment({}))).details).toBe(
      'CreateExperiment: experiment "" is not one this token may use (allowed: un*)',
    );
    expect((await rejection(un.heartbeat({ trialId: 987654 }))).details).toBe(
      "Heartbeat: trial 987654 is not a trial this token may use",
    );
  });

  it("refuses a tokens file with an unknown role or attribute, or a token listed twice", () => {
    const bad = (text: string) => {
      writeFileSync(join(dir, "bad"), text);
      return () => loadTokens(join(dir, "bad"), undefined);
    };
    expect(bad(`${ADMIN} role=owner`)).toThrow(/role "owner".*admin, worker or reader/);
    // Only role= and experiments= are attributes; any other word is a token, as in today's format.
    expect(bad(`${ADMIN} team=a`)).toThrow(/16 to 4096 printable ASCII/);
    expect(bad(`${ADMIN} role=worker\n${ADMIN} role=reader`)).toThrow(/listed twice/);
    expect(bad("role=worker experiments=x")).toThrow(/no token/);
  });
});
