/**
 * The dashboard's static files (bundled by scripts/build-web.mjs into
 * dist/web): read once at start-up into memory with their gzip form, and
 * served with long caching for hashed names. Every page path (/,
 * /experiments/...) answers index.html, so deep links survive a reload.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** dist/web next to the compiled server (dist/http), or the repository's dist/web when running from src/. */
export function defaultWebRoot(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, "../web"), resolve(here, "../../dist/web")]) {
    if (existsSync(join(candidate, "index.html"))) return candidate;
  }
  return undefined;
}

/** Every file under `root`, by URL path ("/assets/app.js"). */
export function loadAssets(root: string | undefined): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (root === undefined) return assets;
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}/${entry.name}`);
      else {
        const body = readFileSync(path);
        const type = TYPES[extname(entry.name)] ?? "application/octet-stream";
        assets.set(`${prefix}/${entry.name}`, { type, body, gzip: gzipSync(body) });
      }
    }
  };
  walk(root, "");
  return assets;
}
