/**
 * `parzen copy` between two SQLite files (src/store/copy.ts; the PostgreSQL legs are in
 * test/integration/copy.test.ts): every row of every table with its ids, across pages of the copy's page size
 * (2,000 rows, composite keys included), NaN curve values, the counts it reports, and its refusals (the same
 * database twice, a destination that holds experiments, which is left as it was; a source in use).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import { copyDatabase } from "../../src/store/copy.js";
import { NO_POINTS, type TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import { runningTrial } from "../store/running-trial.js";

/** A COMPLETE trial with a loss and, optionally, a learning curve. */
function trial(number: number, intermediate: readonly [number, number][] = NO_POINTS): TrialRow {
  return runningTrial(0, number, {
    state: "complete",
    loss: number / 7,
    endTime: 2,
    leaseDeadline: null,
    intermediate,
  });
}

/** Every table's rows, in key order, as SQLite holds them. */
async function dump(path: string): Promise<Record<string, unknown[]>> {
  const store = await openSqliteStore({ path });
  try {
    const all = (sql: string) => store.db.prepare(sql).all();
    return {
      experiments: all("SELECT * FROM experiments ORDER BY id"),
      trials: all("SELECT * FROM trials ORDER BY id"),
      intermediate_values: all("SELECT * FROM intermediate_values ORDER BY trial_id, step"),
      request_log: all("SELECT * FROM request_log ORDER BY method, request_id"),
    };
  } finally {
    await store.close();
  }
}

async function refusal(p: Promise<unknown>): Promise<ParzenError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    return err as ParzenError;
  }
  throw new Error("expected the copy to be refused");
}

describe("copying a SQLite database", () => {
  let dir: string;
  let from: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "parzen-copy-"));
    from = join(dir, "from.db");
    const store = await openSqliteStore({ path: from });
    const a = (await store.createExperiment("a", '{"seed":1}', 10)).value.id;
    // A deleted experiment between the two, so that the ids have a gap a renumbering copy would close.
    const gone = (await store.createExperiment("gone", "{}", 0)).value.id;
    const b = (await store.createExperiment("b", "{}", 11)).value.id;
    await store.deleteExperiment(gone);
    // 2,003 trials of "a" (two pages), and 2,001 curve points over the first trials (two pages of a composite key).
    const curve = (n: number): [number, number][] =>
      Array.from({ length: n }, (_, s) => [s, s === 1 ? Number.NaN : s / 10] as [number, number]);
    await store.write(a, {
      insert: Array.from({ length: 2003 }, (_, i) => ({
        trial: trial(i, i < 667 ? curve(3) : NO_POINTS),
        params: { x: i },
      })),
    });
    await store.write(b, {
      insert: [{ trial: trial(0), params: {} }],
      request: { method: "Suggest", requestId: "r1", trialIds: [], withInserted: true, createTime: 5 },
    });
    await store.write(a, { lifecycle: '{"paused":true}' });
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("copies every row with its ids across pages, NaN curve values included, and counts them", async () => {
    const to = join(dir, "to.db");
    const counts = await copyDatabase(from, to);
    expect(counts).toEqual({ experiments: 2, trials: 2004, intermediate_values: 2001, request_log: 1 });
    const source = await dump(from);
    const copy = await dump(to);
    expect(copy).toEqual(source);
    expect(copy.experiments!.map((e) => (e as { id: number }).id)).toEqual([1, 3]);
    expect(copy.intermediate_values!.filter((p) => (p as { value: unknown }).value === null)).toHaveLength(667);
    // The copy is a working database: a server's store opens it and carries on numbering ids.
    const store = await openSqliteStore({ path: to });
    const e = (await store.createExperiment("c", "{}", 0)).value.id;
    expect(e).toBe(4);
    await store.close();
  });

  it("copies a history whose other tables are empty", async () => {
    const lone = join(dir, "lone.db");
    const store = await openSqliteStore({ path: lone });
    await store.createExperiment("only", "{}", 1);
    await store.close();
    const to = join(dir, "to.db");
    expect(await copyDatabase(lone, to)).toEqual({ experiments: 1, trials: 0, intermediate_values: 0, request_log: 0 });
    expect(await dump(to)).toEqual(await dump(lone));
  });

  it("refuses to copy a database onto itself", async () => {
    const err = await refusal(copyDatabase(from, from));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toBe("--from and --to name the same database");
  });

  it("refuses a destination that holds experiments and leaves it as it was", async () => {
    const to = join(dir, "to.db");
    const store = await openSqliteStore({ path: to });
    await store.createExperiment("mine", "{}", 0);
    await store.close();
    const before = await dump(to);
    const err = await refusal(copyDatabase(from, to));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toBe(`--to ${to} already holds 1 experiment(s); copy into an empty database`);
    expect(await dump(to)).toEqual(before);
    // Both files were released: each can be opened again.
    await (await openSqliteStore({ path: from })).close();
  });

  it("refuses a source or destination in use by a server, releasing the other", async () => {
    const to = join(dir, "to.db");
    const server = await openSqliteStore({ path: to });
    try {
      expect((await refusal(copyDatabase(from, to))).code).toBe("FAILED_PRECONDITION");
      // The source was closed again (its lock released).
      await (await openSqliteStore({ path: from })).close();
    } finally {
      await server.close();
    }
    expect((await dump(to)).experiments).toEqual([]);
  });
});
