/**
 * `parzen experiments`, `parzen trials` and `parzen export`: read an
 * experiment's history from a running server over gRPC (the server owns the
 * database file, so the CLI never opens it directly). Export writes CSV or
 * JSON Lines with parameters as actual values, one column per parameter.
 */
import { credentials, Metadata, type ChannelCredentials } from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { ParzenError } from "../errors.js";
import type { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { Direction } from "@parzen/client/gen/parzen/v1/experiment";
import {
  OptimizerServiceClient,
  type ListExperimentsResponse,
  type StreamTrialsResponse,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import type { Value } from "@parzen/client/gen/parzen/v1/space";
import { TrialSource, TrialState, type Trial } from "@parzen/client/gen/parzen/v1/trial";

interface ConnectionOptions {
  address: string;
  tlsCa?: string;
}

function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--address <addr>", "server address (host:port or unix:///path)")
        .env("PARZEN_ADDRESS")
        .default("127.0.0.1:50051"),
    )
    .addOption(new Option("--tls-ca <file>", "connect with TLS, trusting this CA certificate").env("PARZEN_TLS_CA"));
}

function connect(opts: ConnectionOptions): OptimizerServiceClient {
  const channel: ChannelCredentials = opts.tlsCa
    ? credentials.createSsl(readFileSync(opts.tlsCa))
    : credentials.createInsecure();
  return new OptimizerServiceClient(opts.address, channel);
}

/** Per-call metadata: the bearer token from PARZEN_TOKEN, when set. */
function metadata(): Metadata {
  const md = new Metadata();
  const token = process.env.PARZEN_TOKEN;
  if (token) md.set("authorization", `Bearer ${token}`);
  return md;
}

function asCliError(err: Error & { details?: string }): ParzenError {
  return new ParzenError("UNAVAILABLE", err.details || err.message);
}

async function allExperiments(client: OptimizerServiceClient): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let pageToken = "";
  do {
    const page = await new Promise<ListExperimentsResponse>((ok, fail) =>
      client.listExperiments({ pageSize: 1000, pageToken }, metadata(), (err, res) =>
        err ? fail(asCliError(err)) : ok(res),
      ),
    );
    out.push(...page.experiments);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out;
}

function streamTrials(
  client: OptimizerServiceClient,
  experiment: string,
  states: TrialState[],
  onTrial: (t: Trial) => void,
): Promise<void> {
  return new Promise((ok, fail) => {
    const call = client.streamTrials({ experiment, states }, metadata());
    call.on("data", (r: StreamTrialsResponse) => onTrial(r.trial!));
    call.on("end", () => ok());
    call.on("error", (err: Error) => fail(asCliError(err)));
  });
}

export function plainValue(v: Value | undefined): string | number | boolean | undefined {
  return v?.kind?.value;
}

const stateName = (s: TrialState): string => TrialState[s]?.replace("TRIAL_STATE_", "") ?? String(s);
const sourceName = (s: TrialSource): string => TrialSource[s]?.replace("TRIAL_SOURCE_", "") ?? String(s);

/** A trial as one flat JSON object: what `export --format jsonl` writes per line. */
export function trialRecord(t: Trial): Record<string, unknown> {
  return {
    number: t.number,
    id: t.id,
    state: stateName(t.state),
    loss: t.loss ?? null,
    params: Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, plainValue(v)])),
    metrics: t.metrics,
    intermediate_values: t.intermediateValues.map(({ step, value }) => [step, Number.isNaN(value) ? null : value]),
    worker_id: t.workerId,
    source: sourceName(t.source),
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
export function trialsCsv(trials: Trial[]): string {
  const params = [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
  const metrics = [...new Set(trials.flatMap((t) => Object.keys(t.metrics)))].sort();
  const attrs = [...new Set(trials.flatMap((t) => Object.keys(t.userAttrs)))].sort();
  const header = [
    "number",
    "id",
    "state",
    "loss",
    ...params.map((p) => `params.${p}`),
    ...metrics.map((m) => `metrics.${m}`),
    ...attrs.map((a) => `user_attrs.${a}`),
    "last_step",
    "intermediate_values",
    "worker_id",
    "source",
    "fail_reason",
    "create_time",
    "start_time",
    "end_time",
  ];
  const rows = trials.map((t) => {
    const r = trialRecord(t);
    const last = t.intermediateValues.at(-1);
    return [
      t.number,
      t.id,
      r.state,
      t.loss,
      ...params.map((p) => plainValue(t.params[p])),
      ...metrics.map((m) => t.metrics[m]),
      ...attrs.map((a) => t.userAttrs[a]),
      last?.step,
      t.intermediateValues.length > 0 ? r.intermediate_values : undefined,
      t.workerId,
      r.source,
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

function parseStates(list: string | undefined): TrialState[] {
  if (!list) return [];
  return list.split(",").map((s) => {
    const key = `TRIAL_STATE_${s.trim().toUpperCase()}` as keyof typeof TrialState;
    const v = TrialState[key];
    if (typeof v !== "number" || v === TrialState.TRIAL_STATE_UNSPECIFIED)
      throw new ParzenError(
        "INVALID_ARGUMENT",
        `unknown trial state "${s}" (waiting, running, complete, pruned, fail, lost)`,
      );
    return v;
  });
}

export function addHistoryCommands(program: Command): void {
  connectionOptions(program.command("experiments").description("list experiments with their trial counts"))
    .option("--json", "print JSON Lines instead of a table")
    .action(async (opts: ConnectionOptions & { json?: boolean }) => {
      const client = connect(opts);
      const exps = await allExperiments(client);
      client.close();
      if (opts.json) {
        for (const e of exps)
          process.stdout.write(
            `${JSON.stringify({ name: e.name, algorithm: e.algorithm?.name, direction: Direction[e.direction], trial_counts: e.trialCounts })}\n`,
          );
        return;
      }
      const lines = [["NAME", "ALGORITHM", "DIRECTION", "COMPLETE", "RUNNING", "PRUNED", "FAIL", "LOST", "WAITING"]];
      for (const e of exps) {
        const c = e.trialCounts!;
        lines.push([
          e.name,
          e.algorithm?.name ?? "",
          e.direction === Direction.DIRECTION_MAXIMIZE ? "maximize" : "minimize",
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
      const client = connect(opts);
      const trials: Trial[] = [];
      await streamTrials(client, experiment, parseStates(opts.states), (t) => {
        if (format === "jsonl") process.stdout.write(`${JSON.stringify(trialRecord(t))}\n`);
        else trials.push(t);
      });
      client.close();
      if (format === "csv") process.stdout.write(trialsCsv(trials));
      if (format === "table") {
        for (const t of trials) {
          const params = Object.entries(t.params)
            .map(([k, v]) => `${k}=${plainValue(v)}`)
            .join(" ");
          process.stdout.write(
            `${String(t.number).padStart(5)}  ${stateName(t.state).padEnd(8)}  ${t.loss === undefined ? "-".padEnd(12) : String(t.loss).padEnd(12)}  ${params}\n`,
          );
        }
      }
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
