/**
 * The compiled server, as `npm start` runs it: `npm run build` output under
 * plain node (no TypeScript loader), with the client package it resolves
 * from dist/node_modules. The other tests run from source and would not see
 * a file the build forgets (the retry policy's JSON once was). dist/cli/main.js is one bundle (scripts/build.mjs),
 * so this is also where its lazily loaded parts (reflection, the GP's worker thread) are checked.
 */
import { credentials, loadPackageDefinition, Metadata } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify as promisifyNode } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { uniform } from "./fixtures.js";
import { promisify } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");

describe("compiled server", () => {
  const dir = mkdtempSync(join(tmpdir(), "parzen-compiled-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("starts from dist/ and serves TPE and the GP (worker thread) over gRPC", async () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "pipe" });
    const child = spawn(
      process.execPath,
      ["dist/cli/main.js", "serve", "--listen", "127.0.0.1:0", "--db", join(dir, "p.db")],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const address = await new Promise<string>((ok, fail) => {
        let out = "";
        child.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          const m = /"address":"([^"]+)"/.exec(out);
          if (m) ok(m[1]!);
        });
        child.stderr.on("data", (b: Buffer) => {
          out += b.toString();
        });
        child.on("exit", (code) => fail(new Error(`server exited with ${code}: ${out}`)));
      });
      const stub = new OptimizerServiceClient(address, credentials.createInsecure());
      const api = promisify(stub);
      for (const algorithm of ["tpe", "gp"]) {
        await api.createExperiment({
          experiment: { name: algorithm, space: { parameters: [uniform("x", 0, 1)] }, algorithm: { name: algorithm } },
        });
        const { trials } = await api.suggest({ experiment: algorithm, count: 2 });
        expect(trials).toHaveLength(2);
        for (const t of trials) expect(t.params.x?.kind?.$case).toBe("doubleValue");
      }
      stub.close();
      // Reflection, built on its first call from @grpc/reflection outside the bundle (lazy-reflection.ts).
      const proto = join(ROOT, "node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto");
      const def = loadPackageDefinition(loadSync(proto)) as any;
      const reflection = new def.grpc.reflection.v1alpha.ServerReflection(address, credentials.createInsecure());
      const services = await new Promise<string[]>((ok, fail) => {
        const call = reflection.ServerReflectionInfo(new Metadata());
        call.on("data", (r: { listServicesResponse: { service: { name: string }[] } }) => {
          ok(r.listServicesResponse.service.map((x) => x.name));
          call.end();
        });
        call.on("error", fail);
        call.write({ listServices: "" });
      });
      reflection.close();
      expect(services).toEqual(expect.arrayContaining(["parzen.v1.OptimizerService", "grpc.health.v1.Health"]));
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("prints its version, and `parzen health` probes a server over a unix socket (the sidecar's probe)", async () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "pipe" });
    const cli = (...args: string[]) =>
      promisifyNode(execFile)(process.execPath, ["dist/cli/main.js", ...args], { cwd: ROOT });
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect((await cli("--version")).stdout.trim()).toBe(pkg.version);

    const socket = `unix://${join(dir, "health.sock")}`;
    await expect(cli("health", "--address", socket, "--timeout-ms", "500")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`health check of ${socket} failed`),
    });
    const child = spawn(
      process.execPath,
      ["dist/cli/main.js", "serve", "--listen", socket, "--db", join(dir, "h.db")],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      await new Promise<void>((ok, fail) => {
        child.stdout.on("data", (b: Buffer) => {
          if (b.toString().includes('"msg":"listening"')) ok();
        });
        child.on("exit", (code) => fail(new Error(`server exited with ${code}`)));
      });
      expect((await cli("health", "--address", socket)).stdout.trim()).toBe("SERVING");
    } finally {
      child.kill("SIGTERM");
    }
  });
});
