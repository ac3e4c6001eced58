/**
 * The small rules every RPC shares, checked at their edges without a server: request-field checks (page sizes,
 * worker ids, metrics, user attributes, state filters, a caller that gave up), page tokens, the names and keys a
 * request writes, the retry_lost rules (docs/reliability.md "Leases and retry_lost") and the one mapping of
 * domain errors to gRPC statuses.
 */
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { CompletionReason } from "@parzen/client/gen/parzen/v1/experiment";
import { TrialState as ProtoTrialState } from "@parzen/client/gen/parzen/v1/trial";
import { type ErrorCode, ParzenError } from "../../src/errors.js";
import { checkRequestNames } from "../../src/server/request-names.js";
import { toServiceError } from "../../src/server/status.js";
import { decodePageToken, encodePageToken } from "../../src/service/use-cases/page-token.js";
import {
  checkAttrs,
  checkMetrics,
  checkWorkerId,
  pageSizeOf,
  stateFilter,
  throwIfAborted,
} from "../../src/service/use-cases/request-checks.js";
import {
  ATTEMPT,
  attemptOf,
  MAX_ATTEMPTS,
  needsRetry,
  RETRIED_AS,
  RETRY_OF,
  retriedAs,
  retryAttrs,
  unlinkRetry,
  WITHDRAWN,
} from "../../src/service/use-cases/retry-lost.js";
import { completionReasonView, fromProtoState } from "../../src/service/use-cases/views.js";
import type { TrialRow } from "../../src/store/rows.js";

/** The error `f` throws, failing the test if it throws none or not a ParzenError with `code`. */
function thrown(f: () => unknown, code: ErrorCode = "INVALID_ARGUMENT"): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe(code);
    return (err as ParzenError).message;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe("page_size", () => {
  it("0 is the default; 1 and the maximum are accepted; 0 < size is required and at most the maximum", () => {
    expect(pageSizeOf(0, 100, 500)).toBe(100);
    expect(pageSizeOf(1, 100, 500)).toBe(1);
    expect(pageSizeOf(500, 100, 500)).toBe(500);
    expect(thrown(() => pageSizeOf(501, 100, 500))).toBe("page_size: must be between 1 and 500, got 501");
    expect(thrown(() => pageSizeOf(-1, 100, 500))).toBe("page_size: must be between 1 and 500, got -1");
    expect(thrown(() => pageSizeOf(2.5, 100, 500))).toBe("page_size: must be between 1 and 500, got 2.5");
  });
});

describe("worker ids, metrics and user attributes", () => {
  it("a worker id of exactly the maximum length is accepted, one more character refused", () => {
    expect(() => checkWorkerId("w".repeat(10), 10)).not.toThrow();
    expect(() => checkWorkerId("", 10)).not.toThrow();
    expect(thrown(() => checkWorkerId("w".repeat(11), 10))).toBe("worker_id: longer than 10 characters");
  });

  it("every metric must be finite; the map itself is returned", () => {
    const m = { a: 1, b: -0, c: -1e308 };
    expect(checkMetrics(m)).toBe(m);
    expect(thrown(() => checkMetrics({ ok: 1, bad: Number.NaN }))).toBe('metrics: "bad" must be finite, got NaN');
    expect(thrown(() => checkMetrics({ x: Number.NEGATIVE_INFINITY }, "trials[3].metrics"))).toBe(
      'trials[3].metrics: "x" must be finite, got -Infinity',
    );
  });

  it("an attribute's key and value together at most maxAttrLength characters, the map at most maxAttrsBytes", () => {
    const limits = { maxAttrLength: 10, maxAttrsBytes: 16 };
    expect(() => checkAttrs({ abcd: "efghij" }, "user_attrs", limits)).not.toThrow();
    expect(thrown(() => checkAttrs({ abcd: "efghijk" }, "user_attrs", limits))).toBe(
      'user_attrs: "abcd" is longer than 10 characters',
    );
    const longKey = "k".repeat(45);
    expect(thrown(() => checkAttrs({ [longKey]: "" }, "f", { maxAttrLength: 44, maxAttrsBytes: 1000 }))).toBe(
      `f: "${"k".repeat(40)}" is longer than 44 characters`,
    );
    // Bytes are UTF-8 bytes of keys and values: "é" is 2.
    expect(() => checkAttrs({ a: "bcdefgh", i: "jklmnop" }, "user_attrs", limits)).not.toThrow(); // 16 bytes
    expect(thrown(() => checkAttrs({ a: "bcdefgh", i: "jklmnoé" }, "user_attrs", limits))).toBe(
      "user_attrs: 17 bytes in all, more than the limit of 16 bytes",
    );
    expect(() => checkAttrs({}, "user_attrs", limits)).not.toThrow();
  });
});

describe("state filters", () => {
  it("maps each proto state to its domain state; an empty filter is empty", () => {
    expect(stateFilter([])).toEqual(new Set());
    expect(
      stateFilter([
        ProtoTrialState.TRIAL_STATE_WAITING,
        ProtoTrialState.TRIAL_STATE_RUNNING,
        ProtoTrialState.TRIAL_STATE_COMPLETE,
        ProtoTrialState.TRIAL_STATE_PRUNED,
        ProtoTrialState.TRIAL_STATE_FAIL,
        ProtoTrialState.TRIAL_STATE_LOST,
      ]),
    ).toEqual(new Set(["waiting", "running", "complete", "pruned", "fail", "lost"]));
    expect(stateFilter([ProtoTrialState.TRIAL_STATE_PRUNED, ProtoTrialState.TRIAL_STATE_PRUNED])).toEqual(
      new Set(["pruned"]),
    );
  });

  it("refuses UNSPECIFIED and unknown numbers", () => {
    expect(thrown(() => stateFilter([ProtoTrialState.TRIAL_STATE_UNSPECIFIED]))).toBe("states: unknown trial state 0");
    expect(thrown(() => stateFilter([ProtoTrialState.TRIAL_STATE_COMPLETE, 99 as ProtoTrialState]))).toBe(
      "states: unknown trial state 99",
    );
    expect(fromProtoState(ProtoTrialState.TRIAL_STATE_LOST)).toBe("lost");
    expect(fromProtoState(-1 as ProtoTrialState)).toBeUndefined();
  });

  it("completion reasons map one to one", () => {
    expect(completionReasonView("budget")).toBe(CompletionReason.COMPLETION_REASON_BUDGET);
    expect(completionReasonView("goal")).toBe(CompletionReason.COMPLETION_REASON_GOAL);
    expect(completionReasonView("failures")).toBe(CompletionReason.COMPLETION_REASON_FAILURES);
  });
});

describe("a Suggest whose caller gave up", () => {
  it("nothing happens without a signal or before it fires", () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
  });

  it("a cancelled caller gets CANCELLED; a reason that is a domain error (a deadline) is kept", () => {
    const cancelled = new AbortController();
    cancelled.abort();
    expect(thrown(() => throwIfAborted(cancelled.signal), "CANCELLED")).toBe("suggest cancelled by the client");
    const late = new AbortController();
    late.abort(new ParzenError("DEADLINE_EXCEEDED", "suggest: the deadline passed"));
    expect(thrown(() => throwIfAborted(late.signal), "DEADLINE_EXCEEDED")).toBe("suggest: the deadline passed");
    const other = new AbortController();
    other.abort(new Error("not a domain error"));
    expect(thrown(() => throwIfAborted(other.signal), "CANCELLED")).toBe("suggest cancelled by the client");
  });
});

describe("page tokens", () => {
  it("round-trip a string or an integer position", () => {
    expect(decodePageToken(encodePageToken("abc"), "string")).toBe("abc");
    expect(decodePageToken(encodePageToken(""), "string")).toBe("");
    expect(decodePageToken(encodePageToken(42), "number")).toBe(42);
    expect(decodePageToken(encodePageToken(0), "number")).toBe(0);
    expect(decodePageToken(encodePageToken(Number.MAX_SAFE_INTEGER), "number")).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("refuse anything this server did not hand out for that listing", () => {
    const bad = "page_token: not a token returned by this server";
    expect(thrown(() => decodePageToken(encodePageToken(42), "string"))).toBe(bad);
    expect(thrown(() => decodePageToken(encodePageToken("42"), "number"))).toBe(bad);
    expect(thrown(() => decodePageToken(encodePageToken(1.5), "number"))).toBe(bad);
    expect(thrown(() => decodePageToken(encodePageToken(2 ** 53), "number"))).toBe(bad);
    expect(thrown(() => decodePageToken("not base64 json", "number"))).toBe(bad);
    expect(thrown(() => decodePageToken(Buffer.from("null").toString("base64url"), "number"))).toBe(bad);
    expect(thrown(() => decodePageToken(Buffer.from('{"q":1}').toString("base64url"), "number"))).toBe(bad);
  });
});

describe("names and keys a request writes", () => {
  const bad = "a\u0000b";
  const refused = (method: string, request: unknown): string => thrown(() => checkRequestNames(method, request));

  it("checks each written field, naming it", () => {
    expect(refused("CreateExperiment", { experiment: { userAttrs: { [bad]: "v" } } })).toMatch(
      /^experiment\.user_attrs: key "a\\u0000b" contains a NUL character$/,
    );
    expect(refused("Suggest", { workerId: bad })).toMatch(/^worker_id: worker id "a\\u0000b" contains a NUL/);
    // Report's worker id (the next trial's, with suggest_next) when one is given.
    expect(refused("Report", { workerId: bad })).toBe('worker_id: worker id "a\\u0000b" contains a NUL character');
    expect(refused("Report", { metrics: { [bad]: 1 } })).toMatch(/^metrics: key /);
    expect(refused("Report", { metrics: {}, userAttrs: { [bad]: "" } })).toMatch(/^user_attrs: key /);
    expect(refused("Enqueue", { configurations: [{ userAttrs: {} }, { userAttrs: { [bad]: "" } }] })).toMatch(
      /^configurations\[1\]\.user_attrs: key /,
    );
    expect(refused("AddTrials", { trials: [{}, {}, { metrics: { [bad]: 1 } }] })).toMatch(
      /^trials\[2\]\.metrics: key /,
    );
    expect(refused("AddTrials", { trials: [{ metrics: {}, userAttrs: { [bad]: "" } }] })).toMatch(
      /^trials\[0\]\.user_attrs: key /,
    );
  });

  it("accepts clean names, absent fields, and does not check names that only look something up", () => {
    expect(() => checkRequestNames("CreateExperiment", { experiment: undefined })).not.toThrow();
    expect(() => checkRequestNames("CreateExperiment", { experiment: { userAttrs: { ok: "v" } } })).not.toThrow();
    expect(() => checkRequestNames("Suggest", {})).not.toThrow();
    expect(() => checkRequestNames("Report", { metrics: { loss2: 1 } })).not.toThrow();
    expect(() => checkRequestNames("Enqueue", {})).not.toThrow();
    expect(() => checkRequestNames("AddTrials", {})).not.toThrow();
    expect(() => checkRequestNames("ListTrials", { workerId: bad, experiment: bad })).not.toThrow();
    expect(() => checkRequestNames("Suggest", { experiment: bad, workerId: "w" })).not.toThrow();
  });
});

describe("retry_lost rules", () => {
  const row = (state: TrialRow["state"], userAttrs: Record<string, string> = {}, id = 7): TrialRow => ({
    id,
    experimentId: 1,
    number: 0,
    state,
    source: "algorithm",
    config: new Float64Array([0.5]),
    loss: null,
    metrics: {},
    userAttrs,
    workerId: "",
    failReason: "",
    createTime: 0,
    startTime: null,
    endTime: null,
    leaseDeadline: null,
    intermediate: [],
  });

  it("the original is attempt 1; an attribute that is not a positive integer counts as 1", () => {
    expect(MAX_ATTEMPTS).toBe(3);
    expect(attemptOf(row("lost"))).toBe(1);
    expect(attemptOf(row("lost", { [ATTEMPT]: "2" }))).toBe(2);
    expect(attemptOf(row("lost", { [ATTEMPT]: "0" }))).toBe(1);
    expect(attemptOf(row("lost", { [ATTEMPT]: "-3" }))).toBe(1);
    expect(attemptOf(row("lost", { [ATTEMPT]: "2.5" }))).toBe(1);
    expect(attemptOf(row("lost", { [ATTEMPT]: "x" }))).toBe(1);
  });

  it("only a LOST trial not yet retried nor withdrawn, under three attempts, needs a retry", () => {
    expect(needsRetry(row("lost"))).toBe(true);
    expect(needsRetry(row("lost", { [ATTEMPT]: "2" }))).toBe(true);
    expect(needsRetry(row("lost", { [ATTEMPT]: "3" }))).toBe(false);
    expect(needsRetry(row("lost", { [RETRIED_AS]: "9" }))).toBe(false);
    expect(needsRetry(row("lost", { [WITHDRAWN]: "came back" }))).toBe(false);
    for (const s of ["waiting", "running", "complete", "pruned", "fail"] as const)
      expect(needsRetry(row(s))).toBe(false);
  });

  it("a retry links to the trial it repeats and counts the attempt", () => {
    expect(retryAttrs(row("lost", {}, 12))).toEqual({ [RETRY_OF]: "12", [ATTEMPT]: "2" });
    expect(retryAttrs(row("lost", { [ATTEMPT]: "2", other: "x" }, 13))).toEqual({ [RETRY_OF]: "13", [ATTEMPT]: "3" });
    expect(retriedAs(row("lost", { [RETRIED_AS]: "21" }))).toBe(21);
    expect(retriedAs(row("lost"))).toBeUndefined();
    expect(unlinkRetry(row("lost", { [RETRIED_AS]: "21", keep: "me" }))).toEqual({ keep: "me" });
    expect([RETRY_OF, ATTEMPT, RETRIED_AS, WITHDRAWN]).toEqual([
      "parzen.retry_of",
      "parzen.attempt",
      "parzen.retried_as",
      "parzen.withdrawn",
    ]);
  });
});

describe("domain errors become gRPC statuses in one place", () => {
  const codes: [ErrorCode, status][] = [
    ["INVALID_ARGUMENT", status.INVALID_ARGUMENT],
    ["NOT_FOUND", status.NOT_FOUND],
    ["ALREADY_EXISTS", status.ALREADY_EXISTS],
    ["FAILED_PRECONDITION", status.FAILED_PRECONDITION],
    ["PERMISSION_DENIED", status.PERMISSION_DENIED],
    ["RESOURCE_EXHAUSTED", status.RESOURCE_EXHAUSTED],
    ["DEADLINE_EXCEEDED", status.DEADLINE_EXCEEDED],
    ["CANCELLED", status.CANCELLED],
    ["UNAVAILABLE", status.UNAVAILABLE],
    ["ABORTED", status.ABORTED],
    ["INTERNAL", status.INTERNAL],
  ];

  it.each(codes)("%s keeps its code and message", (code, grpcCode) => {
    const { error, internal } = toServiceError(new ParzenError(code, `why ${code}`));
    expect(error.code).toBe(grpcCode);
    expect(error.details).toBe(`why ${code}`);
    expect(error.metadata).toBeDefined();
    expect(internal).toBe(code === "INTERNAL");
  });

  it("details are cut after 2000 characters, marked with an ellipsis", () => {
    expect(toServiceError(new ParzenError("INVALID_ARGUMENT", "x".repeat(2000))).error.details).toBe("x".repeat(2000));
    expect(toServiceError(new ParzenError("INVALID_ARGUMENT", "x".repeat(2001))).error.details).toBe(
      `${"x".repeat(2000)}…`,
    );
  });

  it("anything else is INTERNAL without its message", () => {
    const { error, internal } = toServiceError(new TypeError("secret internals"));
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe("internal error (see the server log)");
    expect(error.metadata).toBeDefined();
    expect(internal).toBe(true);
  });
});
