import type { GraphTensor, StepGraph } from "../graph.ts";
import { storageType } from "../onnx/lower.ts";
import { opDef } from "../ops/index.ts";
import type { Tensor } from "../tensor.ts";
import type { BatchCut } from "./batchCut.ts";

/**
 * The update part of a step, run once on the summed cut with the TypeScript reference kernels (the definition
 * every backend matches bit for bit; these ops are elementwise over the state, so their cost is small next to
 * the shards'). The coordinator and every worker run exactly this, so their states stay identical without
 * resending them.
 */
export function applyUpdate(graph: StepGraph, bc: BatchCut, state: readonly Tensor[], cut: readonly Tensor[]): Tensor[] {
  const values = new Map<number, Tensor>();
  graph.stateIn.forEach((id, i) => values.set(id, state[i]!));
  bc.cut.forEach((id, j) => values.set(id, cut[j]!));
  for (const index of bc.updateOps) {
    const op = graph.ops[index]!;
    values.set(op.output, opDef(op.kind).reference(op.inputs.map((id) => values.get(id)!), op.attrs));
  }
  return graph.stateOut.map((id) => narrow(graph.tensors[id]!, values.get(id)!));
}

/**
 * The tensor in the narrowest exact type of its declared range (float32 below 2^24, as the ONNX backend stores
 * it): half the bytes to send to a worker, and no conversion when onnxruntime reads it.
 */
export function narrow(t: GraphTensor, v: Tensor): Tensor {
  return storageType(t) === "float32" && !(v.data instanceof Float32Array) ? { shape: v.shape, data: Float32Array.from(v.data) } : v;
}
