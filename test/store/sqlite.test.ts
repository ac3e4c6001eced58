/**
 * The SQLite store against the Store contract (contract.ts), on a real file
 * with the server's wiring (lock, WAL, checkpointer), plus what only SQLite
 * promises: the schema's encodings that existing databases hold.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/open.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { NO_NUMBERS, NO_POINTS, NO_STRINGS } from "../../src/store/rows.js";
import { TRIAL_STATES } from "../../src/domain/trial-state.js";
import { storeContract, type StoreHarness } from "./contract.js";

const log = pino({ level: "silent" });

async function openHarness(): Promise<StoreHarness & { store: SqliteStore }> {
  const dir = mkdtempSync(join(tmpdir(), "parzen-store-"));
  const path = join(dir, "parzen.db");
  const h = {
    store: await openSqliteStore({ path, log }),
    async reopen() {
      await h.store.close();
      h.store = await openSqliteStore({ path, log });
    },
    breakCommit() {
      // A dangling row whose foreign key is only checked at COMMIT: the whole group fails there.
      h.store.db.pragma("defer_foreign_keys = ON");
      h.store.db.prepare("INSERT INTO intermediate_values (trial_id, step, value) VALUES (-1, 0, 0)").run();
    },
    async dispose() {
      if (h.store.db.open) await h.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

storeContract("SQLite", openHarness, { feed: false, breakCommit: true });

describe("SQLite store", () => {
  let h: Awaited<ReturnType<typeof openHarness>> | undefined;
  afterEach(async () => {
    await h?.dispose();
  });

  it("stores states and sources as the schema's integers (parzen.v1 enum numbers), as existing files hold", async () => {
    h = await openHarness();
    const e = (await h.store.createExperiment("e", "{}", 0)).value.id;
    const sources = ["algorithm", "enqueued", "imported"] as const;
    await h.store.write(e, {
      insert: TRIAL_STATES.map((state, number) => ({
        trial: {
          id: 0,
          experimentId: e,
          number,
          state,
          source: sources[number % 3]!,
          config: new Float64Array(0),
          loss: null,
          metrics: NO_NUMBERS,
          userAttrs: NO_STRINGS,
          workerId: "",
          failReason: "",
          createTime: 0,
          startTime: null,
          endTime: null,
          leaseDeadline: null,
          intermediate: NO_POINTS,
        },
        params: {},
      })),
    });
    const raw = h.store.db.prepare("SELECT state, source FROM trials ORDER BY number").all();
    expect(raw).toEqual([1, 2, 3, 4, 5, 6].map((state, i) => ({ state, source: (i % 3) + 1 })));
  });
});
