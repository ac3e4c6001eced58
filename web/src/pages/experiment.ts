/**
 * One experiment: summary, optimization history, importance, parallel
 * coordinates, slices, a contour, learning curves, the timeline per worker
 * and the trials table. Plot data comes downsampled from the server; the
 * page refreshes itself when the experiment changes (live).
 */
import { type Detail, exp, getJson, type ParetoPoints, type Points } from "../api.js";
import { contourChart } from "../charts/contour.js";
import { type Curve, curvesChart } from "../charts/curves.js";
import { historyChart } from "../charts/history.js";
import { importanceChart } from "../charts/importance.js";
import { parallelChart } from "../charts/parallel.js";
import { paretoChart } from "../charts/pareto.js";
import { sliceCharts } from "../charts/slice.js";
import { type TimelineEntry, timelineChart } from "../charts/timeline.js";
import { ago, budgetText, fmt, h, lifecycle, STATE_COLORS } from "../dom.js";
import { TrialsTable } from "./table.js";

export async function experimentPage(
  root: HTMLElement,
  name: string,
  signal: AbortSignal,
  live: (poll: () => Promise<void>) => void,
) {
  const base = exp(name);
  const detail = await getJson<Detail>(base);
  const width = Math.max(480, Math.min(1200, root.clientWidth - 40));
  const half = Math.max(360, Math.floor(width / 2) - 30);
  const card = (id: string, title: string, wide = false) =>
    h(`section.card${wide ? ".wide" : ""}`, { id }, h("h3", {}, title));
  const summary = h("div.summary");
  // Several objectives: the Pareto front first; the loss-based plots show the first objective instead.
  const multi = detail.objectives.length > 1;
  const first = detail.objectives[0]!.name;
  const cards = {
    ...(multi ? { pareto: card("pareto", "Pareto front", true) } : {}),
    history: card("history", multi ? `History of ${first}` : "Optimization history", true),
    importance: card("importance", multi ? `Parameter importance for ${first}` : "Parameter importance"),
    parallel: card("parallel", "Parallel coordinates", true),
    slices: card("slices", "Slices", true),
    contour: card("contour", "Contour"),
    curves: card("curves", "Intermediate values"),
    timeline: card("timeline", "Timeline per worker", true),
  };
  const table = new TrialsTable(name, detail.params, detail.objectives);
  root.replaceChildren(h("h2", {}, name), summary, h("div.cards", {}, ...Object.values(cards), table.el));
  const fill = (el: HTMLElement, chart: HTMLElement) => el.replaceChildren(el.firstChild!, chart);
  const renderSummary = (d: Detail) =>
    summary.replaceChildren(
      h(
        "span",
        {},
        `${d.algorithm} · ${multi ? d.objectives.map((o) => `${o.name} (${o.direction})`).join(", ") : d.direction}` +
          ` · pruner ${d.pruner} · ${d.total} trials`,
      ),
      h("span", { id: "lifecycle", class: d.state === "completed" ? "done" : undefined }, lifecycle(d)),
      ...(budgetText(d) === "" ? [] : [h("span", { id: "budget" }, `budget ${budgetText(d)}`)]),
      ...(["complete", "pruned", "fail", "lost", "running", "waiting"] as const).map((s) =>
        h("span.count", { style: `color:${STATE_COLORS[s]}`, "data-count": s }, `${s} ${d.counts[s]}`),
      ),
      h(
        "span",
        { id: "best" },
        multi
          ? "see the Pareto front"
          : d.bestLoss === null
            ? "no result yet"
            : `best ${fmt(d.bestLoss)} (trial ${d.bestNumber})`,
      ),
      h("span.muted", {}, `last activity ${ago(d.lastActivity)}`),
    );
  const loadAll = async (d: Detail) => {
    renderSummary(d);
    const [points, pareto, importance, timeline, curves] = await Promise.all([
      getJson<Points>(`${base}/points`),
      multi ? getJson<ParetoPoints>(`${base}/pareto`) : null,
      getJson<{ trials: number; params: { name: string; importance: number }[] }>(`${base}/importance`),
      getJson<{ total: number; rows: TimelineEntry[] }>(`${base}/timeline`),
      getJson<{ total: number; rows: Curve[] }>(`${base}/curves`),
      table.load(),
    ]);
    if (signal.aborted) return;
    const note = points.sampled
      ? h("p.muted", {}, `${points.numbers.length} of ${points.total} trials shown: the best and an even sample`)
      : null;
    if (cards.pareto !== undefined && pareto !== null) fill(cards.pareto, paretoChart(pareto, width));
    fill(cards.history, h("div", {}, historyChart(points, width, first), note ?? ""));
    fill(cards.importance, importanceChart(importance));
    fill(cards.parallel, parallelChart(points, detail.params, width));
    fill(cards.slices, sliceCharts(points, detail.params, Math.max(260, Math.floor(width / 3) - 24)));
    fill(cards.contour, contourChart(points, detail.params, half));
    fill(cards.curves, curvesChart(curves.rows, curves.total, half));
    fill(cards.timeline, timelineChart(timeline.rows, timeline.total, width));
    root.setAttribute("data-version", String(d.version));
  };
  await loadAll(detail);
  let version = detail.version;
  live(async () => {
    const d = await getJson<Detail>(base);
    if (d.version === version || signal.aborted) return;
    version = d.version;
    await loadAll(d);
  });
}
