/**
 * The Pareto front of a multi-objective experiment (canvas): every COMPLETE
 * trial as a point of two objectives, the front highlighted (and joined in
 * order when there are just two objectives: with more, the front's points
 * projected on a pair need not form a curve), infeasible trials grey. With
 * three or more objectives two selects choose the pair shown.
 */
import type { ParetoPoints } from "../api.js";
import { canvas, fmt, h } from "../dom.js";

const FRONT = "#d62728";
const OTHER = "#2b7bba";
const INFEASIBLE = "#bbbbbb";

export function paretoChart(p: ParetoPoints, width: number): HTMLElement {
  const shown = p.front.numbers.length + p.others.numbers.length;
  const box = h("div.chart", {
    "data-chart": "pareto",
    "data-points": shown,
    "data-front": p.front.numbers.length,
    "data-infeasible": p.others.feasible.filter((f) => !f).length,
  });
  const label = (k: number) => `${p.objectives[k]!.name} (${p.objectives[k]!.direction})`;
  const select = (initial: number) => {
    const s = h("select", {}, ...p.objectives.map((_, k) => h("option", { value: k }, label(k)))) as HTMLSelectElement;
    s.value = String(initial);
    s.addEventListener("change", draw);
    return s;
  };
  const xSel = select(0);
  const ySel = select(1);
  const plotBox = h("div");
  if (p.objectives.length > 2) box.append(h("label", {}, "x ", xSel), " ", h("label", {}, "y ", ySel));
  box.append(plotBox);
  function draw(): void {
    const xk = Number(xSel.value);
    const yk = Number(ySel.value);
    box.setAttribute("data-axes", `${p.objectives[xk]!.name},${p.objectives[yk]!.name}`);
    const height = 320;
    const { el, ctx } = canvas(width, height);
    const all = [...p.front.values, ...p.others.values];
    const range = (k: number) => {
      let lo = Math.min(...all.map((v) => v[k]!));
      let hi = Math.max(...all.map((v) => v[k]!));
      if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
      // A margin, so points on the extremes are not drawn over the frame.
      const pad = (hi - lo) * 0.05;
      return [lo - pad, hi + pad] as const;
    };
    const [x0, x1] = all.length > 0 ? range(xk) : [0, 1];
    const [y0, y1] = all.length > 0 ? range(yk) : [0, 1];
    const left = 60;
    const bottom = height - 36;
    const X = (v: number) => left + ((v - x0) / (x1 - x0)) * (width - left - 20);
    const Y = (v: number) => bottom - ((v - y0) / (y1 - y0)) * (bottom - 16);
    ctx.strokeStyle = "#888";
    ctx.fillStyle = "#444";
    ctx.strokeRect(left, 16, width - left - 20, bottom - 16);
    ctx.fillText(fmt(x0), left, bottom + 14);
    ctx.fillText(fmt(x1), width - 60, bottom + 14);
    ctx.fillText(fmt(y0), 4, bottom);
    ctx.fillText(fmt(y1), 4, 24);
    ctx.fillText(label(xk), left + (width - left) / 2 - 40, height - 6);
    ctx.fillText(label(yk), left + 6, 12);
    const dot = (v: number[], color: string, r: number) => {
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.arc(X(v[xk]!), Y(v[yk]!), r, 0, 2 * Math.PI);
      ctx.fill();
    };
    p.others.values.forEach((v, i) => {
      dot(v, p.others.feasible[i] ? OTHER : INFEASIBLE, 3);
    });
    if (p.objectives.length === 2 && p.front.values.length > 1) {
      const line = [...p.front.values].sort((a, b) => a[xk]! - b[xk]!);
      ctx.strokeStyle = FRONT;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (const [i, v] of line.entries()) {
        if (i === 0) ctx.moveTo(X(v[xk]!), Y(v[yk]!));
        else ctx.lineTo(X(v[xk]!), Y(v[yk]!));
      }
      ctx.stroke();
    }
    for (const v of p.front.values) dot(v, FRONT, 4.5);
    plotBox.replaceChildren(el);
  }
  draw();
  const note = p.sampled
    ? `${shown} of ${p.total} COMPLETE trials shown: the whole front and an even sample of the rest`
    : `${p.front.numbers.length} of ${p.total} COMPLETE trials on the front`;
  box.append(
    h(
      "p.muted",
      {},
      note,
      " · ",
      h("span", { style: `color:${FRONT}` }, "front"),
      ", ",
      h("span", { style: `color:${INFEASIBLE}` }, "infeasible"),
    ),
  );
  return box;
}
