/**
 * The Kubernetes manifests under deploy/kubernetes/, checked without a cluster (none can run on these machines):
 * - every object validates against the Kubernetes API's OpenAPI schemas as the `kubernetes-models` package
 *   carries them (its validators: types, enums, required fields), and against the same API's TypeScript types
 *   with excess-property checks, which catch a misspelled or misplaced field that the schemas let through;
 * - the central, replicated and sidecar deployments have the shape deploy/kubernetes/README.md promises;
 * - each sidecar Job's trainer container runs an example in examples/ with exactly the variables it reads.
 * The image itself is run with these manifests' arguments and environment by scripts/image-smoke.sh.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const ROOT = resolve(import.meta.dirname, "../..");
const KUBE = join(ROOT, "deploy/kubernetes");

type Obj = any;
interface Manifest {
  file: string;
  index: number;
  object: Obj;
}

function manifests(): Manifest[] {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".yaml") ? [join(dir, e.name)] : [],
    );
  return files(KUBE).flatMap((file) =>
    parseAllDocuments(readFileSync(file, "utf8")).map((doc, index) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return { file: relative(ROOT, file), index, object: doc.toJS() as Obj };
    }),
  );
}

/** The kubernetes-models class for an object: the package lays them out as <apiVersion>/<kind>. */
async function model(object: Obj): Promise<new (o: Obj) => { validate(): void }> {
  const mod = (await import(/* @vite-ignore */ `kubernetes-models/${object.apiVersion}/${object.kind}`)) as Record<
    string,
    unknown
  >;
  const cls = mod[object.kind];
  if (typeof cls !== "function") throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
  return cls as new (
    o: Obj,
  ) => { validate(): void };
}

async function schemaErrors(object: Obj): Promise<string | undefined> {
  const Model = await model(object);
  try {
    new Model(object).validate();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Type-checks the objects as literals of their API types (kubernetes-models' `I<Kind>` interfaces): TypeScript
 * rejects properties the type does not declare, at any depth. Returns the diagnostics, one line each.
 */
function typeErrors(objects: Manifest[]): string[] {
  // Inside node_modules so that "kubernetes-models" resolves from the repository.
  const dir = join(ROOT, "node_modules/.cache/parzen-manifest-types");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "manifests.ts");
  const lines = objects.flatMap((m, i) => [
    `import type { I${m.object.kind} as T${i} } from "kubernetes-models/${m.object.apiVersion}/${m.object.kind}";`,
    `// ${m.file} #${m.index}`,
    `export const m${i}: T${i} = ${JSON.stringify(m.object, null, 1)};`,
  ]);
  writeFileSync(file, lines.join("\n"));
  try {
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      if (d.file === undefined || d.start === undefined) return text;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const source = d.file.text.split("\n");
      const owner = source
        .slice(0, line + 1)
        .reverse()
        .find((l) => l.startsWith("// "));
      return `${owner?.slice(3) ?? "?"}: ${text}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const all = manifests();
const byKind = (kind: string, file?: string): Obj[] =>
  all.filter((m) => m.object.kind === kind && (file === undefined || m.file.endsWith(file))).map((m) => m.object);
const env = (container: Obj): Record<string, Obj> =>
  Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e.value ?? e.valueFrom]));

describe("Kubernetes manifests", () => {
  it("are all found", () => {
    expect(all.map((m) => `${m.file} ${m.object.kind}`).sort()).toEqual([
      "deploy/kubernetes/central/deployment.yaml Deployment",
      "deploy/kubernetes/central/networkpolicy.yaml NetworkPolicy",
      "deploy/kubernetes/central/pvc.yaml PersistentVolumeClaim",
      "deploy/kubernetes/central/secret.yaml Secret",
      "deploy/kubernetes/central/service.yaml Service",
      "deploy/kubernetes/replicated/deployment.yaml Deployment",
      "deploy/kubernetes/replicated/networkpolicy.yaml NetworkPolicy",
      "deploy/kubernetes/replicated/poddisruptionbudget.yaml PodDisruptionBudget",
      "deploy/kubernetes/replicated/secret.yaml Secret",
      "deploy/kubernetes/replicated/service.yaml Service",
      "deploy/kubernetes/sidecar/job-go.yaml Job",
      "deploy/kubernetes/sidecar/job-python.yaml Job",
    ]);
  });

  it.each(
    all.map((m) => [`${m.file} #${m.index}`, m] as const),
  )("%s validates against the API schema", async (_, m) => {
    expect(await schemaErrors(m.object)).toBeUndefined();
  });

  it("type-check against the API types with no unknown fields", () => {
    expect(typeErrors(all)).toEqual([]);
  }, 60_000);

  it("fail validation when a field is mistyped or misplaced (the checks can fail)", async () => {
    const deployment = structuredClone(byKind("Deployment")[0]);
    deployment.spec.replicas = "1";
    expect(await schemaErrors(deployment)).toMatch(/replicas must be integer/);
    const job = structuredClone(byKind("Job", "job-python.yaml")[0]);
    job.spec.template.spec.initContainers[0].restartPolicyy = "Always";
    const errors = typeErrors([{ file: "mutated job", index: 0, object: job }]);
    expect(errors.join("\n")).toMatch(/restartPolicyy/);
  }, 60_000);
});

describe("the central deployment", () => {
  const deployment = byKind("Deployment", "central/deployment.yaml")[0];
  const pod = deployment.spec.template;
  const parzen = pod.spec.containers[0];

  it("runs one replica on a PersistentVolumeClaim, replaced by Recreate", () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe("Recreate");
    const claim = pod.spec.volumes.find((v: Obj) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
    expect(byKind("PersistentVolumeClaim").map((p) => p.metadata.name)).toContain(claim);
    expect(env(parzen).PARZEN_DB).toMatch(/^\/data\//);
    expect(parzen.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: "/data" }));
  });

  it("probes the gRPC health service, takes its tokens from the Secret and drains within the grace period", () => {
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"])
      expect(parzen[probe].grpc.port).toBe(50051);
    expect(env(parzen).PARZEN_LISTEN).toBe("0.0.0.0:50051");
    const ref = env(parzen).PARZEN_TOKENS.secretKeyRef;
    const secret = byKind("Secret").find((s) => s.metadata.name === ref.name);
    expect(Object.keys(secret.stringData)).toContain(ref.key);
    expect(Number(env(parzen).PARZEN_GRACE_SECONDS)).toBeLessThan(pod.spec.terminationGracePeriodSeconds);
    expect(parzen.resources.requests).toBeDefined();
    expect(parzen.resources.limits).toBeDefined();
  });

  it("is reached through the Service only from pods labelled as clients", () => {
    const labels = pod.metadata.labels;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(byKind("Service", "central/service.yaml")[0].spec.selector)).toBe(true);
    const policy = byKind("NetworkPolicy", "central/networkpolicy.yaml")[0];
    expect(matches(policy.spec.podSelector.matchLabels)).toBe(true);
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { "parzen.io/client": "true" } } }],
        ports: [{ port: 50051, protocol: "TCP" }],
      },
    ]);
  });
});

describe("the replicated deployment (several servers on one PostgreSQL)", () => {
  const deployment = byKind("Deployment", "replicated/deployment.yaml")[0];
  const pod = deployment.spec.template;
  const parzen = pod.spec.containers[0];
  const migrate = pod.spec.initContainers[0];
  const labels = pod.metadata.labels;
  const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  const secretKey = (ref: Obj) => {
    const secret = byKind("Secret").find((s) => s.metadata.name === ref.secretKeyRef.name);
    return secret?.stringData[ref.secretKeyRef.key];
  };

  it("runs several replicas on a postgres:// URL from a Secret, without a volume, rolled one at a time", () => {
    expect(deployment.spec.replicas).toBeGreaterThan(1);
    expect(deployment.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(secretKey(env(parzen).PARZEN_DB)).toMatch(/^postgres:\/\//);
    expect(pod.spec.volumes).toBeUndefined();
    expect(parzen.volumeMounts).toBeUndefined();
    expect(secretKey(env(parzen).PARZEN_TOKENS)).toBeDefined();
    expect(Number(env(parzen).PARZEN_GRACE_SECONDS)).toBeLessThan(pod.spec.terminationGracePeriodSeconds);
  });

  it("migrates the schema with the same image and database before each server starts", () => {
    expect(migrate.args).toEqual(["migrate"]);
    expect(migrate.image).toBe(parzen.image);
    expect(env(migrate).PARZEN_DB).toEqual(env(parzen).PARZEN_DB);
    expect(parzen.args).toEqual(["serve"]);
  });

  it("is reached through its own Service and NetworkPolicy, and drained one pod at a time", () => {
    expect(matches(byKind("Service", "replicated/service.yaml")[0].spec.selector)).toBe(true);
    expect(matches(byKind("NetworkPolicy", "replicated/networkpolicy.yaml")[0].spec.podSelector.matchLabels)).toBe(
      true,
    );
    const pdb = byKind("PodDisruptionBudget")[0];
    expect(matches(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    // The single-server deployment's selector must not pick up the replicas (and the reverse).
    const central = byKind("Deployment", "central/deployment.yaml")[0];
    expect(matches(central.spec.selector.matchLabels)).toBe(false);
  });
});

/** Variables an example program reads, found in its source the way each language reads them. */
function variablesRead(source: string): Set<string> {
  const patterns = [/os\.environ\.get\("(PARZEN_\w+)"/g, /\benv(?:Int)?\("(PARZEN_\w+)"/g];
  return new Set(patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1] as string)));
}

const trainers = [
  {
    file: "job-python.yaml",
    command: ["python", "/app/sidecar_trainer.py"],
    example: "examples/python/sidecar_trainer.py",
  },
  { file: "job-go.yaml", command: ["/app/trainer"], example: "examples/go/trainer/main.go" },
];

describe.each(trainers)("the sidecar Job $file", ({ file, command, example }) => {
  const job = byKind("Job", file)[0];
  const spec = job.spec.template.spec;
  const sidecar = spec.initContainers[0];
  const trainer = spec.containers[0];

  it("runs Parzen as a native sidecar on a unix socket in an emptyDir shared with the trainer", () => {
    expect(sidecar.restartPolicy).toBe("Always");
    expect(spec.restartPolicy).toBe("Never");
    const listen: string = env(sidecar).PARZEN_LISTEN;
    expect(listen).toMatch(/^unix:\/\/\//);
    const socketDir = listen.slice("unix://".length).replace(/\/[^/]+$/, "");
    const mount = sidecar.volumeMounts.find((m: Obj) => m.mountPath === socketDir);
    expect(trainer.volumeMounts).toContainEqual({ name: mount.name, mountPath: socketDir });
    expect(spec.volumes.find((v: Obj) => v.name === mount.name).emptyDir).toBeDefined();
    expect(sidecar.startupProbe.exec.command).toEqual(["/opt/parzen/bin/parzen", "health", "--address", listen]);
  });

  it(`runs ${example} with the variables it reads, the address being the sidecar's`, () => {
    expect(trainer.command).toEqual(command);
    // The image's program is the example: the script by name, the Go trainer by its package directory.
    const program = basename(command[command.length - 1] as string).replace(/\.py$/, "");
    expect(example).toMatch(new RegExp(`(${program}\\.py|${program}/main\\.go)$`));
    const read = variablesRead(readFileSync(join(ROOT, example), "utf8"));
    expect(read).toContain("PARZEN_ADDRESS");
    for (const name of Object.keys(env(trainer))) expect(read, `${example} reads ${name}`).toContain(name);
    expect(env(trainer).PARZEN_ADDRESS).toBe(env(sidecar).PARZEN_LISTEN);
  });
});
