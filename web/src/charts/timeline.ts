/**
 * Trials per worker over time (canvas): one row per worker, one bar per
 * trial from start to end (now for RUNNING), coloured by state; LOST trials
 * are outlined so they stand out, and the longest-running RUNNING trials
 * (stragglers) are marked.
 */
import { canvas, h, STATE_COLORS } from "../dom.js";

export interface TimelineEntry {
  number: number;
  workerId: string;
  state: string;
  start: number;
  end: number | null;
}

export function timelineChart(rows: TimelineEntry[], total: number, width: number): HTMLElement {
  const now = Date.now();
  const workers = [...new Set(rows.map((r) => r.workerId || "(none)"))].sort();
  const rowH = 16;
  const left = 110;
  const height = Math.max(40, workers.length * rowH + 30);
  const { el, ctx } = canvas(width, height);
  const box = h(
    "div.chart",
    {
      "data-chart": "timeline",
      "data-points": rows.length,
      "data-lost": rows.filter((r) => r.state === "lost").length,
    },
    el,
    rows.length < total ? h("p.muted", {}, `the ${rows.length} most recent of ${total} trials`) : null,
  );
  if (rows.length === 0) return box;
  const t0 = Math.min(...rows.map((r) => r.start));
  const t1 = Math.max(...rows.map((r) => r.end ?? now));
  const x = (t: number) => left + ((t - t0) / Math.max(1, t1 - t0)) * (width - left - 10);
  ctx.fillStyle = "#333";
  for (const [i, w] of workers.entries()) ctx.fillText(w.slice(0, 16), 4, 14 + i * rowH);
  const running = rows.filter((r) => r.state === "running").map((r) => now - r.start);
  const straggler =
    running.length > 2
      ? [...running].sort((a, b) => a - b)[Math.floor(running.length * 0.9)]!
      : Number.POSITIVE_INFINITY;
  let stragglers = 0;
  for (const r of rows) {
    const y = workers.indexOf(r.workerId || "(none)") * rowH + 3;
    const x0 = x(r.start);
    const w = Math.max(1.5, x(r.end ?? now) - x0);
    ctx.fillStyle = STATE_COLORS[r.state] ?? "#999";
    ctx.fillRect(x0, y, w, rowH - 5);
    if (r.state === "lost" || (r.state === "running" && now - r.start >= straggler)) {
      if (r.state === "running") stragglers++;
      ctx.strokeStyle = r.state === "lost" ? "#000" : "#d62728";
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 - 1, y - 1, w + 2, rowH - 3);
    }
  }
  box.setAttribute("data-stragglers", String(stragglers));
  ctx.fillStyle = "#555";
  ctx.fillText(new Date(t0).toLocaleTimeString(), left, height - 6);
  ctx.textAlign = "right";
  ctx.fillText(new Date(t1).toLocaleTimeString(), width - 10, height - 6);
  return box;
}
