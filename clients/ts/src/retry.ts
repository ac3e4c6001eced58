/**
 * Retries are gRPC's own, from the service config declared once for every
 * Parzen client (proto/parzen/v1/service_config.json; this package ships a
 * copy, service_config.json, that scripts/gen.sh keeps identical). It retries
 * UNAVAILABLE with capped exponential backoff, for the calls that are safe to
 * repeat only: reads, createExperiment (an identical re-create returns the
 * same experiment), suggest and report (which carry a request_id the server
 * de-duplicates), reportIntermediate (a repeated step keeps its first value)
 * and heartbeat. enqueue, addTrials and deleteExperiment are not retried. A
 * sidecar server restarting then costs a pause instead of a failed training
 * run.
 */
import policy from "./service_config.json" with { type: "json" };

/** The gRPC service config, as the channel option `grpc.service_config` takes it. */
export const serviceConfig: string = JSON.stringify(policy);
