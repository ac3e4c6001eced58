/**
 * Retries are gRPC's own, from the service config declared once for every
 * Parzen client (proto/parzen/v1/service_config.json; this package ships a
 * copy, service_config.json, that scripts/gen.sh keeps identical). It retries
 * UNAVAILABLE with capped exponential backoff, for the calls that are safe to
 * repeat only: reads, createExperiment (an identical re-create returns the
 * same experiment), suggest, report and addTrials (which carry a request_id
 * the server de-duplicates), reportIntermediate (a repeated step keeps its
 * first value) and heartbeat. enqueue and deleteExperiment are not retried.
 * Once the client has reached the server, retried calls also wait for the
 * channel to be ready again (rpc.ts), and the channel reconnects at least
 * every 2 s (client.ts), so a sidecar server restarting within a call's
 * deadline costs a pause instead of a failed training run.
 */
import policy from "./service_config.json" with { type: "json" };

/** The gRPC service config, as the channel option `grpc.service_config` takes it. */
export const serviceConfig: string = JSON.stringify(policy);

/** The methods the policy retries ("Suggest", ...): they may wait for a ready channel. */
export const retriedMethods: ReadonlySet<string> = new Set(
  policy.methodConfig.flatMap((c) => c.name.map((n) => n.method)),
);
