import { argmaxRows } from "../engine/evaluate.ts";
import { gather, type Dataset } from "../engine/batch.ts";
import { buildForwardGraph, isParameter, stateLayout } from "../engine/graph.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import { referenceRunner } from "../engine/reference.ts";
import type { BackendName } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { stepLoss } from "../training/train.ts";

/** A model's quality on a held-out set: what one point of the explorer's training curve shows. */
export interface HeldoutScore {
  /** Fraction of the held-out examples whose largest logit is their label (engine/evaluate.ts's rule). */
  readonly accuracy: number;
  /** The training objective per example (training/train.ts stepLoss): squared error, or cross-entropy in nats under softmax_ce. */
  readonly loss: number;
  readonly examples: number;
}

const BATCH = 256;

/**
 * Scores the states on a held-out set with the spec's integer forward pass (one runner for all of them):
 * accuracy by engine/evaluate.ts's argmax rule, loss by training/train.ts's stepLoss over the real rows of
 * each batch (the last batch is padded with repeats of the last example, which are left out).
 */
export async function scoreStates(spec: TrainingSpec, states: readonly TrainingState[], data: Dataset, backend: BackendName = "onnx"): Promise<HeldoutScore[]> {
  const graph = buildForwardGraph(spec, BATCH);
  const runner = backend === "onnx" ? await onnxRunner(graph) : referenceRunner(graph);
  const nWeights = stateLayout(spec).filter((s) => isParameter(s.name)).length;
  const out: HeldoutScore[] = [];
  try {
    for (const state of states) {
      const weights = state.tensors.slice(0, nWeights);
      let correct = 0, lossSum = 0;
      for (let start = 0; start < data.count; start += BATCH) {
        const idx = Array.from({ length: BATCH }, (_, i) => Math.min(start + i, data.count - 1));
        const batch = gather(data, idx, spec.quant);
        const { logits } = await runner.run(weights, batch);
        const rows = Math.min(BATCH, data.count - start), classes = logits.shape[1]!;
        const pred = argmaxRows(logits);
        for (let i = 0; i < rows; i++) if (pred[i] === data.labels[start + i]) correct++;
        const real = { shape: [rows, classes], data: logits.data.subarray(0, rows * classes) };
        const labels = { shape: [rows], data: batch.labels.data.subarray(0, rows) };
        lossSum += stepLoss(spec, real, labels) * rows;
      }
      out.push({ accuracy: correct / data.count, loss: lossSum / data.count, examples: data.count });
    }
  } finally {
    await runner.close();
  }
  return out;
}
