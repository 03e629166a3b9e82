import type { Batch } from "./batch.ts";
import type { StepGraph } from "./graph.ts";
import type { Tensor } from "./tensor.ts";

/**
 * A backend executes a step graph. Backends are interchangeable: for the same state and batch they return
 * bit-identical tensors, so committed roots never depend on which one ran.
 */
export interface StepResult {
  /** The next values of the state tensors, in state-layout order. */
  readonly state: readonly Tensor[];
  /** The graph's logits. */
  readonly logits: Tensor;
  /** Every tensor of the graph by id (inputs, state, op outputs), when a trace was requested. */
  readonly all?: readonly Tensor[];
}

export interface StepRunner {
  readonly backend: BackendName;
  readonly graph: StepGraph;
  run(state: readonly Tensor[], batch: Batch, options?: { trace?: boolean }): Promise<StepResult>;
  close(): Promise<void>;
}

export type BackendName = "reference" | "onnx";
