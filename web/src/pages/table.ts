/**
 * The trials table: sorted, filtered and paged on the server (so 100,000
 * rows cost one page), conditional parameters blank where inactive, choice
 * labels; CSV and JSON Lines downloads of exactly what it shows.
 */
import { type Detail, exp, fetchApi, getJson, type ParamInfo, type State, type TrialRecord } from "../api.js";
import { fmt, h, STATE_COLORS } from "../dom.js";

const PAGE = 50;
const STATES: State[] = ["complete", "pruned", "fail", "lost", "running", "waiting"];

export class TrialsTable {
  readonly el = h("section.card.wide", { id: "trials" });
  private sort = "number";
  private desc = true;
  private offset = 0;
  private readonly states = new Set<State>();
  private readonly body = h("tbody");
  private readonly info = h("span.muted");

  constructor(
    private readonly name: string,
    private readonly params: ParamInfo[],
    /** Several objectives: a column per objective instead of the loss, and constraints' feasibility. */
    private readonly objectives: Detail["objectives"] = [],
  ) {
    const filters = h(
      "span.filters",
      {},
      ...STATES.map((s) => {
        const box = h("input", { type: "checkbox", "data-state": s }) as HTMLInputElement;
        box.addEventListener("change", () => {
          if (box.checked) this.states.add(s);
          else this.states.delete(s);
          this.offset = 0;
          void this.load();
        });
        return h("label", { style: `color:${STATE_COLORS[s]}` }, box, s);
      }),
    );
    const button = (label: string, act: () => void) => {
      const b = h("button", { type: "button" }, label);
      b.addEventListener("click", act);
      return b;
    };
    const pager = h(
      "span.pager",
      {},
      button("«", () => this.page(0)),
      button("‹", () => this.page(this.offset - PAGE)),
      this.info,
      button("›", () => this.page(this.offset + PAGE)),
      button("»", () => this.page(Number.MAX_SAFE_INTEGER)),
    );
    const downloads = h(
      "span.downloads",
      {},
      button("CSV", () => void this.download("csv")),
      button("JSON Lines", () => void this.download("jsonl")),
    );
    const columns: [string, string][] = [
      ["#", "number"],
      ["state", "state"],
      ...(this.multi
        ? [
            ...this.objectives.map((o): [string, string] => [o.name, `objective:${o.name}`]),
            ["feasible", ""] as [string, string],
          ]
        : [["loss", "loss"] as [string, string]]),
      ...this.params.map((p): [string, string] => [p.name, `param:${p.name}`]),
      ["worker", ""],
      ["duration", ""],
    ];
    const head = h(
      "tr",
      {},
      ...columns.map(([label, key]) => {
        const th = h("th", key ? { "data-sort": key, class: "sortable" } : {}, label);
        if (key)
          th.addEventListener("click", () => {
            this.desc = this.sort === key ? !this.desc : key === "number";
            this.sort = key;
            this.offset = 0;
            void this.load();
          });
        return th;
      }),
    );
    this.el.append(
      h("h3", {}, "Trials"),
      h("div.controls", {}, filters, pager, downloads),
      h("table.grid", {}, h("thead", {}, head), this.body),
    );
  }

  private total = 0;

  private get multi(): boolean {
    return this.objectives.length > 1;
  }

  private query(): string {
    const q = new URLSearchParams({ sort: this.sort, desc: this.desc ? "1" : "0" });
    if (this.states.size > 0) q.set("states", [...this.states].join(","));
    return q.toString();
  }

  private page(offset: number): void {
    const last = Math.max(0, Math.floor((this.total - 1) / PAGE) * PAGE);
    this.offset = Math.min(last, Math.max(0, offset));
    void this.load();
  }

  async load(): Promise<void> {
    const page = await getJson<{ total: number; offset: number; rows: TrialRecord[] }>(
      `${exp(this.name)}/trials?${this.query()}&offset=${this.offset}&limit=${PAGE}`,
    );
    this.total = page.total;
    this.info.textContent =
      page.total === 0 ? "no trials" : `${page.offset + 1}–${page.offset + page.rows.length} of ${page.total}`;
    this.el.querySelectorAll("th[data-sort]").forEach((th) => {
      th.classList.toggle("sorted", th.getAttribute("data-sort") === this.sort);
      th.setAttribute(
        "aria-sort",
        th.getAttribute("data-sort") === this.sort ? (this.desc ? "descending" : "ascending") : "none",
      );
    });
    this.body.replaceChildren(
      ...page.rows.map((t) => {
        const end = t.endTime ? Date.parse(t.endTime) : Date.now();
        const duration = t.startTime ? `${((end - Date.parse(t.startTime)) / 1000).toFixed(1)} s` : "";
        return h(
          "tr",
          { "data-number": t.number },
          h(
            "td.num",
            {},
            h(
              "a",
              { href: `/experiments/${encodeURIComponent(this.name)}/trials/${t.number}`, "data-link": true },
              t.number,
            ),
          ),
          h("td", { style: `color:${STATE_COLORS[t.state]}` }, t.state),
          ...(this.multi
            ? [
                ...this.objectives.map((_, k) => h("td.num", { "data-objective": k }, fmt(t.values?.[k]))),
                h(
                  "td",
                  { "data-feasible": String(t.feasible ?? "") },
                  t.feasible === undefined ? "" : t.feasible ? "yes" : "no",
                ),
              ]
            : [h("td.num", {}, fmt(t.loss))]),
          ...this.params.map((p) =>
            h(
              "td",
              {},
              p.name in t.params
                ? typeof t.params[p.name] === "number"
                  ? fmt(t.params[p.name] as number)
                  : String(t.params[p.name])
                : "",
            ),
          ),
          h("td", {}, t.workerId),
          h("td.num", {}, duration),
        );
      }),
    );
  }

  private async download(format: "csv" | "jsonl"): Promise<void> {
    const blob = await (await fetchApi(`${exp(this.name)}/trials.${format}?${this.query()}`)).blob();
    const a = h("a", {
      href: URL.createObjectURL(blob),
      download: `${this.name}-trials.${format}`,
    }) as HTMLAnchorElement;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
