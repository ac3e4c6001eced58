// Compiles src/ to dist/ for running with plain `node` (npm start, the
// `parzen` bin, the bench's server): each TypeScript file transpiled on
// its own by esbuild, in well under a second. Type checking is separate
// (`npm run typecheck`, part of CI). Running compiled code spares the server
// the TypeScript loader: about 40 MB less resident memory than under tsx.
//
// The server imports the client package (@parzen/client, the npm workspace in
// clients/ts) for its generated stubs and connection layer. It is compiled
// too, into dist/node_modules/@parzen/client with its package.json, where
// Node finds it first from dist/: the compiled server resolves it through the
// package's own "exports", yet needs no clients/ts/dist (built only to publish
// the client), and a copy of the tree (bench/run.sh) runs its own client.
import { build } from "esbuild";
import { buildWeb } from "./build-web.mjs";
import { cpSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
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

rmSync(out, { recursive: true, force: true });
await compile(src, out);
cpSync(join(src, "server", "descriptor-set.binpb"), join(out, "server", "descriptor-set.binpb"));
// The layout its "exports" name: src/X.ts compiled to dist/X.js, as clients/ts/tsconfig.build.json does.
await compile(join(client, "src"), join(clientOut, "dist"));
cpSync(join(client, "package.json"), join(clientOut, "package.json"));
// The retry policy the client imports as JSON (esbuild transpiles file by file and leaves the import as is).
cpSync(join(client, "src", "service_config.json"), join(clientOut, "dist", "service_config.json"));
// The dashboard's assets (after the rm above, which cleared dist/).
const webBytes = await buildWeb(join(out, "web"));
console.error(`build: ${relative(root, out)}/web/ from web/ (JS + CSS ${(webBytes / 1024).toFixed(1)} KiB gzipped)`);
console.error(`build: ${relative(root, out)}/ from ${relative(root, src)}/, with @parzen/client from clients/ts/src/`);
