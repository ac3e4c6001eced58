/**
 * algorithm nsga2 over real gRPC (issue 20): a constrained bi-objective
 * problem where it beats random search's hypervolume, the same suggestions
 * from a restarted server as from one that ran straight through, and
 * generations that stay sound with many trials RUNNING at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import { ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Value } from "@parzen/client/gen/parzen/v1/space";
import { hypervolume } from "../../src/math/hypervolume.js";
import { num, plain, str, uniform } from "./fixtures.js";
import { status } from "@grpc/grpc-js";
import { rejection, startTestServer, type TestServer } from "./harness.js";

const OK = ReportStatus.REPORT_STATUS_OK;
const MIN = Direction.DIRECTION_MINIMIZE;
const objectives = [
  { name: "f1", direction: MIN },
  { name: "f2", direction: MIN },
];

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

const box = (d: number) => ({ parameters: Array.from({ length: d }, (_, i) => uniform(`x${i}`, 0, 1)) });
const xs = (params: Record<string, Value>) => Object.keys(params).map((k) => plain(params[k]) as number);

/** ZDT1 in 4-D with the constraint x0 ≥ 0.2 (reported as 0.2 − x0 ≤ 0). */
function zdt1(x: number[]): { values: number[]; constraints: number[] } {
  const g = 1 + (9 * (x[1]! + x[2]! + x[3]!)) / 3;
  return { values: [x[0]!, g * (1 - Math.sqrt(x[0]! / g))], constraints: [0.2 - x[0]!] };
}

/** Runs `n` trials of a new experiment, `batch` at a time, each batch reported last first. */
async function run(name: string, algorithm: { name: string; options: Record<string, Value> }, n: number, batch = 1) {
  await ts.api.createExperiment({ experiment: { name, space: box(4), objectives, algorithm, seed: 11 } });
  const feasible: number[][] = [];
  for (let t = 0; t < n; t += batch) {
    const { trials } = await ts.api.suggest({ experiment: name, count: batch, workerId: "w" });
    for (const tr of [...trials].reverse()) {
      const r = zdt1(xs(tr.params));
      await ts.api.report({ trialId: tr.id, status: OK, ...r });
      if (r.constraints[0]! <= 0) feasible.push(r.values);
    }
  }
  return hypervolume(feasible, [1.1, 2]);
}

describe("nsga2 over gRPC", () => {
  it("refuses bad options on creation with INVALID_ARGUMENT naming the option", async () => {
    const cases: [Record<string, Value>, string][] = [
      [{ population_size: num(1) }, 'nsga2 options: "population_size" Too small: expected number to be >=2'],
      [
        { crossover: str("spx"), population_size: num(2) },
        'nsga2 options: "population_size" must be at least 3 (the parents crossover "spx" combines), got 2',
      ],
      [{ eta: num(5) }, 'nsga2 options: "eta" applies to crossover "sbx" only, but crossover is "uniform"'],
      [{ mutaton_prob: num(0.1) }, 'nsga2 options: unknown option "mutaton_prob" (did you mean "mutation_prob"?)'],
    ];
    for (const [options, message] of cases) {
      const err = await rejection(
        ts.api.createExperiment({
          experiment: { name: "bad", space: box(2), objectives, algorithm: { name: "nsga2", options } },
        }),
      );
      expect(err.code, message).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toBe(message);
    }
  });

  it("beats random search's hypervolume on a constrained bi-objective problem", async () => {
    const nsga = await run(
      "nsga",
      { name: "nsga2", options: { population_size: num(12), crossover: str("sbx") } },
      144,
    );
    const random = await run("random", { name: "random", options: {} }, 144);
    // 12 generations of 12: random's front stays far from ZDT1's (g = 1), NSGA-II's approaches it (1.03 against
    // 0.66 for this seed; against ZDT1's whole front the reference point (1.1, 2) leaves about 1.6).
    expect(nsga).toBeGreaterThan(1.4 * random);
  });

  it("suggests after a restart exactly what a server that ran straight through does, with batches of 3", async () => {
    const space = box(3);
    const algorithm = { name: "nsga2", options: { population_size: num(6), crossover: str("blxalpha") } };
    for (const name of ["r-a", "r-c"])
      await ts.api.createExperiment({ experiment: { name, space, objectives, algorithm, seed: 5 } });
    const go = async (name: string, from: number, to: number) => {
      const seen: number[][] = [];
      for (let t = from; t < to; t += 3) {
        const { trials } = await ts.api.suggest({ experiment: name, count: 3, workerId: "w" });
        for (const tr of [...trials].reverse()) {
          const x = xs(tr.params);
          seen.push(x);
          await ts.api.report({
            trialId: tr.id,
            status: OK,
            values: [x[0]! ** 2 + x[1]! ** 2, (x[0]! - 1) ** 2 + x[2]!],
            constraints: [x[1]! - 0.5],
          });
        }
      }
      return seen;
    };
    const before = await go("r-a", 0, 30);
    await ts.restart();
    const after = await go("r-a", 30, 48);
    const straight = await go("r-c", 0, 48);
    expect([...before, ...after]).toEqual(straight);
    expect(new Set(straight.map((x) => x.join())).size).toBe(48);
  });

  it("keeps generations sound with many trials RUNNING: parents are finished trials of earlier generations", async () => {
    const P = 4;
    await ts.api.createExperiment({
      experiment: {
        name: "async",
        space: box(3),
        objectives,
        // Uniform crossover without mutation: every value of a child is one of its parents'.
        algorithm: {
          name: "nsga2",
          options: { population_size: num(P), crossover_prob: num(1), mutation_prob: num(0) },
        },
        seed: 3,
      },
    });
    const byNumber = new Map<number, { id: number; x: number[]; done: boolean }>();
    const ids = new Set<number>();
    let children = 0;
    const ask = async (count: number) => {
      const { trials } = await ts.api.suggest({ experiment: "async", count, workerId: "w" });
      for (const tr of trials) {
        expect(ids.has(tr.id)).toBe(false);
        ids.add(tr.id);
        const x = xs(tr.params);
        for (const v of x) expect(v >= 0 && v <= 1).toBe(true);
        // A child of generation g >= 1 copies each value from a trial that was finished and of an earlier generation.
        const g = Math.floor(tr.number / P);
        const parents = [...byNumber].filter(([n, t]) => t.done && Math.floor(n / P) < g).map(([, t]) => t.x);
        if (parents.length >= 2) {
          children++;
          for (const [k, v] of x.entries()) expect(parents.map((p) => p[k])).toContain(v);
        }
        byNumber.set(tr.number, { id: tr.id, x, done: false });
      }
      return trials.map((t) => t.number);
    };
    const tell = async (n: number) => {
      const t = byNumber.get(n)!;
      await ts.api.report({ trialId: t.id, status: OK, values: [t.x[0]!, 1 - t.x[0]! + t.x[1]! + t.x[2]!] });
      t.done = true;
    };
    // Generation 0 all RUNNING, and generation 1 asked before any of it finished: drawn from the prior.
    expect(await ask(8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Two of generation 0 finish; generation 2 (and 3) are asked while ten trials still run.
    await tell(0);
    await tell(2);
    await ask(6);
    // Stragglers and some of the later generations finish, out of order; more workers ask, one at a time.
    for (const n of [9, 3, 12, 5, 1]) await tell(n);
    for (let k = 0; k < 6; k++) await ask(1);
    for (const [n, t] of byNumber) if (!t.done) await tell(n);
    await ask(8);
    expect(byNumber.size).toBe(28);
    expect(ids.size).toBe(28);
    // Every trial after the first two generations was checked as a child.
    expect(children).toBe(20);
  });
});
