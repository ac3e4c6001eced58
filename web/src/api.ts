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

export type State = "waiting" | "running" | "complete" | "pruned" | "fail" | "lost";

export interface Summary {
  name: string;
  algorithm: string;
  direction: "minimize" | "maximize";
  pruner: string;
  counts: Record<State, number>;
  total: number;
  bestLoss: number | null;
  bestNumber: number | null;
  createTime: string;
  lastActivity: string | null;
  version: number;
}

export interface ParamInfo {
  name: string;
  kind: "float" | "int" | "choice";
  log: boolean;
  low?: number;
  high?: number;
  labels?: string[];
  parent?: { name: string; option: string };
}

export interface Detail extends Summary {
  params: ParamInfo[];
}

export interface Points {
  total: number;
  sampled: boolean;
  numbers: number[];
  states: State[];
  losses: number[];
  params: Record<string, (number | null)[]>;
  best: { numbers: number[]; losses: number[] };
}

export interface TrialRecord {
  number: number;
  id: number;
  state: State;
  source: string;
  loss: number | null;
  params: Record<string, string | number | boolean>;
  metrics: Record<string, number>;
  userAttrs: Record<string, string>;
  workerId: string;
  failReason: string;
  createTime: string;
  startTime: string | null;
  endTime: string | null;
  intermediate?: [number, number][];
}
