/**
 * Throughput / load stage: W concurrent workers, each looping Suggest →
 * Report(OK) on one experiment for a fixed time, against a running Parzen
 * server, through the generated TypeScript client (grpc-js) over loopback.
 *
 *   node --import tsx bench/load.ts --address 127.0.0.1:PORT \
 *        [--algorithm random] [--workers 64] [--seconds 20] [--channels 4] [--json out.json]
 *
 * Prints and (with --json) writes: cycles, cycles/s, p50/p99/max cycle latency
 * (Suggest+Report, ms), errors, and duplicate trial ids (an id handed out
 * twice). Bounded: it stops by itself after --seconds plus the calls in flight.
 */
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { Direction } from "../src/gen/parzen/v1/experiment.js";
import {
  CreateExperimentRequest,
  OptimizerServiceClient,
  ReportRequest,
  ReportStatus,
  SuggestRequest,
  type SuggestResponse,
} from "../src/gen/parzen/v1/optimizer_service.js";
import type { Parameter } from "../src/gen/parzen/v1/space.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : def;
}

const address = arg("address", "127.0.0.1:50051");
const algorithm = arg("algorithm", "random");
const workers = Number(arg("workers", "64"));
const seconds = Number(arg("seconds", "20"));
const channels = Number(arg("channels", "4"));
const jsonOut = arg("json", "");

const clients = Array.from(
  { length: channels },
  (_, i) => new OptimizerServiceClient(address, credentials.createInsecure(), { "grpc.channel_id": i } as Record<string, unknown>),
);

function call<Req, Res>(c: OptimizerServiceClient, method: string, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (c as unknown as Record<string, (r: Req, md: Metadata, opts: object, cb: (e: ServiceError | null, r: Res) => void) => void>)[method]!;
    fn.call(c, req, new Metadata(), { deadline: Date.now() + 30_000 }, (e, r) => (e ? reject(e) : resolve(r)));
  });
}

// Hartmann6's space and objective: a realistic small continuous problem.
const A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const Pm = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const AL = [1.0, 1.2, 3.0, 3.2];
function hartmann6(x: number[]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += A[i]![j]! * (x[j]! - Pm[i]![j]! * 1e-4) ** 2;
    s += AL[i]! * Math.exp(-inner);
  }
  return -s;
}

async function main(): Promise<void> {
  const name = `load-${algorithm}-${randomUUID().slice(0, 8)}`;
  const parameters = Array.from({ length: 6 }, (_, i) => ({ name: `x${i}`, domain: { $case: "uniform", value: { low: 0, high: 1 } } }) as Parameter);
  await call(
    clients[0]!,
    "createExperiment",
    CreateExperimentRequest.fromPartial({
      experiment: { name, space: { parameters }, direction: Direction.DIRECTION_MINIMIZE, algorithm: { name: algorithm, options: {} }, seed: 1 },
    }),
  );

  const latencies: number[] = [];
  const seen = new Set<number>();
  let duplicates = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const t0 = performance.now();
  const stopAt = t0 + seconds * 1000;

  async function worker(w: number): Promise<void> {
    const c = clients[w % clients.length]!;
    const workerId = `bench-${w}`;
    while (performance.now() < stopAt) {
      const s = performance.now();
      try {
        const res = await call<SuggestRequest, SuggestResponse>(c, "suggest", SuggestRequest.fromPartial({ experiment: name, count: 1, workerId, requestId: randomUUID() }));
        const t = res.trials[0]!;
        if (seen.has(t.id)) duplicates++;
        seen.add(t.id);
        const x = Array.from({ length: 6 }, (_, j) => {
          const v = t.params[`x${j}`]?.kind;
          return v?.$case === "doubleValue" ? v.value : Number((v as { value: unknown } | undefined)?.value);
        });
        await call(c, "report", ReportRequest.fromPartial({ trialId: t.id, status: ReportStatus.REPORT_STATUS_OK, loss: hartmann6(x), requestId: randomUUID() }));
        latencies.push(performance.now() - s);
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String((e as Error).message ?? e));
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : NaN);
  const result = {
    algorithm,
    workers,
    seconds: elapsed,
    cycles: latencies.length,
    cycles_per_s: latencies.length / elapsed,
    p50_ms: q(0.5),
    p99_ms: q(0.99),
    max_ms: latencies.length ? latencies[latencies.length - 1]! : NaN,
    errors,
    duplicates,
    error_samples: errorSamples,
  };
  console.error(
    `load: ${algorithm} ${workers} workers ${elapsed.toFixed(1)} s: ${result.cycles} cycles, ${result.cycles_per_s.toFixed(0)}/s, ` +
      `p50 ${result.p50_ms.toFixed(1)} ms, p99 ${result.p99_ms.toFixed(1)} ms, errors ${errors}, duplicate ids ${duplicates}`,
  );
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 1));
  for (const c of clients) c.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
