/**
 * A whole unit (../store.ts Unit) as one SQL statement, so writing it costs
 * one round trip to the database instead of BEGIN, a statement per kind of
 * write and COMMIT (bench/RESULTS.md, "Where PostgreSQL's time goes"). A
 * statement outside BEGIN is its own transaction: it commits whole or not
 * at all, as the unit must.
 *
 * The statement is a chain of data-modifying CTEs hanging off `bump`, the
 * experiment's version bump (which row-locks the experiment until the
 * commit, and NOTIFYs): every write joins `bump`, so when the bump finds
 * nothing (the experiment is gone, or past `expectVersion`) nothing else is
 * written either. Outside a lock turn the bump NOTIFYs; a turn's units
 * leave that to the turn's commit (one notice for all of them). Each write carries the version `bump` returned (one
 * statement sees one snapshot: re-reading the experiment would give the
 * version before the bump). Before the bump, outside a holder's lock, `lk`
 * bounds the transaction's lock waits (set_config local to it) and shares
 * the experiment's advisory lock, as the BEGIN of a unit in steps does.
 *
 * A unit whose request id is already logged for its method writes nothing
 * either: the bump also requires the id unlogged, and the final SELECT says
 * whether it was (`logged`), so the store refuses the unit with
 * ALREADY_EXISTS without failing the statement (which would fail a turn's
 * transaction, and with it the turn's other units). The caller then need not
 * read the log before computing a unit: the unit checks it. An id logged by
 * another server's turn not yet committed is not seen here; the insert then
 * waits for that commit and fails on the log's key (the turn is lost, and
 * retried).
 *
 * A trial to update or touch that is not the experiment's must undo the
 * unit; with no RAISE outside PL/pgSQL, the final SELECT casts a marked text
 * to integer, which fails the statement with that text (see `missingTrial`).
 *
 * A unit with `withIds` (writes that need the new ids computed in between)
 * cannot be one statement: postgres-store.ts writes it in steps.
 *
 * Pipelined in a lock turn (`Pipelined`), the caller does not wait for the
 * statement's answer before it computes the next unit: the new trials take
 * ids the turn reserved, and a unit that would write nothing (a logged
 * request id, a version not the expected one) fails its statement instead
 * (a marked cast; `refusedForRequest` reads it), which aborts the turn's
 * transaction, so its commit writes none of the units computed after it.
 */
import type pg from "pg";
import { encodeValues, SOURCE_NUMBER, STATE_NUMBER } from "../encoding.js";
import type { TrialRow } from "../rows.js";
import type { NewTrial, Unit } from "../store.js";

/** What a unit needs besides its content: the shared lock (undefined: this connection holds the experiment's). */
export interface UnitLock {
  /** The advisory lock's two keys. */
  readonly keys: readonly [number, number];
  readonly timeoutMs: number;
}

/**
 * "Trial `alias` is experiment `id`'s", as a filter and never an index condition, so that a unit finds its trials by
 * primary key whatever PostgreSQL estimates for the experiment. A new experiment's rows are estimated at about one
 * until ANALYZE has seen it (after 10% of the whole table changes), and the planner then reads the experiment's
 * every trial through its (experiment_id, …) indexes to update one: a Report growing with the experiment
 * (bench/RESULTS.md, "The planner and a new experiment"). `+ 0` is PostgreSQL's idiom for "not through an index".
 */
export function ownedBy(alias: string, id: string): string {
  return `${alias}.experiment_id + 0 = ${id}`;
}

/** The marker that starts the text of the failed cast (`missingTrial`). */
const MISSING = "parzen-missing-trials:";

/** The marker of a pipelined unit's refusal (`refusedForRequest`). */
const REFUSED = "parzen-refused:";

/** How a pipelined unit is written: the ids of its new trials, given, and a refusal that fails the statement. */
export interface Pipelined {
  /** The ids its `insert` takes, in order (reserved from the trials' sequence by the turn). */
  readonly ids: readonly number[];
}

/** The statement for `unit` (named by its shape, so each shape is prepared once per connection). */
export function unitStatement(
  channel: string,
  origin: string,
  experimentId: number,
  unit: Unit,
  lock: UnitLock | undefined,
  pipelined?: Pipelined,
): pg.QueryConfig {
  const values: unknown[] = [];
  const $ = (value: unknown, type: string): string => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const list = (cols: [unknown, string][]): string => cols.map(([v, type]) => $(v, type)).join(", ");
  let shape = "";
  const ctes: string[] = [];
  const id = $(experimentId, "bigint");
  if (lock !== undefined) {
    shape += "k";
    const [k1, k2] = lock.keys;
    ctes.push(`lk AS (SELECT pg_advisory_xact_lock_shared(${$(k1, "int")}, ${$(k2, "int")})
      FROM (SELECT set_config('lock_timeout', ${$(String(lock.timeoutMs), "text")}, true) AS t) s
      WHERE s.t IS NOT NULL)`);
  }
  let set = "version = version + 1";
  if (unit.lifecycle !== undefined) {
    shape += "l";
    set += `, lifecycle = ${$(unit.lifecycle, "text")}`;
  }
  let where = `id = ${id}`;
  if (unit.expectVersion !== undefined) {
    shape += "e";
    where += ` AND version = ${$(unit.expectVersion, "bigint")}`;
  }
  if (lock !== undefined) where += " AND EXISTS (SELECT FROM lk)";
  // A request id already logged for the method: the unit writes nothing (`logged` says why), so a turn survives
  // it, and the caller need not look the id up before computing the unit.
  const request = unit.request;
  let logged = "false";
  let method = "";
  let requestId = "";
  if (request !== undefined) {
    method = $(request.method, "text");
    requestId = $(request.requestId, "text");
    logged = `EXISTS (SELECT FROM request_log WHERE method = ${method} AND request_id = ${requestId})`;
    where += ` AND NOT ${logged}`;
  }
  // In a turn (no `lock`: this connection holds the experiment's), the turn's commit sends one notice for all its units.
  const notify =
    lock === undefined
      ? ""
      : `, pg_notify('${channel}', id || ':' || version || ':' || ${$(origin, "text")}) AS notified`;
  ctes.push(`bump AS (UPDATE experiments SET ${set} WHERE ${where} RETURNING version${notify})`);

  const inserted = unit.insert ?? [];
  let numbers = "";
  if (inserted.length > 0) {
    shape += "i";
    const col = <T>(f: (n: NewTrial) => T) => inserted.map(f);
    numbers = $(
      col((n) => n.trial.number),
      "int[]",
    );
    // Given ids (pipelined) come first in the unnest, so the ORDINALITY pairs each with its trial.
    const given = pipelined === undefined ? "" : `${$(pipelined.ids.slice(0, inserted.length), "bigint[]")}, `;
    if (pipelined !== undefined) shape += "x";
    ctes.push(`ins AS (INSERT INTO trials (${given === "" ? "" : "id, "}experiment_id, number, state, source, params,
      loss, metrics, user_attrs, worker_id, fail_reason, create_time, start_time, end_time, lease_deadline,
      objective_values, constraint_values, proposed_by, version)
      SELECT ${given === "" ? "" : "u.id, "}${id}, u.number, u.state, u.source, u.params, u.loss, u.metrics,
        u.user_attrs, u.worker_id, u.fail_reason, u.create_time, u.start_time, u.end_time, u.lease_deadline,
        u.objective_values, u.constraint_values, u.proposed_by, b.version
      FROM bump b, unnest(${given}${numbers}, ${list([
        [col((n) => STATE_NUMBER[n.trial.state]), "smallint[]"],
        [col((n) => SOURCE_NUMBER[n.trial.source]), "smallint[]"],
        [col((n) => JSON.stringify(n.params)), "text[]"],
        [col((n) => n.trial.loss), "float8[]"],
        [col((n) => JSON.stringify(n.trial.metrics)), "text[]"],
        [col((n) => JSON.stringify(n.trial.userAttrs)), "text[]"],
        [col((n) => n.trial.workerId), "text[]"],
        [col((n) => n.trial.failReason), "text[]"],
        [col((n) => n.trial.createTime), "bigint[]"],
        [col((n) => n.trial.startTime), "bigint[]"],
        [col((n) => n.trial.endTime), "bigint[]"],
        [col((n) => n.trial.leaseDeadline), "bigint[]"],
        [col((n) => encodeValues(n.trial.values)), "text[]"],
        [col((n) => encodeValues(n.trial.constraints)), "text[]"],
        [col((n) => n.trial.proposedBy ?? ""), "text[]"],
      ])})
        WITH ORDINALITY AS u(${given === "" ? "" : "id, "}number, state, source, params, loss, metrics, user_attrs,
          worker_id, fail_reason, create_time, start_time, end_time, lease_deadline, objective_values,
          constraint_values, proposed_by, ord)
      ORDER BY u.ord RETURNING id, number)`);
    const curves = inserted.flatMap((n) => n.trial.intermediate.map(([step, value]) => [n.trial.number, step, value]));
    if (curves.length > 0) {
      shape += "c";
      ctes.push(`curves AS (INSERT INTO intermediate_values (trial_id, step, value)
        SELECT i.id, p.step, p.value
        FROM unnest(${list([
          [curves.map((c) => c[0]), "int[]"],
          [curves.map((c) => c[1]), "bigint[]"],
          [curves.map((c) => c[2]), "float8[]"],
        ])}) WITH ORDINALITY AS p(number, step, value, ord)
        JOIN ins i ON i.number = p.number
        ORDER BY p.ord ON CONFLICT (trial_id, step) DO NOTHING)`);
    }
  }

  // One trial updated twice in a unit: the last write wins, as rows written in order would.
  const updates = [...new Map((unit.update ?? []).map((t) => [t.id, t])).values()];
  if (updates.length > 0) {
    const col = <T>(f: (t: TrialRow) => T) => updates.map(f);
    const columns: [unknown[], string][] = [
      [col((t) => t.id), "bigint[]"],
      [col((t) => STATE_NUMBER[t.state]), "smallint[]"],
      [col((t) => t.loss), "float8[]"],
      [col((t) => JSON.stringify(t.metrics)), "text[]"],
      [col((t) => JSON.stringify(t.userAttrs)), "text[]"],
      [col((t) => t.workerId), "text[]"],
      [col((t) => t.failReason), "text[]"],
      [col((t) => t.startTime), "bigint[]"],
      [col((t) => t.endTime), "bigint[]"],
      [col((t) => t.leaseDeadline), "bigint[]"],
      [col((t) => encodeValues(t.values)), "text[]"],
      [col((t) => encodeValues(t.constraints)), "text[]"],
    ];
    // One trial (a Report's usual unit) as one row of scalars rather than arrays: PostgreSQL estimates an unnest of
    // parameters at 10 rows, so its generic plan looks dearer than a custom one, and it then plans the statement at
    // every call (bench/RESULTS.md, "The planner and a new experiment").
    const one = updates.length === 1;
    shape += one ? "u1" : "u";
    const rows = one
      ? `(VALUES (${columns.map(([v, type]) => $(v[0], type.slice(0, -2))).join(", ")}))`
      : `unnest(${list(columns)})`;
    ctes.push(`upd AS (UPDATE trials t SET state = u.state, loss = u.loss, metrics = u.metrics,
      user_attrs = u.user_attrs, worker_id = u.worker_id, fail_reason = u.fail_reason, start_time = u.start_time,
      end_time = u.end_time, lease_deadline = u.lease_deadline, objective_values = u.objective_values,
      constraint_values = u.constraint_values, version = b.version
      FROM bump b, ${rows}
        AS u(id, state, loss, metrics, user_attrs, worker_id, fail_reason, start_time, end_time, lease_deadline,
          objective_values, constraint_values)
      WHERE t.id = u.id AND ${ownedBy("t", id)} RETURNING t.id)`);
  }

  const points = unit.points ?? [];
  const updated = new Set(updates.map((t) => t.id));
  // The trials' versions move with their curves, so the change feed carries new points. A row is updated once
  // per statement: the trials in `upd` get their version there.
  const touched = [...new Set(points.map((p) => p.trialId))].filter((t) => !updated.has(t));
  if (touched.length > 0) {
    shape += "t";
    ctes.push(`touch AS (UPDATE trials t SET version = b.version FROM bump b
      WHERE ${ownedBy("t", id)} AND t.id = ANY(${$(touched, "bigint[]")}) RETURNING t.id)`);
  }
  if (points.length > 0) {
    shape += "p";
    ctes.push(`pts AS (INSERT INTO intermediate_values (trial_id, step, value)
      SELECT p.trial_id, p.step, p.value
      FROM unnest(${list([
        [points.map((p) => p.trialId), "bigint[]"],
        [points.map((p) => p.step), "bigint[]"],
        [points.map((p) => p.value), "float8[]"],
      ])}) WITH ORDINALITY AS p(trial_id, step, value, ord)
      WHERE EXISTS (SELECT FROM bump)
      ORDER BY p.ord ON CONFLICT (trial_id, step) DO NOTHING)`);
  }

  if (request !== undefined) {
    shape += "r";
    let trialIds = `${$(request.trialIds, "bigint[]")}`;
    if (request.withInserted && numbers !== "") {
      shape += "n";
      trialIds += ` || ARRAY(SELECT i.id FROM ins i JOIN unnest(${numbers}) WITH ORDINALITY AS n(number, ord)
        ON n.number = i.number ORDER BY n.ord)`;
    }
    ctes.push(`req AS (INSERT INTO request_log (experiment_id, method, request_id, trial_ids, create_time)
      SELECT ${id}, ${method}, ${requestId}, array_to_json(${trialIds})::text,
        ${$(request.createTime, "bigint")}
      FROM bump)`);
  }

  const found = [
    updates.length > 0 ? "(SELECT count(*) FROM upd)" : "",
    touched.length > 0 ? "(SELECT count(*) FROM touch)" : "",
  ]
    .filter((s) => s !== "")
    .join(" + ");
  let checked = "0";
  if (found !== "") {
    const wanted = [...updated, ...touched];
    const got = [updates.length > 0 ? "SELECT id FROM upd" : "", touched.length > 0 ? "SELECT id FROM touch" : ""]
      .filter((s) => s !== "")
      .join(" UNION ALL ");
    checked = `CASE WHEN NOT EXISTS (SELECT FROM bump) OR ${found} = ${$(wanted.length, "int")} THEN 0
      ELSE CAST('${MISSING}' || array_to_string(ARRAY(SELECT unnest(${$(wanted, "bigint[]")}) EXCEPT (${got})), ',')
        AS int) END`;
  }
  if (pipelined !== undefined) {
    shape += "s";
    // Nothing bumped: fail the statement, naming why (the turn's later units were computed as if it had applied).
    // The head's subquery also keeps PostgreSQL from folding the cast, a constant otherwise, while planning.
    checked = `CASE WHEN NOT EXISTS (SELECT FROM bump)
      THEN CAST('${REFUSED}' || CASE WHEN ${logged} THEN 'request' ELSE 'version' END || ' at version ' ||
        coalesce((SELECT version FROM experiments WHERE id = ${id})::text, 'none (no such experiment)') AS int)
      ELSE ${checked} END`;
  }
  const text = `WITH ${ctes.join(",\n")}
    SELECT (SELECT version FROM bump) AS version, (SELECT version FROM experiments WHERE id = ${id}) AS head,
      ${inserted.length > 0 ? "ARRAY(SELECT id::float8 FROM ins) AS ids, ARRAY(SELECT number FROM ins) AS numbers" : "NULL AS ids, NULL AS numbers"},
      ${checked} AS checked, ${logged} AS logged`;
  return { name: `unit-${shape}`, text, values };
}

/** Whether a pipelined unit's statement failed for its request id, already logged (the marked cast's text). */
export function refusedForRequest(err: { code?: string; message?: string }): boolean {
  return err.code === "22P02" && (err.message ?? "").includes(`${REFUSED}request`);
}

/** The trial ids a failed statement named as not the experiment's (the failed cast's text), else undefined. */
export function missingTrial(err: { code?: string; message?: string }): number | undefined {
  if (err.code !== "22P02") return undefined;
  const at = err.message?.indexOf(MISSING) ?? -1;
  if (at < 0) return undefined;
  const first = Number.parseInt(err.message!.slice(at + MISSING.length), 10);
  return Number.isSafeInteger(first) ? first : undefined;
}
