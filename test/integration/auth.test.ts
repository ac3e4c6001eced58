/**
 * Transport security and authentication over real gRPC: TLS with a
 * certificate made at test time, mutual TLS, bearer tokens (health check
 * exempt), both together, and the rule that a non-loopback address needs one
 * of them.
 */
import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startParzen } from "../../src/app.js";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { loadTokens, parseTokens } from "../../src/server/auth.js";
import { issue, testPki } from "./certs.js";
import { uniform } from "./fixtures.js";
import { promisify, rejection, startTestServer, type TestServer } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "parzen-auth-"));
const pki = testPki();
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const tlsFiles = { certFile: file("server.pem", pki.server.cert), keyFile: file("server.key", pki.server.key) };
const caFile = file("ca.pem", pki.ca.cert);
const TOKEN = "s3cret-token-for-tests-0123456789";
const OTHER = "another-valid-token-abcdefghijkl";

const servers: TestServer[] = [];
const clients: { close(): void }[] = [];
afterEach(async () => {
  while (clients.length > 0) clients.pop()!.close();
  while (servers.length > 0) await servers.pop()!.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function server(extra: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const ts = await startTestServer(extra);
  servers.push(ts);
  return ts;
}

function clientFor(ts: TestServer, creds: ChannelCredentials, token?: string) {
  const client = new OptimizerServiceClient(ts.server.address, creds);
  clients.push(client);
  const api = promisify(client, token);
  return { client, api };
}

const bearer = (token: string) => {
  const md = new Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
};

const experiment = {
  name: "sec",
  space: { parameters: [uniform("x", 0, 1)] },
  algorithm: { name: "random", options: {} },
};

async function healthStatus(address: string, creds: ChannelCredentials): Promise<string> {
  const grpc = await import("@grpc/grpc-js");
  const loader = await import("@grpc/proto-loader");
  const { protoPath } = await import("grpc-health-check");
  const def = grpc.loadPackageDefinition(loader.loadSync(protoPath, { enums: String })) as unknown as {
    grpc: {
      health: { v1: { Health: new (addr: string, creds: ChannelCredentials) => { check: Function; close(): void } } };
    };
  };
  const health = new def.grpc.health.v1.Health(address, creds);
  try {
    return await new Promise<string>((ok, fail) =>
      health.check({ service: "" }, (err: ServiceError | null, r: { status: string }) =>
        err ? fail(err) : ok(r.status),
      ),
    );
  } finally {
    health.close();
  }
}

describe("TLS", () => {
  it("serves TLS to a client that trusts the CA, and nothing to plain-text or untrusting clients", async () => {
    const ts = await server({ tls: tlsFiles });
    const { api } = clientFor(ts, credentials.createSsl(Buffer.from(pki.ca.cert)));
    await api.createExperiment({ experiment });
    expect((await api.suggest({ experiment: "sec" })).trials).toHaveLength(1);

    const plain = clientFor(ts, credentials.createInsecure()).api;
    expect((await rejection(plain.getExperiment({ name: "sec" }))).code).toBe(status.UNAVAILABLE);
    const stranger = issue({ cn: "Other CA", ca: true });
    const untrusting = clientFor(ts, credentials.createSsl(Buffer.from(stranger.cert))).api;
    expect((await rejection(untrusting.getExperiment({ name: "sec" }))).code).toBe(status.UNAVAILABLE);
  });

  it("with a client CA, accepts only clients presenting a certificate that CA signed", async () => {
    const ts = await server({ tls: { ...tlsFiles, clientCaFile: caFile } });
    const ca = Buffer.from(pki.ca.cert);
    const { api } = clientFor(ts, credentials.createSsl(ca, Buffer.from(pki.client.key), Buffer.from(pki.client.cert)));
    await api.createExperiment({ experiment });

    const anonymous = clientFor(ts, credentials.createSsl(ca)).api;
    expect((await rejection(anonymous.getExperiment({ name: "sec" }))).code).toBe(status.UNAVAILABLE);
    const selfSigned = issue({ cn: "intruder" });
    const intruder = clientFor(
      ts,
      credentials.createSsl(ca, Buffer.from(selfSigned.key), Buffer.from(selfSigned.cert)),
    ).api;
    expect((await rejection(intruder.getExperiment({ name: "sec" }))).code).toBe(status.UNAVAILABLE);
  });

  it("fails start-up with a clear message for unreadable or unusable certificate files", async () => {
    const missing = startParzen({
      db: join(dir, "x.db"),
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
      tls: { certFile: join(dir, "nope.pem"), keyFile: tlsFiles.keyFile },
    });
    await expect(missing).rejects.toThrow(/cannot read TLS certificate .*nope\.pem/);
    const garbage = startParzen({
      db: join(dir, "y.db"),
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
      tls: { certFile: file("bad.pem", "not a cert"), keyFile: tlsFiles.keyFile },
    });
    await expect(garbage).rejects.toThrow();
  });
});

describe("bearer tokens", () => {
  it("answers UNAUTHENTICATED without a valid token, except for the health check", async () => {
    const ts = await server({ tokens: [TOKEN, OTHER] });
    const insecure = credentials.createInsecure();
    const anonymous = clientFor(ts, insecure).api;
    const none = await rejection(anonymous.createExperiment({ experiment }));
    expect(none.code).toBe(status.UNAUTHENTICATED);
    expect(none.details).toContain("missing");
    const wrong = await rejection(
      clientFor(ts, insecure, "wrong-token-0123456789abcdef").api.getExperiment({ name: "sec" }),
    );
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    expect(wrong.details).toBe("unknown bearer token");
    // A header the client would never send: straight on the stub.
    const malformed = new Metadata();
    malformed.set("authorization", TOKEN);
    const bad = await new Promise<ServiceError | null>((ok) =>
      clientFor(ts, insecure).client.getExperiment({ name: "sec" }, malformed, (err) => ok(err)),
    );
    expect(bad?.code).toBe(status.UNAUTHENTICATED);

    const { api } = clientFor(ts, insecure, TOKEN);
    await api.createExperiment({ experiment });
    const { trials } = await clientFor(ts, insecure, OTHER).api.suggest({ experiment: "sec" });
    expect(trials).toHaveLength(1);
    // Nothing was created by the rejected calls.
    expect((await api.listExperiments({})).experiments.map((e) => e.name)).toEqual(["sec"]);

    expect(await healthStatus(ts.server.address, insecure)).toBe("SERVING");
  });

  it("accepts a token only whole: one differing in its last character, a prefix or an extension is refused", async () => {
    const ts = await server({ tokens: [TOKEN] });
    const insecure = credentials.createInsecure();
    const last = TOKEN.at(-1) === "9" ? "8" : "9";
    for (const near of [TOKEN.slice(0, -1) + last, TOKEN.slice(0, -1), `${TOKEN}x`, `x${TOKEN.slice(1)}`]) {
      const err = await rejection(clientFor(ts, insecure, near).api.listExperiments({}));
      expect([near, err.code, err.details]).toEqual([near, status.UNAUTHENTICATED, "unknown bearer token"]);
    }
    expect((await clientFor(ts, insecure, TOKEN).api.listExperiments({})).experiments).toEqual([]);
  });

  it("guards server streaming too", async () => {
    const ts = await server({ tokens: [TOKEN] });
    const { client } = clientFor(ts, credentials.createInsecure());
    const err = await new Promise<ServiceError>((ok) => {
      const call = client.streamTrials({ experiment: "sec", states: [] });
      call.on("data", () => undefined);
      call.on("error", ok);
    });
    expect(err.code).toBe(status.UNAUTHENTICATED);
  });

  it("works over TLS with per-call credentials, the way clients should send it", async () => {
    const ts = await server({ tls: tlsFiles, tokens: [TOKEN] });
    const callCreds = credentials.createFromMetadataGenerator((_params, cb) => cb(null, bearer(TOKEN)));
    const creds = credentials.combineChannelCredentials(credentials.createSsl(Buffer.from(pki.ca.cert)), callCreds);
    const { api } = clientFor(ts, creds);
    await api.createExperiment({ experiment });
    const noToken = clientFor(ts, credentials.createSsl(Buffer.from(pki.ca.cert))).api;
    expect((await rejection(noToken.getExperiment({ name: "sec" }))).code).toBe(status.UNAUTHENTICATED);
    expect(await healthStatus(ts.server.address, credentials.createSsl(Buffer.from(pki.ca.cert)))).toBe("SERVING");
  });

  it("reads tokens from a file (comments, blank lines) and PARZEN_TOKENS, and rejects weak ones", () => {
    const path = file("tokens.txt", `# team A\n${TOKEN}\n\n${OTHER}  # ci\n`);
    expect(loadTokens(path, undefined)).toEqual([TOKEN, OTHER]);
    expect(loadTokens(undefined, `${TOKEN},${OTHER}`)).toEqual([TOKEN, OTHER]);
    expect(loadTokens(path, "third-token-0123456789abcdef")).toHaveLength(3);
    expect(loadTokens(undefined, "  ")).toBeUndefined();
    expect(() => parseTokens("short", "PARZEN_TOKENS")).toThrow(/16 to 4096 printable ASCII/);
    expect(() => loadTokens(file("empty.txt", "# nothing\n"), undefined)).toThrow(/holds no token/);
    expect(() => loadTokens(join(dir, "missing.txt"), undefined)).toThrow(/cannot read tokens file/);
  });
});

describe("listening address policy", () => {
  const start = (extra: Parameters<typeof startParzen>[0] extends infer C ? Partial<C> : never) =>
    startParzen({
      db: join(mkdtempSync(join(dir, "db-")), "p.db"),
      listen: "0.0.0.0:0",
      logger: pino({ level: "silent" }),
      ...extra,
    });

  it("counts only loopback and unix sockets as local: every other address needs TLS or tokens", async () => {
    for (const listen of ["[::]:0", "[::0]:0", "0.0.0.0:0", "[::ffff:127.0.0.1]:0", "localhost.example.com:0"]) {
      await expect(start({ listen }), listen).rejects.toThrow(/refusing to listen on .* without authentication/);
    }
    for (const listen of ["127.0.0.1:0", "[::1]:0", "localhost:0", `unix://${join(dir, "local.sock")}`]) {
      const running = await start({ listen });
      await running.stop();
    }
  });

  it("refuses a non-loopback address with neither TLS nor tokens, and accepts it with either or with allowRemote", async () => {
    await expect(start({})).rejects.toThrow(/refusing to listen on 0\.0\.0\.0:0 without authentication or TLS/);
    for (const extra of [{ tokens: [TOKEN] }, { tls: tlsFiles }, { allowRemote: true }]) {
      const running = await start(extra);
      expect(running.address).toMatch(/^0\.0\.0\.0:\d+$/);
      await running.stop();
    }
  });
});
