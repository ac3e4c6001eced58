/** Intermediate values (canvas): one learning curve per trial; pruned trials in orange, ending in a cross. */
import { canvas, fmt, h, STATE_COLORS } from "../dom.js";

export interface Curve {
  number: number;
  state: string;
  points: [number, number][];
}

export function curvesChart(rows: Curve[], total: number, width: number): HTMLElement {
  const height = 260;
  const { el, ctx } = canvas(width, height);
  const box = h(
    "div.chart",
    {
      "data-chart": "curves",
      "data-points": rows.length,
      "data-pruned": rows.filter((r) => r.state === "pruned").length,
    },
    el,
    rows.length < total ? h("p.muted", {}, `${rows.length} of ${total} curves: the best and the most recent`) : null,
  );
  const all = rows.flatMap((r) => r.points).filter(([, v]) => Number.isFinite(v));
  if (all.length === 0) {
    box.replaceChildren(h("p.muted", {}, "No intermediate values reported."));
    return box;
  }
  const [s0, s1] = [Math.min(...all.map((q) => q[0])), Math.max(...all.map((q) => q[0]))];
  const [v0, v1] = [Math.min(...all.map((q) => q[1])), Math.max(...all.map((q) => q[1]))];
  const x = (s: number) => 50 + ((s - s0) / Math.max(1e-12, s1 - s0)) * (width - 60);
  const y = (v: number) => height - 20 - ((v - v0) / Math.max(1e-12, v1 - v0)) * (height - 30);
  for (const r of rows) {
    ctx.strokeStyle = r.state === "pruned" ? STATE_COLORS.pruned! : `${STATE_COLORS.complete}99`;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const [i, [s, v]] of r.points.entries()) {
      if (i === 0) ctx.moveTo(x(s), y(v));
      else ctx.lineTo(x(s), y(v));
    }
    ctx.stroke();
    const last = r.points.at(-1);
    if (r.state === "pruned" && last) {
      ctx.beginPath();
      ctx.moveTo(x(last[0]) - 3, y(last[1]) - 3);
      ctx.lineTo(x(last[0]) + 3, y(last[1]) + 3);
      ctx.moveTo(x(last[0]) + 3, y(last[1]) - 3);
      ctx.lineTo(x(last[0]) - 3, y(last[1]) + 3);
      ctx.stroke();
    }
  }
  ctx.fillStyle = "#444";
  ctx.fillText(fmt(v1, 3), 2, 12);
  ctx.fillText(fmt(v0, 3), 2, height - 20);
  ctx.fillText(`step ${s0}`, 50, height - 4);
  ctx.textAlign = "right";
  ctx.fillText(`step ${s1}`, width - 10, height - 4);
  return box;
}
