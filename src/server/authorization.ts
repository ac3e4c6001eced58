/**
 * What an authenticated token may do (auth.ts authenticates it). A role
 * decides the methods: a reader reads, a worker also gets-or-creates its
 * experiments and suggests, reports, heartbeats and releases trials, an admin does
 * everything (deleting, enqueueing, importing, and UpdateExperiment: pausing,
 * stopping or re-budgeting is the owner's decision, not a worker's). Experiment patterns decide the experiments, for every call
 * that names one or one of its trials, and ListExperiments shows only the
 * matching ones. A trial's experiment is looked up before the call runs, so
 * a worker cannot report, heartbeat or read a trial of someone else's
 * experiment; an unknown trial id is refused alike, telling nothing.
 */
import type { Metadata } from "@grpc/grpc-js";
import type { Experiment } from "@parzen/client/gen/parzen/v1/experiment";
import { ParzenError } from "../errors.js";
import type { Optimizer } from "../service/use-cases/optimizer.js";
import { bearerToken, type Role, type Scope, ScopeMatcher, type TokenSet } from "./auth.js";

const READS = new Set([
  "GetExperiment",
  "ListExperiments",
  "GetTrial",
  "ListTrials",
  "StreamTrials",
  "GetBest",
  "GetParetoFront",
]);
const WORKS = new Set(["CreateExperiment", "Suggest", "Report", "ReportIntermediate", "Heartbeat", "ReleaseTrial"]);
const BY_TRIAL = new Set(["Report", "ReportIntermediate", "Heartbeat", "ReleaseTrial", "GetTrial"]);

const ALLOWED: Record<Role, (method: string) => boolean> = {
  admin: () => true,
  worker: (m) => READS.has(m) || WORKS.has(m),
  reader: (m) => READS.has(m),
};

const denied = (message: string) => new ParzenError("PERMISSION_DENIED", message);

export class Access {
  private readonly matcher = new ScopeMatcher();

  constructor(
    private readonly tokens: TokenSet,
    private readonly optimizer: Optimizer,
  ) {}

  /** The scope of the call's (already authenticated) token. */
  scopeOf(metadata: Metadata): Scope {
    const token = bearerToken(metadata);
    const scope = token === undefined ? undefined : this.tokens.scopeOf(token);
    // The interceptor let the call through, so this cannot happen; refuse rather than guess.
    if (scope === undefined) throw denied("no valid bearer token");
    return scope;
  }

  /** Throws PERMISSION_DENIED unless `scope` may make this call. */
  async authorize(method: string, request: unknown, scope: Scope): Promise<void> {
    if (!ALLOWED[scope.role](method)) {
      throw denied(
        scope.role === "reader"
          ? `${method}: a reader token is read-only`
          : `${method}: a ${scope.role} token may not call it (admin tokens may)`,
      );
    }
    if (this.everything(scope)) return;
    const r = request as { name?: string; experiment?: string | Experiment; trialId?: number };
    if (method === "ListExperiments") return;
    if (BY_TRIAL.has(method)) {
      const trialId = r.trialId ?? 0;
      const name = await this.optimizer.experimentOfTrial(trialId).catch(() => undefined);
      if (name === undefined || !this.matches(scope, name))
        throw denied(
          `${method}: trial ${trialId} is not ${name === undefined ? "a trial" : `of an experiment`} this token may use` +
            (name === undefined
              ? ""
              : ` (trial ${trialId} of experiment "${name}"; allowed: ${scope.experiments.join(", ")})`),
        );
      return;
    }
    const name =
      method === "CreateExperiment"
        ? (r.experiment as Experiment | undefined)?.name
        : method === "GetExperiment" || method === "DeleteExperiment" || method === "UpdateExperiment"
          ? r.name
          : (r.experiment as string | undefined);
    if (name === undefined || !this.matches(scope, name))
      throw denied(
        `${method}: experiment "${name ?? ""}" is not one this token may use (allowed: ${scope.experiments.join(", ")})`,
      );
  }

  /** ListExperiments' answer cut to the experiments `scope` may see. */
  filterList<T extends { experiments: Experiment[] }>(scope: Scope, response: T): T {
    if (this.everything(scope)) return response;
    return { ...response, experiments: response.experiments.filter((e) => this.matches(scope, e.name)) };
  }

  private everything(scope: Scope): boolean {
    return scope.experiments.includes("*");
  }

  private matches(scope: Scope, name: string): boolean {
    return this.matcher.allows(scope, name);
  }
}
