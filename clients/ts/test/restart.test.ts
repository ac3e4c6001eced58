/**
 * A worker rides out a server restart: the server (a child process) is
 * killed with SIGKILL mid-loop and started again on the same address and
 * database; the worker sees no error and no trial is left RUNNING.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import { ParzenClient, uniform } from "../src/index.js";

const repo = resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "parzen-restart-"));
let server: ChildProcess | undefined;

afterAll(() => {
  if (server?.exitCode === null) process.kill(-server.pid!, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** `parzen serve` from the sources, in a process group of its own; resolves once it listens. */
function serve(address: string): Promise<ChildProcess> {
  const child = spawn(
    join(repo, "node_modules/.bin/tsx"),
    ["src/cli/main.ts", "serve", "--db", join(dir, "parzen.db"), "--listen", address],
    { cwd: repo, detached: true, stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((ok, fail) => {
    child.once("exit", (code) => fail(new Error(`server exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"msg":"listening"')) ok(child);
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  process.kill(-child.pid!, "SIGKILL");
  return exited;
}

async function freeAddress(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  const { port } = srv.address() as { port: number };
  await new Promise((ok) => srv.close(ok));
  return `127.0.0.1:${port}`;
}

it("keeps a worker loop going through a kill -9 and restart, leaving no trial RUNNING", async () => {
  const trials = 120;
  const killAfter = 40;
  const address = await freeAddress();
  server = await serve(address);
  const client = await ParzenClient.connect(address, { workerId: "rider" });
  try {
    const exp = await client.createExperiment({ name: "restart", space: [uniform("x", 0, 1)], algorithm: "random" });
    let halfway!: () => void;
    const reachedHalfway = new Promise<void>((r) => {
      halfway = r;
    });
    const worker = (async () => {
      for (let i = 0; i < trials; i++) {
        const t = await exp.suggest();
        const x = t.params.x as number;
        await t.report((x - 0.3) ** 2);
        if (i === killAfter) halfway();
      }
    })();
    await Promise.race([reachedHalfway, worker]);
    await kill(server);
    server = await serve(address);
    await worker;
    const states: string[] = [];
    for await (const t of exp.trials()) states.push(t.state);
    expect(states).toHaveLength(trials);
    expect(states.filter((s) => s !== "COMPLETE")).toEqual([]);
  } finally {
    client.close();
  }
}, 180_000);
