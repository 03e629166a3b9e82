import { VeritrainError } from "../core/errors.ts";
import { ConfigError } from "../node/config.ts";

/** Typed errors of the verifier node. */
export class VerifierError extends VeritrainError {
  override name = "VerifierError";
}

/** A verifier config field (file or environment override) that is missing or invalid; `field` names it. */
export class VerifierConfigError extends ConfigError {
  override name = "VerifierConfigError";
}

/** A checkpoint state could not be fetched from the solver, or its bytes are not the committed state. */
export class StateFetchError extends VerifierError {
  override name = "StateFetchError";
}
