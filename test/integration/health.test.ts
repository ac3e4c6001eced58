/**
 * The standard gRPC health service (grpc-health-check's implementation) as the server wires it: Check, Watch
 * (the current status at once, then every change, NOT_SERVING on shutdown) and List.
 */
import { credentials, loadPackageDefinition, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness.js";

interface Client {
  check(req: { service: string }, cb: (err: ServiceError | null, r?: { status: string }) => void): void;
  watch(req: { service: string }): NodeJS.EventEmitter & { cancel(): void };
  list(req: object, cb: (err: ServiceError | null, r?: { statuses: Record<string, { status: string }> }) => void): void;
  close(): void;
}
const Health = (
  loadPackageDefinition(loadSync(protoPath, { enums: String, defaults: true })) as unknown as {
    grpc: {
      health: { v1: { Health: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => Client } };
    };
  }
).grpc.health.v1.Health;

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close().catch(() => undefined);
  ts = undefined;
});

describe("grpc.health.v1.Health", () => {
  it("answers Check for the server and the service, NOT_FOUND for another name, and List with both", async () => {
    ts = await startTestServer();
    const client = new Health(ts.server.address, credentials.createInsecure());
    const check = (service: string) =>
      new Promise<string>((ok, fail) => client.check({ service }, (err, r) => (err ? fail(err) : ok(r!.status))));
    expect(await check("")).toBe("SERVING");
    expect(await check("parzen.v1.OptimizerService")).toBe("SERVING");
    const unknown = await check("nope").catch((e: ServiceError) => e);
    expect((unknown as ServiceError).code).toBe(5);
    expect((unknown as ServiceError).details).toBe("Health status unknown for service nope");
    const list = await new Promise<Record<string, { status: string }>>((ok, fail) =>
      client.list({}, (err, r) => (err ? fail(err) : ok(r!.statuses))),
    );
    expect(list).toEqual({ "": { status: "SERVING" }, "parzen.v1.OptimizerService": { status: "SERVING" } });
    client.close();
  });

  it("streams the current status on Watch, then NOT_SERVING when the server stops; SERVICE_UNKNOWN for another name", async () => {
    ts = await startTestServer();
    const client = new Health(ts.server.address, credentials.createInsecure());
    const seen: string[] = [];
    const call = client.watch({ service: "" });
    const stopped = new Promise<void>((ok) =>
      call.on("data", (r: { status: string }) => {
        seen.push(r.status);
        if (r.status === "NOT_SERVING") ok();
      }),
    );
    call.on("error", () => undefined);
    await new Promise<void>((ok) => call.once("data", () => ok()));
    const other = client.watch({ service: "nope" });
    const first = await new Promise<string>((ok) => other.once("data", (r: { status: string }) => ok(r.status)));
    other.cancel();
    other.on("error", () => undefined);
    expect(first).toBe("SERVICE_UNKNOWN");
    const closing = ts.close();
    ts = undefined;
    await stopped;
    call.cancel();
    await closing;
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
    client.close();
  });
});
