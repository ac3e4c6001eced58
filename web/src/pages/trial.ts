/** One trial: parameters, loss (or objective values and constraints), metrics, user attributes, learning curve, fail reason, worker, times. */
import { exp, getJson, type TrialRecord } from "../api.js";
import { curvesChart } from "../charts/curves.js";
import { fmt, h, STATE_COLORS } from "../dom.js";

export async function trialPage(
  root: HTMLElement,
  name: string,
  number: number,
  live: (poll: () => Promise<void>) => void,
) {
  const render = (t: TrialRecord) => {
    const kv = (rec: Record<string, unknown>) =>
      h(
        "table.kv",
        {},
        ...Object.entries(rec).map(([k, v]) =>
          h("tr", {}, h("th", {}, k), h("td", {}, typeof v === "number" ? fmt(v) : String(v))),
        ),
      );
    root.replaceChildren(
      h("h2", {}, `Trial ${t.number} `, h("span.state", { style: `background:${STATE_COLORS[t.state]}` }, t.state)),
      h(
        "div.cards",
        {},
        h(
          "section.card",
          { id: "trial-result" },
          h("h3", {}, "Result"),
          kv({
            // A multi-objective trial: its values in the experiment's objective order instead of a loss.
            ...(t.values === undefined ? { loss: t.loss ?? "" } : { values: t.values.map((v) => fmt(v)).join(", ") }),
            ...(t.constraints === undefined
              ? {}
              : { constraints: t.constraints.map((v) => fmt(v)).join(", "), feasible: t.feasible ? "yes" : "no" }),
            source: t.source,
            ...(t.proposedBy ? { "proposed by": t.proposedBy } : {}),
            id: t.id,
            worker: t.workerId,
            created: t.createTime,
            started: t.startTime ?? "",
            ended: t.endTime ?? "",
            ...(t.failReason ? { "fail reason": t.failReason } : {}),
          }),
        ),
        h("section.card", { id: "trial-params" }, h("h3", {}, "Parameters"), kv(t.params)),
        h("section.card", { id: "trial-metrics" }, h("h3", {}, "Metrics"), kv(t.metrics)),
        h("section.card", { id: "trial-attrs" }, h("h3", {}, "User attributes"), kv(t.userAttrs)),
      ),
      h(
        "section.card.wide",
        {},
        h("h3", {}, "Learning curve"),
        curvesChart([{ number: t.number, state: t.state, points: t.intermediate ?? [] }], 1, 700),
      ),
    );
  };
  const load = async () => render(await getJson<TrialRecord>(`${exp(name)}/trials/${number}`));
  await load();
  live(load);
}
