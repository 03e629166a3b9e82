import type * as ort from "onnxruntime-node";
import type { GraphOp, GraphTensor, StepGraph } from "../graph.ts";
import { lowerGraph, storageType, type LoweredGraph } from "../onnx/lower.ts";
import { openSession, runLowered } from "../onnx/session.ts";
import { opDef } from "../ops/index.ts";
import type { Tensor } from "../tensor.ts";
import type { BatchCut } from "./batchCut.ts";

/**
 * The update part of a step, run once on the summed cut. The coordinator and every worker that advances run
 * exactly this, so their states stay identical without resending them.
 */
export interface UpdateRunner {
  apply(state: readonly Tensor[], cut: readonly Tensor[]): Promise<Tensor[]>;
  close(): Promise<void>;
}

/** The update with the TypeScript reference kernels (the definition every backend matches bit for bit). */
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
 * The update as its own onnxruntime session: the update ops over the state and the cut (declared as inputs),
 * with the full graph's ranges and bounds. Several times faster than the reference loops on the coordinator's
 * critical path; the same bits (engine/onnx/differential.test.ts, and the roots in parallel.test.ts).
 */
export async function onnxUpdate(graph: StepGraph, bc: BatchCut): Promise<UpdateRunner> {
  const tensors: GraphTensor[] = [];
  const idOf = new Map<number, number>();
  const add = (t: GraphTensor, role: GraphTensor["role"], producer?: number): number => {
    const id = tensors.length;
    tensors.push({ id, name: t.name, shape: t.shape, range: t.range, role, ...(producer === undefined ? {} : { producer }) });
    idOf.set(t.id, id);
    return id;
  };
  const cutSet = new Set(bc.cut);
  const feeds: { id: number; from: "state" | "cut"; index: number }[] = [];
  const ops: GraphOp[] = [];
  const inputOf = (i: number): number => {
    const known = idOf.get(i);
    if (known !== undefined) return known;
    const t = graph.tensors[i]!;
    if (cutSet.has(i)) {
      const id = add(t, "input");
      feeds.push({ id, from: "cut", index: bc.cut.indexOf(i) });
      return id;
    }
    const slot = graph.stateIn.indexOf(i);
    const id = add(t, "state");
    feeds.push({ id, from: "state", index: slot });
    return id;
  };
  for (const index of bc.updateOps) {
    const op = graph.ops[index]!;
    const inputs = op.inputs.map(inputOf);
    const output = add(graph.tensors[op.output]!, "op", ops.length);
    ops.push({ ...op, index: ops.length, inputs, output } as GraphOp);
  }
  // Next-state tensors that are not computed here (a state passed through, a cut used as is) come from the inputs.
  const outIds = graph.stateOut.filter((id) => graph.tensors[id]!.role === "op" && !cutSet.has(id)).map((id) => idOf.get(id)!);
  const lowered: LoweredGraph | undefined = ops.length ? lowerGraph({ tensors, ops }, outIds) : undefined;
  const session: ort.InferenceSession | undefined = lowered ? await openSession(lowered, { threads: 1 }) : undefined;
  const shapes = tensors.map((t) => t.shape);
  return {
    async apply(state, cut) {
      const inputs = new Map<number, Tensor>(feeds.map((f) => [f.id, f.from === "state" ? state[f.index]! : cut[f.index]!]));
      const byId = session ? await runLowered(session, lowered!, shapes, inputs) : new Map<number, Tensor>();
      return graph.stateOut.map((id) => {
        const slot = graph.stateIn.indexOf(id);
        if (slot >= 0) return state[slot]!;
        if (cutSet.has(id)) return cut[bc.cut.indexOf(id)]!;
        return byId.get(idOf.get(id)!)!;
      });
    },
    async close() {
      await session?.release();
    },
  };
}

/**
 * The tensor in the narrowest exact type of its declared range (float32 below 2^24, as the ONNX backend stores
 * it): half the bytes to send to a worker, and no conversion when onnxruntime reads it.
 */
export function narrow(t: GraphTensor, v: Tensor): Tensor {
  return storageType(t) === "float32" && !(v.data instanceof Float32Array) ? { shape: v.shape, data: Float32Array.from(v.data) } : v;
}
