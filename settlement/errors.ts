import { VeritrainError } from "../core/errors.ts";

/** A settlement input that is inconsistent, or an entry/element that has no settlement. */
export class SettlementError extends VeritrainError {
  override name = "SettlementError";
}

/** A settlement proof cannot be made: no circuit for the instantiation, a witness the circuit rejects, a proof that does not verify. */
export class ProverError extends SettlementError {
  override name = "ProverError";
}
