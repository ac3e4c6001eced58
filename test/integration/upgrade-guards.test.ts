/**
 * What an upgrade (or a downgrade) may and may not do to a database, through
 * a real server: a database whose schema version is newer than this code's
 * migrations is refused with a clear message, exactly from known + 1 on; an
 * experiment stored under looser space limits keeps loading and serving
 * after the limits are lowered, while a new experiment with the same
 * definition is rejected; an experiment stored by a newer Parzen's
 * definition format is refused on its own, naming itself, and the others
 * keep serving.
 */
import { credentials, status } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startParzen, type ParzenConfig } from "../../src/app.js";
import { ParzenError } from "../../src/errors.js";
import { OptimizerServiceClient, ReportStatus } from "@parzen/client/gen/parzen/v1/optimizer_service";
import { TrialState } from "@parzen/client/gen/parzen/v1/trial";
import { CURRENT_DEFINITION_RULES, DEFINITION_VERSION_KEY } from "../../src/service/use-cases/definition.js";
import { latestVersion, loadMigrations, openDatabase } from "../../src/store/sqlite/database.js";
import { uniform } from "./fixtures.js";
import { promisify, rejection, type Api } from "./harness.js";

const dirs: string[] = [];
const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.stop();
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A real server on the database file `db`, and a client of it. */
async function serve(db: string, extra: Partial<ParzenConfig> = {}): Promise<{ api: Api; stop(): Promise<void> }> {
  const server = await startParzen({ db, listen: "127.0.0.1:0", logger: pino({ level: "silent" }), ...extra });
  const client = new OptimizerServiceClient(server.address, credentials.createInsecure());
  const s = {
    api: promisify(client),
    async stop() {
      client.close();
      await server.stop();
    },
  };
  servers.push(s);
  return s;
}

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "parzen-guards-"));
  dirs.push(dir);
  return join(dir, "parzen.db");
}

/** Runs `f` on the closed database file at `path` with a plain connection. */
function withFile<T>(path: string, f: (db: Database.Database) => T): T {
  const db = new Database(path, { fileMustExist: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
}

describe("the schema version guard", () => {
  const known = latestVersion(loadMigrations());

  it("opens a database at the schema version this code knows, and refuses one at known + 1", () => {
    const path = tempDb();
    openDatabase(path).close();
    withFile(path, (db) => {
      expect(db.pragma("user_version", { simple: true })).toBe(known);
      db.exec("CREATE TABLE marker (x INTEGER); INSERT INTO marker VALUES (42)");
      db.pragma(`user_version = ${known + 1}`);
    });
    let err: unknown;
    try {
      openDatabase(path).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParzenError);
    expect((err as ParzenError).code).toBe("FAILED_PRECONDITION");
    expect((err as ParzenError).message).toBe(
      `database ${path} has schema version ${known + 1}, newer than this Parzen's ${known}; upgrade Parzen`,
    );
    // Refusing changed nothing in the file.
    withFile(path, (db) => {
      expect(db.pragma("user_version", { simple: true })).toBe(known + 1);
      db.pragma(`user_version = ${known}`);
    });
    const db = openDatabase(path);
    expect(db.pragma("user_version", { simple: true })).toBe(known);
    expect(db.prepare("SELECT x FROM marker").pluck().get()).toBe(42);
    db.close();
  });

  it("stops a server from starting on a newer database, with that message, and leaves the file usable", async () => {
    const path = tempDb();
    openDatabase(path).close();
    withFile(path, (db) => db.pragma(`user_version = ${known + 1}`));
    const config = { db: path, listen: "127.0.0.1:0", logger: pino({ level: "silent" }) };
    await expect(startParzen(config)).rejects.toThrow(
      `database ${path} has schema version ${known + 1}, newer than this Parzen's ${known}; upgrade Parzen`,
    );
    // The refusal released the process lock: once the version is one this code knows, it starts.
    withFile(path, (db) => db.pragma(`user_version = ${known}`));
    const { api } = await serve(path);
    expect((await api.listExperiments({})).experiments).toEqual([]);
  });
});

describe("stored experiments under newer rules", () => {
  const wide = {
    name: "wide",
    space: { parameters: ["a", "b", "c", "d", "e"].map((n) => uniform(n, 0, 1)) },
    algorithm: { name: "random" },
    seed: 3,
  };

  it("serve after the space limits are lowered; create rejects a new one with the same definition", async () => {
    const path = tempDb();
    const before = await serve(path);
    expect((await before.api.createExperiment({ experiment: wide })).created).toBe(true);
    const [first] = (await before.api.suggest({ experiment: "wide" })).trials;
    await before.api.report({ trialId: first!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 1 });
    await before.stop();

    // The same file under a server that allows 3 parameters.
    const lowered = await serve(path, { spaceLimits: { maxParameters: 3 } });
    const got = (await lowered.api.getExperiment({ name: "wide" })).experiment!;
    expect(got.space!.parameters).toHaveLength(5);
    expect(got.trialCounts!.complete).toBe(1);
    const [t] = (await lowered.api.suggest({ experiment: "wide" })).trials;
    expect(Object.keys(t!.params).sort()).toEqual(["a", "b", "c", "d", "e"]);
    const done = await lowered.api.report({ trialId: t!.id, status: ReportStatus.REPORT_STATUS_OK, loss: 0.5 });
    expect(done.trial!.state).toBe(TrialState.TRIAL_STATE_COMPLETE);

    const err = await rejection(lowered.api.createExperiment({ experiment: { ...wide, name: "wide-2" } }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe("space: more than 3 parameters");
    // Re-creating the stored experiment (a client's get-or-create at start-up) still finds it ...
    const again = await lowered.api.createExperiment({ experiment: wide });
    expect(again.created).toBe(false);
    expect(again.experiment!.trialCounts!.complete).toBe(2);
    // ... and a different definition under its name is still a conflict.
    const other = await rejection(lowered.api.createExperiment({ experiment: { ...wide, seed: 4 } }));
    expect(other.code).toBe(status.ALREADY_EXISTS);
  });

  it("refuse an experiment stored by a newer definition format on its own; the others keep serving", async () => {
    const path = tempDb();
    const before = await serve(path);
    await before.api.createExperiment({ experiment: wide });
    await before.api.createExperiment({ experiment: { ...wide, name: "fine" } });
    await before.stop();
    const newer = CURRENT_DEFINITION_RULES.version + 1;
    withFile(path, (db) => {
      const row = db.prepare("SELECT definition FROM experiments WHERE name = 'wide'").pluck().get() as string;
      const definition = JSON.stringify({ ...JSON.parse(row), [DEFINITION_VERSION_KEY]: newer });
      db.prepare("UPDATE experiments SET definition = ? WHERE name = 'wide'").run(definition);
    });
    const after = await serve(path);
    const message =
      `experiment "wide" was stored by a newer Parzen (definition version ${newer}; ` +
      `this Parzen reads versions up to ${CURRENT_DEFINITION_RULES.version}): upgrade Parzen`;
    for (const call of [
      after.api.getExperiment({ name: "wide" }),
      after.api.suggest({ experiment: "wide" }),
      after.api.createExperiment({ experiment: wide }),
    ]) {
      const err = await rejection(call);
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toBe(message);
    }
    const [t] = (await after.api.suggest({ experiment: "fine" })).trials;
    expect(t!.state).toBe(TrialState.TRIAL_STATE_RUNNING);
  });
});
