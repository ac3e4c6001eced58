/**
 * The experiments list: name, algorithm, direction, lifecycle state, budget (stop conditions), counts per state,
 * best loss, last activity; a search box.
 */
import { getJson, type Summary } from "../api.js";
import { ago, budgetText, fmt, h, lifecycle, STATE_COLORS } from "../dom.js";

const STATES = ["running", "complete", "pruned", "fail", "lost", "waiting"] as const;

export async function experimentsPage(
  root: HTMLElement,
  signal: AbortSignal,
  live: (poll: () => Promise<void>) => void,
) {
  const search = h("input.search", {
    type: "search",
    placeholder: "search experiments",
    "aria-label": "search",
  }) as HTMLInputElement;
  search.value = new URLSearchParams(location.search).get("q") ?? "";
  const body = h("tbody");
  const table = h(
    "table.grid",
    { id: "experiments" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["name", "algorithm", "direction", "state", "budget", ...STATES, "best loss", "last activity"].map((c) =>
          h("th", {}, c),
        ),
      ),
    ),
    body,
  );
  root.replaceChildren(h("h2", {}, "Experiments"), search, table);
  let rows: Summary[] = [];
  const render = () => {
    const q = search.value.trim().toLowerCase();
    body.replaceChildren(
      ...rows
        .filter((e) => q === "" || e.name.toLowerCase().includes(q) || e.algorithm.includes(q))
        .map((e) =>
          h(
            "tr",
            { "data-experiment": e.name },
            h("td", {}, h("a", { href: `/experiments/${encodeURIComponent(e.name)}`, "data-link": true }, e.name)),
            h("td", {}, e.algorithm),
            h(
              "td",
              { "data-col": "direction" },
              // Several objectives: each one's direction, by name.
              e.objectives.length > 1 ? e.objectives.map((o) => `${o.name} ${o.direction}`).join(", ") : e.direction,
            ),
            h("td", { "data-col": "state", class: e.state === "completed" ? "done" : undefined }, lifecycle(e)),
            h("td", { "data-col": "budget" }, budgetText(e)),
            ...STATES.map((s) =>
              h("td.num", { style: e.counts[s] > 0 ? `color:${STATE_COLORS[s]}` : undefined }, e.counts[s]),
            ),
            h("td.num", {}, fmt(e.bestLoss)),
            h("td", { title: e.lastActivity ?? "" }, ago(e.lastActivity)),
          ),
        ),
    );
    if (rows.length === 0) body.append(h("tr", {}, h("td", { colspan: 13 }, "No experiments yet.")));
  };
  search.addEventListener("input", () => {
    history.replaceState(null, "", search.value === "" ? location.pathname : `?q=${encodeURIComponent(search.value)}`);
    render();
  });
  const load = async () => {
    const next = (await getJson<{ experiments: Summary[] }>("/api/experiments")).experiments;
    if (signal.aborted) return;
    if (JSON.stringify(next.map((e) => [e.name, e.version])) !== JSON.stringify(rows.map((e) => [e.name, e.version]))) {
      rows = next;
      render();
    }
  };
  await load();
  live(load);
}
