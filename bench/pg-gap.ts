/**
 * Why the first database round trip of a call costs more than the next ones
 * on a busy machine (bench/RESULTS.md, "Where PostgreSQL's time goes"): an
 * empty round trip (`SELECT 1` on a checked-out connection) timed back to
 * back, after the process kept a core busy for 1 or 3 ms (as a server does
 * computing a suggestion, or decoding a call, before it writes), and after
 * it slept as long. Run: `npx tsx bench/pg-gap.ts [repeats]`.
 */
import { loadavg } from "node:os";
import pg from "pg";
import { startCluster } from "../test/pg-cluster.js";

const REPEATS = Number(process.argv[2] ?? 300);
const cluster = await startCluster({ durable: true });
try {
  const pool = new pg.Pool({ connectionString: await cluster.createDatabase("gap"), max: 1 });
  const c = await pool.connect();
  const busy = (ms: number) => {
    const t = performance.now();
    while (performance.now() - t < ms);
  };
  const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
  const before: Record<string, () => unknown> = {
    "back to back": () => undefined,
    "after 1 ms busy": () => busy(1),
    "after 3 ms busy": () => busy(3),
    "after 1 ms asleep": () => sleep(1),
    "after 3 ms asleep": () => sleep(3),
  };
  const times = new Map(Object.keys(before).map((k) => [k, [] as number[]]));
  const loads = [loadavg()[0]!];
  for (let i = 0; i < REPEATS; i++) {
    for (const [k, f] of Object.entries(before)) {
      await f();
      const t0 = performance.now();
      await c.query("SELECT 1");
      times.get(k)!.push(performance.now() - t0);
    }
  }
  loads.push(loadavg()[0]!);
  c.release();
  await pool.end();
  const p50 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)]!.toFixed(3);
  console.log(
    `SELECT 1, p50 ms over ${REPEATS} (interleaved); load average ${loads.map((l) => l.toFixed(1)).join(" → ")}`,
  );
  for (const [k, t] of times) console.log(`| ${k} | ${p50(t)} |`);
} finally {
  await cluster.stop();
}
