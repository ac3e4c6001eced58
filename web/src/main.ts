/**
 * The dashboard's entry: a client-side router over three pages (/,
 * /experiments/<name>, /experiments/<name>/trials/<number>), a token prompt
 * when the server asks for one, and polling for live updates while a page
 * is open. Every page path is served index.html by the server, so links
 * survive a reload.
 */
import "uplot/dist/uPlot.min.css";
import "../style.css";
import { setToken, Unauthorized } from "./api.js";
import { h } from "./dom.js";
import { experimentPage } from "./pages/experiment.js";
import { experimentsPage } from "./pages/experiments.js";
import { trialPage } from "./pages/trial.js";

/** How often an open page asks whether anything changed (ms); `?poll=` overrides it. */
const POLL_MS = Number(new URLSearchParams(location.search).get("poll") ?? 2000);

const app = document.getElementById("app")!;
const crumbs = document.getElementById("crumbs")!;
const liveBadge = document.getElementById("live")!;
let current: AbortController | undefined;

async function route(): Promise<void> {
  current?.abort();
  const ctl = new AbortController();
  current = ctl;
  const path = decodeURI(location.pathname);
  const live = (poll: () => Promise<void>) => {
    let timer = 0;
    const tick = async () => {
      if (ctl.signal.aborted) return;
      try {
        await poll();
        liveBadge.textContent = "● live";
        liveBadge.className = "on";
      } catch {
        liveBadge.textContent = "● offline";
        liveBadge.className = "off";
      }
      if (!ctl.signal.aborted) timer = window.setTimeout(tick, POLL_MS);
    };
    timer = window.setTimeout(tick, POLL_MS);
    ctl.signal.addEventListener("abort", () => clearTimeout(timer));
  };
  document.body.removeAttribute("data-ready");
  try {
    const trial = /^\/experiments\/([^/]+)\/trials\/(\d+)\/?$/.exec(location.pathname);
    const experiment = /^\/experiments\/([^/]+)\/?$/.exec(location.pathname);
    if (trial) {
      const name = decodeURIComponent(trial[1]!);
      setCrumbs([name, `/experiments/${trial[1]}`], [`trial ${trial[2]}`, ""]);
      await trialPage(app, name, Number(trial[2]), live);
    } else if (experiment) {
      const name = decodeURIComponent(experiment[1]!);
      setCrumbs([name, ""]);
      await experimentPage(app, name, ctl.signal, live);
    } else if (path === "/") {
      setCrumbs();
      await experimentsPage(app, ctl.signal, live);
    } else app.replaceChildren(h("p.error", {}, `No page at ${path}.`));
  } catch (err) {
    if (ctl.signal.aborted) return;
    if (err instanceof Unauthorized) tokenForm(err.message);
    else app.replaceChildren(h("p.error", { role: "alert" }, (err as Error).message));
  }
  if (!ctl.signal.aborted) document.body.setAttribute("data-ready", "true");
}

function setCrumbs(...items: [string, string][]): void {
  crumbs.replaceChildren(
    ...items.flatMap(([label, href]) => [
      " / ",
      href ? h("a", { href, "data-link": true }, label) : h("span", {}, label),
    ]),
  );
}

function tokenForm(problem: string): void {
  const input = h("input", {
    type: "password",
    name: "token",
    placeholder: "bearer token",
    autocomplete: "off",
  }) as HTMLInputElement;
  const form = h(
    "form.token",
    {},
    h("p", {}, `This server needs a token to view (${problem}).`),
    input,
    h("button", { type: "submit" }, "View"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    void route();
  });
  app.replaceChildren(form);
}

document.addEventListener("click", (e) => {
  const a = (e.target as Element).closest("a[data-link]");
  if (a === null || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  history.pushState(null, "", a.getAttribute("href"));
  void route();
});
window.addEventListener("popstate", () => void route());
void route();
