/**
 * How the client reaches the server: bearer tokens, TLS (with a CA made at
 * test time), unix sockets, and retrying UNAVAILABLE across a server
 * restart, each against a real server from the project's harness. Retries
 * call by call, error mapping and defaults: behaviour.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { testPki } from "../../../test/integration/certs.js";
import { rejection, startTestServer, type TestServer } from "../../../test/integration/harness.js";
import { ParzenClient, uniform } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "parzen-ts-client-"));
const servers: TestServer[] = [];
const clients: ParzenClient[] = [];
afterEach(async () => {
  while (clients.length > 0) clients.pop()!.close();
  while (servers.length > 0) await servers.pop()!.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function server(extra: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const ts = await startTestServer(extra);
  servers.push(ts);
  return ts;
}
async function connect(...args: Parameters<typeof ParzenClient.connect>): Promise<ParzenClient> {
  const c = await ParzenClient.connect(...args);
  clients.push(c);
  return c;
}
const space = [uniform("x", 0, 1)];

describe("bearer tokens", () => {
  const TOKEN = "s3cret-token-for-ts-client-0123456789";
  it("sends the token with every call, and maps a missing or wrong one to UNAUTHENTICATED", async () => {
    const ts = await server({ tokens: [TOKEN] });
    const good = await connect(ts.server.address, { token: TOKEN });
    const exp = await good.createExperiment({ name: "auth", space });
    const t = await exp.suggest();
    expect(await t.reportIntermediate(0, 0.5)).toBe(false);
    await t.heartbeat();
    await t.report(0.4);
    expect((await exp.best())?.loss).toBe(0.4);

    const none = await connect(ts.server.address);
    expect((await rejection(none.experiment("auth"))).codeName).toBe("UNAUTHENTICATED");
    const wrong = await connect(ts.server.address, { token: "not-the-token-but-long-enough-000" });
    expect((await rejection(wrong.experiment("auth"))).codeName).toBe("UNAUTHENTICATED");
  });
});

describe("TLS", () => {
  it("connects over TLS with a CA given as PEM text or as a file", async () => {
    const pki = testPki();
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const ts = await server({
      tls: { certFile: file("server.pem", pki.server.cert), keyFile: file("server.key", pki.server.key) },
    });
    const port = ts.server.address.split(":").pop();
    const byText = await connect(`localhost:${port}`, { tls: { ca: pki.ca.cert } });
    await byText.createExperiment({ name: "tls", space });
    const byFile = await connect(`localhost:${port}`, { tls: { ca: file("ca.pem", pki.ca.cert) } });
    expect((await byFile.experiment("tls")).name).toBe("tls");
  });
});

describe("unix sockets", () => {
  it("runs the ask-tell cycle over unix:///path and a bare /path", async () => {
    const sock = join(dir, "parzen.sock");
    const ts = await server({ listen: `unix://${sock}` });
    const c = await connect(`unix://${sock}`);
    const exp = await c.createExperiment({ name: "unix", space });
    const t = await exp.suggest();
    await t.report(0.3);
    const bare = await connect(sock);
    expect((await (await bare.experiment("unix")).best())?.id).toBe(t.id);
    expect(ts.server.address).toBe(`unix://${sock}`);
  });

  it("fails to connect with UNAVAILABLE when nothing listens", async () => {
    const err = await rejection(ParzenClient.connect(`unix://${join(dir, "nobody.sock")}`, { connectTimeoutMs: 300 }));
    expect(err.codeName).toBe("UNAVAILABLE");
  });
});

describe("retries", () => {
  it("rides out a server restart: a Suggest in flight while the server is down succeeds once it is back", async () => {
    const sock = join(dir, "restart.sock");
    const ts = await server({ listen: `unix://${sock}` });
    const c = await connect(`unix://${sock}`);
    const exp = await c.createExperiment({ name: "restart", space, algorithm: "random" });
    const once = await (await connect(`unix://${sock}`, { channelOptions: { "grpc.enable_retries": 0 } })).experiment(
      "restart",
    );
    await ts.server.stop();
    // Without retries the same call fails: the outage is real.
    expect((await rejection(once.suggest())).codeName).toBe("UNAVAILABLE");
    const pending = exp.suggest();
    await new Promise((r) => setTimeout(r, 300));
    await ts.restart();
    const t = await pending;
    expect(t.state).toBe("RUNNING");
    await t.report(0.2);
    expect((await exp.refresh()).counts).toMatchObject({ running: 0, complete: 1 });
  });
});
