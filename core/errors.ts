/**
 * The one base class of every veritrain error. Each layer derives its own named subclasses (engine/errors.ts,
 * chain/errors.ts, client/errors.ts, ...), each with a literal `name` and a message naming what is wrong, so
 * that a caller (the CLI, a node, a test) can show it in one line or narrow on the class without parsing
 * messages. `details` carries the machine-readable facts (the offending field, value, limit...).
 */
export class VeritrainError extends Error {
  override name = "VeritrainError";
  /** Machine-readable details (the offending field, value, limit...). */
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.details = details;
  }
}
