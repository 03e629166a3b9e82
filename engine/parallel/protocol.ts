import type { StepGraph } from "../graph.ts";
import type { Tensor } from "../tensor.ts";

/**
 * The messages between a parallel runner (the coordinator) and its gradient workers. All plain data (numbers,
 * typed arrays, the step graph as JSON-able objects), so a worker can be a thread (localWorker.ts), a process
 * or another machine: the same messages over any transport (docs/engine.md, "Data-parallel workers").
 */
export interface WorkerSetup {
  /** The full step graph; the worker derives the same batch cut and its shard program from it. */
  readonly graph: StepGraph;
  /** Examples in this worker's shard of every batch. */
  readonly rows: number;
  /** onnxruntime intra-op threads for this worker's session (results do not depend on it). */
  readonly threads: number;
}

/**
 * One step's shard. The state the gradients are taken at is named by a version the coordinator assigns; the
 * worker must hold it, and is brought to it by exactly one of:
 * - nothing: it already holds `version`;
 * - `advance`: it holds `advance.from`, and applies the update with the summed cut of that step (what every
 *   worker and the coordinator run alike), which gives `version`: no state crosses the wire;
 * - `state`: the whole state (layout order), e.g. on the first step, after a failure, or a state the runner
 *   did not produce itself.
 */
export interface GradientRequest {
  readonly version: number;
  readonly state?: readonly Tensor[];
  readonly advance?: { readonly from: number; readonly cut: readonly Tensor[] };
  /** The shard's batch rows: quantized inputs [rows, features] and labels [rows]. */
  readonly x: Tensor;
  readonly labels: Tensor;
}

export interface GradientResult {
  /** The version the gradients were taken at (the request's). */
  readonly version: number;
  /** The shard's partial batch sums, in BatchCut.cut order: exact integers. */
  readonly cut: readonly Tensor[];
  /** The shard's logits rows. */
  readonly logits: Tensor;
}

/** One worker of a parallel runner: computes a shard's partial sums. Requests to one worker are sequential. */
export interface GradientWorker {
  readonly rows: number;
  gradients(req: GradientRequest): Promise<GradientResult>;
  /** Ends the worker (its thread, process or connection); pending requests fail. */
  close(): Promise<void>;
}
