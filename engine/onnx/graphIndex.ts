import type { GraphOp, StepGraph } from "../graph.ts";

/**
 * Which op produces each tensor and how many op inputs read it: what a fold of the lean graph checks before
 * it keeps a tensor out of the ONNX graph (a tensor read once, by the op that absorbs it).
 */
export interface GraphIndex {
  readonly uses: ReadonlyMap<number, number>;
  readonly producer: ReadonlyMap<number, GraphOp>;
}

export function graphIndex(graph: Pick<StepGraph, "ops">): GraphIndex {
  const uses = new Map<number, number>();
  for (const op of graph.ops) for (const i of op.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  return { uses, producer: new Map(graph.ops.map((op) => [op.output, op])) };
}
