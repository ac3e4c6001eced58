/**
 * grpc-js handlers for parzen.v1.OptimizerService: each one unpacks the
 * request, calls the Optimizer, and packs the answer; errors go through
 * `status.ts`. No business logic lives here.
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedHandleCall } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type {
  OptimizerServiceServer,
  StreamTrialsRequest,
  StreamTrialsResponse,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import type { Optimizer } from "../service/use-cases/optimizer.js";
import { invalidArgument, ParzenError } from "../errors.js";
import { toServiceError } from "./status.js";
import type { Access } from "./authorization.js";
import { deadlinePassed } from "./call-end.js";
import { checkRequestNames } from "./request-names.js";
import type { StreamGate } from "./stream-gate.js";
import { MalformedRequest } from "./tolerant-decoding.js";
import { Turns } from "./turns.js";

const CANCELLED_BY_CLIENT = new ParzenError("CANCELLED", "cancelled by the client");
const DEADLINE_PASSED = new ParzenError(
  "DEADLINE_EXCEEDED",
  "the call's deadline passed before a suggestion was ready",
);

/** Messages a stream lets grpc-js buffer (encoded only when the HTTP/2 stream takes them) before it waits. */
const WRITE_AHEAD = 4;

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

export function createHandlers(
  optimizer: Optimizer,
  log: Logger,
  streams: StreamGate,
  /** Token scopes; undefined when the server takes no tokens. */
  access?: Access,
): OptimizerServiceServer {
  const turns = new Turns();
  const fail = (method: string, err: unknown) => {
    const { error, internal } = toServiceError(err);
    if (internal) log.error({ err, method }, "internal error");
    else log.debug({ method, code: error.code, details: error.details }, "request rejected");
    return error;
  };

  function unary<Req, Res>(
    method: string,
    fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
  ): Unary<Req, Res> {
    return (call, callback) => {
      let result: Res | Promise<Res>;
      try {
        const req = decoded(method, call.request);
        result = access === undefined ? fn(req, call) : scoped(access, method, req, call, fn);
      } catch (err) {
        callback(fail(method, err), null);
        return;
      }
      // The service resolves only once what the call wrote or read is committed.
      Promise.resolve(result).then(
        (res) => callback(null, res),
        (err: unknown) => callback(fail(method, err), null),
      );
    };
  }

  /** `fn` once the token's scope allows the call; ListExperiments shows only what the scope may see. */
  async function scoped<Req, Res>(
    access: Access,
    method: string,
    req: Req,
    call: ServerUnaryCall<Req, Res>,
    fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
  ): Promise<Res> {
    const scope = access.scopeOf(call.metadata);
    await access.authorize(method, req, scope);
    const res = await fn(req, call);
    return method === "ListExperiments" ? (access.filterList(scope, res as { experiments: Experiment[] }) as Res) : res;
  }

  /** The request, or INVALID_ARGUMENT when its bytes could not be decoded (see tolerant-decoding.ts). */
  function decoded<Req>(method: string, request: Req): Req {
    if (request instanceof MalformedRequest) {
      if (request.field !== undefined) throw invalidArgument(request.reason);
      throw invalidArgument(`request: not a valid ${method}Request message (${request.reason.slice(0, 200)})`);
    }
    checkRequestNames(method, request);
    return request;
  }

  // grpc-js emits "cancelled" whenever a call ends: when the client gives up
  // or the deadline passes, and also once an answer is complete (its
  // trailers handed to HTTP/2), which is what a Report's prefetch waits for
  // (whenOnTheWire below, service/use-cases/suggest.ts).

  /** Aborts when the client cancels or the call's deadline passes. */
  const abortSignalOf = (call: ServerUnaryCall<unknown, unknown>): AbortSignal => {
    const ac = new AbortController();
    // After an answer, aborting is harmless. Shared reasons spare building
    // an error and its stack per call.
    call.on("cancelled", () => ac.abort(deadlinePassed(call, Date.now()) ? DEADLINE_PASSED : CANCELLED_BY_CLIENT));
    return ac.signal;
  };

  const handlers: OptimizerServiceServer & Record<string, UntypedHandleCall> = {
    createExperiment: unary("CreateExperiment", (req) => optimizer.createExperiment(req.experiment)),
    getExperiment: unary("GetExperiment", async (req) => ({ experiment: await optimizer.getExperiment(req.name) })),
    listExperiments: unary("ListExperiments", (req) => optimizer.listExperiments(req.pageSize, req.pageToken)),
    deleteExperiment: unary("DeleteExperiment", async (req) => {
      await optimizer.deleteExperiment(req.name);
      return {};
    }),
    updateExperiment: unary("UpdateExperiment", async (req) => ({
      experiment: await optimizer.updateExperiment(req),
    })),
    suggest: unary("Suggest", (req, call) => optimizer.suggestAnswer(req, abortSignalOf(call))),
    report: unary("Report", async (req, call) => {
      const { trial, next, afterAnswer } = await optimizer.report(req);
      if (afterAnswer !== undefined) whenOnTheWire(call, afterAnswer);
      return { trial, next };
    }),
    reportIntermediate: unary("ReportIntermediate", async (req) => ({
      shouldPrune: await optimizer.reportIntermediate(req.trialId, req.step, req.value),
    })),
    heartbeat: unary("Heartbeat", async (req) => ({ leaseDeadline: await optimizer.heartbeat(req.trialId) })),
    releaseTrial: unary("ReleaseTrial", async (req) => ({ trial: await optimizer.releaseTrial(req) })),
    enqueue: unary("Enqueue", async (req) => ({ trials: await optimizer.enqueue(req) })),
    addTrials: unary("AddTrials", async (req) => ({ trials: await optimizer.addTrials(req) })),
    getTrial: unary("GetTrial", async (req) => ({ trial: await optimizer.getTrial(req.trialId) })),
    listTrials: unary("ListTrials", (req) => optimizer.listTrials(req)),
    getBest: unary("GetBest", async (req) => ({ trial: await optimizer.getBest(req.experiment) })),
    getParetoFront: unary("GetParetoFront", async (req) => ({
      trials: await optimizer.getParetoFront(req.experiment),
    })),
    getImportance: unary("GetImportance", async (req) => {
      const { trials, params } = await optimizer.reads.importance(req.experiment);
      return { parameters: params, trials };
    }),
    streamTrials: async (call: ServerWritableStream<StreamTrialsRequest, StreamTrialsResponse>) => {
      let leave: (() => void) | undefined;
      try {
        leave = streams.enter();
        const req = decoded("StreamTrials", call.request);
        if (access !== undefined) await access.authorize("StreamTrials", req, access.scopeOf(call.metadata));
        // Each slice of a stream's work (reading a chunk of history, writing it) runs in a turn of its own.
        await turns.take();
        const pace = () => turns.take();
        // Leaving the loop early (return) closes the generator, so a cancelled stream stops reading the history.
        for await (const trial of optimizer.streamTrials(req.experiment, req.states, pace)) {
          if (call.cancelled) return;
          // write() answers false once the client's HTTP/2 window and grpc-js's buffer are full: wait until
          // the client takes more, so an unread stream holds one buffer's worth, not the whole experiment.
          if (call.writableLength >= WRITE_AHEAD) {
            // grpc-js encodes buffered messages when the HTTP/2 stream finishes a write, and such writes of
            // many streams finish together: keep few buffered, and go on in a turn of this stream's own.
            await written(call, { trial });
            if (call.cancelled) return;
            await turns.take();
          } else if (!call.write({ trial })) await writable(call);
          if (call.cancelled) return;
        }
        call.end();
      } catch (err) {
        // grpc-js sends an error emitted on a server stream as the call's status.
        call.emit("error", fail("StreamTrials", err));
      } finally {
        leave?.();
      }
    },
  };
  return handlers;
}

/** Writes `message` and resolves once grpc-js has taken it, or the call drained or will take nothing more. */
function written<T>(call: ServerWritableStream<unknown, T>, message: T): Promise<void> {
  return drainedOrDone(call, (done) => call.write(message, done));
}

/**
 * Resolves when `call` can take more messages ('drain') or will take none
 * (cancelled, closed): grpc-js drops writes to a cancelled call without
 * calling back, so 'drain' alone would never come.
 */
function writable(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return drainedOrDone(call, () => undefined);
}

/** Resolves on 'drain', on the callback `start` is given, or once the call is cancelled, closed or failed. */
function drainedOrDone(call: ServerWritableStream<unknown, unknown>, start: (done: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      call.off("close", done);
      call.off("error", done);
      resolve();
    };
    call.on("drain", done);
    call.on("cancelled", done);
    call.on("close", done);
    call.on("error", done);
    start(done);
  });
}

/**
 * Runs `then` once the call's answer is on the wire. grpc-js emits
 * "cancelled" when it has handed the trailers to Node's HTTP/2 session, which
 * writes them to the socket at the start of the next turn's immediates; from
 * the turn after that, work started here cannot hold up the answer.
 */
function whenOnTheWire(call: ServerUnaryCall<unknown, unknown>, then: () => void): void {
  call.once("cancelled", () => setImmediate(() => setImmediate(then)));
}
