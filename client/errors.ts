import { VeritrainError } from "../core/errors.ts";

/** Typed errors of the client SDK (client/*.ts): each names the job and what went wrong. */
export class ClientError extends VeritrainError {
  override name = "ClientError";
}

/** A transaction of the client failed (reverted, not sent, no receipt, missing event). */
export class ClientTransactionError extends ClientError {
  override name = "ClientTransactionError";
  readonly action: string;
  constructor(action: string, reason: string, details: Record<string, unknown> = {}) {
    super(`${action}: ${reason}`, { action, ...details });
    this.action = action;
  }
}

/** The job did not reach the awaited status in time, or reached a status from which it never will. */
export class JobWaitError extends ClientError {
  override name = "JobWaitError";
}

// Fetching states moved to content/ (the verifier fetches checkpoints the same way); the SDK keeps the names.
export { ModelFetchError, ModelRootMismatchError } from "../content/errors.ts";

/** A job parameter (escrow, bonds, steps, durations...) the market would reject or that makes no sense. */
export class JobParamsError extends ClientError {
  override name = "JobParamsError";
  readonly field: string;
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super(`invalid job parameter ${field}: ${message}`, { field, ...details });
    this.field = field;
  }
}

/** The account cannot pay for what it is about to send (escrow plus gas). */
export class InsufficientFundsError extends ClientError {
  override name = "InsufficientFundsError";
}

// The market check moved to chain/ (the nodes run it at start too); the SDK keeps the name.
export { NotAMarketError } from "../chain/errors.ts";

/** The deployment's kernel verifier cannot settle a dispute on some op of the spec (no registered circuit). */
export class UnsettleableSpecError extends ClientError {
  override name = "UnsettleableSpecError";
}
