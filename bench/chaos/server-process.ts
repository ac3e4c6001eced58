/**
 * A compiled `parzen serve` child process for the chaos suite: started on a
 * given address and database, its resident memory sampled from /proc, and
 * stopped cleanly (SIGTERM) or killed (SIGKILL) like a crash.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

/** CHAOS_SERVER_DIR: another compiled tree to run the server from (to compare two versions under the same load). */
const repo = process.env.CHAOS_SERVER_DIR ?? resolve(import.meta.dirname, "../..");

export class ServerProcess {
  private child: ChildProcess | undefined;
  peakRssMb = 0;
  private sampler: NodeJS.Timeout | undefined;

  constructor(
    readonly db: string,
    readonly address: string,
  ) {}

  /** Resolves once the server logs "listening". */
  async start(): Promise<void> {
    // CHAOS_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = (process.env.CHAOS_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    const child = spawn("node", [...nodeArgs, "dist/cli/main.js", "serve", "--db", this.db, "--listen", this.address], {
      cwd: repo,
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    await new Promise<void>((ok, fail) => {
      child.once("exit", (code) => fail(new Error(`server exited with ${code} before listening`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (line.includes('"msg":"listening"')) ok();
      });
    });
    this.sampler = setInterval(() => {
      const rss = this.rssMb();
      if (rss > this.peakRssMb) this.peakRssMb = rss;
    }, 100);
  }

  rssMb(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child!.pid}/status`, "utf8"));
      return m === null ? 0 : Number(m[1]) / 1024;
    } catch {
      return 0;
    }
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): Promise<void> {
    return this.signal("SIGKILL");
  }

  stop(): Promise<void> {
    return this.signal("SIGTERM");
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    clearInterval(this.sampler);
    const child = this.child;
    if (child === undefined || !this.alive) return Promise.resolve();
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill(sig);
    return exited;
  }
}
