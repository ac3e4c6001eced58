/**
 * What the SQLite store promises beyond the Store contract (test/store/sqlite.test.ts): storage failures of
 * reads and writes come back UNAVAILABLE naming the file, a full database marks writes unhealthy until a probe
 * succeeds (the readiness check follows it, docs/reliability.md), commits are counted and timed for the
 * metrics, and NaN curve values are stored as NULL. Real files in a temp directory; a full disk is made with
 * SQLite's max_page_count.
 */
import Database from "better-sqlite3";
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParzenError } from "../../src/errors.js";
import type { TrialRow } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import { runningTrial } from "../store/running-trial.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const log = pino({ level: "silent" });

function trial(number: number, fields: Partial<TrialRow> = {}): TrialRow {
  return runningTrial(0, number, { leaseDeadline: 2, ...fields });
}

async function failure(p: Promise<unknown>): Promise<ParzenError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ParzenError);
    return err as ParzenError;
  }
  throw new Error("expected a failure");
}

describe("the SQLite store", () => {
  let dir: string;
  let path: string;
  let store: SqliteStore | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "parzen-sqlite-"));
    path = join(dir, "parzen.db");
  });
  afterEach(async () => {
    if (store?.db.open) await store.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a read of a damaged file UNAVAILABLE naming the file", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}".padEnd(20_000, " "), 0)).value.id;
    await store.write(e, { insert: [{ trial: trial(0), params: { x: 0 } }] });
    await store.close();
    // Everything after the first page (the schema) becomes garbage.
    const size = statSync(path).size;
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    closeSync(fd);
    store = await openSqliteStore({ path, log });
    const err = await failure(store.experimentByName("e"));
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toMatch(new RegExp(`^database ${path}: the file is damaged \\(`));
    // A read stored nothing: it does not speak of a call's writes being undone.
    expect(err.message).not.toMatch(/nothing of this call was stored/);
    // A read that fails this way is not reported as a write failure.
    expect(store.writes.writable).toBe(true);
  });

  it("fails a write on a full disk UNAVAILABLE, is not ready until a probe write succeeds, then ready again", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    await store.durable();
    const changes: boolean[] = [];
    store.writes.onChange((w) => changes.push(w));
    const pages = store.db.pragma("page_count", { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const big = "x".repeat(50_000);
    const err = await failure(
      (async () => {
        const w = await store!.write(e, { insert: [{ trial: trial(0, { failReason: big }), params: {} }] });
        await w.durable;
      })(),
    );
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toMatch(new RegExp(`^database ${path}: the disk holding it is full`));
    expect(store.writes.writable).toBe(false);
    expect(changes).toEqual([false]);
    // Nothing of the refused unit was kept.
    expect(await store.readTrials(e, 0, 10, false, () => new Float64Array(0))).toEqual([]);
    // Space comes back: the store's own probe (a committed no-op write) notices within its interval.
    store.db.pragma("max_page_count = 1073741823");
    // Another connection sees a commit that changed the file: the probe is a real write, not an empty transaction.
    const observer = new Database(path, { readonly: true });
    const version = () => observer.pragma("data_version", { simple: true }) as number;
    const before = version();
    const ready = new Promise<void>((ok) => store!.writes.onChange((w) => w && ok()));
    await ready;
    expect(version()).not.toBe(before);
    observer.close();
    expect(store.writes.writable).toBe(true);
    expect(changes).toEqual([false, true]);
    const again = await store.write(e, { insert: [{ trial: trial(0, { failReason: big }), params: {} }] });
    await again.durable;
    expect((await store.readTrials(e, 0, 10, false, () => new Float64Array(0)))[0]!.failReason).toBe(big);
  });

  it("counts commits and tells commit listeners how many units each one held", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    await store.durable();
    const before = store.commits();
    const seen: [number, number][] = [];
    store.onCommit((seconds, units) => seen.push([seconds, units]));
    const a = await store.write(e, { insert: [{ trial: trial(0), params: {} }] });
    const b = await store.write(e, { insert: [{ trial: trial(1), params: {} }] });
    const c = await store.write(e, { insert: [{ trial: trial(2), params: {} }] });
    await Promise.all([a.durable, b.durable, c.durable]);
    const units = seen.reduce((n, [, u]) => n + u, 0);
    expect(units).toBe(3);
    expect(store.commits() - before).toBe(seen.length);
    for (const [seconds] of seen) {
      expect(seconds).toBeGreaterThanOrEqual(0);
      expect(seconds).toBeLessThan(60);
    }
  });

  it("checkpoints the store's commits into the database file in the background", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    const w = await store.write(e, {
      insert: Array.from({ length: 500 }, (_, i) => ({ trial: trial(i, { failReason: "x".repeat(200) }), params: {} })),
    });
    await w.durable;
    /** Trials in the database file alone (without its WAL), i.e. what was checkpointed. */
    const checkpointed = () => {
      const copy = join(dir, "copy.db");
      copyFileSync(path, copy);
      const db = new Database(copy, { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM trials").get() as { n: number }).n;
      } catch {
        return 0;
      } finally {
        db.close();
        rmSync(copy);
      }
    };
    // The checkpointer polls every 100 ms; no event says when it ran: wait for it, bounded.
    for (let waited = 0; checkpointed() < 500; waited += 20) {
      if (waited > 10_000) throw new Error(`only ${checkpointed()} trials checkpointed`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(checkpointed()).toBe(500);
  });

  it("stores a NaN curve value as NULL, whether inserted with the trial or added as a point", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    const [id] = (
      await store.write(e, {
        insert: [
          {
            trial: trial(0, {
              intermediate: [
                [0, Number.NaN],
                [1, 0.5],
              ],
            }),
            params: {},
          },
        ],
      })
    ).value;
    await store.write(e, { points: [{ trialId: id!, step: 2, value: Number.NaN }] });
    await store.durable();
    const raw = store.db.prepare("SELECT step, value FROM intermediate_values ORDER BY step").all();
    expect(raw).toEqual([
      { step: 0, value: null },
      { step: 1, value: 0.5 },
      { step: 2, value: null },
    ]);
    const [read] = await store.readTrials(e, 0, 0, true, () => new Float64Array(0));
    expect(read!.intermediate).toEqual([
      [0, Number.NaN],
      [1, 0.5],
      [2, Number.NaN],
    ]);
  });

  it("keeps the schema's encodings of JSON columns and an empty proposer as existing files hold them", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    await store.write(e, {
      insert: [
        { trial: trial(0, { metrics: { m: 1 }, userAttrs: { k: "v" } }), params: { x: 0.5 } },
        { trial: trial(1, { proposedBy: "tpe" }), params: {} },
      ],
    });
    const raw = store.db
      .prepare("SELECT params, metrics, user_attrs, proposed_by FROM trials ORDER BY number")
      .all() as Record<string, string>[];
    expect(raw).toEqual([
      { params: '{"x":0.5}', metrics: '{"m":1}', user_attrs: '{"k":"v"}', proposed_by: "" },
      { params: "{}", metrics: "{}", user_attrs: "{}", proposed_by: "tpe" },
    ]);
    const [first, second] = await store.readTrials(e, 0, 1, false, () => new Float64Array(0));
    expect(first).not.toHaveProperty("proposedBy");
    expect(second!.proposedBy).toBe("tpe");
  });

  it("says what a refused write broke, naming the experiment, trial, number or request id", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    const f = (await store.createExperiment("f", "{}", 0)).value.id;
    const [id] = (await store.write(e, { insert: [{ trial: trial(0), params: {} }] })).value;
    await store.write(e, {
      request: { method: "Suggest", requestId: "r-1", trialIds: [], withInserted: false, createTime: 1 },
    });
    const cases: [Promise<unknown>, string, string][] = [
      [store.createExperiment("e", "{}", 0), "ALREADY_EXISTS", 'experiment "e" already exists'],
      [
        store.write(e, { insert: [{ trial: trial(0), params: {} }] }),
        "ALREADY_EXISTS",
        `experiment ${e} already has a trial number 0`,
      ],
      [store.write(999, { insert: [{ trial: trial(0), params: {} }] }), "NOT_FOUND", "experiment 999 does not exist"],
      [store.write(999, { lifecycle: "x" }), "NOT_FOUND", "experiment 999 does not exist"],
      [
        store.write(f, { points: [{ trialId: id!, step: 1, value: 1 }] }),
        "NOT_FOUND",
        `trial ${id} of experiment ${f} does not exist`,
      ],
      [
        store.write(e, {
          request: { method: "Suggest", requestId: "r-1", trialIds: [], withInserted: false, createTime: 1 },
        }),
        "ALREADY_EXISTS",
        'request_id "r-1" was already used',
      ],
      [
        store.write(999, {
          request: { method: "Suggest", requestId: "r-2", trialIds: [], withInserted: false, createTime: 1 },
        }),
        "NOT_FOUND",
        "experiment 999 does not exist",
      ],
    ];
    for (const [p, code, message] of cases) {
      const err = await failure(p);
      expect([err.code, err.message]).toEqual([code, message]);
    }
  });

  it("fails a new experiment or a logged request on a full disk UNAVAILABLE, not as a broken constraint", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    await store.durable();
    store.db.pragma(`max_page_count = ${store.db.pragma("page_count", { simple: true }) as number}`);
    const big = "x".repeat(50_000);
    const created = await failure(store.createExperiment("f", big, 0));
    expect(created.code).toBe("UNAVAILABLE");
    expect(created.message).toMatch(/the disk holding it is full/);
    const logged = await failure(
      store.write(e, {
        request: { method: "Suggest", requestId: big, trialIds: [], withInserted: false, createTime: 1 },
      }),
    );
    expect(logged.code).toBe("UNAVAILABLE");
    expect(logged.message).toMatch(/the disk holding it is full/);
  });

  it("refuses a stored state or source it does not know, naming which", async () => {
    store = await openSqliteStore({ path, log });
    const e = (await store.createExperiment("e", "{}", 0)).value.id;
    await store.write(e, {
      insert: [
        { trial: trial(0), params: {} },
        { trial: trial(1), params: {} },
      ],
    });
    await store.durable();
    // A row no Parzen wrote (the schema's CHECKs bypassed, as a hand edit or a damaged page can).
    store.db.pragma("ignore_check_constraints = 1");
    store.db.prepare("UPDATE trials SET state = 99 WHERE number = 0").run();
    store.db.prepare("UPDATE trials SET source = 77 WHERE number = 1").run();
    const state = await failure(store.readTrials(e, 0, 0, false, () => new Float64Array(0)));
    expect([state.code, state.message]).toEqual(["INTERNAL", "trials: unknown stored state 99"]);
    const source = await failure(store.readTrials(e, 1, 1, false, () => new Float64Array(0)));
    expect([source.code, source.message]).toEqual(["INTERNAL", "trials: unknown stored source 77"]);
  });

  it("closes without a checkpointer (an in-memory database, or one opened without a logger)", async () => {
    const memory = await openSqliteStore({ path: ":memory:" });
    await memory.close();
    expect(memory.db.open).toBe(false);
    store = await openSqliteStore({ path });
    await store.close();
    expect(store.db.open).toBe(false);
    // Its lock was released: the file opens again.
    store = await openSqliteStore({ path });
  });
});
