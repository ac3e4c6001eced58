// Compiles src/ to dist/ for running with plain `node` (npm start, the
// `parzen` bin, the bench's server): each TypeScript file transpiled on
// its own by esbuild, in well under a second. Type checking is separate
// (`npm run typecheck`, part of CI). Running compiled code spares the server
// the TypeScript loader: about 40 MB less resident memory than under tsx.
//
// The command itself, dist/cli/main.js, is then replaced by one bundle of the server's own modules (the client
// package included; npm dependencies stay imports, resolved from node_modules as before): Node loads one file
// instead of ~180, which is part of starting in well under the 2 s a container gets (bench/RESULTS.md, "Start-up
// time"). Modules imported only dynamically (the PostgreSQL store) become chunks beside it, loaded when used. The
// per-file output stays: the GP's worker thread and tools import it.
//
// The server imports the client package (@parzen/client, the npm workspace in
// clients/ts) for its generated stubs and connection layer. It is compiled
// too, into dist/node_modules/@parzen/client with its package.json, where
// Node finds it first from dist/: the compiled server resolves it through the
// package's own "exports", yet needs no clients/ts/dist (built only to publish
// the client), and a copy of the tree (bench/run.sh) runs its own client.
import { build } from "esbuild";
import { buildWeb } from "./build-web.mjs";
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const out = join(root, "dist");
const client = join(root, "clients", "ts");
const clientOut = join(out, "node_modules", "@parzen", "client");

function tsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function compile(from, to) {
  return build({
    entryPoints: tsFiles(from),
    outdir: to,
    outbase: from,
    format: "esm",
    platform: "node",
    target: "node20",
    // Node 20 reads JSON modules only with their import attribute, which esbuild drops for node20 unless told.
    supported: { "import-attributes": true },
    sourcemap: true,
    logLevel: "warning",
  });
}

/**
 * Bundles dist/cli/main.js over itself. Each module keeps the `import.meta.url` it had in dist/, so that what it
 * finds beside itself (the descriptor set, migrations, dist/web, the worker's file, package.json) is found as
 * before: the bundle and its chunks sit in dist/cli, and each module's URL is rewritten relative to them.
 */
function bundleCli() {
  const cliDir = join(out, "cli");
  const keepMetaUrl = {
    name: "keep-import-meta-url",
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(out + sep)) return undefined;
        const source = readFileSync(args.path, "utf8");
        if (!source.includes("import.meta.url")) return undefined;
        const rel = relative(cliDir, args.path).split(sep).join("/");
        const url = `new URL(${JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`)}, import.meta.url).href`;
        return { contents: source.replaceAll("import.meta.url", url), loader: "js", resolveDir: dirname(args.path) };
      });
    },
  };
  return build({
    entryPoints: [join(cliDir, "main.js")],
    outdir: cliDir,
    allowOverwrite: true,
    bundle: true,
    splitting: true,
    chunkNames: "chunk-[hash]",
    // npm dependencies are bundled too, but for the native SQLite driver and what reads files beside itself at
    // run time (@grpc/reflection loads its .proto files; it is required lazily, on the first reflection call;
    // grpc-health-check loads its health.proto), and pg's optional native and Cloudflare back ends, which are not installed.
    external: ["better-sqlite3", "@grpc/reflection", "grpc-health-check", "pg-native", "cloudflare:sockets"],
    format: "esm",
    platform: "node",
    target: "node20",
    supported: { "import-attributes": true },
    // CommonJS dependencies inside an ES module bundle still call require() and read __dirname (grpc-js for
    // its optional channelz and ORCA protos, never loaded here).
    banner: {
      js: [
        'import { createRequire as __parzenRequire } from "node:module";',
        'import { dirname as __parzenDirname } from "node:path";',
        'import { fileURLToPath as __parzenPath } from "node:url";',
        "const require = __parzenRequire(import.meta.url);",
        "const __filename = __parzenPath(import.meta.url);",
        "const __dirname = __parzenDirname(__filename);",
      ].join("\n"),
    },
    // The map points into dist/ and node_modules, both installed beside it: no copy of their sources (5 MB).
    sourcemap: true,
    sourcesContent: false,
    plugins: [keepMetaUrl],
    logLevel: "warning",
  });
}

rmSync(out, { recursive: true, force: true });
await compile(src, out);
cpSync(join(src, "server", "descriptor-set.binpb"), join(out, "server", "descriptor-set.binpb"));
// The layout its "exports" name: src/X.ts compiled to dist/X.js, as clients/ts/tsconfig.build.json does.
await compile(join(client, "src"), join(clientOut, "dist"));
cpSync(join(client, "package.json"), join(clientOut, "package.json"));
// The retry policy the client imports as JSON (esbuild transpiles file by file and leaves the import as is).
cpSync(join(client, "src", "service_config.json"), join(clientOut, "dist", "service_config.json"));
await bundleCli();
// The dashboard's assets (after the rm above, which cleared dist/).
const webBytes = await buildWeb(join(out, "web"));
console.error(`build: ${relative(root, out)}/web/ from web/ (JS + CSS ${(webBytes / 1024).toFixed(1)} KiB gzipped)`);
console.error(`build: ${relative(root, out)}/ from ${relative(root, src)}/, with @parzen/client from clients/ts/src/`);
