/**
 * `parzen experiments`, `parzen trials` and `parzen export`: read an
 * experiment's history from a running server through the TypeScript client
 * (@parzen/client), as any program would (the server owns the database file,
 * so the CLI never opens it directly). Export writes CSV or JSON Lines with
 * parameters as actual values, one column per parameter.
 */
import { type Command, Option } from "commander";
import { isParzenError, ParzenClient, type Trial, type TrialState } from "@parzen/client";
import { CompletionReason, Direction, ExperimentState } from "@parzen/client/gen/parzen/v1/experiment";
import { ParzenError } from "../errors.js";
import { budgetLabel, stateLabel } from "./experiment-labels.js";

export interface ConnectionOptions {
  address: string;
  tlsCa?: string;
}

export function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--address <addr>", "server address (host:port or unix:///path)")
        .env("PARZEN_ADDRESS")
        .default("127.0.0.1:50051"),
    )
    .addOption(new Option("--tls-ca <file>", "connect with TLS, trusting this CA certificate").env("PARZEN_TLS_CA"));
}

/**
 * Runs `use` with a client connected as the options say (the bearer token from PARZEN_TOKEN, when set) and closes
 * it. A failed call ends the command with the server's own message, as one line.
 */
export async function withClient<T>(opts: ConnectionOptions, use: (client: ParzenClient) => Promise<T>): Promise<T> {
  let client: ParzenClient | undefined;
  try {
    client = await ParzenClient.connect(opts.address, {
      tls: opts.tlsCa === undefined ? undefined : { ca: opts.tlsCa },
      token: process.env.PARZEN_TOKEN || undefined,
    });
    return await use(client);
  } catch (err) {
    throw isParzenError(err) ? new Error(err.details, { cause: err }) : err;
  } finally {
    client?.close();
  }
}

/** A trial as one flat JSON object: what `export --format jsonl` writes per line. */
function trialRecord(t: Trial): Record<string, unknown> {
  return {
    number: t.number,
    id: t.id,
    state: t.state,
    loss: t.loss ?? null,
    // Only trials that have them: a single-objective history exports as it always did.
    ...(t.proto.values.length > 0 ? { values: [...t.proto.values] } : {}),
    ...(t.constraints.length > 0 ? { constraints: t.constraints } : {}),
    params: t.params,
    labels: t.labels,
    metrics: t.metrics,
    intermediate_values: [...t.intermediate].map(([step, value]) => [step, Number.isNaN(value) ? null : value]),
    worker_id: t.workerId,
    source: t.source,
    proposed_by: t.proposedBy,
    user_attrs: t.userAttrs,
    fail_reason: t.failReason,
    create_time: t.createTime?.toISOString() ?? null,
    start_time: t.startTime?.toISOString() ?? null,
    end_time: t.endTime?.toISOString() ?? null,
  };
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with one column per parameter, metric and user attribute seen in any trial. */
function trialsCsv(trials: Trial[]): string {
  const params = [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
  const metrics = [...new Set(trials.flatMap((t) => Object.keys(t.metrics)))].sort();
  const attrs = [...new Set(trials.flatMap((t) => Object.keys(t.userAttrs)))].sort();
  // Several objectives, constraints: one column each, only when some trial has them.
  const nValues = Math.max(0, ...trials.map((t) => t.proto.values.length));
  const nConstraints = Math.max(0, ...trials.map((t) => t.constraints.length));
  const header = [
    "number",
    "id",
    "state",
    "loss",
    ...Array.from({ length: nValues }, (_, i) => `values.${i}`),
    ...Array.from({ length: nConstraints }, (_, i) => `constraints.${i}`),
    ...params.map((p) => `params.${p}`),
    ...metrics.map((m) => `metrics.${m}`),
    ...attrs.map((a) => `user_attrs.${a}`),
    "last_step",
    "intermediate_values",
    "worker_id",
    "source",
    "proposed_by",
    "fail_reason",
    "create_time",
    "start_time",
    "end_time",
  ];
  const rows = trials.map((t) => {
    const r = trialRecord(t);
    const steps = [...t.intermediate.keys()];
    return [
      t.number,
      t.id,
      t.state,
      t.loss,
      ...Array.from({ length: nValues }, (_, i) => t.proto.values[i]),
      ...Array.from({ length: nConstraints }, (_, i) => t.constraints[i]),
      ...params.map((p) => t.labels[p] ?? t.params[p]),
      ...metrics.map((m) => t.metrics[m]),
      ...attrs.map((a) => t.userAttrs[a]),
      steps.at(-1),
      steps.length > 0 ? r.intermediate_values : undefined,
      t.workerId,
      t.source,
      t.proposedBy,
      t.failReason,
      r.create_time,
      r.start_time,
      r.end_time,
    ]
      .map(csvCell)
      .join(",");
  });
  return `${[header.join(","), ...rows].join("\n")}\n`;
}

/** Parameters as people read them: a choice shows its option's label (a Python dict option: its "name"). */
export function shownParams(t: Trial): string {
  return Object.entries({ ...t.params, ...t.labels })
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/** "auto (gp)": an `auto` experiment's algorithm with the one proposing its next trial. */
function algorithmLabel(algorithm: string, current: string): string {
  return current === "" || current === algorithm ? algorithm : `${algorithm} (${current})`;
}

/**
 * `parzen trials`: a header row, one row per trial, the algorithm that proposed it (or how it came: enqueued,
 * imported), and why a FAIL trial failed.
 */
function trialsTable(trials: Trial[]): string {
  const rows = trials.map((t) => [
    String(t.number),
    t.state,
    t.loss === undefined ? "-" : String(t.loss),
    t.proposedBy || t.source.toLowerCase(),
    shownParams(t),
    t.failReason,
  ]);
  const header = ["NUMBER", "STATE", "LOSS", "PROPOSED BY", "PARAMETERS", "FAIL REASON"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padStart(widths[0]!) : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

const STATES: readonly TrialState[] = ["WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL", "LOST"];

function parseStates(list: string | undefined): TrialState[] {
  if (!list) return [];
  return list.split(",").map((s) => {
    const state = STATES.find((name) => name === s.trim().toUpperCase());
    if (state === undefined)
      throw new ParzenError(
        "INVALID_ARGUMENT",
        `unknown trial state "${s}" (waiting, running, complete, pruned, fail, lost)`,
      );
    return state;
  });
}

export function addHistoryCommands(program: Command): void {
  connectionOptions(
    program
      .command("experiments")
      .description("list experiments with their state, budget (COMPLETE + PRUNED / max_trials), best loss and counts"),
  )
    .option("--json", "print JSON Lines instead of a table")
    .action(async (opts: ConnectionOptions & { json?: boolean }) => {
      const exps = await withClient(opts, async (client) => {
        const all = [];
        for await (const e of client.listExperiments({ pageSize: 1000 })) all.push({ e, best: await e.best() });
        return all;
      });
      if (opts.json) {
        for (const { e, best } of exps) {
          const p = e.proto;
          const line = {
            name: e.name,
            algorithm: e.algorithm,
            algorithm_choice: e.algorithmChoice,
            direction: Direction[p.direction],
            state: ExperimentState[p.state],
            completion_reason: p.completionReason === 0 ? null : CompletionReason[p.completionReason],
            max_trials: p.maxTrials ?? null,
            max_failed_trials: p.maxFailedTrials ?? null,
            goal: p.goal ?? null,
            deadline: p.deadline?.toISOString() ?? null,
            best_loss: best?.loss ?? null,
            trial_counts: e.counts,
          };
          process.stdout.write(`${JSON.stringify(line)}\n`);
        }
        return;
      }
      const header = ["NAME", "STATE", "BUDGET", "BEST", "ALGORITHM", "DIRECTION", "COMPLETE", "RUNNING", "PRUNED"];
      const lines = [[...header, "FAIL", "LOST", "WAITING"]];
      for (const { e, best } of exps) {
        const c = e.counts!;
        lines.push([
          e.name,
          stateLabel(e.proto),
          budgetLabel(e.proto),
          best?.loss === undefined ? "-" : String(best.loss),
          algorithmLabel(e.algorithm, e.algorithmChoice.algorithm),
          e.direction,
          ...[c.complete, c.running, c.pruned, c.fail, c.lost, c.waiting].map(String),
        ]);
      }
      const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
      for (const l of lines)
        process.stdout.write(
          `${l
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join("  ")
            .trimEnd()}\n`,
        );
    });

  const exportAction =
    (defaultFormat: "table" | "csv") =>
    async (experiment: string, opts: ConnectionOptions & { format?: string; states?: string }) => {
      const format = opts.format ?? defaultFormat;
      if (!["csv", "jsonl", "table"].includes(format))
        throw new ParzenError("INVALID_ARGUMENT", `unknown format "${format}" (csv, jsonl or table)`);
      const states = parseStates(opts.states);
      const trials: Trial[] = [];
      await withClient(opts, async (client) => {
        const exp = await client.experiment(experiment);
        // Pages arrive as the loop asks for them: JSON Lines are written as they come.
        for await (const t of exp.trials({ states })) {
          if (format === "jsonl") process.stdout.write(`${JSON.stringify(trialRecord(t))}\n`);
          else trials.push(t);
        }
      });
      if (format === "csv") process.stdout.write(trialsCsv(trials));
      if (format === "table") process.stdout.write(trialsTable(trials));
    };

  connectionOptions(program.command("trials").description("print an experiment's trials").argument("<experiment>"))
    .option("--format <format>", "table, csv or jsonl", "table")
    .option("--states <list>", "only these states, comma-separated (e.g. complete,pruned)")
    .action(exportAction("table"));

  connectionOptions(
    program
      .command("export")
      .description("write an experiment's whole history as CSV or JSON Lines")
      .argument("<experiment>"),
  )
    .option("--format <format>", "csv or jsonl", "csv")
    .option("--states <list>", "only these states, comma-separated")
    .action(exportAction("csv"));
}
