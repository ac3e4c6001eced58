/**
 * A contour for a chosen pair of parameters (canvas): the plane cut into a
 * grid, each cell shaded by the best loss of the trials in it (interpolated
 * from the nearest filled cells), with the trials drawn on top.
 */
import type { ParamInfo, Points } from "../api.js";
import { canvas, h } from "../dom.js";

const GRID = 28;

export function contourChart(p: Points, params: ParamInfo[], width: number): HTMLElement {
  const box = h("div.chart", { "data-chart": "contour" });
  if (params.length < 2) {
    box.append(h("p.muted", {}, "A contour needs two parameters."));
    return box;
  }
  const pick = (i: number) => {
    const s = h("select") as HTMLSelectElement;
    for (const [j, q] of params.entries()) s.append(h("option", { value: q.name, selected: i === j }, q.name));
    return s;
  };
  const sx = pick(0);
  const sy = pick(1);
  const plot = h("div");
  box.append(h("div.controls", {}, "x ", sx, " y ", sy), plot);
  const draw = () => {
    const px = params.find((q) => q.name === sx.value)!;
    const py = params.find((q) => q.name === sy.value)!;
    plot.replaceChildren(drawPair(p, px, py, Math.min(width, 520)));
  };
  sx.addEventListener("change", draw);
  sy.addEventListener("change", draw);
  draw();
  return box;
}

function axis(values: (number | null)[], param: ParamInfo): (v: number) => number {
  const f = (v: number) => (param.log ? Math.log(v) : v);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  if (param.labels) {
    lo = -0.5;
    hi = param.labels.length - 0.5;
  } else
    for (const v of values) {
      if (v === null) continue;
      lo = Math.min(lo, f(v));
      hi = Math.max(hi, f(v));
    }
  if (!(hi > lo)) hi = lo + 1;
  return (v: number) => (f(v) - lo) / (hi - lo);
}

function drawPair(p: Points, px: ParamInfo, py: ParamInfo, size: number): HTMLElement {
  const { el, ctx } = canvas(size, size);
  const xs = p.params[px.name]!;
  const ys = p.params[py.name]!;
  const fx = axis(xs, px);
  const fy = axis(ys, py);
  const cells = new Float64Array(GRID * GRID).fill(Number.NaN);
  const pts: [number, number][] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  p.losses.forEach((loss, i) => {
    const x = xs[i];
    const y = ys[i];
    if (x === null || y === null || x === undefined || y === undefined) return;
    const u = Math.min(0.9999, Math.max(0, fx(x)));
    const v = Math.min(0.9999, Math.max(0, fy(y)));
    pts.push([u, v]);
    const c = Math.floor(v * GRID) * GRID + Math.floor(u * GRID);
    if (!(cells[c]! <= loss)) cells[c] = loss;
    lo = Math.min(lo, loss);
    hi = Math.max(hi, loss);
  });
  const cell = size / GRID;
  for (let r = 0; r < GRID; r++)
    for (let c = 0; c < GRID; c++) {
      const v = nearest(cells, r, c);
      if (Number.isNaN(v)) continue;
      const t = hi > lo ? (v - lo) / (hi - lo) : 0;
      ctx.fillStyle = `hsl(${210 - 170 * t}, 70%, ${35 + 45 * t}%)`;
      ctx.fillRect(c * cell, size - (r + 1) * cell, cell + 0.5, cell + 0.5);
    }
  ctx.fillStyle = "rgba(0,0,0,0.6)";
  for (const [u, v] of pts) ctx.fillRect(u * size - 1.5, size - v * size - 1.5, 3, 3);
  const box = h("div", { "data-points": pts.length }, el);
  return box;
}

/** The value of the nearest filled cell within a few cells (NaN if none): a cheap interpolation. */
function nearest(cells: Float64Array, r: number, c: number): number {
  for (let d = 0; d <= 3; d++) {
    let best = Number.NaN;
    let bestD = Number.POSITIVE_INFINITY;
    for (let i = Math.max(0, r - d); i <= Math.min(GRID - 1, r + d); i++)
      for (let j = Math.max(0, c - d); j <= Math.min(GRID - 1, c + d); j++) {
        const v = cells[i * GRID + j]!;
        const dd = (i - r) ** 2 + (j - c) ** 2;
        if (!Number.isNaN(v) && dd < bestD) {
          best = v;
          bestD = dd;
        }
      }
    if (!Number.isNaN(best)) return best;
  }
  return Number.NaN;
}
