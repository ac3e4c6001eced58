/**
 * The dashboard's calls to the server's JSON API (src/http/api.ts), with the
 * bearer token the user gave (kept in this browser's localStorage).
 */
const TOKEN_KEY = "parzen.token";

export class Unauthorized extends Error {}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  localStorage.setItem(TOKEN_KEY, t);
}

export async function fetchApi(path: string): Promise<Response> {
  const t = token();
  const res = await fetch(path, { headers: t === null ? {} : { authorization: `Bearer ${t}` } });
  if (res.status === 401) throw new Unauthorized(((await res.json()) as { error: string }).error);
  if (!res.ok)
    throw new Error(
      `${res.status}: ${((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText}`,
    );
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await fetchApi(path)).json()) as T;
}

export const exp = (name: string) => `/api/experiments/${encodeURIComponent(name)}`;

export type {
  ExperimentDetail as Detail,
  ExperimentSummary as Summary,
  ParamInfo,
  ParetoPoints,
  PlotPoints as Points,
  TrialRecord,
} from "../../src/domain/dashboard-records.js";
export type { TrialState as State } from "../../src/domain/trial-state.js";
