/**
 * The HTTP listener, for people and monitoring: the dashboard (static
 * assets and its JSON API, api.ts), `/metrics` (Prometheus text format),
 * `/healthz` (alive) and `/readyz` (serving, not stopping, database writable). GET and HEAD
 * only: nothing over HTTP changes anything. Probes and static assets need no
 * token; the API and /metrics pass view-access.ts. Served over TLS when the
 * server has a certificate.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ParzenError } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import type { TokenSet } from "../server/auth.js";
import type { DashboardReads } from "../service/use-cases/dashboard-reads.js";
import { api, json } from "./api.js";
import { type Asset, loadAssets } from "./assets.js";
import { httpError } from "./status.js";
import { viewerOf } from "./view-access.js";

export interface HttpOptions {
  reads: DashboardReads;
  log: Logger;
  metrics?: Metrics;
  tokens?: TokenSet;
  tls?: { cert: Buffer; key: Buffer };
  /** Directory of the built dashboard (index.html and assets); none: the API alone. */
  webRoot?: string;
  /** Whether the database takes writes (readiness, like the gRPC health name parzen.v1.OptimizerService). */
  writable?: () => boolean;
}

/** Paths that are pages of the single-page dashboard: they all answer index.html. */
const PAGE = /^\/(?:experiments\/[^/]+(?:\/trials\/\d+)?\/?)?$/;

export class HttpListener {
  private readonly server: Server;
  private readonly assets: Map<string, Asset>;
  private stopping = false;

  constructor(private readonly options: HttpOptions) {
    this.assets = loadAssets(options.webRoot);
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = options.tls === undefined ? createHttpServer(handler) : createHttpsServer(options.tls, handler);
    // Idle keep-alive sockets must not hold up a graceful stop.
    this.server.keepAliveTimeout = 5_000;
  }

  /** Binds "host:port" (port 0: any free port) and resolves with the address bound. */
  listen(address: string): Promise<string> {
    const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
    if (m === null)
      return Promise.reject(
        new ParzenError("INVALID_ARGUMENT", `--http: expected host:port or "off", got "${address}"`),
      );
    const host = m[1]!;
    return new Promise((ok, fail) => {
      const onError = (err: NodeJS.ErrnoException) => {
        fail(
          new ParzenError("UNAVAILABLE", `cannot listen for HTTP on ${address}: ${err.code ?? err.message}`, {
            cause: err,
          }),
        );
      };
      this.server.once("error", onError);
      this.server.listen(Number(m[2]), host, () => {
        this.server.off("error", onError);
        const port = (this.server.address() as AddressInfo).port;
        ok(`${host.includes(":") ? `[${host}]` : host}:${port}`);
      });
    });
  }

  get scheme(): "http" | "https" {
    return this.options.tls === undefined ? "http" : "https";
  }

  /** Stops accepting, answers /readyz 503 meanwhile, and closes every connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.server.listening) return;
    await new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeIdleConnections();
      // Open dashboard polls hold no long requests; whatever is left goes after a short grace.
      setTimeout(() => this.server.closeAllConnections(), 1000).unref();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((err: unknown) => {
      const { status, message, internal } = httpError(err);
      if (internal) this.options.log.error({ err, path: req.url }, "HTTP request failed");
      else this.options.log.debug({ path: req.url, status, message }, "HTTP request rejected");
      if (!res.headersSent) json(res, { error: message }, status);
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://parzen");
    const path = url.pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
      res.end(JSON.stringify({ error: "the HTTP API is read-only: use the gRPC API to change anything" }));
      return;
    }
    if (path === "/healthz") return text(res, 200, "ok\n");
    if (path === "/readyz") {
      if (this.stopping) return text(res, 503, "stopping\n");
      if (this.options.writable?.() === false) return text(res, 503, "database writes fail\n");
      return text(res, 200, "ready\n");
    }
    const asset = this.assets.get(PAGE.test(path) ? "/index.html" : path);
    if (asset !== undefined) return sendAsset(req, res, asset, path.startsWith("/assets/"));
    if (path === "/metrics" || path.startsWith("/api/")) {
      const { viewer, problem } = viewerOf(req, this.options.tokens);
      if (problem !== undefined) {
        res.writeHead(401, { "www-authenticate": 'Bearer realm="parzen"', "content-type": "application/json" });
        res.end(JSON.stringify({ error: problem }));
        return;
      }
      if (path === "/metrics") {
        if (this.options.metrics === undefined) return text(res, 404, "metrics are off (--no-metrics)\n");
        const body = await this.options.metrics.text();
        res.writeHead(200, { "content-type": this.options.metrics.contentType });
        res.end(body);
        return;
      }
      if (await api(this.options.reads, viewer, path, url, res)) return;
    }
    text(res, 404, `not found: ${path}\n`);
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(body);
}

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset, immutable: boolean): void {
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  res.writeHead(200, {
    "content-type": asset.type,
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
    vary: "accept-encoding",
  });
  res.end(req.method === "HEAD" ? undefined : gzip ? asset.gzip : asset.body);
}
