import { VeritrainError } from "../core/errors.ts";
import { ConfigError } from "../node/config.ts";

/** Typed errors of the solver node. */
export class SolverError extends VeritrainError {
  override name = "SolverError";
}

/** The job on chain is not one this solver can run (wrong status, commitments that differ from the spec...). */
export class JobMismatchError extends SolverError {
  override name = "JobMismatchError";
}

/** A solver config field (file or environment override) that is missing or invalid; `field` names it. */
export class SolverConfigError extends ConfigError {
  override name = "SolverConfigError";
}
