/**
 * The names and keys a request writes, checked against space/names.ts
 * before the service sees the request: worker ids, metric keys and user
 * attribute keys. Experiment and parameter names are checked where
 * definitions are validated (they are versioned there, so stored
 * experiments keep loading). Names that only look something up (an
 * experiment to Suggest from, a ListTrials worker filter) are not checked:
 * an experiment or worker stored before these rules must stay reachable.
 */
import { checkName } from "../space/names.js";

type Keyed = Readonly<Record<string, unknown>>;

function keys(map: Keyed | undefined, field: string): void {
  if (map === undefined) return;
  for (const k of Object.keys(map)) checkName(k, field, "key");
}

/** Throws INVALID_ARGUMENT naming the field and the character when a written name or key is refused. */
export function checkRequestNames(method: string, request: unknown): void {
  const r = request as Record<string, unknown>;
  switch (method) {
    case "CreateExperiment":
      keys((r.experiment as { userAttrs?: Keyed } | undefined)?.userAttrs, "experiment.user_attrs");
      return;
    case "Suggest":
      checkName(String(r.workerId ?? ""), "worker_id", "worker id");
      return;
    case "Report":
      if (r.workerId) checkName(String(r.workerId), "worker_id", "worker id");
      keys(r.metrics as Keyed, "metrics");
      keys(r.userAttrs as Keyed, "user_attrs");
      return;
    case "Enqueue":
      (r.configurations as { userAttrs?: Keyed }[] | undefined)?.forEach((c, i) => {
        keys(c.userAttrs, `configurations[${i}].user_attrs`);
      });
      return;
    case "AddTrials":
      (r.trials as { metrics?: Keyed; userAttrs?: Keyed }[] | undefined)?.forEach((t, i) => {
        keys(t.metrics, `trials[${i}].metrics`);
        keys(t.userAttrs, `trials[${i}].user_attrs`);
      });
      return;
  }
}
