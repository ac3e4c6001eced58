/**
 * `parzen pause|resume|stop NAME` and `parzen update NAME --max-trials N ...`:
 * an experiment's lifecycle and stop conditions, changed on a running server
 * with UpdateExperiment (an admin call when the server takes tokens). Each
 * prints the experiment's state, budget and best loss afterwards, as
 * `parzen experiments` shows them.
 */
import { readFileSync } from "node:fs";
import { credentials } from "@grpc/grpc-js";
import { isParzenError } from "@parzen/client";
import {
  ExperimentAction,
  OptimizerServiceClient,
  UpdateExperimentRequest,
} from "@parzen/client/gen/parzen/v1/optimizer_service";
import { Rpc } from "@parzen/client/rpc";
import type { Command } from "commander";
import { ParzenError } from "../errors.js";
import { budgetLabel, stateLabel } from "./experiment-labels.js";
import { type ConnectionOptions, connectionOptions } from "./history-commands.js";

/**
 * UpdateExperiment through the client's connection layer: the TypeScript
 * client has no method for it yet, so the CLI calls the generated stub
 * with the same credentials, token and error handling.
 */
async function update(opts: ConnectionOptions, req: Partial<UpdateExperimentRequest>): Promise<string> {
  const target = opts.address.startsWith("/") ? `unix://${opts.address}` : opts.address;
  const creds =
    opts.tlsCa === undefined ? credentials.createInsecure() : credentials.createSsl(readFileSync(opts.tlsCa));
  const stub = new OptimizerServiceClient(target, creds);
  const rpc = new Rpc(stub, { token: process.env.PARZEN_TOKEN || undefined, timeoutMs: 30_000, workerId: "" });
  try {
    const { experiment } = await rpc.call("updateExperiment", UpdateExperimentRequest.fromPartial(req));
    const e = experiment!;
    let best = "-";
    try {
      const { trial } = await rpc.call("getBest", { experiment: e.name });
      best = String(trial?.loss ?? "-");
    } catch (err) {
      // No COMPLETE trial yet: nothing to show.
      if (!isParzenError(err, "FAILED_PRECONDITION")) throw err;
    }
    return `${e.name}: ${stateLabel(e)}, budget ${budgetLabel(e)}, best ${best}\n`;
  } catch (err) {
    throw isParzenError(err) ? new Error(err.details, { cause: err }) : err;
  } finally {
    stub.close();
  }
}

/** A limit option's value: a number, or "none" to clear the limit. */
function limit(flag: string, raw: string, integer: boolean): number | "none" {
  if (raw.trim().toLowerCase() === "none") return "none";
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n)))
    throw new ParzenError(
      "INVALID_ARGUMENT",
      `${flag}: expected ${integer ? "an integer" : "a number"} or "none", got "${raw}"`,
    );
  return n;
}

function deadline(raw: string): Date | "none" {
  if (raw.trim().toLowerCase() === "none") return "none";
  const d = new Date(raw);
  if (Number.isNaN(d.getTime()))
    throw new ParzenError(
      "INVALID_ARGUMENT",
      `--deadline: expected an ISO 8601 time (e.g. 2026-12-03T18:00:00Z) or "none", got "${raw}"`,
    );
  return d;
}

interface UpdateOptions extends ConnectionOptions {
  maxTrials?: string;
  maxFailedTrials?: string;
  goal?: string;
  deadline?: string;
}

export function addExperimentCommands(program: Command): void {
  const actions: [string, ExperimentAction, string][] = [
    ["pause", ExperimentAction.EXPERIMENT_ACTION_PAUSE, "pause an experiment: workers are told to wait (retry_after)"],
    ["resume", ExperimentAction.EXPERIMENT_ACTION_RESUME, "resume a paused or stopped experiment"],
    ["stop", ExperimentAction.EXPERIMENT_ACTION_STOP, "stop an experiment: workers are told it is done"],
  ];
  for (const [name, action, description] of actions) {
    connectionOptions(program.command(name).description(description).argument("<experiment>")).action(
      async (experiment: string, opts: ConnectionOptions) => {
        process.stdout.write(await update(opts, { name: experiment, action }));
      },
    );
  }

  connectionOptions(
    program
      .command("update")
      .description('change an experiment\'s stop conditions ("none" clears one); raising a limit re-opens it')
      .argument("<experiment>"),
  )
    .option("--max-trials <n>", "COMPLETE + PRUNED trials that complete the experiment, or none")
    .option("--max-failed-trials <n>", "FAIL trials that complete the experiment, or none")
    .option("--goal <loss>", "a COMPLETE loss at or past this completes the experiment, or none")
    .option("--deadline <time>", "ISO 8601 time at which the experiment completes, or none")
    .action(async (experiment: string, opts: UpdateOptions) => {
      const req: Partial<UpdateExperimentRequest> = { name: experiment };
      if (opts.maxTrials !== undefined) {
        const v = limit("--max-trials", opts.maxTrials, true);
        if (v === "none") req.clearMaxTrials = true;
        else req.maxTrials = v;
      }
      if (opts.maxFailedTrials !== undefined) {
        const v = limit("--max-failed-trials", opts.maxFailedTrials, true);
        if (v === "none") req.clearMaxFailedTrials = true;
        else req.maxFailedTrials = v;
      }
      if (opts.goal !== undefined) {
        const v = limit("--goal", opts.goal, false);
        if (v === "none") req.clearGoal = true;
        else req.goal = v;
      }
      if (opts.deadline !== undefined) {
        const v = deadline(opts.deadline);
        if (v === "none") req.clearDeadline = true;
        else req.deadline = v;
      }
      if (Object.keys(req).length === 1)
        throw new ParzenError(
          "INVALID_ARGUMENT",
          "nothing to update: give --max-trials, --max-failed-trials, --goal or --deadline",
        );
      process.stdout.write(await update(opts, req));
    });
}
