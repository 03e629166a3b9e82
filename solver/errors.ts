import { VeritrainError } from "../core/errors.ts";

/** Typed errors of the solver node. */
export class SolverError extends VeritrainError {
  override name = "SolverError";
}

/** The job on chain is not one this solver can run (wrong status, commitments that differ from the spec...). */
export class JobMismatchError extends SolverError {
  override name = "JobMismatchError";
}

/** A solver transaction failed (reverted, not sent, no receipt). */
export class SolverTransactionError extends SolverError {
  override name = "SolverTransactionError";
  readonly action: string;
  constructor(action: string, reason: string, details: Record<string, unknown> = {}) {
    super(`${action}: ${reason}`, { action, ...details });
    this.action = action;
  }
}

/** A solver config field (file or environment override) that is missing or invalid; `field` names it. */
export class SolverConfigError extends SolverError {
  override name = "SolverConfigError";
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`config field "${field}": ${reason}`, { field });
    this.field = field;
  }
}
