/**
 * Choice option labels over gRPC: stored and returned with the space,
 * validated (unique, no control characters, bounded), shown by the dashboard
 * API, and not part of the experiment's identity (a re-create that differs
 * only in labels is the same experiment and keeps the stored labels).
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Parameter } from "@parzen/client/gen/parzen/v1/space";
import { choice, int, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ http: "127.0.0.1:0" });
});
afterAll(async () => {
  await ts.close();
});

const labelled = (labels: (string | undefined)[]): Parameter =>
  choice(
    "optimizer",
    labels.map((label, i) => ({ value: int(i), label, children: i === 0 ? [uniform("momentum", 0, 0.99)] : [] })),
  );

const create = (name: string, param: Parameter) =>
  ts.api.createExperiment({ experiment: { name, space: { parameters: [param] }, algorithm: { name: "random" } } });

describe("choice option labels", () => {
  it("are stored and returned with the space", async () => {
    await create("labels", labelled(["sgd", "adam"]));
    const { experiment } = await ts.api.getExperiment({ name: "labels" });
    const param = experiment!.space!.parameters[0]!;
    expect(param.domain?.$case === "choice" && param.domain.value.options.map((o) => o.label)).toEqual(["sgd", "adam"]);
  });

  it("do not make a re-create a different experiment; the stored labels stay", async () => {
    await create("relabel", labelled(["sgd", "adam"]));
    const again = await create("relabel", labelled([undefined, "ADAM"]));
    expect(again.created).toBe(false);
    const param = again.experiment!.space!.parameters[0]!;
    expect(param.domain?.$case === "choice" && param.domain.value.options.map((o) => o.label)).toEqual(["sgd", "adam"]);
    // Everything else still counts: another option value is another experiment.
    const other = choice("optimizer", [
      { value: int(0), label: "sgd" },
      { value: int(2), label: "adam" },
    ]);
    expect((await rejection(create("relabel", other))).code).toBe(status.ALREADY_EXISTS);
  });

  it("are refused when two options share one, or one has control characters", async () => {
    const dup = await rejection(create("dup-labels", labelled(["same", "same"])));
    expect(dup.code).toBe(status.INVALID_ARGUMENT);
    expect(dup.details).toBe('parameter "optimizer": two options have the label "same" (labels are unique)');
    const ctl = await rejection(create("ctl-labels", labelled(["a\u0007", "b"])));
    expect(ctl.code).toBe(status.INVALID_ARGUMENT);
    expect(ctl.details).toContain('parameter "optimizer" option 0');
  });

  it("are what the dashboard API shows, the option's value where there is none", async () => {
    await create("dash-labels", labelled(["sgd", undefined]));
    const res = await fetch(`http://${ts.server.httpAddress}/api/experiments/dash-labels`);
    const body = (await res.json()) as { params: { name: string; labels?: string[] }[] };
    expect(body.params.find((p) => p.name === "optimizer")?.labels).toEqual(["sgd", "1"]);
  });
});
