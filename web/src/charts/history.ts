/**
 * Optimization history (uPlot): every plotted trial's loss as a point, and
 * the best loss so far as a step line; a log-scale toggle when all losses
 * are positive.
 */
import uPlot from "uplot";
import type { Points } from "../api.js";
import { h, STATE_COLORS } from "../dom.js";

/** `label` names the objective plotted: "loss", or a multi-objective experiment's first objective. */
export function historyChart(p: Points, width: number, label = "loss"): HTMLElement {
  const box = h("div.chart", { "data-chart": "history", "data-points": p.numbers.length });
  const positive = p.losses.every((v) => v > 0);
  const toggle = h("input", { type: "checkbox", disabled: !positive }) as HTMLInputElement;
  const plotBox = h("div");
  box.append(h("label.toggle", {}, toggle, " log scale"), plotBox);
  // One x axis for the points and the best-so-far changes (uPlot wants aligned, ascending x).
  const xs = [...new Set([...p.numbers, ...p.best.numbers])].sort((a, b) => a - b);
  const lossAt = new Map(p.numbers.map((n, i) => [n, p.losses[i]!]));
  const prunedAt = new Map(p.numbers.map((n, i) => [n, p.states[i] === "pruned"]));
  const bestAt = new Map(p.best.numbers.map((n, i) => [n, p.best.losses[i]!]));
  let best: number | null = null;
  const bestLine = xs.map((n) => {
    best = bestAt.get(n) ?? best;
    return best;
  });
  const complete = xs.map((n) => (prunedAt.get(n) === false ? (lossAt.get(n) ?? null) : null));
  const pruned = xs.map((n) => (prunedAt.get(n) === true ? (lossAt.get(n) ?? null) : null));
  const draw = () => {
    plotBox.replaceChildren();
    const opts: uPlot.Options = {
      width,
      height: 280,
      scales: { x: { time: false }, y: { distr: toggle.checked ? 3 : 1 } },
      axes: [{ label: "trial" }, { label, size: 60 }],
      series: [
        {},
        {
          label,
          stroke: STATE_COLORS.complete,
          paths: () => null,
          points: { show: true, size: 4, fill: STATE_COLORS.complete },
        },
        {
          label: "pruned",
          stroke: STATE_COLORS.pruned,
          paths: () => null,
          points: { show: true, size: 4, fill: STATE_COLORS.pruned },
        },
        {
          label: "best so far",
          stroke: "#d62728",
          width: 2,
          paths: uPlot.paths.stepped!({ align: 1 }),
          spanGaps: true,
          points: { show: false },
        },
      ],
    };
    const u = new uPlot(opts, [xs, complete, pruned, bestLine] as uPlot.AlignedData, plotBox);
    // The scale uPlot drew with (3: logarithmic), for the browser tests and for styling.
    box.setAttribute("data-scale", u.scales.y!.distr === 3 ? "log" : "linear");
  };
  toggle.addEventListener("change", draw);
  draw();
  return box;
}
