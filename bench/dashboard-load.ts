/**
 * How long the dashboard's experiment page takes to become interactive for
 * a large history, in headless Chromium (Debian's chromium, playwright-core):
 * an experiment of N imported trials (6 parameters, one of them a choice
 * with a conditional child), the page opened cold, timed from navigation to
 * every chart and the first table page drawn (`body[data-ready]`), then a
 * click on a table header timed to the re-sorted page. Then the time of each
 * API call (cold: after a change to the experiment). Prints a markdown table for bench/RESULTS.md.
 *
 *   npx tsx bench/dashboard-load.ts [N ...]   (default 100000)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { OptimizerServiceClient } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import pino from "pino";
import { chromium } from "playwright-core";
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from "../scripts/build-web.mjs";
import { startParzen } from "../src/app.js";
import { promisify } from "../test/integration/harness.js";
import { choice, num, str, uniform } from "../test/integration/fixtures.js";

const sizes = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "parzen-dash-bench-"));
const webRoot = join(dir, "web");
const gzipBytes: number = await buildWeb(webRoot);
const server = await startParzen({
  db: join(dir, "p.db"),
  listen: "127.0.0.1:0",
  http: "127.0.0.1:0",
  webRoot,
  logger: pino({ level: "warn" }),
  limits: { maxImport: 100_000 },
});
const api = promisify(new OptimizerServiceClient(server.address, credentials.createInsecure()));
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
console.log(`dashboard JS + CSS: ${(gzipBytes / 1024).toFixed(1)} KiB gzipped\n`);
console.log(
  "| trials | page interactive (ms) | re-sort table (ms) | API: points / importance / trials page / timeline (ms) |",
);
console.log("|---|---|---|---|");
for (const n of sizes.length > 0 ? sizes : [100_000]) {
  const name = `big-${n}`;
  await api.createExperiment({
    experiment: {
      name,
      space: {
        parameters: [
          ...Array.from({ length: 4 }, (_, i) => uniform(`x${i}`, 0, 1)),
          choice("opt", [{ value: str("sgd"), children: [uniform("momentum", 0, 1)] }, { value: str("adam") }]),
        ],
      },
    },
  });
  let seed = 1;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  for (let done = 0; done < n; ) {
    const batch = Math.min(20_000, n - done);
    const trials = Array.from({ length: batch }, () => {
      const xs = [rand(), rand(), rand(), rand()];
      const sgd = rand() < 0.5;
      const params: Record<string, ReturnType<typeof num>> = { opt: str(sgd ? "sgd" : "adam") };
      xs.forEach((x, i) => {
        params[`x${i}`] = num(x);
      });
      if (sgd) params.momentum = num(rand());
      return { params, state: TrialState.TRIAL_STATE_COMPLETE, loss: (xs[0]! - 0.3) ** 2 + 0.1 * xs[1]! };
    });
    await api.addTrials({ experiment: name, trials });
    done += batch;
  }
  const base = `http://${server.httpAddress}`;
  const timeApi = async (path: string) => {
    const t = performance.now();
    await (await fetch(`${base}/api/experiments/${name}${path}`)).arrayBuffer();
    return performance.now() - t;
  };
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const t0 = performance.now();
  await page.goto(`${base}/experiments/${name}`);
  await page.waitForSelector("body[data-ready]");
  const interactive = performance.now() - t0;
  const t1 = performance.now();
  await page.click('th[data-sort="param:x0"]');
  await page.waitForSelector('th[data-sort="param:x0"][aria-sort="ascending"]');
  const resort = performance.now() - t1;
  await page.close();
  // Then each API call on its own (the server memoizes the table order and importance per experiment version:
  // a new trial is added first so that these are computed afresh, as the cold page load above computed them).
  await api.addTrials({
    experiment: name,
    trials: [
      {
        params: { x0: num(0.5), x1: num(0.5), x2: num(0.5), x3: num(0.5), opt: str("adam") },
        state: TrialState.TRIAL_STATE_COMPLETE,
        loss: 1,
      },
    ],
  });
  const apis = [
    await timeApi("/points"),
    await timeApi("/importance"),
    await timeApi("/trials?sort=loss&limit=50"),
    await timeApi("/timeline"),
  ];
  console.log(
    `| ${n} | ${interactive.toFixed(0)} | ${resort.toFixed(0)} | ${apis.map((v) => v.toFixed(0)).join(" / ")} |`,
  );
}
await browser.close();
await server.stop();
rmSync(dir, { recursive: true, force: true });
