/**
 * Names and keys: NUL, control characters, bidirectional controls and line
 * separators are refused in every name and key a request writes (experiment
 * and parameter names, worker ids, metric and attribute keys), and invalid
 * UTF-8 anywhere in a request is refused naming the field; each message says
 * which name and why. Experiments stored before these rules keep serving.
 */
import { status, type ServiceError } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { CreateExperimentRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definitionJson } from "../../src/service/use-cases/definition.js";
import { num, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  await ts.api.createExperiment({
    experiment: { name: "ok", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
  });
});
afterAll(async () => {
  await ts.close();
});

const experiment = (name: string, param = "x") => ({
  experiment: { name, space: { parameters: [uniform(param, 0, 1)] }, algorithm: { name: "random" } },
});

describe("names and keys", () => {
  it.each([
    ["a\u0000b", /NUL/],
    ["a\u0007b", /control character U\+0007/],
    ["a\u0085b", /control character U\+0085/],
    ["safe\u202Eexe.txt", /bidirectional.*U\+202E/],
    ["a\u2066b", /bidirectional.*U\+2066/],
    ["a\u2028b", /line or paragraph separator U\+2028/],
  ])("refuses parameter name %j", async (name, why) => {
    const err = await rejection(ts.api.createExperiment(experiment("fresh", name)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/parameter name/);
    expect(err.details).toMatch(why);
  });

  it("refuses such experiment names, worker ids, metric and attribute keys, saying which", async () => {
    const created = await rejection(ts.api.createExperiment(experiment("exp\u202Ename")));
    expect(created.details).toMatch(/^experiment\.name: .*bidirectional/);
    const attrs = await rejection(
      ts.api.createExperiment({ experiment: { ...experiment("fresh").experiment, userAttrs: { "k\u0000": "v" } } }),
    );
    expect(attrs.details).toMatch(/^experiment\.user_attrs: key .*NUL/);

    const worker = await rejection(ts.api.suggest({ experiment: "ok", workerId: "w\u202E" }));
    expect(worker.code).toBe(status.INVALID_ARGUMENT);
    expect(worker.details).toMatch(/^worker_id: .*bidirectional/);

    const [t] = (await ts.api.suggest({ experiment: "ok", workerId: "w" })).trials;
    const metric = await rejection(
      ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1, metrics: { "acc\u0007": 1 } }),
    );
    expect(metric.details).toMatch(/^metrics: key .*control character U\+0007/);
    const attr = await rejection(
      ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1, userAttrs: { "n\u2067": "v" } }),
    );
    expect(attr.details).toMatch(/^user_attrs: key .*bidirectional/);

    const imported = await rejection(
      ts.api.addTrials({
        experiment: "ok",
        trials: [
          { params: { x: num(0.5) }, loss: 1 },
          { params: { x: num(0.5) }, loss: 1, metrics: { "\u0000": 1 } },
        ],
      }),
    );
    expect(imported.details).toMatch(/^trials\[1\]\.metrics: key .*NUL/);
    expect((await ts.api.listTrials({ experiment: "ok", pageSize: 100 })).trials).toHaveLength(1);
  });

  it("refuses invalid UTF-8 in any string, naming the field", async () => {
    const good = CreateExperimentRequest.encode(
      CreateExperimentRequest.fromPartial({
        experiment: { ...experiment("aZb").experiment, userAttrs: { note: "fine" } },
      }),
    ).finish();
    const bytes = Buffer.from(good);
    bytes[bytes.indexOf(Buffer.from("aZb")) + 1] = 0xff;
    const err = await new Promise<ServiceError>((ok, fail) => {
      ts.client.makeUnaryRequest(
        "/parzen.v1.OptimizerService/CreateExperiment",
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        (e) => (e ? ok(e) : fail(new Error("accepted invalid UTF-8"))),
      );
    });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^experiment\.name: not valid UTF-8/);
    await expect(ts.api.getExperiment({ name: "a\uFFFDb" })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it("keeps serving an experiment stored before the rules, and its get-or-create still matches", async () => {
    const old = Experiment.fromPartial({
      name: "legacy\u202Ename",
      space: { parameters: [uniform("lr\u0007", 0, 1)] },
      algorithm: { name: "random", options: {} },
      seed: 3,
    });
    await ts.server.stop();
    const db = new Database(ts.dbPath);
    db.prepare("INSERT INTO experiments (name, definition, create_time) VALUES (?, ?, ?)").run(
      old.name,
      definitionJson(old, 1),
      Date.now(),
    );
    db.close();
    await ts.restart();
    const again = await ts.api.createExperiment({ experiment: old });
    expect(again.experiment?.name).toBe(old.name);
    const [t] = (await ts.api.suggest({ experiment: old.name, workerId: "w" })).trials;
    expect(Object.keys(t!.params)).toEqual(["lr\u0007"]);
  });
});
