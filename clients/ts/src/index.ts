/**
 * @parzen/client: ask-tell hyperparameter optimisation from Node against a
 * Parzen server.
 *
 *     const client = await ParzenClient.connect("127.0.0.1:50051");
 *     const exp = await client.createExperiment({ name: "mlp", space: [logUniform("lr", 1e-5, 1e-1), int("layers", 1, 6)] });
 *     const trial = await exp.suggest();
 *     await trial.report(train(trial.params));
 */
export {
  DEFAULT_ADDRESS,
  DEFAULT_TIMEOUT_MS,
  ParzenClient,
  type ConnectOptions,
  type ExperimentSpec,
  type Pem,
  type TlsOptions,
} from "./client.js";
export { Experiment, type Observation, type StopConditionsUpdate, type TrialsQuery } from "./experiment.js";
export { ExperimentDone, isExperimentDone, type CompletionReasonName } from "./done.js";
export { Trial } from "./trial.js";
export type { ChoiceLabels } from "./labels.js";
export type { KeepAliveOptions, StopKeepAlive } from "./keepalive.js";
export { ParzenError, isParzenError, type StatusName } from "./errors.js";
export type { TrialState } from "./state.js";
export { pruners, type PrunerSpec } from "./pruner.js";
export { serviceConfig } from "./retry.js";
export type { ParamValue, Params } from "./values.js";
export {
  Param,
  When,
  choice,
  int,
  logNormal,
  logUniform,
  normal,
  qLogNormal,
  qLogUniform,
  qNormal,
  qUniform,
  uniform,
  when,
  type ChoiceOption,
} from "./space.js";
