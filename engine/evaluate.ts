import { gather, type Dataset } from "./batch.ts";
import { buildForwardGraph, isParameter, stateLayout } from "./graph.ts";
import { onnxRunner } from "./onnx/runner.ts";
import { referenceRunner } from "./reference.ts";
import type { BackendName } from "./runner.ts";
import type { TrainingSpec } from "./spec.ts";
import type { TrainingState } from "./state.ts";
import type { Tensor } from "./tensor.ts";

/** Index of the largest logit; ties go to the lowest index, so the prediction is deterministic. */
export function argmaxRows(logits: Tensor): number[] {
  const [m, n] = logits.shape as [number, number];
  const d = logits.data, out: number[] = [];
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let j = 1; j < n; j++) if (d[i * n + j]! > d[i * n + best]!) best = j;
    out.push(best);
  }
  return out;
}

/**
 * The integer forward pass's prediction (argmax of the logits) for every example of a dataset, of the model
 * held by `weights` (the state tensors without velocities, in layout order).
 */
export async function predictions(spec: TrainingSpec, weights: readonly Tensor[], data: Dataset, backend: BackendName = "onnx", batchSize = 256): Promise<number[]> {
  const full = buildForwardGraph(spec, batchSize);
  const runner = backend === "onnx" ? await onnxRunner(full) : referenceRunner(full);
  const out: number[] = [];
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const idx = Array.from({ length: batchSize }, (_, i) => Math.min(start + i, data.count - 1));
      const batch = gather(data, idx, spec.quant);
      const { logits } = await runner.run(weights, batch);
      const pred = argmaxRows(logits);
      for (let i = 0; i < batchSize && start + i < data.count; i++) out.push(pred[i]!);
    }
  } finally {
    await runner.close();
  }
  return out;
}

/** Accuracy of the model held by `weights` on a dataset, with the integer forward pass of the spec. */
export async function accuracy(spec: TrainingSpec, weights: readonly Tensor[], data: Dataset, backend: BackendName = "onnx", batchSize = 256): Promise<number> {
  const pred = await predictions(spec, weights, data, backend, batchSize);
  let correct = 0;
  pred.forEach((p, i) => { if (p === data.labels[i]) correct++; });
  return correct / data.count;
}

/** The weight tensors of a state (its optimizer velocities are no part of the model). */
export function stateWeights(spec: TrainingSpec, state: TrainingState): readonly Tensor[] {
  return state.tensors.slice(0, stateLayout(spec).filter((s) => isParameter(s.name)).length);
}

/** Accuracy of the model a training state holds (its weights: the optimizer's velocities are no part of it). */
export function stateAccuracy(spec: TrainingSpec, state: TrainingState, data: Dataset, backend: BackendName = "onnx"): Promise<number> {
  return accuracy(spec, stateWeights(spec, state), data, backend);
}
