/** Parameter importance (PED-ANOVA, computed by the server) as horizontal bars. */
import { fmt, h } from "../dom.js";

export function importanceChart(imp: { trials: number; params: { name: string; importance: number }[] }): HTMLElement {
  const box = h("div.chart.importance", { "data-chart": "importance", "data-points": imp.params.length });
  for (const p of imp.params) {
    box.append(
      h(
        "div.bar-row",
        {},
        h("span.bar-label", {}, p.name),
        h("span.bar", { style: `width:${(p.importance * 100).toFixed(1)}%` }),
        h("span.bar-value", {}, fmt(p.importance, 3)),
      ),
    );
  }
  box.append(h("p.muted", {}, `PED-ANOVA over ${imp.trials} complete trials (top 10% against all)`));
  return box;
}
