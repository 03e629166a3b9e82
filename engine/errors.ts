import { VeritrainError } from "../core/errors.ts";

/**
 * Typed errors of the deterministic engine (the base class is core/errors.ts). Every error names what is
 * wrong so that a caller (a CLI, a node, a test) can show it or narrow on `name` without parsing messages.
 */

/** A training spec (model, quantization, hyper-parameters) is malformed or violates an exactness bound. */
export class SpecError extends VeritrainError {
  override name = "SpecError";
  readonly field: string;
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super(`invalid spec field "${field}": ${message}`, { field, ...details });
    this.field = field;
  }
}

/** A serialized training state (or other binary blob) is truncated, corrupt or inconsistent. */
export class StateFormatError extends VeritrainError {
  override name = "StateFormatError";
}

/** A tensor value lies outside the range its declaration promises (the exactness proof would not hold). */
export class ValueRangeError extends VeritrainError {
  override name = "ValueRangeError";
}

/** Tensor shapes do not fit the op that consumes them. */
export class ShapeError extends VeritrainError {
  override name = "ShapeError";
}

/** A file given on the command line or in a config cannot be read. */
export class FileReadError extends VeritrainError {
  override name = "FileReadError";
}

/** A file the user asked for (an --out file) cannot be written: its message names the path and the cause. */
export class FileWriteError extends VeritrainError {
  override name = "FileWriteError";
}

/** A dataset is malformed, or does not match the root it is claimed to have. */
export class DatasetError extends VeritrainError {
  override name = "DatasetError";
}
