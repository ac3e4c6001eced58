/** Slice plots (uPlot): the loss against each parameter, over the trials where it is active. */
import uPlot from "uplot";
import type { ParamInfo, Points } from "../api.js";
import { h, STATE_COLORS } from "../dom.js";

export function sliceCharts(p: Points, params: ParamInfo[], width: number): HTMLElement {
  const box = h("div.slices");
  for (const param of params) {
    const values = p.params[param.name]!;
    const pairs: [number, number][] = [];
    values.forEach((v, i) => {
      if (v !== null) pairs.push([v, p.losses[i]!]);
    });
    pairs.sort((a, b) => a[0] - b[0]);
    const cell = h(
      "div.chart",
      { "data-chart": `slice:${param.name}`, "data-points": pairs.length },
      h("h4", {}, param.name),
    );
    box.append(cell);
    if (pairs.length === 0) continue;
    const labels = param.labels;
    new uPlot(
      {
        width,
        height: 200,
        scales: {
          x: { time: false, distr: param.log ? 3 : 1, ...(labels ? { range: [-0.5, labels.length - 0.5] } : {}) },
        },
        axes: [
          labels
            ? { splits: () => labels.map((_, i) => i), values: (_u, ticks) => ticks.map((t) => labels[t] ?? "") }
            : {},
          { size: 60 },
        ],
        legend: { show: false },
        series: [
          {},
          {
            stroke: STATE_COLORS.complete,
            paths: () => null,
            points: { show: true, size: 4, fill: STATE_COLORS.complete },
          },
        ],
      },
      [pairs.map((q) => q[0]), pairs.map((q) => q[1])],
      cell,
    );
  }
  return box;
}
