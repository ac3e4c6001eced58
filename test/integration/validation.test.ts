import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Parameter } from "@parzen/client/gen/parzen/v1/space";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { bool, choice, int, intRange, logUniform, mixedSpace, num, str, uniform } from "./fixtures.js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  await ts.api.createExperiment({
    experiment: { name: "v", space: mixedSpace(), algorithm: { name: "random", options: {} } },
  });
});
afterAll(async () => {
  await ts.close();
});

const p = (name: string, domain: Parameter["domain"]): Parameter => ({ name, domain });

const badSpaces: [string, Parameter[], string][] = [
  ["low >= high", [uniform("x", 1, 1)], 'parameter "x": low (1) must be less than high (1)'],
  ["log with low <= 0", [logUniform("x", 0, 1)], 'parameter "x": a log domain needs low > 0'],
  ["NaN bound", [uniform("x", Number.NaN, 1)], 'parameter "x": low must be finite'],
  ["infinite bound", [uniform("x", 0, Number.POSITIVE_INFINITY)], 'parameter "x": high must be finite'],
  ["q <= 0", [p("x", { $case: "qUniform", value: { low: 0, high: 1, q: 0 } })], 'parameter "x": q must be > 0'],
  [
    "q larger than range",
    [p("x", { $case: "qUniform", value: { low: 0, high: 1, q: 2 } })],
    'parameter "x": q (2) is larger than the range',
  ],
  ["sigma <= 0", [p("x", { $case: "normal", value: { mu: 0, sigma: 0 } })], 'parameter "x": sigma must be > 0'],
  ["int step larger than range", [intRange("n", 1, 3, 5)], 'parameter "n": step (5) is larger than the range'],
  ["int step negative", [intRange("n", 1, 3, -1)], 'parameter "n": step must be > 0'],
  ["log int with low < 1", [intRange("n", 0, 10, 1, true)], 'parameter "n": a log int domain needs low >= 1'],
  ["empty choice", [choice("c", [])], 'parameter "c": choice has no options'],
  [
    "duplicate options",
    [choice("c", [{ value: str("a") }, { value: str("a") }])],
    'parameter "c": duplicate choice option "a"',
  ],
  [
    "duplicate numeric options",
    [choice("c", [{ value: int(1) }, { value: num(1) }])],
    'parameter "c": duplicate choice option 1',
  ],
  [
    "negative weight",
    [choice("c", [{ value: str("a") }, { value: str("b") }], [1, -1])],
    'parameter "c": weight 1 must be finite and >= 0',
  ],
  [
    "zero weights",
    [choice("c", [{ value: str("a") }, { value: str("b") }], [0, 0])],
    'parameter "c": weights must sum to a positive number',
  ],
  [
    "weights count",
    [choice("c", [{ value: str("a") }, { value: str("b") }], [1])],
    'parameter "c": 1 weights for 2 options',
  ],
  ["duplicate names", [uniform("x", 0, 1), uniform("x", 0, 2)], 'parameter "x": duplicate name'],
  [
    "duplicate names across branches",
    [
      choice("c", [
        { value: bool(true), children: [uniform("x", 0, 1)] },
        { value: bool(false), children: [uniform("x", 0, 1)] },
      ]),
    ],
    'parameter "x": duplicate name',
  ],
  ["empty name", [uniform("", 0, 1)], "a parameter has an empty name"],
  ["no domain", [{ name: "x", domain: undefined }], 'parameter "x": no domain set'],
  ["no parameters", [], "space: must declare at least one parameter"],
  // Found by mutation testing (docs/testing.md): each check with its own message.
  ["NaN mu", [p("x", { $case: "normal", value: { mu: Number.NaN, sigma: 1 } })], 'parameter "x": mu must be finite'],
  [
    "infinite sigma",
    [p("x", { $case: "logNormal", value: { mu: 0, sigma: Number.POSITIVE_INFINITY } })],
    'parameter "x": sigma must be finite, got Infinity',
  ],
  ["int low = high", [intRange("n", 3, 3)], 'parameter "n": low (3) must be less than high (3)'],
  ["log int with step 2", [intRange("n", 1, 9, 2, true)], 'parameter "n": a log int domain needs step = 1, got 2'],
  [
    "NaN choice option",
    [choice("c", [{ value: str("a") }, { value: num(Number.NaN) }])],
    'parameter "c": choice option 1 must be finite, got NaN',
  ],
  [
    "a choice option of 1001 characters",
    [choice("c", [{ value: str("a".repeat(1001)) }])],
    'parameter "c": choice option 0 is longer than 1000 characters',
  ],
];

describe("the limits of a domain are inclusive where the README says so", () => {
  it("accepts an int step of exactly the range, a 1000-character option, and bounds of exactly ±(2^53 − 1)", async () => {
    const parameters = [
      intRange("n", 1, 3, 2),
      choice("c", [{ value: str("a".repeat(1000)) }, { value: str("b") }]),
      intRange("big", -(2 ** 53 - 1), 2 ** 53 - 1),
    ];
    const { experiment } = await ts.api.createExperiment({
      experiment: { name: "edges", space: { parameters }, algorithm: { name: "random" } },
    });
    expect(experiment!.space!.parameters.map((x) => x.name)).toEqual(["n", "c", "big"]);
  });
});

describe("every malformed input gets a precise status, and nothing stored changes", () => {
  it.each(badSpaces)("rejects a space with %s", async (_label, parameters, message) => {
    const err = await rejection(
      ts.api.createExperiment({
        experiment: { name: "bad", space: { parameters }, algorithm: { name: "random", options: {} } },
      }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    expect((await rejection(ts.api.getExperiment({ name: "bad" }))).code).toBe(status.NOT_FOUND);
  });

  it("rejects an unknown algorithm and unknown algorithm options", async () => {
    const space = { parameters: [uniform("x", 0, 1)] };
    const e1 = await rejection(
      ts.api.createExperiment({
        experiment: { name: "alg", space, algorithm: { name: "simulated-annealing", options: {} } },
      }),
    );
    expect(e1.code).toBe(status.INVALID_ARGUMENT);
    expect(e1.details).toContain('unknown algorithm "simulated-annealing"');
    const e2 = await rejection(
      ts.api.createExperiment({
        experiment: { name: "alg", space, algorithm: { name: "random", options: { foo: int(1) } } },
      }),
    );
    expect(e2.code).toBe(status.INVALID_ARGUMENT);
    expect(e2.details).toContain('unknown option "foo"');
    const e3 = await rejection(
      ts.api.createExperiment({
        experiment: {
          name: "alg",
          space,
          algorithm: { name: "random", options: {} },
          pruner: { name: "oracle", options: {} },
        },
      }),
    );
    expect(e3.details).toContain('unknown pruner "oracle"');
  });

  it("rejects bad experiment names", async () => {
    const space = { parameters: [uniform("x", 0, 1)] };
    expect((await rejection(ts.api.createExperiment({ experiment: { name: "", space } }))).details).toContain(
      "experiment name is empty",
    );
    expect((await rejection(ts.api.createExperiment({ experiment: { name: "a\nb", space } }))).details).toContain(
      "control characters",
    );
    expect(
      (await rejection(ts.api.createExperiment({ experiment: { name: "x".repeat(201), space } }))).details,
    ).toContain("longer than 200");
  });

  it("rejects count < 1 or absurdly large, and unknown experiments", async () => {
    const neg = await rejection(ts.api.suggest({ experiment: "v", count: -1 }));
    expect(neg.code).toBe(status.INVALID_ARGUMENT);
    expect(neg.details).toContain("count: must be between 1 and 1000");
    expect((await rejection(ts.api.suggest({ experiment: "v", count: 1_000_000 }))).code).toBe(status.INVALID_ARGUMENT);
    const missing = await rejection(ts.api.suggest({ experiment: "nope" }));
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.details).toBe('experiment "nope" does not exist');
    expect((await ts.api.getExperiment({ name: "v" })).experiment!.trialCounts!.running).toBe(0);
  });

  it("rejects reports of unknown trials, missing or non-finite losses, and bad statuses", async () => {
    expect(
      (await rejection(ts.api.report({ trialId: 987654, status: ReportStatus.REPORT_STATUS_OK, loss: 1 }))).code,
    ).toBe(status.NOT_FOUND);
    const { trials } = await ts.api.suggest({ experiment: "v" });
    const id = trials[0]!.id;
    const noLoss = await rejection(ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_OK }));
    expect(noLoss.code).toBe(status.INVALID_ARGUMENT);
    expect(noLoss.details).toContain("status OK needs a finite loss");
    expect(
      (await rejection(ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_OK, loss: Number.NaN })))
        .details,
    ).toContain("loss: must be finite");
    expect(
      (
        await rejection(
          ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_OK, loss: Number.POSITIVE_INFINITY }),
        )
      ).code,
    ).toBe(status.INVALID_ARGUMENT);
    expect(
      (await rejection(ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_UNSPECIFIED, loss: 1 })))
        .details,
    ).toContain("status: must be OK, FAIL or PRUNED");
    expect(
      (
        await rejection(
          ts.api.report({ trialId: id, status: ReportStatus.REPORT_STATUS_OK, loss: 1, metrics: { acc: Number.NaN } }),
        )
      ).details,
    ).toContain('metrics: "acc" must be finite');
    expect((await rejection(ts.api.reportIntermediate({ trialId: id, step: -1, value: 1 }))).details).toContain(
      "step: must be a non-negative integer",
    );
    // None of the rejected calls changed the trial.
    const { trial } = await ts.api.getTrial({ trialId: id });
    expect(trial!.state).toBe(2);
    expect(trial!.loss).toBeUndefined();
    expect(trial!.intermediateValues).toEqual([]);
  });

  it("rejects enqueued or imported values outside the space, and changes nothing", async () => {
    const before = (await ts.api.getExperiment({ name: "v" })).experiment!.trialCounts;
    const cases: [Record<string, ReturnType<typeof num>>, string][] = [
      [{ lr: num(2), layers: int(2), optimizer: str("adam") }, 'parameter "lr": 2 is outside [0.00001, 1]'],
      [{ lr: num(0.1), layers: int(9), optimizer: str("adam") }, 'parameter "layers": 9 is outside its domain'],
      [{ lr: num(0.1), layers: num(2.5), optimizer: str("adam") }, 'parameter "layers": expected an integer'],
      [
        { lr: num(0.1), layers: int(2), optimizer: str("rmsprop") },
        'parameter "optimizer": "rmsprop" is not one of its choice options',
      ],
      [{ lr: num(0.1), layers: int(2) }, 'parameter "optimizer" is missing'],
      [
        { lr: num(0.1), layers: int(2), optimizer: str("adam"), momentum: num(0.5) },
        'parameter "momentum" is given but inactive',
      ],
      [{ lr: num(0.1), layers: int(2), optimizer: str("adam"), depth: int(3) }, 'unknown parameter "depth"'],
      [{ lr: str("fast"), layers: int(2), optimizer: str("adam") }, 'parameter "lr": expected a number'],
    ];
    for (const [params, message] of cases) {
      const err = await rejection(
        ts.api.enqueue({
          experiment: "v",
          configurations: [
            { params: { lr: num(0.1), layers: int(1), optimizer: str("adam") }, userAttrs: {} },
            { params, userAttrs: {} },
          ],
        }),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      // The refusal names the configuration to fix, whichever check refused it.
      expect(err.details).toContain(`configurations[1]: ${message}`);
      const imp = await rejection(ts.api.addTrials({ experiment: "v", trials: [{ params, loss: 1 }] }));
      expect(imp.code).toBe(status.INVALID_ARGUMENT);
    }
    const noLoss = await rejection(
      ts.api.addTrials({
        experiment: "v",
        trials: [{ params: { lr: num(0.1), layers: int(1), optimizer: str("adam") } }],
      }),
    );
    expect(noLoss.details).toContain("trials[0].loss: a COMPLETE trial needs a finite loss");
    const running = await rejection(
      ts.api.addTrials({
        experiment: "v",
        trials: [{ params: { lr: num(0.1), layers: int(1), optimizer: str("adam") }, state: 2, loss: 1 }],
      }),
    );
    expect(running.details).toContain("imported trials must be COMPLETE, PRUNED or FAIL");
    expect((await ts.api.getExperiment({ name: "v" })).experiment!.trialCounts).toEqual(before);
  });

  it("rejects a report for a trial that is still WAITING and a bad page token", async () => {
    const { trials } = await ts.api.enqueue({
      experiment: "v",
      configurations: [{ params: { lr: num(0.1), layers: int(1), optimizer: str("adam") }, userAttrs: {} }],
    });
    const err = await rejection(
      ts.api.report({ trialId: trials[0]!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 }),
    );
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.details).toContain("WAITING");
    expect((await rejection(ts.api.listTrials({ experiment: "v", pageToken: "garbage" }))).details).toContain(
      "page_token",
    );
    expect((await rejection(ts.api.getBest({ experiment: "v" }))).code).toBe(status.FAILED_PRECONDITION);
  });
});

describe("limits are inclusive: the documented maximum is accepted, one more is refused", () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ limits: { maxEnqueue: 3, maxImport: 2, maxPageSize: 4 } });
    await small.api.createExperiment({
      experiment: { name: "lim", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
    });
  });
  afterAll(async () => {
    await small.close();
  });
  const configs = (n: number) => Array.from({ length: n }, (_, i) => ({ params: { x: num(i / 10) }, userAttrs: {} }));
  const imported = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      params: { x: num(0.5 + i / 10) },
      state: TrialState.TRIAL_STATE_COMPLETE,
      loss: i,
      metrics: {},
      intermediateValues: [],
      userAttrs: {},
      failReason: "",
    }));

  it("Suggest: count 1000 (README) gives 1000 trials, 1001 is INVALID_ARGUMENT", async () => {
    await ts.api.createExperiment({
      experiment: { name: "count-max", space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: "random" } },
    });
    const over = await rejection(ts.api.suggest({ experiment: "count-max", count: 1001 }));
    expect([over.code, over.details]).toEqual([status.INVALID_ARGUMENT, "count: must be between 1 and 1000, got 1001"]);
    expect((await ts.api.suggest({ experiment: "count-max", count: 1000 })).trials).toHaveLength(1000);
  });

  it("worker_id: 200 characters accepted, 201 refused", async () => {
    await small.api.suggest({ experiment: "lim", workerId: "w".repeat(200) });
    const long = await rejection(small.api.suggest({ experiment: "lim", workerId: "w".repeat(201) }));
    expect([long.code, long.details]).toEqual([status.INVALID_ARGUMENT, "worker_id: longer than 200 characters"]);
  });

  it("Enqueue, AddTrials and ListTrials pages at their configured maxima and one past them", async () => {
    expect((await small.api.enqueue({ experiment: "lim", configurations: configs(3) })).trials).toHaveLength(3);
    const enq = await rejection(small.api.enqueue({ experiment: "lim", configurations: configs(4) }));
    expect([enq.code, enq.details]).toEqual([status.INVALID_ARGUMENT, "configurations: at most 3 per call"]);
    expect((await small.api.addTrials({ experiment: "lim", trials: imported(2) })).trials).toHaveLength(2);
    const add = await rejection(small.api.addTrials({ experiment: "lim", trials: imported(3) }));
    expect([add.code, add.details]).toEqual([status.INVALID_ARGUMENT, "trials: at most 2 per call"]);
    expect((await small.api.listTrials({ experiment: "lim", pageSize: 4 })).trials).toHaveLength(4);
    const page = await rejection(small.api.listTrials({ experiment: "lim", pageSize: 5 }));
    expect([page.code, page.details]).toEqual([status.INVALID_ARGUMENT, "page_size: must be between 1 and 4, got 5"]);
    // Nothing of the refused calls was stored.
    expect((await small.api.listTrials({ experiment: "lim", pageSize: 4 })).nextPageToken).not.toBe("");
    expect((await small.api.getExperiment({ name: "lim" })).experiment!.trialCounts).toMatchObject({
      waiting: 3,
      complete: 2,
      running: 1,
    });
  });
});
