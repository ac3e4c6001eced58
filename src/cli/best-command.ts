/** `parzen best NAME`: the best COMPLETE trial of an experiment, as a table or JSON. */
import type { Command } from "commander";
import { ParzenError } from "../errors.js";
import { type ConnectionOptions, connectionOptions, shownParams, withClient } from "./history-commands.js";

export function addBestCommand(program: Command): void {
  connectionOptions(
    program.command("best").description("print an experiment's best COMPLETE trial").argument("<experiment>"),
  )
    .option("--json", "print one JSON object")
    .action(async (experiment: string, opts: ConnectionOptions & { json?: boolean }) => {
      const best = await withClient(opts, async (client) => (await client.experiment(experiment)).best());
      if (best === undefined)
        throw new ParzenError("FAILED_PRECONDITION", `experiment "${experiment}" has no COMPLETE trial yet`);
      if (opts.json) {
        const line = {
          number: best.number,
          id: best.id,
          loss: best.loss,
          params: best.params,
          labels: best.labels,
          metrics: best.metrics,
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
        return;
      }
      const metrics = Object.entries(best.metrics).map(([k, v]) => `${k}=${v}`);
      process.stdout.write(
        `${[
          `trial   #${best.number} (id ${best.id})`,
          `loss    ${best.loss}`,
          `params  ${shownParams(best)}`,
          ...(metrics.length > 0 ? [`metrics ${metrics.join(" ")}`] : []),
        ].join("\n")}\n`,
      );
    });
}
