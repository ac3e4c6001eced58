/**
 * The gRPC server's edges (src/server/server.ts, handlers.ts), over real gRPC on a real SQLite database, each
 * server started once: which addresses count as local, TLS with and without client certificates, tokens checked
 * after the caller's own interceptors, the message size limit both ways and its 16 MiB default, the streams bound,
 * a graceful stop that forces calls still open after its grace period, and rejected calls logged at debug; and the
 * server's listening (port 0, IPv6, unix sockets), readiness, lease sweeps and grpc-js's own log. server.ts's
 * mutation runs use this file alone (scripts/mutation.sh); handlers.ts's add server-contract.test.ts.
 */
import {
  credentials,
  experimental,
  logVerbosity,
  Metadata,
  ResponderBuilder,
  type ServerInterceptor,
  ServerInterceptingCall,
  ServerListenerBuilder,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import * as grpc from "@grpc/grpc-js";
import { spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { OptimizerServiceClient, SuggestRequest } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { Metrics } from "../../src/metrics/metrics.js";
import { TokenSet } from "../../src/server/auth.js";
import { callObserver } from "../../src/server/call-observer.js";
import { addLazyReflection, type ReflectionPackage } from "../../src/server/lazy-reflection.js";
import { isLocalAddress, ParzenServer, type ServerOptions } from "../../src/server/server.js";
import { testPki } from "./certs.js";
import { uniform } from "./fixtures.js";
import { HealthClient, healthCheck, promisify, rejection, startTestServer, type TestServer } from "./harness.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
type Line = Record<string, unknown>;

/** A logger whose lines land in `lines`, at every level. */
function capture(lines: Line[]) {
  return pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
}

/** A Suggest answer that waits until its call ends, as one waiting for a trial to be handed out does. */
function waitingSuggests() {
  const calls: { signal: AbortSignal; ended: Promise<void> }[] = [];
  let arrived: () => void = () => undefined;
  const waiting = (_req: unknown, signal: AbortSignal) => {
    const ended = new Promise<void>((ok) => signal.addEventListener("abort", () => ok()));
    calls.push({ signal, ended });
    arrived();
    return ended.then(() => Promise.reject(signal.reason));
  };
  /** Resolves once the next call reaches the answer. */
  const nextArrival = () =>
    new Promise<void>((ok) => {
      arrived = ok;
    });
  return { calls, waiting, nextArrival };
}

describe("isLocalAddress", () => {
  it("counts only loopback hosts and unix sockets as local", () => {
    for (const a of [
      "localhost:50051",
      "127.0.0.1:50051",
      "127.255.3.9:1",
      "127.0.10.1:1",
      "127.0.0.10:1",
      "[::1]:50051",
      "localhost",
      "unix:///tmp/p.sock",
      "unix:p.sock",
    ])
      expect(isLocalAddress(a), a).toBe(true);
    for (const a of [
      "0.0.0.0:50051",
      "[::]:50051",
      "10.0.0.1:50051",
      "127.0.0.1.example.com:50051",
      "x127.0.0.1:50051",
      "127.0.0:1",
      "localhost.example.com:50051",
      "mylocalhost:50051",
      "[::1]x:50051",
      // Only one bracket at each end is an IPv6 address's.
      "[[::1]:50051",
      "[::1]]:50051",
      "[::ffff:127.0.0.1]:50051",
      "::10:1",
    ])
      expect(isLocalAddress(a), a).toBe(false);
  });
});

describe("the server's transport and options", () => {
  let ts: TestServer;
  const quiet = pino({ level: "silent" });
  const pki = testPki();
  beforeAll(async () => {
    ts = await startTestServer();
    await ts.api.createExperiment({ experiment: { name: "wide", space: { parameters: wideSpace(60) } } });
  });
  afterAll(() => ts.close());

  it("serves TLS clients that trust its certificate, and no plaintext client", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet, {
      tls: { cert: Buffer.from(pki.server.cert), key: Buffer.from(pki.server.key) },
    });
    const address = await server.listen("127.0.0.1:0");
    const tls = new OptimizerServiceClient(address, credentials.createSsl(Buffer.from(pki.ca.cert)));
    const plain = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      expect((await promisify(tls).getExperiment({ name: "wide" })).experiment!.name).toBe("wide");
      expect((await rejection(promisify(plain).getExperiment({ name: "wide" }))).code).toBe(status.UNAVAILABLE);
    } finally {
      tls.close();
      plain.close();
      await server.stop();
    }
  });

  it("with a client CA, serves only clients presenting a certificate it signed", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet, {
      tls: {
        cert: Buffer.from(pki.server.cert),
        key: Buffer.from(pki.server.key),
        clientCa: Buffer.from(pki.ca.cert),
      },
    });
    const address = await server.listen("127.0.0.1:0");
    const ca = Buffer.from(pki.ca.cert);
    const withCert = new OptimizerServiceClient(
      address,
      credentials.createSsl(ca, Buffer.from(pki.client.key), Buffer.from(pki.client.cert)),
    );
    const without = new OptimizerServiceClient(address, credentials.createSsl(ca));
    try {
      expect((await promisify(withCert).getExperiment({ name: "wide" })).experiment!.name).toBe("wide");
      expect((await rejection(promisify(without).getExperiment({ name: "wide" }))).code).toBe(status.UNAVAILABLE);
    } finally {
      withCert.close();
      without.close();
      await server.stop();
    }
  });

  it("refuses an answer over maxMessageBytes as well as a request", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet, { maxMessageBytes: 1024 });
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      // A small request whose answer (60 parameters) is well over 1 KiB.
      const big = await rejection(promisify(client).getExperiment({ name: "wide" }));
      expect(big.code).toBe(status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("takes requests of several MiB by default (16 MiB), beyond grpc-js's own 4 MiB", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet);
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure(), {
      "grpc.max_send_message_length": 64 << 20,
      "grpc.max_receive_message_length": 64 << 20,
    });
    try {
      const api = promisify(client);
      // 6 MiB of user attributes: read and judged by the service (INVALID_ARGUMENT for its size), not refused
      // by the transport (RESOURCE_EXHAUSTED).
      const err = await rejection(
        api.createExperiment({
          experiment: { name: "big", space: { parameters: wideSpace(1) }, userAttrs: { blob: "x".repeat(6 << 20) } },
        }),
      );
      expect(err.code).not.toBe(status.RESOURCE_EXHAUSTED);
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      // Over 16 MiB the transport refuses it.
      const over = await rejection(
        api.createExperiment({
          experiment: { name: "big", space: { parameters: wideSpace(1) }, userAttrs: { blob: "x".repeat(17 << 20) } },
        }),
      );
      expect(over.code).toBe(status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("bounds concurrent streams with maxStreams, naming the bound", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet, { maxStreams: 0 });
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      const err = await new Promise<ServiceError>((ok, fail) => {
        const call = client.streamTrials({ experiment: "wide", states: [] });
        call.on("data", () => fail(new Error("a stream was served over the bound")));
        call.on("error", ok);
        call.on("end", () => fail(new Error("a stream was served over the bound")));
      });
      expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(err.details).toMatch(/this server allows 0 \(--max-streams\)/);
      expect(server.diagnostics().streams).toBe(0);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("logs a rejected call at debug with its method, code and details", async () => {
    const lines: Line[] = [];
    const server = new ParzenServer(ts.server.optimizer, capture(lines));
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      const err = await rejection(promisify(client).getExperiment({ name: "absent" }));
      expect(err.code).toBe(status.NOT_FOUND);
      const rejected = lines.filter((l) => l.msg === "request rejected");
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ level: 20, method: "GetExperiment", code: status.NOT_FOUND });
      expect(rejected[0]!.details).toBe('experiment "absent" does not exist');
      expect(lines.some((l) => l.msg === "internal error")).toBe(false);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("answers a bug INTERNAL without its text and logs it at error, whether thrown at once or later", async () => {
    const lines: Line[] = [];
    // The real service, with two methods broken the two ways a bug shows: a synchronous throw and a rejection.
    const broken = Object.create(ts.server.optimizer, {
      listExperiments: {
        value: () => {
          throw new TypeError("secret detail at once");
        },
      },
      getBest: { value: async () => Promise.reject(new RangeError("secret detail later")) },
    });
    const server = new ParzenServer(broken, capture(lines));
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      const api = promisify(client);
      for (const [call, method, text] of [
        [() => api.listExperiments({}), "ListExperiments", "secret detail at once"],
        [() => api.getBest({ experiment: "wide" }), "GetBest", "secret detail later"],
      ] as const) {
        const err = await rejection(call());
        expect(err.code).toBe(status.INTERNAL);
        expect(err.message).not.toContain("secret");
        const logged = lines.filter((l) => l.msg === "internal error" && l.method === method);
        expect(logged).toHaveLength(1);
        expect(logged[0]!.level).toBe(50);
        expect((logged[0]!.err as { message: string }).message).toBe(text);
      }
      expect(lines.some((l) => l.msg === "request rejected")).toBe(false);
      // A refusal the service meant is no bug: at debug, not at error.
      expect((await rejection(api.getExperiment({ name: "absent" }))).code).toBe(status.NOT_FOUND);
      expect(lines.filter((l) => l.level === 50)).toHaveLength(2);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("stops gracefully: health NOT_SERVING for both names, then a call still open after the grace is cut", async () => {
    const lines: Line[] = [];
    const server = new ParzenServer(ts.server.optimizer, capture(lines));
    const address = await server.listen("127.0.0.1:0");
    const health = new HealthClient(address, credentials.createInsecure());
    const watched = (service: string) => {
      const seen: string[] = [];
      const watch = health.watch({ service });
      watch.on("error", () => undefined);
      const first = new Promise<void>((ok) => watch.on("data", (r: { status: string }) => seen.push(r.status) && ok()));
      const stopped = new Promise<void>((ok) =>
        watch.on("data", (r: { status: string }) => r.status === "NOT_SERVING" && ok()),
      );
      return { seen, first, stopped };
    };
    const live = watched("");
    const ready = watched("parzen.v1.OptimizerService");
    await Promise.all([live.first, ready.first]);
    // A reflection stream left open by its client: only the grace period's end closes it.
    const open = reflectionStream(address);
    await open.answered;
    const stopping = server.stop(200);
    await Promise.all([live.stopped, ready.stopped]);
    await stopping;
    expect(live.seen).toEqual(["SERVING", "NOT_SERVING"]);
    expect(ready.seen).toEqual(["SERVING", "NOT_SERVING"]);
    const forced = lines.filter((l) => l.msg === "calls still running after the grace period; forcing shutdown");
    expect(forced).toHaveLength(1);
    expect(forced[0]).toMatchObject({ level: 40, graceMs: 200 });
    health.close();
    open.close();
  });

  it("stops without forcing when no call is open", async () => {
    const lines: Line[] = [];
    const server = new ParzenServer(ts.server.optimizer, capture(lines));
    const address = await server.listen("127.0.0.1:0");
    expect(await healthCheck(address, "")).toBe("SERVING");
    // A grace period longer than the test's timeout: only a drained server's own callback ends stop().
    await server.stop(10 * 60_000);
    expect(lines.some((l) => l.msg === "calls still running after the grace period; forcing shutdown")).toBe(false);
  });
});

describe("the server's listening, health and stop", () => {
  let ts: TestServer;
  const quiet = pino({ level: "silent" });
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(() => ts.close());

  it("binds a free port when given port 0 and answers with the bound address", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet);
    const address = await server.listen("127.0.0.1:0");
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(address).not.toBe("127.0.0.1:0");
    expect(await healthCheck(address, "parzen.v1.OptimizerService")).toBe("SERVING");
    await server.stop();
  });

  it("binds an IPv6 address in brackets, answering the bound port after the brackets", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet);
    const address = await server.listen("[::1]:0");
    expect(address).toMatch(/^\[::1\]:\d+$/);
    expect(address).not.toBe("[::1]:0");
    expect(await healthCheck(address, "")).toBe("SERVING");
    await server.stop();
  });

  it("takes over a unix socket left by a killed server, in both address forms, but never removes another kind of file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-sock-"));
    try {
      for (const [form, path] of [
        ["unix://", join(dir, "a.sock")],
        ["unix:", join(dir, "b.sock")],
      ] as const) {
        // A socket file nobody listens on any more, as a SIGKILLed server leaves it (closing a listener unlinks it).
        const killed = spawnSync(process.execPath, [
          "-e",
          `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
        ]);
        expect(killed.signal).toBe("SIGKILL");
        expect(lstatSync(path).isSocket()).toBe(true);
        const server = new ParzenServer(ts.server.optimizer, quiet);
        expect(await server.listen(`${form}${path}`)).toBe(`${form}${path}`);
        expect(await healthCheck(`${form}${path}`, "")).toBe("SERVING");
        await server.stop();
      }

      const file = join(dir, "plain");
      writeFileSync(file, "keep me");
      const other = new ParzenServer(ts.server.optimizer, quiet);
      const err = await other.listen(`unix:${file}`).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "UNAVAILABLE" });
      expect((err as Error).message).toMatch(new RegExp(`^cannot listen on unix:${file}: `));
      expect((err as Error).cause).toBeInstanceOf(Error);
      expect(readFileSync(file, "utf8")).toBe("keep me");
      await other.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("listens on a new unix socket path and answers the address as given, even one ending in digits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parzen-sock-"));
    try {
      // grpc-js reports port 1 for a unix socket: an address ending in ":7" must not become ":1".
      const address = `unix:${join(dir, "parzen:7")}`;
      const server = new ParzenServer(ts.server.optimizer, quiet);
      expect(await server.listen(address)).toBe(address);
      expect(await healthCheck(address, "")).toBe("SERVING");
      await server.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves its own descriptor set over reflection: the service's file and those it imports", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet);
    const address = await server.listen("127.0.0.1:0");
    const proto = join(ROOT, "node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
    const def = grpc.loadPackageDefinition(loadSync(proto)) as any;
    const client = new def.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
    try {
      const answer = await new Promise<{ fileDescriptorResponse: { fileDescriptorProto: Buffer[] } }>((ok, fail) => {
        const call = client.ServerReflectionInfo(new Metadata());
        call.on("data", (r: { fileDescriptorResponse: { fileDescriptorProto: Buffer[] } }) => {
          ok(r);
          call.end();
        });
        call.on("error", fail);
        call.write({ fileContainingSymbol: "parzen.v1.OptimizerService" });
      });
      const files = answer.fileDescriptorResponse.fileDescriptorProto.map((b) => b.toString("latin1"));
      expect(files.some((f) => f.includes("parzen/v1/optimizer_service.proto"))).toBe(true);
      expect(files.some((f) => f.includes("google/protobuf/timestamp.proto"))).toBe(true);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("refuses unusable TLS material with FAILED_PRECONDITION", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet, {
      tls: { cert: Buffer.from("not a certificate"), key: Buffer.from("not a key") },
    });
    const err = await server.listen("127.0.0.1:0").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect((err as Error).message).toMatch(/^unusable TLS certificate or key: /);
    expect((err as Error).cause).toBeInstanceOf(Error);
    await server.stop();
  });

  it("refuses a request over maxMessageBytes with RESOURCE_EXHAUSTED and takes one under it", async () => {
    const server = new ParzenServer(ts.server.optimizer, quiet, { maxMessageBytes: 1024 });
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      const api = promisify(client);
      const big = await rejection(api.getExperiment({ name: "n".repeat(2000) }));
      expect(big.code).toBe(status.RESOURCE_EXHAUSTED);
      const small = await rejection(api.getExperiment({ name: "n".repeat(100) }));
      expect(small.code).toBe(status.NOT_FOUND);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("reports not ready while writes fail, stays live, logs both changes, and ignores write health once stopping", async () => {
    const lines: Line[] = [];
    const server = new ParzenServer(ts.server.optimizer, capture(lines));
    const address = await server.listen("127.0.0.1:0");
    server.setWritable(false);
    expect(await healthCheck(address, "parzen.v1.OptimizerService")).toBe("NOT_SERVING");
    expect(await healthCheck(address, "")).toBe("SERVING");
    server.setWritable(true);
    expect(await healthCheck(address, "parzen.v1.OptimizerService")).toBe("SERVING");
    expect(lines.filter((l) => l.source !== "grpc-js").map((l) => [l.level, l.msg])).toEqual([
      [50, "database writes fail: not ready (health service parzen.v1.OptimizerService NOT_SERVING)"],
      [30, "database writes succeed again: ready"],
    ]);
    // While stopping (calls draining), a store that reports writable again must not make the server look ready.
    const seen: string[] = [];
    const health = new HealthClient(address, credentials.createInsecure());
    const watch = health.watch({ service: "parzen.v1.OptimizerService" });
    watch.on("error", () => undefined);
    await new Promise<void>((ok) => watch.on("data", (r: { status: string }) => seen.push(r.status) === 1 && ok()));
    const logged = lines.length;
    const stopped = server.stop(1_000);
    await new Promise<void>((ok) => watch.on("data", (r: { status: string }) => r.status === "NOT_SERVING" && ok()));
    server.setWritable(true);
    server.setWritable(false);
    await stopped;
    health.close();
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
    expect(lines.slice(logged).filter((l) => /database writes/.test(String(l.msg)))).toEqual([]);
  });

  it("sweeps leases every 5 seconds while listening, logs a failed sweep, and stops sweeping once stopped", async () => {
    const lines: Line[] = [];
    let sweeps = 0;
    // The real service, its sweep counted and failing: the sweep itself is the service's (leases tests).
    const counted = Object.create(ts.server.optimizer, {
      sweepLeases: {
        value: async () => {
          sweeps++;
          throw new Error("sweep broke");
        },
      },
    });
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const server = new ParzenServer(counted, capture(lines));
      await server.listen("127.0.0.1:0");
      vi.advanceTimersByTime(4_999);
      expect(sweeps).toBe(0);
      vi.advanceTimersByTime(1);
      expect(sweeps).toBe(1);
      // The rejection is handled a microtask later.
      await vi.waitFor(() => expect(lines.filter((l) => l.msg === "lease sweep failed")).toHaveLength(1));
      const failed = lines.find((l) => l.msg === "lease sweep failed")!;
      expect(failed.level).toBe(50);
      expect((failed.err as { message: string }).message).toBe("sweep broke");
      vi.advanceTimersByTime(5_000);
      expect(sweeps).toBe(2);
      await server.stop();
      vi.advanceTimersByTime(60_000);
      expect(sweeps).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("clears its grace timer when the calls drained in time", async () => {
    const lines: Line[] = [];
    const server = new ParzenServer(ts.server.optimizer, capture(lines));
    await server.listen("127.0.0.1:0");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const pending = vi.getTimerCount();
      await server.stop(1_000);
      expect(vi.getTimerCount()).toBe(pending);
      vi.advanceTimersByTime(1_000);
      expect(lines.some((l) => l.msg === "calls still running after the grace period; forcing shutdown")).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("routes grpc-js's own errors to the debug log, and drops its less severe diagnostics", () => {
    const lines: Line[] = [];
    new ParzenServer(ts.server.optimizer, capture(lines));
    grpcLog(logVerbosity.ERROR, "bind failed:", 42);
    grpcLog(logVerbosity.INFO, "chatty");
    grpcLog(logVerbosity.DEBUG, "chattier");
    expect(lines).toEqual([expect.objectContaining({ level: 20, source: "grpc-js", msg: "bind failed: 42" })]);
    // The next server's log takes over from here.
    new ParzenServer(ts.server.optimizer, quiet);
  });
});

describe("the handlers' calls", () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
    await ts.api.createExperiment({ experiment: { name: "h", space: { parameters: wideSpace(1) } } });
  });
  afterAll(() => ts.close());

  /** A server on the real service with `methods` in place of its own, and a client of it. */
  async function serverWith(methods: PropertyDescriptorMap, lines: Line[] = [], options: ServerOptions = {}) {
    const server = new ParzenServer(Object.create(ts.server.optimizer, methods), capture(lines), options);
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    return {
      server,
      client,
      address,
      async close() {
        client.close();
        await server.stop(1_000);
      },
    };
  }

  it("tells Suggest why its call ended: the deadline passed, or the client cancelled", async () => {
    const { calls, waiting, nextArrival } = waitingSuggests();
    const s = await serverWith({ suggestAnswer: { value: waiting } });
    const req = SuggestRequest.fromPartial({ experiment: "h", workerId: "w" });
    try {
      // Over raw HTTP/2, so that only the server's own deadline ends the call (a grpc-js client, in this same
      // process, would cancel at its deadline first).
      const late = await rawCallWithTimeout(s.address, "Suggest", SuggestRequest.encode(req).finish(), "300m");
      expect(late).toBe(String(status.DEADLINE_EXCEEDED));
      await calls[0]!.ended;
      expect(calls[0]!.signal.reason).toMatchObject({
        code: "DEADLINE_EXCEEDED",
        message: "the call's deadline passed before a suggestion was ready",
      });
      // Without a deadline, and cancelled by the client once the server has the call.
      const there = nextArrival();
      const call = s.client.suggest(req, () => undefined);
      await there;
      call.cancel();
      await calls[1]!.ended;
      expect(calls[1]!.signal.reason).toMatchObject({ code: "CANCELLED", message: "cancelled by the client" });
      // With a deadline still far off, a cancel is the client's.
      const far = nextArrival();
      const third = s.client.suggest(req, new Metadata(), { deadline: Date.now() + 10 * 60_000 }, () => undefined);
      await far;
      third.cancel();
      await calls[2]!.ended;
      expect(calls[2]!.signal.reason).toMatchObject({ code: "CANCELLED" });
    } finally {
      await s.close();
    }
  });

  it("counts the deadline's own millisecond as passed for Suggest, and a cancel a millisecond before as the client's", async () => {
    const { calls, waiting, nextArrival } = waitingSuggests();
    const s = await serverWith({ suggestAnswer: { value: waiting } });
    const bytes = SuggestRequest.encode(SuggestRequest.fromPartial({ experiment: "h", workerId: "w" })).finish();
    /** A raw call with a minute's deadline, cancelled by the client when the clock reads `at` ms after its start. */
    const cancelledAt = async (at: number) => {
      const t0 = Date.UTC(2026, 0, 1);
      vi.setSystemTime(t0);
      const there = nextArrival();
      // The server computes the deadline from grpc-timeout with the frozen clock: exactly t0 + 60 000.
      const call = rawCallCancellable(s.address, "Suggest", bytes, "60S");
      await there;
      vi.setSystemTime(t0 + at);
      call.cancel();
      const { signal, ended } = calls.at(-1)!;
      await ended;
      return signal.reason as { code: string };
    };
    // Only Date is faked: grpc-js's deadline timer stays a real minute away, so only the clock tells the two apart.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      expect((await cancelledAt(60_000)).code).toBe("DEADLINE_EXCEEDED");
      expect((await cancelledAt(59_999)).code).toBe("CANCELLED");
    } finally {
      vi.useRealTimers();
      await s.close();
    }
  });

  it("counts a deadline grpc-js ended as passed, even when its timer fires before Date.now() reaches it", async () => {
    // grpc-js times a call's deadline on libuv's loop clock, which can run up to a millisecond ahead of Date.now():
    // its DEADLINE_EXCEEDED can be sent while Date.now() still reads a millisecond before the deadline. Date is
    // frozen there, so the clock alone would call this call's end the client's.
    const { calls, waiting, nextArrival } = waitingSuggests();
    const bytes = SuggestRequest.encode(SuggestRequest.fromPartial({ experiment: "h", workerId: "w" })).finish();
    // Without interceptors, grpc-js answers the deadline with headers alone. With one that sends the response
    // headers at once, grpc-js answers it in trailers, and the handler's call reaches grpc-js's through the
    // interceptor's.
    const headersFirst: ServerInterceptor = (_descriptor, call) => {
      const intercepting: ServerInterceptingCall = new ServerInterceptingCall(
        call,
        new ResponderBuilder()
          .withStart((next) => {
            next();
            intercepting.sendMetadata(new Metadata());
          })
          .build(),
      );
      return intercepting;
    };
    for (const options of [{}, { interceptors: [headersFirst] }]) {
      const s = await serverWith({ suggestAnswer: { value: waiting } }, [], options);
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        const t0 = Date.UTC(2026, 0, 1);
        vi.setSystemTime(t0);
        const there = nextArrival();
        // The server's deadline: t0 + 300, from grpc-timeout and the frozen clock; its timer a real 300 ms away.
        const late = rawCallWithTimeout(s.address, "Suggest", bytes, "300m");
        await there;
        vi.setSystemTime(t0 + 299);
        expect(await late).toBe(String(status.DEADLINE_EXCEEDED));
        const { signal, ended } = calls.at(-1)!;
        await ended;
        expect(Date.now()).toBe(t0 + 299);
        expect(signal.reason).toMatchObject({ code: "DEADLINE_EXCEEDED" });
      } finally {
        vi.useRealTimers();
        await s.close();
      }
    }
  });

  it("stops reading an experiment's history once its stream is cancelled", async () => {
    const x = (v: number) => ({ kind: { $case: "doubleValue" as const, value: v } });
    const total = 3_000;
    await ts.api.createExperiment({ experiment: { name: "read", space: { parameters: wideSpace(1) } } });
    await ts.api.addTrials({
      experiment: "read",
      trials: Array.from({ length: total }, (_, i) => ({
        params: { parameter_with_a_long_name_000: x(i / total) },
        loss: i,
      })),
    });
    let pulled = 0;
    const real = ts.server.optimizer;
    const s = await serverWith({
      streamTrials: {
        value: async function* (...args: Parameters<typeof real.streamTrials>) {
          for await (const t of real.streamTrials(...args)) {
            pulled++;
            yield t;
          }
        },
      },
    });
    try {
      const call = s.client.streamTrials({ experiment: "read", states: [] });
      call.on("error", () => undefined);
      await new Promise((ok) => call.once("data", ok));
      // The unread stream stays open (its client's window is full) until the cancel.
      let idle = false;
      const drained = s.server.streamsIdle(0).then(() => {
        idle = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(idle).toBe(false);
      expect(s.server.diagnostics().streams).toBe(1);
      call.cancel();
      await drained;
      // What the HTTP/2 window and a few buffered messages hold: far from the whole history.
      expect(pulled).toBeGreaterThan(0);
      expect(pulled).toBeLessThan(total / 2);
    } finally {
      await s.close();
    }
  });

  it("lets grpc-js hold at most 4 of a stream's messages ahead, waits for them, and ends a stream cancelled meanwhile", async () => {
    const total = 100;
    await ts.api.createExperiment({ experiment: { name: "ahead", space: { parameters: wideSpace(1) } } });
    await ts.api.addTrials({
      experiment: "ahead",
      trials: Array.from({ length: total }, (_, i) => ({
        params: { parameter_with_a_long_name_000: { kind: { $case: "doubleValue" as const, value: i / total } } },
        loss: i,
      })),
    });
    let pulled = 0;
    let sixthAfterTurn: boolean | undefined;
    const turnsTaken: boolean[] = [];
    const real = ts.server.optimizer;
    // While `holding`, the interceptor keeps each message grpc-js hands on, as a client that reads nothing would:
    // grpc-js then calls back none of the stream's writes. While `slow`, it hands each on a turn later.
    let holding = true;
    let slow = false;
    const held: (() => void)[] = [];
    // Each write grpc-js calls back marks the loop turn it happened in, to tell whether the stream waited a turn.
    let lastWrite: { turnPassed: boolean } | undefined;
    class MarkWrites extends ServerInterceptingCall {
      override sendMessage(message: unknown, callback: () => void): void {
        super.sendMessage(message, () => {
          const mark = { turnPassed: false };
          setImmediate(() => {
            mark.turnPassed = true;
          });
          lastWrite = mark;
          callback();
        });
      }
    }
    const hold: ServerInterceptor = (_descriptor, call) =>
      new MarkWrites(
        call,
        new ResponderBuilder()
          .withSendMessage((message, next) => {
            if (holding) held.push(() => next(message));
            else if (slow) setImmediate(() => next(message));
            else next(message);
          })
          .build(),
      );
    const warnings: string[] = [];
    const warned = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", warned);
    const s = await serverWith(
      {
        streamTrials: {
          value: async function* (...[experiment, states, pace]: Parameters<typeof real.streamTrials>) {
            // The pace the handler gives the history reader: each chunk waits for a loop turn of its own, so an
            // immediate queued before it runs first.
            const paced = async () => {
              let ran = false;
              setImmediate(() => {
                ran = true;
              });
              await pace?.();
              turnsTaken.push(ran);
            };
            for await (const t of real.streamTrials(experiment, states, paced)) {
              pulled++;
              if (pulled === 6) sixthAfterTurn = lastWrite?.turnPassed;
              yield t;
            }
          },
        },
      },
      [],
      { interceptors: [hold] },
    );
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((ok) => setImmediate(ok));
    };
    try {
      const numbers: number[] = [];
      const done = new Promise<void>((ok, fail) => {
        const call = s.client.streamTrials({ experiment: "ahead", states: [] });
        call.on("data", (r: { trial: { number: number } }) => numbers.push(r.trial.number));
        call.on("end", ok);
        call.on("error", fail);
      });
      while (held.length === 0) await turns(1);
      await turns(20);
      // The message grpc-js is sending, 3 more buffered behind it, and the one the stream now waits for.
      expect(pulled).toBe(5);
      expect(held).toHaveLength(1);
      // Let go one at a time: once the message it waited for is taken, the stream reads on in a later loop turn.
      while (pulled === 5) {
        held.shift()?.();
        await turns(1);
      }
      expect(sixthAfterTurn).toBe(true);
      holding = false;
      for (const release of held.splice(0)) release();
      await done;
      expect(numbers).toEqual(Array.from({ length: total }, (_, i) => i));

      // Cancelled while waiting on a write grpc-js will never call back: the stream still ends, reading no further.
      holding = true;
      pulled = 0;
      const call = s.client.streamTrials({ experiment: "ahead", states: [] });
      call.on("error", () => undefined);
      while (held.length === 0) await turns(1);
      await turns(20);
      expect(pulled).toBe(5);
      call.cancel();
      await s.server.streamsIdle(0);
      expect(s.server.diagnostics().streams).toBe(0);
      expect(pulled).toBe(5);

      // A slow reader: the stream waits on a write every few messages, and each wait leaves no listener behind
      // on the call (a leak Node reports as MaxListenersExceededWarning past 10).
      holding = false;
      slow = true;
      const slowNumbers: number[] = [];
      await new Promise<void>((ok, fail) => {
        const c = s.client.streamTrials({ experiment: "ahead", states: [] });
        c.on("data", (r: { trial: { number: number } }) => slowNumbers.push(r.trial.number));
        c.on("end", ok);
        c.on("error", fail);
      });
      await turns(2);
      expect(slowNumbers).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(warnings).toEqual([]);
      // One chunk (200 trials) per stream, each read in a turn of its own.
      expect(turnsTaken).toEqual([true, true, true]);
    } finally {
      process.off("warning", warned);
      holding = false;
      for (const release of held.splice(0)) release();
      await s.close();
    }
  });

  it("ends a stream whose client cancels while the history is read, writing and reading no further", async () => {
    await ts.api.createExperiment({ experiment: { name: "reading", space: { parameters: wideSpace(1) } } });
    await ts.api.addTrials({
      experiment: "reading",
      trials: Array.from({ length: 5 }, (_, i) => ({
        params: { parameter_with_a_long_name_000: { kind: { $case: "doubleValue" as const, value: i / 5 } } },
        loss: i,
      })),
    });
    let cancelled: () => void = () => undefined;
    const cancelSeen = new Promise<void>((ok) => {
      cancelled = ok;
    });
    const notice: ServerInterceptor = (_descriptor, call) =>
      new ServerInterceptingCall(
        call,
        new ResponderBuilder()
          .withStart((next) => next(new ServerListenerBuilder().withOnCancel(() => cancelled()).build()))
          .build(),
      );
    let pulled = 0;
    const real = ts.server.optimizer;
    const s = await serverWith(
      {
        streamTrials: {
          value: async function* (...args: Parameters<typeof real.streamTrials>) {
            for await (const t of real.streamTrials(...args)) {
              pulled++;
              // The second trial is read only after the server has seen the client's cancel.
              if (pulled === 2) {
                await cancelSeen;
                await new Promise((ok) => setImmediate(ok));
              }
              yield t;
            }
          },
        },
      },
      [],
      { interceptors: [notice] },
    );
    try {
      const call = s.client.streamTrials({ experiment: "reading", states: [] });
      call.on("error", () => undefined);
      await new Promise<void>((ok) =>
        call.once("data", () => {
          call.cancel();
          ok();
        }),
      );
      await s.server.streamsIdle(0);
      expect(s.server.diagnostics().streams).toBe(0);
      expect(pulled).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("refuses an undecodable StreamTrials request naming its type, and logs the refusal under the method", async () => {
    const lines: Line[] = [];
    const s = await serverWith({}, lines);
    try {
      const err = await new Promise<ServiceError>((ok, fail) => {
        const call = s.client.makeServerStreamRequest(
          "/parzen.v1.OptimizerService/StreamTrials",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0x7f, 0x01]),
        );
        call.on("data", () => fail(new Error("an undecodable request was served")));
        call.on("error", ok);
        call.on("end", () => fail(new Error("an undecodable request was served")));
      });
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toMatch(/^request: not a valid StreamTrialsRequest message \(.+\)$/);
      expect(lines.filter((l) => l.msg === "request rejected")).toEqual([
        expect.objectContaining({ level: 20, method: "StreamTrials", code: status.INVALID_ARGUMENT }),
      ]);
      expect(s.server.diagnostics().streams).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe("the call observer", () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
    await ts.api.createExperiment({ experiment: { name: "timed", space: { parameters: wideSpace(1) } } });
  });
  afterAll(() => ts.close());

  /** The duration histogram's sum for `method` and `code`, in seconds. */
  async function secondsSum(metrics: Metrics, method: string, code: string): Promise<number> {
    const { values } = await metrics.registry.getSingleMetric("parzen_rpc_duration_seconds")!.get();
    const v = values.find(
      (s) =>
        (s as { metricName?: string }).metricName === "parzen_rpc_duration_seconds_sum" &&
        s.labels.method === method &&
        s.labels.code === code,
    );
    return v?.value ?? 0;
  }

  it("times each call, answered or failed: its line's ms within the client's own measure and equal to the metric's", async () => {
    const lines: Line[] = [];
    const metrics = new Metrics();
    const server = new ParzenServer(ts.server.optimizer, pino({ level: "silent" }), {
      interceptors: [callObserver(capture(lines), metrics)],
    });
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      const api = promisify(client);
      for (const [call, msg, code] of [
        [() => api.getExperiment({ name: "timed" }), "call", "OK"],
        [() => rejection(api.getExperiment({ name: "absent" })), "call failed", "NOT_FOUND"],
      ] as const) {
        const from = lines.length;
        const before = await secondsSum(metrics, "GetExperiment", code);
        const t0 = performance.now();
        await call();
        const elapsed = performance.now() - t0;
        const [line] = lines.slice(from).filter((l) => l.msg === msg);
        expect(line).toMatchObject({ method: "GetExperiment", code, experiment: expect.any(String) });
        const ms = line!.ms as number;
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThanOrEqual(elapsed);
        const seconds = (await secondsSum(metrics, "GetExperiment", code)) - before;
        expect(seconds * 1000).toBeCloseTo(ms, 6);
      }
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("logs and counts a call the token check refuses, and without metrics still logs each call", async () => {
    const TOKEN = "observer-token-0123456789abcdef";
    const lines: Line[] = [];
    const metrics = new Metrics();
    const server = new ParzenServer(ts.server.optimizer, pino({ level: "silent" }), {
      tokens: new TokenSet([TOKEN]),
      interceptors: [callObserver(capture(lines), metrics)],
    });
    // An observer without metrics (a server without --http) logs the same and counts nothing.
    const unmetered: Line[] = [];
    const bare = new ParzenServer(ts.server.optimizer, pino({ level: "silent" }), {
      interceptors: [callObserver(capture(unmetered), undefined)],
    });
    const address = await server.listen("127.0.0.1:0");
    const bareAddress = await bare.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    const bareClient = new OptimizerServiceClient(bareAddress, credentials.createInsecure());
    try {
      expect((await rejection(promisify(client).getExperiment({ name: "timed" }))).code).toBe(status.UNAUTHENTICATED);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 30,
        msg: "call failed",
        method: "GetExperiment",
        code: "UNAUTHENTICATED",
      });
      expect(Object.keys(lines[0]!)).not.toContain("experiment");
      const { values } = await metrics.registry.getSingleMetric("parzen_rpcs_total")!.get();
      expect(values.map((v) => [v.labels.method, v.labels.code, v.value])).toEqual([
        ["GetExperiment", "UNAUTHENTICATED", 1],
      ]);
      expect((await promisify(bareClient).getExperiment({ name: "timed" })).experiment!.name).toBe("timed");
      expect(unmetered.filter((l) => l.msg === "call")).toEqual([
        expect.objectContaining({ method: "GetExperiment", experiment: "timed", code: "OK" }),
      ]);
    } finally {
      client.close();
      bareClient.close();
      await server.stop();
      await bare.stop();
    }
  });
});

describe("reflection", () => {
  it("is built on the first reflection call, once, and holds a conversation of several requests", async () => {
    let built = 0;
    const pkg = () => {
      built++;
      return loadSync(join(ROOT, "proto/parzen/v1/optimizer_service.proto"), {
        includeDirs: [join(ROOT, "proto")],
      }) as unknown as ReflectionPackage;
    };
    const server = new grpc.Server();
    addLazyReflection(server, pkg);
    const port = await new Promise<number>((ok, fail) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))),
    );
    try {
      expect(built).toBe(0);
      const proto = join(ROOT, "node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
      const def = grpc.loadPackageDefinition(loadSync(proto)) as any;
      const client = new def.grpc.reflection.v1.ServerReflection(`127.0.0.1:${port}`, credentials.createInsecure());
      const answers: Record<string, unknown>[] = [];
      const call = client.ServerReflectionInfo(new Metadata());
      const ended = new Promise<void>((ok, fail) => {
        call.on("data", (r: Record<string, unknown>) => {
          answers.push(r);
          if (answers.length === 1) call.write({ fileContainingSymbol: "parzen.v1.OptimizerService" });
          else call.end();
        });
        call.on("error", fail);
        call.on("end", ok);
      });
      call.write({ listServices: "*" });
      await ended;
      client.close();
      // Two answers on one stream: the service streams both ways.
      expect(answers).toHaveLength(2);
      expect(answers[0]!.listServicesResponse).toBeDefined();
      expect(answers[1]!.fileDescriptorResponse).toBeDefined();
      expect(built).toBe(1);
    } finally {
      server.forceShutdown();
    }
  });
});

describe("tokens", () => {
  const TOKEN = "edge-token-0123456789abcdef";
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(() => ts.close());

  it("scope a reader's calls: its own experiments answered whole, others refused", async () => {
    const READER = "edge-reader-0123456789abcdef";
    const server = new ParzenServer(ts.server.optimizer, pino({ level: "silent" }), {
      tokens: new TokenSet([TOKEN, { token: READER, role: "reader", experiments: ["seen-*"] }]),
    });
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      const admin = promisify(client, TOKEN);
      for (const name of ["seen-a", "other"])
        await admin.createExperiment({ experiment: { name, space: { parameters: wideSpace(1) } } });
      const reader = promisify(client, READER);
      expect((await reader.getExperiment({ name: "seen-a" })).experiment!.name).toBe("seen-a");
      expect((await reader.listTrials({ experiment: "seen-a" })).trials).toEqual([]);
      expect((await reader.listExperiments({})).experiments.map((e) => e.name)).toEqual(["seen-a"]);
      expect((await rejection(reader.getExperiment({ name: "other" }))).code).toBe(status.PERMISSION_DENIED);
      expect((await admin.listExperiments({})).experiments.map((e) => e.name)).toEqual(["other", "seen-a"]);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it("are checked after the server's own interceptors, which see the refused calls too", async () => {
    const seen: { path: string; code: number }[] = [];
    const observe: ServerInterceptor = (method, call) =>
      new ServerInterceptingCall(call, {
        sendStatus: (st, next) => {
          seen.push({ path: method.path, code: st.code });
          next(st);
        },
      });
    const server = new ParzenServer(ts.server.optimizer, pino({ level: "silent" }), {
      tokens: new TokenSet([TOKEN]),
      interceptors: [observe],
    });
    const address = await server.listen("127.0.0.1:0");
    const client = new OptimizerServiceClient(address, credentials.createInsecure());
    try {
      const refused = await rejection(promisify(client).listExperiments({}));
      expect(refused.code).toBe(status.UNAUTHENTICATED);
      expect((await promisify(client, TOKEN).listExperiments({})).experiments).toBeInstanceOf(Array);
      // Health needs no token.
      expect(await healthCheck(address, "")).toBe("SERVING");
      expect(seen.filter((s) => s.path.endsWith("/ListExperiments")).map((s) => s.code)).toEqual([
        status.UNAUTHENTICATED,
        status.OK,
      ]);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

/** A unary call of `method` made over raw HTTP/2 with a `grpc-timeout` header; resolves with its grpc-status. */
function rawCallWithTimeout(address: string, method: string, message: Uint8Array, timeout: string): Promise<string> {
  const session = http2.connect(`http://${address}`);
  return new Promise<string>((ok, fail) => {
    const req = session.request({
      ":method": "POST",
      ":path": `/parzen.v1.OptimizerService/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": timeout,
    });
    req.on("trailers", (t) => ok(String(t["grpc-status"])));
    req.on("response", (h) => {
      if (h["grpc-status"] !== undefined) ok(String(h["grpc-status"]));
    });
    req.on("error", fail);
    req.resume();
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    req.end(frame);
  }).finally(() => session.close());
}

/** A raw HTTP/2 call of `method` with a grpc-timeout, which the caller cancels (RST_STREAM CANCEL). */
function rawCallCancellable(address: string, method: string, message: Uint8Array, timeout: string) {
  const session = http2.connect(`http://${address}`);
  const req = session.request({
    ":method": "POST",
    ":path": `/parzen.v1.OptimizerService/${method}`,
    "content-type": "application/grpc",
    te: "trailers",
    "grpc-timeout": timeout,
  });
  req.on("error", () => undefined);
  req.resume();
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  req.end(frame);
  return {
    cancel() {
      req.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
    },
  };
}

/** grpc-js's own logging entry point, as its internals call it. */
const grpcLog = experimental.log;

/** `n` uniform parameters with names long enough to make an answer of a few KiB. */
function wideSpace(n: number) {
  return Array.from({ length: n }, (_, i) => uniform(`parameter_with_a_long_name_${String(i).padStart(3, "0")}`, 0, 1));
}

/** A v1 reflection stream kept open after its first answer, until `close`. */
function reflectionStream(address: string) {
  const proto = join(ROOT, "node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
  const def = grpc.loadPackageDefinition(loadSync(proto)) as any;
  const client = new def.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
  const call = client.ServerReflectionInfo(new Metadata());
  const answered = new Promise<void>((ok) => call.on("data", () => ok()));
  call.on("error", () => undefined);
  call.write({ listServices: "*" });
  return { answered, close: () => client.close() };
}
