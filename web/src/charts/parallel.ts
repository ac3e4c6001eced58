/**
 * Parallel coordinates (canvas): one vertical axis per parameter and one for
 * the loss, one polyline per trial coloured by loss rank (best darkest).
 * Inactive parameters are drawn as gaps.
 */
import type { ParamInfo, Points } from "../api.js";
import { canvas, fmt, h } from "../dom.js";

export function parallelChart(p: Points, params: ParamInfo[], width: number): HTMLElement {
  const height = 300;
  const { el, ctx } = canvas(width, height);
  const box = h("div.chart", { "data-chart": "parallel", "data-points": p.numbers.length }, el);
  const axes = [
    ...params.map((q) => ({ name: q.name, values: p.params[q.name]!, param: q })),
    { name: "loss", values: p.losses, param: undefined },
  ];
  const top = 24;
  const bottom = height - 20;
  const xOf = (i: number) => 40 + (i * (width - 80)) / Math.max(1, axes.length - 1);
  const scales = axes.map(({ values, param }) => {
    const log = param?.log ?? false;
    const f = (v: number) => (log ? Math.log(v) : v);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    if (param?.labels) {
      lo = 0;
      hi = Math.max(1, param.labels.length - 1);
    } else
      for (const v of values) {
        if (v === null) continue;
        lo = Math.min(lo, f(v));
        hi = Math.max(hi, f(v));
      }
    if (!(hi > lo)) hi = lo + 1;
    return (v: number) => bottom - ((f(v) - lo) / (hi - lo)) * (bottom - top);
  });
  const order = p.losses.map((_, i) => i).sort((a, b) => p.losses[b]! - p.losses[a]!);
  ctx.lineWidth = 1;
  order.forEach((i, rank) => {
    const t = rank / Math.max(1, order.length - 1);
    ctx.strokeStyle = `rgba(${Math.round(200 - 170 * t)}, ${Math.round(210 - 120 * t)}, ${Math.round(240 - 50 * t)}, ${0.25 + 0.6 * t})`;
    ctx.beginPath();
    let pen = false;
    axes.forEach((a, k) => {
      const v = a.values[i];
      if (v === null || v === undefined) {
        pen = false;
        return;
      }
      const y = scales[k]!(v);
      if (pen) ctx.lineTo(xOf(k), y);
      else ctx.moveTo(xOf(k), y);
      pen = true;
    });
    ctx.stroke();
  });
  ctx.fillStyle = "#222";
  ctx.strokeStyle = "#444";
  axes.forEach((a, k) => {
    ctx.beginPath();
    ctx.moveTo(xOf(k), top);
    ctx.lineTo(xOf(k), bottom);
    ctx.stroke();
    ctx.textAlign = "center";
    ctx.fillText(a.name, xOf(k), 12);
    if (a.param?.labels) {
      for (const [j, l] of a.param.labels.entries()) ctx.fillText(l, xOf(k) + 14, scales[k]!(j));
    } else {
      const vals = (a.values as (number | null)[]).filter((v): v is number => v !== null);
      if (vals.length > 0) {
        ctx.fillText(fmt(Math.max(...vals), 3), xOf(k), top - 2 + 0);
        ctx.fillText(fmt(Math.min(...vals), 3), xOf(k), bottom + 12);
      }
    }
  });
  return box;
}
