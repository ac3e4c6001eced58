// Bundles the dashboard (web/) with esbuild into dist/web: one minified
// JavaScript file and one CSS file with content hashes in their names (the
// server caches /assets/* forever), and index.html pointing at them. No CDN:
// everything the dashboard needs is in these files. Run by scripts/build.mjs
// and by the browser tests; prints the gzipped size, which must stay < 1 MB.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds into `out` (default dist/web) and returns the gzipped bytes of JS + CSS. */
export async function buildWeb(out = join(root, "dist", "web")) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "assets"), { recursive: true });
  const result = await build({
    entryPoints: { app: join(root, "web", "src", "main.ts") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    outdir: join(out, "assets"),
    entryNames: "[name]-[hash]",
    metafile: true,
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs);
  const js = outputs.find((f) => f.endsWith(".js"));
  const css = outputs.find((f) => f.endsWith(".css"));
  const html = readFileSync(join(root, "web", "index.html"), "utf8")
    .replace("{{js}}", basename(js))
    .replace("{{css}}", basename(css));
  writeFileSync(join(out, "index.html"), html);
  return [js, css].reduce((n, f) => n + gzipSync(readFileSync(join(root, f))).length, 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const gz = await buildWeb(process.argv[2]);
  console.error(`build: dist/web/ from web/ (JS + CSS ${(gz / 1024).toFixed(1)} KiB gzipped)`);
}
