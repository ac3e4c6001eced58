/**
 * `parzen health`: asks a server's standard gRPC health service whether it is SERVING and exits 0 if so, 1
 * otherwise. It is the probe for places that cannot speak gRPC to a TCP port themselves: a container
 * HEALTHCHECK, or a Kubernetes exec probe on a sidecar that listens only on a unix socket (kubelet's own gRPC
 * probes reach the pod's IP, never a socket). The health service needs no token and no TLS client certificate.
 */
import { readFileSync } from "node:fs";
import { Client, credentials } from "@grpc/grpc-js";
import { type Command, Option } from "commander";
import { service } from "grpc-health-check";

interface HealthOptions {
  address: string;
  timeoutMs: number;
  tlsCa?: string;
}

// grpc.health.v1.HealthCheckResponse, as proto-loader decodes it (enums as their names).
interface HealthResponse {
  status?: string;
}

const check = defined(service.Check, "grpc-health-check's Health service has no Check method");

function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(what);
  return value;
}

export async function checkHealth(address: string, timeoutMs: number, tlsCa?: Buffer): Promise<string> {
  const target = address.startsWith("/") ? `unix://${address}` : address;
  const creds = tlsCa === undefined ? credentials.createInsecure() : credentials.createSsl(tlsCa);
  const client = new Client(target, creds);
  try {
    return await new Promise<string>((resolve, reject) => {
      client.makeUnaryRequest<{ service: string }, HealthResponse>(
        check.path,
        check.requestSerialize,
        check.responseDeserialize,
        { service: "" },
        { deadline: new Date(Date.now() + timeoutMs) },
        (err, response) => {
          if (err) reject(new Error(`health check of ${address} failed: ${err.details || err.message}`));
          else resolve(response?.status ?? "UNKNOWN");
        },
      );
    });
  } finally {
    client.close();
  }
}

export function addHealthCommand(program: Command): void {
  program
    .command("health")
    .description("exit 0 if the server at --address reports SERVING on the standard gRPC health service")
    .addOption(
      new Option("--address <addr>", "server address (host:port or unix:///path)")
        .env("PARZEN_ADDRESS")
        .default("127.0.0.1:50051"),
    )
    .addOption(new Option("--tls-ca <file>", "connect with TLS, trusting this CA certificate").env("PARZEN_TLS_CA"))
    .addOption(
      new Option("--timeout-ms <n>", "give up after this many milliseconds").default(2000).argParser((v) => {
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`expected a positive integer, got ${v}`);
        return n;
      }),
    )
    .action(async (opts: HealthOptions) => {
      const status = await checkHealth(
        opts.address,
        opts.timeoutMs,
        opts.tlsCa === undefined ? undefined : readFileSync(opts.tlsCa),
      );
      process.stdout.write(`${status}\n`);
      if (status !== "SERVING") process.exitCode = 1;
    });
}
