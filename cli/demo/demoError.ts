import { VeritrainError } from "../../core/errors.ts";

/** A demo that cannot run or did not end as it must (a node refused a job, a job ended in the wrong state). */
export class DemoError extends VeritrainError {
  override name = "DemoError";
}
