/** A tiny DOM builder: h("div.card", {title: "x"}, child, "text"). No framework. */
import type { Summary } from "./api.js";

export type Child = Node | string | number | null | undefined | false;

export function h(
  tag: string,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length > 0) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === "object" ? c : String(c));
  return el;
}

export const STATE_COLORS: Record<string, string> = {
  complete: "#2b7bba",
  pruned: "#e69f00",
  fail: "#d62728",
  lost: "#b000d6",
  running: "#2ca02c",
  waiting: "#9a9a9a",
};

export function fmt(v: number | null | undefined, digits = 5): string {
  if (v === null || v === undefined) return "";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(digits)));
}

export function ago(iso: string | null): string {
  if (iso === null) return "";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 60) return `${Math.max(0, Math.round(s))} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A canvas sized for the device's pixel ratio; draw in CSS pixels. */
export function canvas(width: number, height: number): { el: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const el = document.createElement("canvas");
  const r = window.devicePixelRatio || 1;
  el.width = Math.round(width * r);
  el.height = Math.round(height * r);
  el.style.width = `${width}px`;
  el.style.height = `${height}px`;
  const ctx = el.getContext("2d")!;
  ctx.scale(r, r);
  ctx.font = "11px system-ui, sans-serif";
  return { el, ctx };
}

/** An experiment's lifecycle state: "active", "paused", or "completed (budget)" with what ended it. */
export function lifecycle(e: Summary): string {
  return e.state === "completed" ? `completed (${e.completionReason ?? "?"})` : e.state;
}

/** Its stop conditions in a few words ("12 / 50 trials · ≤ 3 failures · goal 0.01"), or "" without any. */
export function budgetText(e: Summary): string {
  const b = e.budget;
  const parts: string[] = [];
  if (b.maxTrials !== null) parts.push(`${b.used} / ${b.maxTrials} trials`);
  if (b.maxFailedTrials !== null) parts.push(`${e.counts.fail} / ${b.maxFailedTrials} failures`);
  if (b.goal !== null) parts.push(`goal ${e.direction === "minimize" ? "≤" : "≥"} ${fmt(b.goal)}`);
  return parts.join(" · ");
}
