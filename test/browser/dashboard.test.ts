/**
 * The dashboard in a real browser: Debian's chromium (headless) driven by
 * playwright-core, against a real server with a real database and a known
 * history. Every page loads without console errors, plots show the expected
 * number of points, a live page picks up a new trial, deep links survive a
 * reload, and a reader token can view but not write. With
 * PARZEN_SCREENSHOTS=1 it also refreshes the README's pictures (docs/img/).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from "../../scripts/build-web.mjs";
import { choice, str, uniform } from "../integration/fixtures.js";
import { startTestServer, type TestServer } from "../integration/harness.js";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "reader-token-0123456789";
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
    await ts.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: (x - 0.3) ** 2 });
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
  });
  afterAll(() => ts?.close());

  it("lists the experiments and searches them", async () => {
    const { page, errors } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/`);
    await ready(page);
    expect(await page.locator("#experiments tbody tr").count()).toBe(2);
    const known = page.locator('tr[data-experiment="known"] td');
    expect(await known.allInnerTexts()).toEqual(expect.arrayContaining(["random", "minimize", "30", "5", "3", "2"]));
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
    expect(await page.locator('[data-chart="contour"] canvas').count()).toBe(1);
    // The table: 40 trials, paged by 50; choice labels, not indices; blank where momentum is inactive.
    expect(await page.locator("#trials .pager .muted").innerText()).toBe("1–40 of 40");
    const opts = await page.locator("#trials tbody tr td:nth-child(5)").allInnerTexts();
    expect(new Set(opts)).toEqual(new Set(["sgd", "adam"]));
    if (SHOTS) await page.screenshot({ path: join(SHOTS, "dashboard-experiment.png"), fullPage: true });
    // Sort by loss (ascending on the first click), then filter to FAIL only.
    await page.click('th[data-sort="loss"]');
    await page.waitForSelector('th[data-sort="loss"][aria-sort="ascending"]');
    const losses = (await page.locator("#trials tbody tr td:nth-child(3)").allInnerTexts()).filter((s) => s !== "");
    expect(losses.map(Number)).toEqual([...losses.map(Number)].sort((a, b) => a - b));
    await page.check('input[data-state="fail"]');
    await shows(page, "#trials .pager .muted", "1–3 of 3");
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

describe("the dashboard with tokens", () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ http: "127.0.0.1:0", webRoot, tokens: [TOKEN] });
  });
  afterAll(() => ts?.close());

  it("asks for a token; a reader's token views but cannot write", async () => {
    const { page } = await openPage();
    await page.goto(`http://${ts.server.httpAddress}/`);
    await page.waitForSelector("form.token");
    await page.fill('input[name="token"]', TOKEN);
    await page.click('form.token button[type="submit"]');
    await page.waitForSelector("#experiments");
    const status = await page.evaluate(
      (token) =>
        fetch("/api/experiments/x", { method: "DELETE", headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        ),
      TOKEN,
    );
    expect(status).toBe(405);
  });
});
