/**
 * The dashboard in a real browser: Debian's chromium (headless) driven by
 * playwright-core, against a real server with a real database and a known
 * history. Every page loads without console errors, plots show the expected
 * number of points (the contour with a choice as bands), a log scale toggles,
 * the table sorts, filters and pages, its CSV and JSON Lines downloads hold what
 * it shows, stragglers and LOST trials stand out on the timeline, lifecycle state
 * and budget show, a live page picks up a new trial, deep links survive a
 * reload, and a reader token can view but not write. With
 * PARZEN_SCREENSHOTS=1 it also refreshes the README's pictures (docs/img/).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from "../../scripts/build-web.mjs";
import { choice, num, str, uniform } from "../integration/fixtures.js";
import { promisify, rejection, startTestServer, type TestServer } from "../integration/harness.js";

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "admin-token-0123456789";
const READER = "reader-token-0123456789";
const SHOTS = process.env.PARZEN_SCREENSHOTS === "1" ? join(__dirname, "..", "..", "docs", "img") : undefined;

let webRoot: string;
let browser: Browser;
let clock = Date.UTC(2026, 11, 1, 9);

/** A page that records console errors and uncaught exceptions. */
async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return { page, errors };
}

/** Waits until the element `selector` shows `text` (or, with `attr`, has that attribute value): the page updates it. */
async function shows(page: Page, selector: string, text: string, attr?: string): Promise<void> {
  await page.waitForFunction(
    ([sel, want, a]) => {
      // Runs in the browser; the test's own types have no DOM.
      const doc = (globalThis as unknown as { document: { querySelector(s: string): Element | null } }).document;
      const el = doc.querySelector(sel!);
      return el !== null && (a ? el.getAttribute(a) : el.textContent) === want;
    },
    [selector, text, attr],
  );
}

interface Element {
  textContent: string | null;
  getAttribute(name: string): string | null;
}

async function ready(page: Page): Promise<void> {
  await page.waitForSelector("body[data-ready]");
}

/** Suggests and reports one trial on worker `w`; x near 0.3 is best. */
async function oneTrial(ts: TestServer, experiment: string, w: string, how: "ok" | "pruned" | "fail" | "lost") {
  const [t] = (await ts.api.suggest({ experiment, workerId: w })).trials;
  clock += 1500;
  const x = t!.params.x!.kind!.value as number;
  if (how === "ok")
    await ts.api.report({
      trialId: t!.id,
      status: ReportStatus.REPORT_STATUS_OK,
      loss: (x - 0.3) ** 2,
      metrics: { accuracy: 1 - (x - 0.3) ** 2 },
      userAttrs: { host: `node-${w}` },
    });
  else if (how === "fail")
    await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_FAIL, failReason: "OOM" });
  else if (how === "pruned") {
    for (let s = 0; s < 4; s++) await ts.api.reportIntermediate({ trialId: t!.id, step: s, value: 1 + x - s / 10 });
    await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_PRUNED });
  }
  return t!;
}

beforeAll(async () => {
  expect(existsSync(CHROMIUM), "install Debian's chromium (apt-get install chromium)").toBe(true);
  webRoot = mkdtempSync(join(tmpdir(), "parzen-web-"));
  await buildWeb(webRoot);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
  rmSync(webRoot, { recursive: true, force: true });
});

describe("the dashboard in Chromium", () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ http: "127.0.0.1:0", webRoot, now: () => clock });
    await ts.api.createExperiment({
      experiment: {
        name: "known",
        space: {
          parameters: [
            uniform("x", 0, 1),
            choice("opt", [{ value: str("sgd"), children: [uniform("momentum", 0, 0.99)] }, { value: str("adam") }]),
          ],
        },
        algorithm: { name: "random", options: {} },
        leaseDuration: { seconds: 60, nanos: 0 },
        seed: 7,
      },
    });
    // A known history: 30 COMPLETE, 5 PRUNED (with curves), 3 FAIL, 2 LOST, on three workers.
    for (let i = 0; i < 30; i++) await oneTrial(ts, "known", `w${i % 3}`, "ok");
    for (let i = 0; i < 5; i++) await oneTrial(ts, "known", "w0", "pruned");
    for (let i = 0; i < 3; i++) await oneTrial(ts, "known", "w1", "fail");
    for (let i = 0; i < 2; i++) await oneTrial(ts, "known", "w2", "lost");
    clock += 120_000; // both leases lapse
    await ts.api.createExperiment({ experiment: { name: "empty", space: { parameters: [uniform("x", 0, 1)] } } });
    // A budget of 3 trials, used up: COMPLETED (budget).
    const small = { parameters: [uniform("x", 0, 1)] };
    const random = { name: "random", options: {} };
    await ts.api.createExperiment({ experiment: { name: "budgeted", space: small, algorithm: random, maxTrials: 3 } });
    for (let i = 0; i < 3; i++) await oneTrial(ts, "budgeted", "w0", "ok");
    // Four RUNNING trials started 1.5 s apart on long leases: the oldest is the straggler.
    await ts.api.createExperiment({
      experiment: { name: "stragglers", space: small, algorithm: random, leaseDuration: { seconds: 3600, nanos: 0 } },
    });
    for (let i = 0; i < 4; i++) {
      clock += 1500;
      await ts.api.suggest({ experiment: "stragglers", workerId: `w${i}` });
    }
    // 120 imported COMPLETE trials: three pages of the table.
    await ts.api.createExperiment({ experiment: { name: "many", space: small, algorithm: random } });
    await ts.api.addTrials({
      experiment: "many",
      trials: Array.from({ length: 120 }, (_, i) => ({ params: { x: num(i / 120) }, loss: i / 120 })),
    });
  });
  afterAll(() => ts?.close());

  it("lists the experiments and searches them", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/`);
    await ready(page);
    expect(await page.locator("#experiments tbody tr").count()).toBe(5);
    const known = page.locator('tr[data-experiment="known"] td');
    expect(await known.allInnerTexts()).toEqual(expect.arrayContaining(["random", "minimize", "30", "5", "3", "2"]));
    const cell = (name: string, col: string) => page.locator(`tr[data-experiment="${name}"] td[data-col="${col}"]`);
    expect(await cell("known", "state").innerText()).toBe("active");
    expect(await cell("known", "budget").innerText()).toBe("");
    expect(await cell("budgeted", "state").innerText()).toBe("completed (budget)");
    expect(await cell("budgeted", "budget").innerText()).toBe("3 / 3 trials");
    if (SHOTS) await page.screenshot({ path: join(SHOTS, "dashboard-experiments.png") });
    await page.fill("input.search", "emp");
    expect(await page.locator("#experiments tbody tr").count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("plots the known history with the expected number of points", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/experiments/known`);
    await ready(page);
    const points = (chart: string) => page.getAttribute(`[data-chart="${chart}"]`, "data-points");
    expect(await points("history")).toBe("35"); // COMPLETE and PRUNED trials have a loss
    expect(await points("parallel")).toBe("35");
    expect(await points("slice:x")).toBe("35");
    // momentum exists only where opt is sgd: its slice has fewer points than x's.
    const momentum = Number(await points("slice:momentum"));
    expect(momentum).toBeGreaterThan(0);
    expect(momentum).toBeLessThan(35);
    expect(await points("curves")).toBe("5");
    expect(await page.getAttribute('[data-chart="curves"]', "data-pruned")).toBe("5");
    expect(await points("timeline")).toBe("40");
    expect(await page.getAttribute('[data-chart="timeline"]', "data-lost")).toBe("2");
    expect(await points("importance")).toBe("3");
    // The contour: x against the choice opt, whose options are two bands; then x against momentum (active only
    // under sgd), two numeric axes.
    const contour = page.locator('[data-chart="contour"] div[data-points]');
    expect(await page.locator('[data-chart="contour"] canvas').count()).toBe(1);
    expect(await contour.getAttribute("data-points")).toBe("35");
    expect(await contour.getAttribute("data-bands-x")).toBe("0");
    expect(await contour.getAttribute("data-bands-y")).toBe("2");
    if (SHOTS) await page.screenshot({ path: join(SHOTS, "dashboard-experiment.png"), fullPage: true });
    await page.selectOption('[data-chart="contour"] select[data-axis="y"]', "momentum");
    await shows(page, '[data-chart="contour"] div[data-points]', "0", "data-bands-y");
    expect(Number(await contour.getAttribute("data-points"))).toBe(momentum);
    // The history's log scale.
    expect(await page.getAttribute('[data-chart="history"]', "data-scale")).toBe("linear");
    await page.check('[data-chart="history"] label.toggle input');
    await shows(page, '[data-chart="history"]', "log", "data-scale");
    expect(await page.getAttribute('[data-chart="timeline"]', "data-stragglers")).toBe("0");
    expect(await page.locator("#lifecycle").innerText()).toBe("active");
    expect(await page.locator("#budget").count()).toBe(0);
    // The table: 40 trials, paged by 50; choice labels, not indices; blank where momentum is inactive.
    expect(await page.locator("#trials .pager .muted").innerText()).toBe("1–40 of 40");
    const opts = await page.locator("#trials tbody tr td:nth-child(5)").allInnerTexts();
    expect(new Set(opts)).toEqual(new Set(["sgd", "adam"]));
    // Sort by loss (ascending on the first click), then filter to FAIL only.
    await page.click('th[data-sort="loss"]');
    await page.waitForSelector('th[data-sort="loss"][aria-sort="ascending"]');
    const losses = (await page.locator("#trials tbody tr td:nth-child(3)").allInnerTexts()).filter((s) => s !== "");
    expect(losses.map(Number)).toEqual([...losses.map(Number)].sort((a, b) => a - b));
    await page.check('input[data-state="fail"]');
    await shows(page, "#trials .pager .muted", "1–3 of 3");
    // The downloads hold what the table shows: the three FAIL trials, sorted by loss.
    const download = async (button: string) => {
      const [file] = await Promise.all([
        page.waitForEvent("download"),
        page.click(`#trials button:text-is("${button}")`),
      ]);
      return { name: file.suggestedFilename(), text: readFileSync((await file.path())!, "utf8") };
    };
    const csv = await download("CSV");
    expect(csv.name).toBe("known-trials.csv");
    const lines = csv.text.trim().split("\n");
    expect(lines[0]).toBe("number,state,loss,x,opt,momentum,worker_id,start_time,end_time");
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 3))).toEqual(
      [35, 36, 37].map((n) => [String(n), "fail", ""]),
    );
    const jsonl = await download("JSON Lines");
    expect(jsonl.name).toBe("known-trials.jsonl");
    const records = jsonl.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { number: number; state: string; failReason: string; workerId: string });
    expect(records.map((r) => [r.number, r.state, r.failReason, r.workerId])).toEqual(
      [35, 36, 37].map((n) => [n, "fail", "OOM", "w1"]),
    );
    expect(errors).toEqual([]);
  });

  it("pages through the table, and shows a budget, a completed experiment and stragglers", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/experiments/many`);
    await ready(page);
    const first = () => page.locator("#trials tbody tr").first().getAttribute("data-number");
    expect(await page.locator("#trials .pager .muted").innerText()).toBe("1–50 of 120");
    expect(await first()).toBe("119"); // newest first (numbers count from 0)
    await page.click('#trials .pager button:text-is("›")');
    await shows(page, "#trials .pager .muted", "51–100 of 120");
    expect(await first()).toBe("69");
    await page.click('#trials .pager button:text-is("»")');
    await shows(page, "#trials .pager .muted", "101–120 of 120");
    expect(await page.locator("#trials tbody tr").count()).toBe(20);
    await page.click('#trials .pager button:text-is("«")');
    await shows(page, "#trials .pager .muted", "1–50 of 120");

    await page.goto(`http://${ts.server.httpAddress}/experiments/budgeted`);
    await ready(page);
    expect(await page.locator("#lifecycle").innerText()).toBe("completed (budget)");
    expect(await page.locator("#budget").innerText()).toBe("budget 3 / 3 trials");

    await page.goto(`http://${ts.server.httpAddress}/experiments/stragglers`);
    await ready(page);
    expect(await page.getAttribute('[data-chart="timeline"]', "data-points")).toBe("4");
    expect(await page.getAttribute('[data-chart="timeline"]', "data-stragglers")).toBe("1");
    expect(errors).toEqual([]);
  });

  it("picks up a new trial while the page is open", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/experiments/known?poll=100`);
    await ready(page);
    expect(await page.locator('[data-count="complete"]').innerText()).toBe("complete 30");
    await oneTrial(ts, "known", "w0", "ok");
    await shows(page, '[data-count="complete"]', "complete 31");
    await shows(page, '[data-chart="history"]', "36", "data-points");
    expect(errors).toEqual([]);
  });

  it("keeps deep links through a reload, and shows a trial", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/experiments/known`);
    await ready(page);
    await page.click('#trials a[href="/experiments/known/trials/31"]');
    await page.waitForURL(`http://${ts.server.httpAddress}/experiments/known/trials/31`);
    await ready(page);
    expect(await page.locator("h2").innerText()).toMatch(/^Trial 31/);
    expect(page.url()).toBe(`http://${ts.server.httpAddress}/experiments/known/trials/31`);
    await page.reload();
    await ready(page);
    expect(await page.locator("h2").innerText()).toMatch(/^Trial 31/);
    expect(await page.locator("#trial-params").innerText()).toMatch(/opt/);
    expect(await page.getAttribute('[data-chart="curves"]', "data-pruned")).toBe("1"); // its learning curve
    await page.goto(`http://${ts.server.httpAddress}/experiments/known/trials/0`);
    await ready(page);
    const result = await page.locator("#trial-result").innerText();
    for (const field of [/loss\s+0\.\d+/, /worker\s+w0/, /started\s+2026-12-01T09:/, /ended\s+2026-12-01T09:/])
      expect(result).toMatch(field);
    expect(await page.locator("#trial-metrics").innerText()).toMatch(/accuracy\s+0\.\d+/);
    expect(await page.locator("#trial-attrs").innerText()).toMatch(/host\s+node-w0/);
    await page.goto(`http://${ts.server.httpAddress}/experiments/known/trials/35`);
    await ready(page);
    expect(await page.locator("main").innerText()).toMatch(/OOM/);
    await page.goto(`http://${ts.server.httpAddress}/experiments/known/trials/31`);
    await ready(page);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, "dashboard-trial.png") });
    await page.goto(`http://${ts.server.httpAddress}/experiments/empty`);
    await ready(page);
    expect(await page.locator('[data-chart="history"]').getAttribute("data-points")).toBe("0");
    expect(errors).toEqual([]);
  });
});

describe("the dashboard of a multi-objective experiment", () => {
  let ts: TestServer;
  const MIN = Direction.DIRECTION_MINIMIZE;
  const MAX = Direction.DIRECTION_MAXIMIZE;
  beforeAll(async () => {
    ts = await startTestServer({ http: "127.0.0.1:0", webRoot, now: () => clock });
    const space = { parameters: [uniform("x", 0, 1)] };
    await ts.api.createExperiment({
      experiment: {
        name: "bi",
        space,
        objectives: [
          { name: "error", direction: MIN },
          { name: "throughput", direction: MAX },
        ],
      },
    });
    // A known front: trials 0, 1 and 2. Trial 5 would dominate them all but is infeasible.
    const known: [number, number, number][] = [
      [0.1, 1, -1],
      [0.2, 5, -1],
      [0.5, 9, -1],
      [0.3, 4, -1],
      [0.6, 8, -1],
      [0.05, 20, 1],
      [0.9, 2, -1],
    ];
    await ts.api.addTrials({
      experiment: "bi",
      trials: known.map(([e, t, c], i) => ({ params: { x: num(i / 10) }, values: [e, t], constraints: [c] })),
    });
    await ts.api.createExperiment({
      experiment: {
        name: "tri",
        space,
        objectives: [
          { name: "a", direction: MIN },
          { name: "b", direction: MIN },
          { name: "c", direction: MIN },
        ],
      },
    });
    await ts.api.addTrials({
      experiment: "tri",
      trials: [
        [1, 2, 3],
        [3, 2, 1],
        [4, 4, 4],
      ].map((values, i) => ({ params: { x: num(i / 10) }, values })),
    });
  });
  afterAll(() => ts?.close());

  it("serves the front whole and samples the other trials", async () => {
    const url = `http://${ts.server.httpAddress}/api/experiments/bi/pareto`;
    const all = (await (await fetch(url)).json()) as { objectives: unknown };
    expect(all).toEqual({
      objectives: [
        { name: "error", direction: "minimize" },
        { name: "throughput", direction: "maximize" },
      ],
      total: 7,
      sampled: false,
      front: {
        numbers: [0, 1, 2],
        values: [
          [0.1, 1],
          [0.2, 5],
          [0.5, 9],
        ],
      },
      others: {
        numbers: [3, 4, 5, 6],
        values: [
          [0.3, 4],
          [0.6, 8],
          [0.05, 20],
          [0.9, 2],
        ],
        feasible: [true, true, false, true],
      },
    });
    const few = (await (await fetch(`${url}?max=4`)).json()) as { others: { numbers: number[] } };
    expect(few).toMatchObject({ total: 7, sampled: true, front: { numbers: [0, 1, 2] } });
    expect(few.others.numbers).toHaveLength(1);
    const bad = await fetch(`${url}?max=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/max: expected an integer between 1 and 5000/);
    const detail = (await (await fetch(`http://${ts.server.httpAddress}/api/experiments/bi`)).json()) as {
      objectives: unknown;
    };
    expect(detail.objectives).toEqual(all.objectives);
    const row = await (await fetch(`http://${ts.server.httpAddress}/api/experiments/bi/trials/5`)).json();
    expect(row).toMatchObject({ loss: null, values: [0.05, 20], constraints: [1], feasible: false });
    const csv = await (await fetch(`http://${ts.server.httpAddress}/api/experiments/bi/trials.csv?sort=number`)).text();
    const lines = csv.trim().split("\n");
    expect(lines[0]).toBe("number,state,error,throughput,feasible,x,worker_id,start_time,end_time");
    expect(lines.slice(1, 3).map((l) => l.split(",").slice(0, 5))).toEqual([
      ["0", "complete", "0.1", "1", "true"],
      ["1", "complete", "0.2", "5", "true"],
    ]);
  });

  it("plots the Pareto front, a column per objective, and keeps the deep link", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/`);
    await ready(page);
    expect(await page.locator('tr[data-experiment="bi"] td[data-col="direction"]').innerText()).toBe(
      "error minimize, throughput maximize",
    );
    const link = `http://${ts.server.httpAddress}/experiments/bi`;
    await page.goto(link);
    await ready(page);
    const chart = page.locator('[data-chart="pareto"]');
    expect(await chart.getAttribute("data-front")).toBe("3");
    expect(await chart.getAttribute("data-points")).toBe("7");
    expect(await chart.getAttribute("data-infeasible")).toBe("1");
    if (SHOTS) await page.screenshot({ path: join(SHOTS, "dashboard-pareto.png") });
    expect(await page.locator("#history h3").innerText()).toBe("History of error");
    // The single-objective plots show the first objective.
    expect(await page.locator('[data-chart="history"]').getAttribute("data-points")).toBe("7");
    const points = (await (await fetch(`http://${ts.server.httpAddress}/api/experiments/bi/points`)).json()) as {
      best: { numbers: number[] };
    };
    expect(points.best.numbers).toEqual([0]); // the infeasible trial 5 is not the best error so far
    const heads = await page.locator("#trials th").allInnerTexts();
    expect(heads.slice(0, 5)).toEqual(["#", "state", "error", "throughput", "feasible"]);
    // Ascending first, then descending: the infeasible trial 5 has the highest throughput.
    await page.click('#trials th[data-sort="objective:throughput"]');
    await shows(page, "#trials tbody tr:first-child", "0", "data-number");
    await page.click('#trials th[data-sort="objective:throughput"]');
    await shows(page, "#trials tbody tr:first-child", "5", "data-number");
    expect(await page.locator('#trials tr[data-number="5"] td[data-feasible]').innerText()).toBe("no");
    await page.reload();
    await ready(page);
    expect(page.url()).toBe(link);
    expect(await page.locator('[data-chart="pareto"]').getAttribute("data-front")).toBe("3");
    await page.goto(`${link}/trials/5`);
    await ready(page);
    const result = await page.locator("#trial-result").innerText();
    for (const field of [/values\s+0\.05, 20/, /constraints\s+1/, /feasible\s+no/]) expect(result).toMatch(field);
    // Three objectives: two selects choose the pair shown.
    await page.goto(`http://${ts.server.httpAddress}/experiments/tri`);
    await ready(page);
    const tri = page.locator('[data-chart="pareto"]');
    expect(await tri.getAttribute("data-front")).toBe("2");
    expect(await tri.getAttribute("data-axes")).toBe("a,b");
    await tri.locator("select").nth(1).selectOption("2");
    expect(await tri.getAttribute("data-axes")).toBe("a,c");
    expect(errors).toEqual([]);
  });
});

describe("the dashboard with tokens", () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({
      http: "127.0.0.1:0",
      webRoot,
      tokens: [ADMIN, { token: READER, role: "reader", experiments: ["*"] }],
    });
    ts.api = promisify(ts.client, ADMIN);
    await ts.api.createExperiment({ experiment: { name: "shared", space: { parameters: [uniform("x", 0, 1)] } } });
    await ts.api.suggest({ experiment: "shared", workerId: "w0" });
  });
  afterAll(() => ts?.close());

  it("asks for a token; a reader's token views but cannot write", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/`);
    await page.waitForSelector("form.token");
    await page.fill('input[name="token"]', READER);
    await page.click('form.token button[type="submit"]');
    await page.waitForSelector('#experiments tr[data-experiment="shared"]');
    await page.click('a[href="/experiments/shared"]');
    await ready(page);
    expect(await page.locator('[data-count="running"]').innerText()).toBe("running 1");
    // Over HTTP nothing can be changed, whatever the token; over gRPC the reader's token may not write.
    const status = await page.evaluate(
      (token) =>
        fetch("/api/experiments/shared", { method: "DELETE", headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        ),
      READER,
    );
    expect(status).toBe(405);
    const reader = promisify(ts.client, READER);
    expect((await reader.getExperiment({ name: "shared" })).experiment?.name).toBe("shared");
    expect((await rejection(reader.suggest({ experiment: "shared", workerId: "w1" }))).codeName).toBe(
      "PERMISSION_DENIED",
    );
    expect((await rejection(reader.deleteExperiment({ name: "shared" }))).codeName).toBe("PERMISSION_DENIED");
    // Chromium logs the two refusals the test caused (the first load without a token, the DELETE); nothing else.
    expect(errors.filter((e) => !/status of (401 \(Unauthorized\)|405 \(Method Not Allowed\))/.test(e))).toEqual([]);
  });
});
