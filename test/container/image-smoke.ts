/**
 * The container image's smoke test (scripts/image-smoke.sh runs it after scripts/image.sh built the image):
 * 1. run as users run it (host network, a free port, a volume at /data): health SERVING on 127.0.0.1 within
 *    2 s of `podman run`, a Suggest and Report round trip, PID 1 is tini and the server runs as uid 10001;
 *    `podman stop` sends SIGTERM and the container exits 0 within the grace period; a new container on the same
 *    volume still has the trial;
 * 2. run with exactly the arguments, environment and security settings the Kubernetes manifests give it:
 *    central (its probe's port answers SERVING; tokens from the Secret are required) and each sidecar Job (its
 *    startup probe's command succeeds; the example trainer runs with the trainer container's variables over the
 *    shared socket; stopping the sidecar exits 0).
 * Prints the figures bench/RESULTS.md records (ready time, stop time).
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { ParzenClient, uniform } from "@parzen/client";
import { parseAllDocuments } from "yaml";
import { checkHealth } from "../../src/cli/health-command.js";

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const image = process.argv[2] || `localhost/parzen:${version}`;
const hardNofile = execFileSync("bash", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim();
// As scripts/lib/podman.sh: runc, the host's own open-files limit (shared/reference/containers.md).
const LIMITS = ["--ulimit", `nofile=${hardNofile}:${hardNofile}`, "--ulimit", "nproc=32768:32768"];
const GRACE_SECONDS = 10;
// How long a start may take before the test gives up (the ready-time target is checked separately): the probes
// below run `parzen health` inside the container, a node process each, which a busy machine starts slowly.
const START_LIMIT_MS = 30_000;
const names: string[] = [];
const scratch = mkdtempSync(join(tmpdir(), "parzen-smoke-"));

function podman(...args: string[]): string {
  const r = spawnSync("podman", ["--runtime", "runc", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`podman ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** `podman run -d`; the name is removed at the end. */
function run(name: string, options: string[], args: string[] = []): void {
  names.push(name);
  podman("run", "-d", "--name", name, ...LIMITS, ...options, image, ...args);
}

function dir(name: string): string {
  const path = join(scratch, name);
  execFileSync("mkdir", ["-p", path]);
  chmodSync(path, 0o1777); // the image's user (10001) writes here, as an emptyDir or fsGroup allows
  return path;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => (typeof address === "object" && address !== null ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

async function waitServing(address: string, withinMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const status = await checkHealth(address, 200).catch(() => "DOWN");
    if (status === "SERVING") return performance.now() - start;
    if (performance.now() - start > withinMs) throw new Error(`${address} not SERVING within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `podman stop`, awaited without blocking this process's event loop: its gRPC clients must see the GOAWAY. */
async function stop(name: string): Promise<{ ms: number; exitCode: number }> {
  const start = performance.now();
  await execFileAsync("podman", ["--runtime", "runc", "stop", "-t", String(GRACE_SECONDS), name]);
  const ms = performance.now() - start;
  return { ms, exitCode: Number(podman("inspect", "--format", "{{.State.ExitCode}}", name)) };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
  console.log(`  ok: ${what}`);
}

async function asUsersRunIt(): Promise<void> {
  console.log(`== ${image}: as users run it (host network, a volume at /data)`);
  const size = Number(podman("image", "inspect", "--format", "{{.Size}}", image));
  console.log(`  image size: ${(size / 1e6).toFixed(0)} MB uncompressed`);
  check(size < 200e6, "image under 200 MB uncompressed");
  const data = dir("data");
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const options = ["--network", "host", "-v", `${data}:/data`, "-e", `PARZEN_LISTEN=${address}`];
  const started = performance.now();
  const runAt = Date.now();
  run("parzen-smoke-1", options);
  const ready = await waitServing(address, START_LIMIT_MS);
  const sinceRun = performance.now() - started;
  console.log(
    `  ready: SERVING ${sinceRun.toFixed(0)} ms after podman run was called (${ready.toFixed(0)} ms after it returned)`,
  );
  // Where the time went: podman's own part (until the container's process started) and the server's (from then
  // until its "listening" line), by the container's start time and the log line's own timestamp.
  const startedAt = Date.parse(
    podman("inspect", "--format", "{{.State.StartedAt}}", "parzen-smoke-1").replace(
      /^(\S+) (\S+) \+0000 UTC$/,
      "$1T$2Z",
    ),
  );
  const listening = podman("logs", "parzen-smoke-1")
    .split("\n")
    .map((l) => (l.startsWith("{") ? (JSON.parse(l) as { msg?: string; time?: number }) : {}))
    .find((l) => l.msg === "listening")?.time;
  if (Number.isFinite(startedAt) && listening !== undefined)
    console.log(
      `  of which: podman ${(startedAt - runAt).toFixed(0)} ms until the container started, the server ${listening - startedAt} ms from there to listening (load average ${(loadavg()[0] ?? 0).toFixed(1)})`,
    );
  // The 2 s target holds on an idle machine (0.5-1 s here); one busy with other work starts node itself slower,
  // so there the bound is looser and says so, instead of failing on the neighbours' load.
  const [load = 0] = loadavg();
  const busy = load > availableParallelism();
  check(
    sinceRun < (busy ? 10_000 : 2000),
    busy
      ? `health SERVING within 10 s (load average ${load.toFixed(1)} on ${availableParallelism()} cores: the 2 s target is not judged)`
      : "health SERVING on 127.0.0.1 within 2 s of podman run",
  );
  check(podman("exec", "parzen-smoke-1", "cat", "/proc/1/comm") === "tini", "PID 1 is tini");
  check(podman("exec", "parzen-smoke-1", "id", "-u") === "10001", "runs as uid 10001");

  const client = await ParzenClient.connect(address);
  const exp = await client.createExperiment({ name: "smoke", space: [uniform("x", 0, 1)] });
  const trial = await exp.suggest();
  await trial.report(0.25);
  client.close();
  check(true, "Suggest and Report round trip");

  const stopped = await stop("parzen-smoke-1");
  console.log(`  stop: exited ${stopped.exitCode} ${stopped.ms.toFixed(0)} ms after podman stop`);
  check(stopped.exitCode === 0 && stopped.ms < GRACE_SECONDS * 1000, "SIGTERM: exit 0 within the grace period");
  const log = podman("logs", "parzen-smoke-1");
  check(log.includes('"signal":"SIGTERM"'), "the server saw SIGTERM");

  run("parzen-smoke-2", options);
  await waitServing(address, START_LIMIT_MS);
  const again = await ParzenClient.connect(address);
  const best = await (await again.experiment("smoke")).best();
  again.close();
  check(best?.loss === 0.25, "a new container on the same volume has the trial");
  check((await stop("parzen-smoke-2")).exitCode === 0, "second container stops with 0");
}

interface Container {
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  command?: string[];
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: { exec?: { command: string[] } };
  securityContext?: { readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
type Doc = any;

function docs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(ROOT, "deploy/kubernetes", file), "utf8")).map((d) => d.toJS());
}

/** podman options for a manifest's container: its environment (Secrets resolved), user and security settings. */
function containerOptions(c: Container, pod: Doc, secrets: Doc[]): string[] {
  const options: string[] = ["--network", "none"];
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    const value = ref ? secrets.find((s) => s.metadata.name === ref.name)?.stringData?.[ref.key] : e.value;
    if (value === undefined) throw new Error(`no value for ${e.name}`);
    options.push("-e", `${e.name}=${value}`);
  }
  const user = pod.securityContext;
  if (user?.runAsUser !== undefined) options.push("--user", `${user.runAsUser}:${user.runAsGroup ?? user.runAsUser}`);
  if (c.securityContext?.readOnlyRootFilesystem) options.push("--read-only");
  for (const cap of c.securityContext?.capabilities?.drop ?? []) options.push("--cap-drop", cap);
  options.push("--security-opt", "no-new-privileges");
  return options;
}

async function asCentralRunsIt(): Promise<void> {
  console.log(
    "== as deploy/kubernetes/central runs it (its args, env, user, read-only root; port 50051 in its own network)",
  );
  const [deployment] = docs("central/deployment.yaml");
  const secrets = docs("central/secret.yaml");
  const pod = deployment.spec.template.spec;
  const c: Container = pod.containers[0];
  const options = [...containerOptions(c, pod, secrets), "-v", `${dir("central-data")}:/data`];
  run("parzen-smoke-central", options, c.args ?? []);
  const name = "parzen-smoke-central";
  const probe = () =>
    spawnSync("podman", ["--runtime", "runc", "exec", name, "parzen", "health", "--address", "127.0.0.1:50051"], {
      encoding: "utf8",
    });
  const start = performance.now();
  while (probe().stdout.trim() !== "SERVING") {
    if (performance.now() - start > START_LIMIT_MS) throw new Error(`central: not SERVING: ${podman("logs", name)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  check(true, "the probes' port 50051 answers SERVING (listening on 0.0.0.0 with tokens)");
  const token = secrets[0].stringData.tokens as string;
  const list = (env: string[]) =>
    spawnSync(
      "podman",
      ["--runtime", "runc", "exec", ...env, name, "parzen", "experiments", "--address", "127.0.0.1:50051"],
      {
        encoding: "utf8",
      },
    );
  check(list([]).status !== 0 && /token|UNAUTHENTICATED/i.test(list([]).stderr), "a call without a token is refused");
  check(list(["-e", `PARZEN_TOKEN=${token}`]).status === 0, "a call with the Secret's token is served");
  check((await stop(name)).exitCode === 0, "stops with exit 0 on SIGTERM");
}

async function asSidecarRunsIt(file: string, trainer: (env: Record<string, string>) => void): Promise<void> {
  console.log(
    `== as deploy/kubernetes/sidecar/${file} runs it (the sidecar's args and env; the trainer over the socket)`,
  );
  const [job] = docs(`sidecar/${file}`);
  const pod = job.spec.template.spec;
  const sidecar: Container = pod.initContainers[0];
  const trainerSpec: Container = pod.containers[0];
  const name = `parzen-smoke-${file.replace(/\W/g, "-")}`;
  const mounts = new Map<string, string>();
  const options = containerOptions(sidecar, pod, []);
  for (const m of sidecar.volumeMounts ?? []) {
    const host = dir(`${file}-${m.name}`);
    mounts.set(m.mountPath, host);
    options.push("-v", `${host}:${m.mountPath}`);
  }
  run(name, options, sidecar.args ?? []);
  const probe = sidecar.startupProbe?.exec?.command ?? [];
  const start = performance.now();
  while (spawnSync("podman", ["--runtime", "runc", "exec", name, ...probe]).status !== 0) {
    if (performance.now() - start > START_LIMIT_MS)
      throw new Error(`${file}: startup probe never passed: ${podman("logs", name)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  check(true, `the startup probe (${probe.join(" ")}) passes`);
  // The trainer's variables as the manifest gives them; its address names the socket in the shared volume,
  // which this host sees at the volume's host path.
  const env: Record<string, string> = {};
  for (const e of trainerSpec.env ?? []) env[e.name] = e.value ?? "";
  for (const [mountPath, host] of mounts) {
    env.PARZEN_ADDRESS = (env.PARZEN_ADDRESS ?? "").replace(`unix://${mountPath}/`, `unix://${host}/`);
  }
  env.PARZEN_TRIALS = "3"; // the manifest's 40, shortened for CI
  if (env.PARZEN_EPOCHS !== undefined) env.PARZEN_EPOCHS = "3";
  trainer(env);
  check(true, `${trainerSpec.command?.join(" ")}'s example trained over the sidecar's socket`);
  check(
    (await stop(name)).exitCode === 0,
    "the sidecar stops with exit 0 on SIGTERM (as when the trainer has finished)",
  );
}

function runTrainer(cmd: string, args: string[], cwd: string) {
  return (env: Record<string, string>) => {
    const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stdout}\n${r.stderr}`);
    console.log(`  trainer: ${r.stdout.trim().split("\n").pop()}`);
  };
}

async function timed(part: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await part();
  console.log(`  (${((performance.now() - start) / 1000).toFixed(1)} s)`);
}

async function main(): Promise<void> {
  const start = performance.now();
  try {
    await timed(asUsersRunIt);
    await timed(asCentralRunsIt);
    await timed(() =>
      asSidecarRunsIt(
        "job-python.yaml",
        runTrainer(join(ROOT, ".venv/bin/python"), ["examples/python/sidecar_trainer.py"], ROOT),
      ),
    );
    await timed(() =>
      asSidecarRunsIt("job-go.yaml", runTrainer("go", ["run", "./trainer"], join(ROOT, "examples/go"))),
    );
  } finally {
    for (const name of names) spawnSync("podman", ["--runtime", "runc", "rm", "-f", "-t", "0", name]);
    // Files the container's user wrote: removable by root (CI) in any case.
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`image smoke test passed in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

await main();
// grpc-js channels may linger a moment; nothing is left to do.
process.exit(0);
