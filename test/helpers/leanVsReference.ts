import { expect } from "chai";
import onnxProto from "onnx-proto";
import { type Dataset, sampleBatch } from "../../engine/batch.ts";
import type { StepGraph } from "../../engine/graph.ts";
import { lowerGraph } from "../../engine/onnx/lower.ts";
import { leanOutputIds, onnxRunner } from "../../engine/onnx/runner.ts";
import { nextRng } from "../../engine/random.ts";
import { referenceRunner } from "../../engine/reference.ts";
import type { TrainingSpec } from "../../engine/spec.ts";
import { initialState } from "../../engine/state.ts";
import type { Tensor } from "../../engine/tensor.ts";

/**
 * Trains `steps` steps from the spec's initial state with the lean ONNX graph (what a solver runs: only the
 * next state and the logits are outputs, so the lowering's folds apply) and with the TypeScript reference,
 * on the same batches: every state value and logit must be bit-identical. Fails naming the step, tensor and
 * element of the first difference. `start` replaces the initial state's tensors (edge-value tests).
 */
export async function expectLeanEqualsReference(spec: TrainingSpec, graph: StepGraph, data: Dataset, steps: number, start?: readonly Tensor[]): Promise<void> {
  const lean = await onnxRunner(graph), ref = referenceRunner(graph);
  try {
    const init = initialState(spec);
    let rng = init.rng, state = start ?? init.tensors;
    for (let step = 0; step < steps; step++) {
      const batch = sampleBatch(data, rng, spec);
      const [a, b] = [await ref.run(state, batch), await lean.run(state, batch)];
      const pairs = [...a.state.map((t, i) => [graph.tensors[graph.stateOut[i]!]!.name, t, b.state[i]!] as const), ["logits", a.logits, b.logits] as const];
      for (const [name, x, y] of pairs) {
        for (let i = 0; i < x.data.length; i++) if (x.data[i] !== y.data[i]) expect.fail(`step ${step}, ${name}[${i}]: reference ${x.data[i]} != lean onnx ${y.data[i]}`);
      }
      state = a.state;
      rng = nextRng(rng);
    }
  } finally {
    await lean.close();
  }
}

/** The ONNX op types of a graph's lean lowering (which folds and forms it took). */
export function leanNodeTypes(graph: StepGraph): string[] {
  const lowered = lowerGraph(graph, leanOutputIds(graph));
  return onnxProto.onnx.ModelProto.decode(lowered.bytes).graph!.node!.map((n) => n.opType!);
}

/** Which special forms the lean lowering took, and how many times (LoweredGraph.forms). */
export function leanForms(graph: StepGraph): Readonly<Record<string, number>> {
  return lowerGraph(graph, leanOutputIds(graph)).forms;
}
