/**
 * One grpc-js server interceptor that sees every call of the
 * OptimizerService end: it counts and times it for the metrics (by method
 * and status code) and logs it. At debug level, one line per call (method,
 * experiment, trial, request id, duration, status); at info, experiment
 * lifecycle events (created, deleted) and every call that failed, with its
 * status and message. Health and reflection calls are not observed.
 */
import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ServerInterceptor,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";

const PREFIX = "/parzen.v1.OptimizerService/";
const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(status)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [v as number, k]),
);

/** The request fields worth a log line, whichever message it is (plain data from ts-proto). */
interface Loggable {
  experiment?: unknown;
  name?: unknown;
  trialId?: unknown;
  requestId?: unknown;
}

export function callObserver(log: Logger, metrics: Metrics | undefined): ServerInterceptor {
  return (descriptor, call) => {
    if (!descriptor.path.startsWith(PREFIX)) return new ServerInterceptingCall(call);
    const method = descriptor.path.slice(PREFIX.length);
    const started = performance.now();
    let request: Loggable | undefined;
    let response: unknown;
    const responder = new ResponderBuilder()
      .withStart((next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMessage((message, nextMessage) => {
              request = message as Loggable;
              nextMessage(message);
            })
            .build(),
        );
      })
      .withSendMessage((message, next) => {
        response = message;
        next(message);
      })
      .withSendStatus((st, next) => {
        const seconds = (performance.now() - started) / 1000;
        const code = CODE_NAMES[st.code] ?? String(st.code);
        metrics?.rpc(method, code, seconds);
        if (st.code !== status.OK) {
          log.info({ ...fields(method, request), code, details: st.details, ms: seconds * 1000 }, "call failed");
        } else {
          if (log.isLevelEnabled("debug")) log.debug({ ...fields(method, request), code, ms: seconds * 1000 }, "call");
          lifecycle(log, method, request, response);
        }
        next(st);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}

function fields(method: string, req: Loggable | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { method };
  if (req === undefined || typeof req !== "object") return out;
  const e = req.experiment;
  const experiment =
    typeof e === "string"
      ? e
      : typeof (e as { name?: unknown } | undefined)?.name === "string"
        ? (e as { name: string }).name
        : typeof req.name === "string"
          ? req.name
          : "";
  if (experiment !== "") out.experiment = experiment;
  if (typeof req.trialId === "number" && req.trialId !== 0) out.trial = req.trialId;
  if (typeof req.requestId === "string" && req.requestId !== "") out.requestId = req.requestId;
  return out;
}

function lifecycle(log: Logger, method: string, req: Loggable | undefined, res: unknown): void {
  if (method === "CreateExperiment") {
    const r = res as { created?: boolean; experiment?: { name?: string; algorithm?: { name?: string } } } | undefined;
    if (r?.created === true)
      log.info({ experiment: r.experiment?.name, algorithm: r.experiment?.algorithm?.name }, "experiment created");
  } else if (method === "DeleteExperiment" && typeof req?.name === "string") {
    log.info({ experiment: req.name }, "experiment deleted");
  }
}
