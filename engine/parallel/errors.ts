import { VeritrainError } from "../../core/errors.ts";

/**
 * Data-parallel training cannot run as asked: the graph has no exact batch-sum cut, a worker failed, died or
 * answered something malformed. The message names the op, the worker or the tensor.
 */
export class WorkersError extends VeritrainError {
  override name = "WorkersError";
}
