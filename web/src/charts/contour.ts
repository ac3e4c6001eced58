/**
 * A contour for a chosen pair of parameters (canvas): the plane cut into cells, each shaded by the best loss of
 * the trials in it, empty cells filled from the nearest filled one along the numeric axes, with the trials drawn
 * on top. A choice's axis is cut into one band per option, labelled with the option: cells are never filled
 * across bands (a neighbouring option says nothing about this one), and the trials of a band are spread across
 * its width so that they do not pile up on one line. Numeric axes show their range (log-scaled where the
 * parameter is).
 */
import type { ParamInfo, Points } from "../api.js";
import { canvas, fmt, h } from "../dom.js";

const GRID = 28;
const LEFT = 64;
const BOTTOM = 34;
const PAD = 8;

export function contourChart(p: Points, params: ParamInfo[], width: number): HTMLElement {
  const box = h("div.chart", { "data-chart": "contour" });
  if (params.length < 2) {
    box.append(h("p.muted", {}, "A contour needs two parameters."));
    return box;
  }
  const pick = (i: number, axisName: string) => {
    const s = h("select", { "data-axis": axisName }) as HTMLSelectElement;
    for (const [j, q] of params.entries()) s.append(h("option", { value: q.name, selected: i === j }, q.name));
    return s;
  };
  const sx = pick(0, "x");
  const sy = pick(1, "y");
  const plot = h("div");
  box.append(h("div.controls", {}, "x ", sx, " y ", sy), plot);
  const draw = () => {
    const px = params.find((q) => q.name === sx.value)!;
    const py = params.find((q) => q.name === sy.value)!;
    plot.replaceChildren(drawPair(p, px, py, Math.min(width, 540)));
  };
  sx.addEventListener("change", draw);
  sy.addEventListener("change", draw);
  draw();
  return box;
}

/** One axis: how many cells, where a value falls in [0, 1), and its labels. */
interface Axis {
  cells: number;
  /** Position in [0, 1); `i` spreads a band's trials across it. */
  pos(v: number, i: number): number;
  bands?: string[];
  lo?: number;
  hi?: number;
}

function axis(values: (number | null)[], param: ParamInfo): Axis {
  if (param.labels) {
    const k = param.labels.length;
    // A fixed pseudo-random spread (golden ratio) across the band's middle 70 %.
    return {
      cells: k,
      bands: param.labels,
      pos: (v, i) => (v + 0.15 + 0.7 * ((i * 0.618034) % 1)) / k,
    };
  }
  const f = (v: number) => (param.log ? Math.log(v) : v);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v === null) continue;
    lo = Math.min(lo, f(v));
    hi = Math.max(hi, f(v));
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  if (!(hi > lo)) hi = lo + 1;
  const show = (x: number) => (param.log ? Math.exp(x) : x);
  return {
    cells: GRID,
    lo: show(lo),
    hi: show(hi),
    pos: (v) => Math.min(0.9999, Math.max(0, (f(v) - lo) / (hi - lo))),
  };
}

function drawPair(p: Points, px: ParamInfo, py: ParamInfo, size: number): HTMLElement {
  const { el, ctx } = canvas(size, size);
  const w = size - LEFT - PAD;
  const ht = size - BOTTOM - PAD;
  const xs = p.params[px.name]!;
  const ys = p.params[py.name]!;
  const ax = axis(xs, px);
  const ay = axis(ys, py);
  const cells = new Float64Array(ax.cells * ay.cells).fill(Number.NaN);
  const pts: [number, number][] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  p.losses.forEach((loss, i) => {
    const x = xs[i];
    const y = ys[i];
    if (x === null || y === null || x === undefined || y === undefined) return;
    const u = ax.pos(x, i);
    const v = ay.pos(y, i + 7);
    pts.push([u, v]);
    const c = Math.floor(v * ay.cells) * ax.cells + Math.floor(u * ax.cells);
    if (!(cells[c]! <= loss)) cells[c] = loss;
    lo = Math.min(lo, loss);
    hi = Math.max(hi, loss);
  });
  const cw = w / ax.cells;
  const ch = ht / ay.cells;
  for (let r = 0; r < ay.cells; r++)
    for (let c = 0; c < ax.cells; c++) {
      const v = nearest(cells, ax.cells, ay.cells, r, c, ax.bands === undefined, ay.bands === undefined);
      if (Number.isNaN(v)) continue;
      const t = hi > lo ? (v - lo) / (hi - lo) : 0;
      ctx.fillStyle = `hsl(${210 - 170 * t}, 70%, ${35 + 45 * t}%)`;
      ctx.fillRect(LEFT + c * cw, PAD + ht - (r + 1) * ch, cw + 0.5, ch + 0.5);
    }
  // Band borders, then the trials, then the axes' labels.
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 2;
  if (ax.bands) for (let k = 1; k < ax.cells; k++) line(ctx, LEFT + k * cw, PAD, LEFT + k * cw, PAD + ht);
  if (ay.bands) for (let k = 1; k < ay.cells; k++) line(ctx, LEFT, PAD + ht - k * ch, LEFT + w, PAD + ht - k * ch);
  ctx.fillStyle = "rgba(0,0,0,0.6)";
  for (const [u, v] of pts) ctx.fillRect(LEFT + u * w - 1.5, PAD + ht - v * ht - 1.5, 3, 3);
  ctx.strokeStyle = "#9aa1ab";
  ctx.lineWidth = 1;
  ctx.strokeRect(LEFT, PAD, w, ht);
  ctx.fillStyle = "#374151";
  ctx.textAlign = "center";
  if (ax.bands)
    for (const [k, b] of ax.bands.entries()) ctx.fillText(clip(b, cw), LEFT + (k + 0.5) * cw, PAD + ht + 13);
  else {
    ctx.textAlign = "left";
    ctx.fillText(fmt(ax.lo!, 3), LEFT, PAD + ht + 13);
    ctx.textAlign = "right";
    ctx.fillText(fmt(ax.hi!, 3), LEFT + w, PAD + ht + 13);
  }
  ctx.textAlign = "center";
  ctx.fillText(`${px.name}${px.log ? " (log)" : ""}`, LEFT + w / 2, PAD + ht + 27);
  ctx.textAlign = "right";
  if (ay.bands)
    for (const [k, b] of ay.bands.entries()) ctx.fillText(clip(b, LEFT - 6), LEFT - 4, PAD + ht - (k + 0.5) * ch + 4);
  else {
    ctx.fillText(fmt(ay.lo!, 3), LEFT - 4, PAD + ht);
    ctx.fillText(fmt(ay.hi!, 3), LEFT - 4, PAD + 9);
  }
  ctx.save();
  ctx.translate(12, PAD + ht / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(`${py.name}${py.log ? " (log)" : ""}`, 0, 0);
  ctx.restore();
  return h(
    "div",
    {
      "data-points": pts.length,
      "data-bands-x": ax.bands?.length ?? 0,
      "data-bands-y": ay.bands?.length ?? 0,
      "data-filled": cells.filter((v) => !Number.isNaN(v)).length,
    },
    el,
    h("p.muted", {}, lo <= hi ? `best loss per cell: ${fmt(lo)} (blue) to ${fmt(hi)} (yellow)` : "no trials here"),
  );
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

/** A label cut to fit `room` pixels (about 6 px a character at 11 px). */
function clip(s: string, room: number): string {
  const n = Math.max(3, Math.floor(room / 6));
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * The value of the nearest filled cell within a few cells (NaN if none): a cheap interpolation, moving only along
 * the numeric axes (`alongX`, `alongY`), so a choice's band is filled from its own trials alone.
 */
function nearest(
  cells: Float64Array,
  nx: number,
  ny: number,
  r: number,
  c: number,
  alongX: boolean,
  alongY: boolean,
): number {
  for (let d = 0; d <= 3; d++) {
    let best = Number.NaN;
    let bestD = Number.POSITIVE_INFINITY;
    const dr = alongY ? d : 0;
    const dc = alongX ? d : 0;
    for (let i = Math.max(0, r - dr); i <= Math.min(ny - 1, r + dr); i++)
      for (let j = Math.max(0, c - dc); j <= Math.min(nx - 1, c + dc); j++) {
        const v = cells[i * nx + j]!;
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
