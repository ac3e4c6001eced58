/**
 * The dashboard's JSON API: GET only, each route one call of the service's
 * read-only use-cases (service/use-cases/dashboard-reads.ts), its answer
 * written as JSON; downloads stream CSV or JSON Lines. Nothing here reads
 * the caches or the store directly.
 */
import type { ServerResponse } from "node:http";
import { invalidArgument, notFound } from "../errors.js";
import { TRIAL_STATES, type TrialState } from "../domain/trial-state.js";
import type { DashboardReads, TrialQuery, TrialRecord } from "../service/use-cases/dashboard-reads.js";
import type { Viewer } from "./view-access.js";

/** Points per plot the dashboard gets at most; beyond it the server samples (best trials always kept). */
export const MAX_PLOT_POINTS = 5000;
const MAX_TIMELINE = 2000;
const MAX_CURVES = 100;

type Handler = (reads: DashboardReads, name: string, q: URLSearchParams, res: ServerResponse) => Promise<unknown>;

const ROUTES: Record<string, Handler> = {
  "": (reads, name) => reads.experiment(name),
  points: (reads, name, q) => reads.points(name, intParam(q, "max", MAX_PLOT_POINTS, 1, MAX_PLOT_POINTS)),
  pareto: (reads, name, q) => reads.pareto(name, intParam(q, "max", MAX_PLOT_POINTS, 1, MAX_PLOT_POINTS)),
  trials: (reads, name, q) => reads.trials(name, trialQuery(q)),
  timeline: (reads, name, q) => reads.timeline(name, intParam(q, "max", MAX_TIMELINE, 1, MAX_TIMELINE)),
  curves: (reads, name, q) => reads.curves(name, intParam(q, "max", MAX_CURVES, 1, 1000)),
  importance: (reads, name) => reads.importance(name),
  "trials.csv": (reads, name, q, res) => download(reads, res, name, "csv", trialQuery(q)),
  "trials.jsonl": (reads, name, q, res) => download(reads, res, name, "jsonl", trialQuery(q)),
};

/**
 * Answers `/api/...` requests; returns false for other paths. The value a
 * route resolves to is sent as JSON unless the route wrote the answer itself.
 */
export async function api(
  reads: DashboardReads,
  viewer: Viewer,
  path: string,
  url: URL,
  res: ServerResponse,
): Promise<boolean> {
  if (path === "/api/experiments") {
    json(res, { experiments: (await reads.experiments()).filter((e) => viewer.mayView(e.name)) });
    return true;
  }
  const m = /^\/api\/experiments\/([^/]+)(?:\/([a-z.]+))?(?:\/(\d+))?$/.exec(path);
  if (m === null) {
    if (path.startsWith("/api/")) throw notFound(`no API route ${path}`);
    return false;
  }
  const name = decodeURIComponent(m[1]!);
  viewer.check(name);
  if (m[3] !== undefined) {
    if (m[2] !== "trials") throw notFound(`no API route ${path}`);
    json(res, await reads.trial(name, Number(m[3])));
    return true;
  }
  const route = ROUTES[m[2] ?? ""];
  if (route === undefined) throw notFound(`no API route ${path}`);
  const value = await route(reads, name, url.searchParams, res);
  if (!res.headersSent) json(res, value);
  return true;
}

export function json(res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(body);
}

function intParam(q: URLSearchParams, key: string, dflt: number, min: number, max: number): number {
  const raw = q.get(key);
  if (raw === null || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw invalidArgument(`${key}: expected an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

function trialQuery(q: URLSearchParams): TrialQuery {
  const states: TrialState[] = [];
  for (const s of (q.get("states") ?? "").split(",")) {
    if (s === "") continue;
    const state = s.toLowerCase() as TrialState;
    if (!TRIAL_STATES.includes(state))
      throw invalidArgument(`states: unknown state "${s}" (expected ${TRIAL_STATES.join(", ")})`);
    states.push(state);
  }
  return {
    sort: q.get("sort") ?? "number",
    desc: q.get("desc") === "1" || q.get("desc") === "true",
    states,
    offset: intParam(q, "offset", 0, 0, Number.MAX_SAFE_INTEGER),
    limit: intParam(q, "limit", 50, 1, 1000),
  };
}

/** Every trial the table shows (same filter and order), streamed; CSV has one column per parameter. */
async function download(
  reads: DashboardReads,
  res: ServerResponse,
  name: string,
  format: "csv" | "jsonl",
  query: TrialQuery,
): Promise<void> {
  const detail = await reads.experiment(name);
  const params = detail.params.map((p) => p.name);
  // Several objectives: a column per objective and feasibility instead of the loss.
  const objectives = detail.objectives.length > 1 ? detail.objectives.map((o) => o.name) : [];
  const records = reads.allTrials(name, query);
  // Errors surface before the headers go out: a download either starts whole or answers an error status.
  const first = await records.next();
  const file = `${name.replace(/[^\w.-]+/g, "_")}-trials.${format}`;
  res.writeHead(200, {
    "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "content-disposition": `attachment; filename="${file}"`,
    "cache-control": "no-store",
  });
  if (format === "csv") {
    const results = objectives.length > 0 ? [...objectives, "feasible"] : ["loss"];
    const header = ["number", "state", ...results, ...params, "worker_id", "start_time", "end_time"];
    res.write(`${header.map(csv).join(",")}\n`);
  }
  const line = (t: TrialRecord): string => {
    if (format === "jsonl") return `${JSON.stringify(t)}\n`;
    const results = objectives.length > 0 ? [...objectives.map((_, k) => t.values?.[k]), t.feasible] : [t.loss];
    const cells = [
      t.number,
      t.state,
      ...results,
      ...params.map((p) => t.params[p]),
      t.workerId,
      t.startTime,
      t.endTime,
    ];
    return `${cells.map(csv).join(",")}\n`;
  };
  if (!first.done) res.write(line(first.value));
  for await (const t of records) {
    if (!res.write(line(t))) await new Promise((ok) => res.once("drain", ok));
  }
  res.end();
}

function csv(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
